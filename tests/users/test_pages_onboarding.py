"""Onboarding pages: the home page's next step, signing up and logging in, and the profile in
plain language, which stores health and identity answers only with the person's consent."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from stims.models import Category
from tests.factories import PASSWORD, ConditionFactory, HobbyFactory, StimFactory
from tests.recommender.factories import ProfileFactory
from users.models import HEALTH_FIELDS, Profile

pytestmark = pytest.mark.django_db

CONSENT_LABEL = (
    "I agree that my answers about health and identity (conditions, age, gender, sexuality) "
    "are stored to personalise my suggestions. I can change or delete them at any time."
)
LEGENDS = ("About you", "Health", "What you enjoy", "How you stim", "Consent")
SCALE_LABELS = ("Hardly at all", "A little", "Somewhat", "A lot", "It&#x27;s essential to me")
# One answer to each health or identity question (vocabulary answers by name).
HEALTH_ANSWERS = {
    "age": "30",
    "gender": "man",
    "sexuality": "asexual",
    "neurodivergent_conditions": ["Autism"],
}


class _Page(HTMLParser):
    """The inputs called `name` (value -> checked) and the folding sections (summary -> open)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.inputs, self.sections = name, {}, {}
        self._open_details: bool | None = None
        self._summary: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == self.name:
            self.inputs[attrs.get("value", "")] = "checked" in attrs
        elif tag == "details":
            self._open_details = "open" in attrs
        elif tag == "summary":
            self._summary = []

    def handle_data(self, data) -> None:
        if self._summary is not None:
            self._summary.append(data)

    def handle_endtag(self, tag) -> None:
        if tag == "summary":
            self.sections[" ".join("".join(self._summary).split())] = self._open_details
            self._summary = None


def read_page(response, name: str) -> _Page:
    page = _Page(name)
    page.feed(response.content.decode())
    return page


def inputs(response, name: str) -> dict[str, bool]:
    """Each input called `name` on the page: its value, and whether it is checked."""
    return read_page(response, name).inputs


@pytest.fixture
def vocabulary() -> dict[str, int]:
    """A condition, a hobby and stims of three sensory kinds (and a retired one), by name."""
    records = [
        ConditionFactory(name="Autism"),
        HobbyFactory(name="Music"),
        StimFactory(name="Rocking chair", category=Category.VESTIBULAR),
        StimFactory(name="Fidget cube", category=Category.TACTILE),
        StimFactory(name="Humming", category=Category.VOCAL),
        StimFactory(name="Retired rocking horse", category=Category.VESTIBULAR, is_active=False),
    ]
    return {record.name: record.pk for record in records}


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def save_profile(client, vocabulary, url=None, **answers):
    """Posts the profile form: the given answers (vocabulary ones by name), others blank."""
    data = {"stimming_essentiality_score": "0.5", **answers}
    for name, value in data.items():
        if isinstance(value, list):
            data[name] = [vocabulary[item] for item in value]
    return client.post(url or reverse("users:profile"), data)


def names(related) -> list[str]:
    return sorted(related.values_list("name", flat=True))


def test_the_home_page_offers_signing_up_or_logging_in(client):
    html = client.get(reverse("home")).content.decode()
    assert "How it works" in html
    assert f'href="{reverse("users:signup")}">Create an account</a>' in html
    assert f'href="{reverse("login")}">Log in</a>' in html


def test_the_home_page_leads_a_signed_in_person_to_their_stims(signed_in):
    html = signed_in.get(reverse("home")).content.decode()
    assert f'href="{reverse("recommender:recommendations")}">See my stims</a>' in html
    assert "Create an account</a>" not in html


def test_the_signup_page_asks_only_for_a_username_and_a_password(client):
    response = client.get(reverse("users:signup"))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Username", "Password", "Type the password again", "Create account"):
        assert label in html
    assert "it does not need to be your real name" in html
    assert set(response.context["form"].fields) == {"username", "password1", "password2"}


def test_signing_up_logs_in_and_welcomes_the_person_on_their_profile(client):
    passphrase = "a-long-passphrase-9"
    response = client.post(
        reverse("users:signup"),
        {"username": "sam", "password1": passphrase, "password2": passphrase},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("users:profile"), 302)]
    assert response.context["user"].username == "sam"
    assert "Welcome! Tell us a little about yourself, or skip any question." in (
        response.content.decode()
    )


def test_the_login_page_logs_in_with_the_shared_form_styles(client, user):
    html = client.get(reverse("login")).content.decode()
    assert '<form method="post" class="card"' in html and "Log in</button>" in html
    assert f'href="{reverse("users:signup")}">Create an account</a>' in html
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.url == reverse("recommender:recommendations")  # their stims, not the form


def test_the_profile_groups_its_questions_in_plain_language(signed_in, vocabulary):
    response = signed_in.get(reverse("users:profile"))
    assert response.status_code == 200
    html = response.content.decode()
    for legend in LEGENDS:
        assert f"<legend><h2>{legend}</h2></legend>" in html
    for text in (*SCALE_LABELS, CONSENT_LABEL, "Some stims suit some ages better"):
        assert text in html
    assert inputs(response, "gender")[""] and inputs(response, "sexuality")[""]
    assert html.count("Prefer not to say") == 2
    assert f'<a href="{reverse("users:my_data")}">Download or delete my data</a>' in html
    assert 'src="/static/js/profile.js"' in html
    assert 'type="range"' not in html


@pytest.mark.parametrize(
    ("answers", "read", "expected"),
    [
        (
            {"age": "30", "gender": "woman", "sexuality": "queer", "health_data_consent": "on"},
            lambda profile: (profile.age, profile.gender, profile.sexuality),
            (30, "woman", "queer"),
        ),
        (
            {"neurodivergent_conditions": ["Autism"], "health_data_consent": "on"},
            lambda profile: names(profile.neurodivergent_conditions),
            ["Autism"],
        ),
        (
            {"hobbies": ["Music"], "other_hobbies": "trains"},
            lambda profile: (names(profile.hobbies), profile.other_hobbies),
            (["Music"], "trains"),
        ),
        (
            {"stimming_essentiality_score": "0.75", "current_stims": ["Humming", "Fidget cube"]},
            lambda profile: (profile.stimming_essentiality_score, names(profile.current_stims)),
            (0.75, ["Fidget cube", "Humming"]),
        ),
    ],
    ids=["about you", "health", "what you enjoy", "how you stim"],
)
def test_each_group_of_the_profile_is_saved(signed_in, user, vocabulary, answers, read, expected):
    response = save_profile(signed_in, vocabulary, **answers)
    assert response.status_code == 302
    assert read(Profile.objects.get(user=user)) == expected
    assert "Your profile is saved." in signed_in.get(response.url).content.decode()


@pytest.mark.parametrize("field", HEALTH_FIELDS)
def test_a_health_or_identity_answer_without_consent_is_refused_and_nothing_is_saved(
    signed_in, user, vocabulary, field
):
    response = save_profile(
        signed_in, vocabulary, **{field: HEALTH_ANSWERS[field]}, other_hobbies="trains"
    )
    assert response.status_code == 200
    assert response.context["form"].errors["health_data_consent"] == [
        f"Please tick this box so we may store your answers about "
        f"{'conditions' if field == 'neurodivergent_conditions' else field}. "
        "Or clear those answers."
    ]
    html = response.content.decode()
    assert 'aria-describedby="id_health_data_consent_helptext id_health_data_consent_error"' in html
    assert '<a href="#id_health_data_consent">Please tick this box' in html
    profile = Profile.objects.get(user=user)
    assert (profile.other_hobbies, profile.health_data_consent) == ("", False)
    assert not any(getattr(profile, name) for name in ("age", "gender", "sexuality"))
    assert not profile.neurodivergent_conditions.exists()


def test_with_consent_every_health_and_identity_answer_is_saved(signed_in, user, vocabulary):
    response = save_profile(signed_in, vocabulary, **HEALTH_ANSWERS, health_data_consent="on")
    assert response.status_code == 302
    profile = Profile.objects.get(user=user)
    assert (profile.age, profile.gender, profile.sexuality) == (30, "man", "asexual")
    assert names(profile.neurodivergent_conditions) == ["Autism"]
    assert profile.health_data_consent


def test_answers_about_anything_else_need_no_consent(signed_in, user, vocabulary):
    response = save_profile(signed_in, vocabulary, hobbies=["Music"], current_stims=["Humming"])
    assert response.status_code == 302
    profile = Profile.objects.get(user=user)
    assert names(profile.current_stims) == ["Humming"]
    assert not profile.health_data_consent


def test_taking_back_consent_asks_to_clear_the_answers_first(signed_in, user, vocabulary):
    ProfileFactory(user=user, age=30, gender="", health_data_consent=True)

    kept = save_profile(signed_in, vocabulary, age="30")
    assert kept.status_code == 200
    assert kept.context["form"].errors["health_data_consent"] == [
        "To take back your consent, also clear your answers about age, then save. "
        "Or keep this box ticked."
    ]
    assert Profile.objects.get(user=user).health_data_consent

    cleared = save_profile(signed_in, vocabulary, age="")
    assert cleared.status_code == 302
    profile = Profile.objects.get(user=user)
    assert (profile.age, profile.health_data_consent) == (None, False)


def test_an_essentiality_score_between_steps_shows_the_nearest_step(signed_in, user):
    ProfileFactory(user=user, stimming_essentiality_score=0.8)
    scale = inputs(signed_in.get(reverse("users:profile")), "stimming_essentiality_score")
    assert scale == {"0.0": False, "0.25": False, "0.5": False, "0.75": True, "1.0": False}


def test_stims_are_offered_by_sensory_kind_in_folding_sections(signed_in, user, vocabulary):
    user.profile.current_stims.add(vocabulary["Humming"])
    page = read_page(signed_in.get(reverse("users:profile")), "current_stims")
    assert page.sections == {
        "Tactile (touch) (1 stim)": False,
        "Vestibular (balance) (1 stim)": False,
        "Vocal (1 stim, 1 ticked)": True,
    }
    assert page.inputs == {
        str(vocabulary["Fidget cube"]): False,
        str(vocabulary["Humming"]): True,
        str(vocabulary["Rocking chair"]): False,
    }


def test_the_stim_search_narrows_the_choices_and_keeps_ticked_stims(signed_in, user, vocabulary):
    user.profile.current_stims.add(vocabulary["Humming"])
    response = signed_in.get(reverse("users:profile"), {"stim_search": "  ROCK "})
    page = read_page(response, "current_stims")
    assert page.inputs == {
        str(vocabulary["Rocking chair"]): False,
        str(vocabulary["Humming"]): True,
    }
    assert page.sections == {
        "Vestibular (balance) (1 stim)": True,
        "Vocal (1 stim, 1 ticked)": True,
    }
    assert inputs(response, "stim_search") == {"ROCK": False}
    assert "Show all stims</a>" in response.content.decode()


def test_saving_from_a_search_keeps_the_ticked_stims(signed_in, user, vocabulary):
    user.profile.current_stims.add(vocabulary["Humming"])
    search_url = f"{reverse('users:profile')}?stim_search=rock"
    response = save_profile(
        signed_in, vocabulary, url=search_url, current_stims=["Humming", "Rocking chair"]
    )
    assert response.status_code == 302
    assert names(Profile.objects.get(user=user).current_stims) == ["Humming", "Rocking chair"]


def test_a_search_without_matches_says_so_and_offers_the_whole_list(signed_in, vocabulary):
    response = signed_in.get(reverse("users:profile"), {"stim_search": "trampoline"})
    assert inputs(response, "current_stims") == {}
    assert "No stim name contains “trampoline”." in response.content.decode()
