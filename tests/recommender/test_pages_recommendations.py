"""The "My stims" page: ranked cards with feedback in place, the harm policy as a person sees
it, safer alternatives, which source ranked the list, and the feedback POST behind the cards."""

import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from recommender.models import Interaction
from recommender.services import interaction_feedback_give
from recommender.views import match_words
from stims.models import Category
from tests.factories import HobbyFactory, InteractionFactory, StimFactory, UserFactory
from tests.recommender.factories import ProfileFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("recommender:recommendations")
POPULARITY_LINE = (
    "Our model is not available right now, so these are the stims most people found helpful."
)


def text(response) -> str:
    """The page as the person reads it: entities such as &#x27; turned back into characters,
    and every run of white space one space."""
    return " ".join(html.unescape(response.content.decode()).split())


def card_ids(response) -> list[str]:
    return re.findall(r'<article class="rec-card" id="([^"]+)"', response.content.decode())


@pytest.fixture
def feedback(client, django_capture_on_commit_callbacks):
    """Posts a card's form, commits as the end of a request does (so the cache drop runs),
    and returns the list the person is sent back to."""

    def give(stim, **data):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("recommender:feedback", args=[stim.pk]), data)
        # back to the content, so a keyboard user need not pass the navigation again
        assert (response.status_code, response.url) == (302, LIST_URL + "#main")
        return client.get(LIST_URL)

    return give


def test_each_stim_is_a_card_with_its_kind_reason_match_in_words_and_feedback(client, person):
    stim = StimFactory(
        name="Weighted blanket",
        category=Category.PROPRIOCEPTIVE,
        description="Heavy and calming.",
    )
    response = client.get(LIST_URL)
    page = text(response)
    assert response.status_code == 200
    assert card_ids(response) == [f"stim-{stim.pk}"]
    assert f'href="{reverse("stims:detail", args=[stim.slug])}"' in page
    assert "Heavy and calming." in page
    assert "Sensory kind: Proprioceptive (pressure)" in page
    assert "Popular with people here" in page  # no feedback yet: the prior's even odds
    assert f'<label for="stim-{stim.pk}-match">A good match</label>' in page
    assert f'<meter id="stim-{stim.pk}-match" min="0" max="1" value="0.50">' in page
    for words in ("Tried it? How helpful was it?", "1 not at all", "5 very", "Save rating"):
        assert words in page
    assert ">I use this now</button>" in page and ">Not for me</button>" in page
    assert "<script" not in page  # everything is in the served HTML


@pytest.mark.parametrize(
    ("score", "words"),
    [
        (0.9, "A very good match"),
        (0.75, "A very good match"),
        (0.74, "A good match"),
        (0.5, "A good match"),
        (0.3, "Might suit you"),
        (0.29, "A long shot"),
        (-0.2, "A long shot"),
    ],
)
def test_the_match_is_told_in_words_by_score(score, words):
    assert match_words(score) == words


def test_a_harmful_stim_never_appears_however_popular(client, person):
    harmful = StimFactory(name="Head banging", harmfulness_score=0.95)
    StimFactory(name="Stress ball")
    InteractionFactory.create_batch(3, stim=harmful, rating=5)
    page = text(client.get(LIST_URL))
    assert "Stress ball" in page
    assert "Head banging" not in page


@pytest.mark.parametrize(
    ("harmfulness", "badge"), [(0.1, None), (0.45, "Harm: Moderate")], ids=["low", "moderate"]
)
def test_a_harm_band_above_low_shows_as_a_badge_in_words(client, person, harmfulness, badge):
    StimFactory(harmfulness_score=harmfulness)
    page = text(client.get(LIST_URL))
    assert ("Harm:" in page) == (badge is not None)
    assert badge is None or badge in page


def test_not_for_me_stores_dismissed_and_drops_the_stim_from_the_next_view(
    client, person, feedback
):
    spinner, ball = StimFactory(name="Fidget spinner"), StimFactory(name="Stress ball")
    assert f"stim-{spinner.pk}" in card_ids(client.get(LIST_URL))  # now cached
    response = feedback(spinner, action="dismiss")
    assert "Thanks, we won't suggest Fidget spinner again." in text(response)
    assert card_ids(response) == [f"stim-{ball.pk}"]
    stored = Interaction.objects.get(user=person, stim=spinner)
    assert (stored.dismissed, stored.still_using) == (True, False)


def test_i_use_this_now_takes_back_a_not_for_me(person, feedback):
    stim = StimFactory(name="Chewable necklace")
    InteractionFactory(user=person, stim=stim, rating=None, dismissed=True)
    response = feedback(stim, action="use")
    assert "Thanks, we noted that you use Chewable necklace now." in text(response)
    stored = Interaction.objects.get(user=person, stim=stim)
    assert (stored.still_using, stored.dismissed) == (True, False)


def test_a_rating_is_stored_and_keeps_the_other_feedback(person, feedback):
    stim = StimFactory(name="Worry stone")
    InteractionFactory(user=person, stim=stim, rating=2, still_using=True)
    response = feedback(stim, action="rate", rating="4")
    assert "Saved your rating for Worry stone." in text(response)
    stored = Interaction.objects.get(user=person, stim=stim)
    assert (stored.rating, stored.still_using) == (4, True)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"action": "rate", "rating": "7"}, "Choose how helpful it was, from 1 (not at all)"),
        ({"action": "rate"}, "Choose how helpful it was, from 1 (not at all)"),
        ({"action": "shout"}, "Use one of the buttons on the stim."),
    ],
    ids=["rating 7", "no rating", "unknown action"],
)
def test_invalid_feedback_is_a_clear_message_and_saves_nothing(person, feedback, data, why):
    stim = StimFactory(name="Slime")
    response = feedback(stim, **data)
    assert response.status_code == 200
    assert f"Nothing was saved for Slime. {why}" in text(response)
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(
    "stim_id",
    [lambda: StimFactory(is_active=False).pk, lambda: 999_999],
    ids=["retired", "unknown"],
)
def test_feedback_on_a_retired_or_unknown_stim_is_404(client, person, stim_id):
    url = reverse("recommender:feedback", args=[stim_id()])
    assert client.post(url, {"action": "dismiss"}).status_code == 404
    assert not Interaction.objects.exists()


def test_feedback_needs_the_csrf_token_the_page_gives(person):
    stim = StimFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(person)
    url = reverse("recommender:feedback", args=[stim.pk])
    assert browser.post(url, {"action": "dismiss"}).status_code == 403
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(LIST_URL).content.decode()
    )[1]
    response = browser.post(url, {"action": "dismiss", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Interaction.objects.get(user=person, stim=stim).dismissed


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", LIST_URL), ("post", reverse("recommender:feedback", args=[1]))],
    ids=["list", "feedback"],
)
def test_a_visitor_who_is_not_signed_in_is_sent_to_log_in(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_safer_alternatives_are_offered_for_a_harmful_stim_one_does_now(client, person):
    picking = StimFactory(name="Skin picking", harmfulness_score=0.85)
    putty = StimFactory(name="Therapy putty", category=Category.TACTILE)
    ProfileFactory(user=person, current_stims=[picking])
    response = client.get(LIST_URL)
    page = text(response)
    assert '<h2 id="safer">Safer alternatives</h2>' in page
    assert (
        "You told us you do skin picking now. "
        "These give a similar feeling and are gentler on your body:"
    ) in page
    assert f"safer-{picking.pk}-stim-{putty.pk}" in card_ids(response)
    assert f"stim-{picking.pk}" not in card_ids(response)


def test_no_safer_alternatives_section_without_a_harmful_current_stim(client, person):
    ball = StimFactory(name="Stress ball")
    ProfileFactory(user=person, current_stims=[ball])
    response = client.get(LIST_URL)
    assert "Safer alternatives" not in text(response)
    assert "You do this now" in text(response)


@pytest.mark.parametrize("staff", [False, True], ids=["person", "staff"])
def test_without_an_active_model_the_popularity_line_shows(client, staff):
    StimFactory()
    client.force_login(UserFactory(is_staff=staff))
    page = text(client.get(LIST_URL))
    assert POPULARITY_LINE in page
    assert ("For staff: no model version is active yet" in page) == staff


def test_with_an_active_model_its_version_is_named(
    client, person, activate_served_model, django_capture_on_commit_callbacks
):
    stim = StimFactory(name="Fidget cube")
    with django_capture_on_commit_callbacks(execute=True):
        version = activate_served_model()
    response = client.get(LIST_URL)
    page = text(response)
    assert card_ids(response) == [f"stim-{stim.pk}"]
    assert f"Ranked by model version {version.pk}." in page
    assert POPULARITY_LINE not in page


def test_with_no_stims_the_page_points_to_the_profile(client, person):
    page = text(client.get(LIST_URL))
    assert "We have no stims to suggest to you yet." in page
    assert f'<a href="{reverse("users:profile")}">Filling in your profile</a>' in page


@pytest.mark.parametrize("answered", [False, True], ids=["empty profile", "answered"])
def test_an_empty_profile_gets_a_gentle_prompt_to_fill_it_in(client, person, answered):
    StimFactory()
    if answered:
        ProfileFactory(user=person, age=None, gender="", hobbies=[HobbyFactory()])
    page = text(client.get(LIST_URL))
    assert ("Your profile is empty" in page) == (not answered)


@pytest.mark.parametrize(
    ("query", "cards", "more"),
    [("?k=2", 2, "?k=12"), ("", 10, "?k=20"), ("?k=abc", 10, "?k=20"), ("?k=0", 10, "?k=20"),
     ("?k=51", 10, "?k=20"), ("?k=12", 12, None)],
)  # fmt: skip
def test_k_sets_how_many_and_a_bad_k_shows_the_default(client, person, query, cards, more):
    StimFactory.create_batch(12)
    response = client.get(LIST_URL + query)
    assert response.status_code == 200
    assert len(card_ids(response)) == cards
    links = re.findall(r'href="(\?k=\d+)">Show more suggestions', text(response))
    assert links == ([more] if more else [])


@pytest.mark.parametrize(
    ("stim_kwargs", "signals", "error"),
    [
        ({"is_active": False}, {"rating": 4}, ValidationError),
        ({}, {"rating": 9}, ValidationError),
        ({}, {"rating": None}, ValidationError),
        ({}, {"stim_id": 3}, TypeError),
    ],
    ids=["retired stim", "rating 9", "no signal", "not feedback"],
)
def test_the_feedback_service_behind_the_cards_refuses_what_breaks_a_rule(
    person, stim_kwargs, signals, error
):
    with pytest.raises(error):
        interaction_feedback_give(user=person, stim=StimFactory(**stim_kwargs), **signals)
    assert not Interaction.objects.exists()
