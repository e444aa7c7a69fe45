"""The catalogue pages: the searchable, filterable list of stims, one stim, and stims like it."""

import pytest
from django.urls import reverse

from stims.models import Category
from stims.selectors import stims_similar
from tests.factories import ConditionFactory, HobbyFactory, StimFactory, UserFactory

LIST = reverse("stims:list")


def detail_url(stim) -> str:
    return reverse("stims:detail", args=[stim.slug])


def listed(response) -> set[str]:
    return {stim.name for stim, _ in response.context["cards"]}


@pytest.fixture
def catalogue(db):
    adhd, autism = ConditionFactory(name="ADHD"), ConditionFactory(name="Autism")
    gaming, knitting = HobbyFactory(name="Gaming"), HobbyFactory(name="Knitting")
    return {
        "spinner": StimFactory(
            name="Fidget spinner",
            description="Spins between the fingers. Quiet enough for class.",
            harmfulness_score=0.02,
            conditions=[adhd],
            hobbies=[gaming],
        ),
        "gum": StimFactory(name="Chewing gum", category=Category.ORAL, harmfulness_score=0.4),
        "twirling": StimFactory(name="Hair twirling", harmfulness_score=0.3),
        "picking": StimFactory(
            name="Skin picking", description="Can break the skin.", harmfulness_score=0.85
        ),
        "blanket": StimFactory(
            name="Weighted blanket",
            category=Category.PROPRIOCEPTIVE,
            harmfulness_score=0.0,
            conditions=[autism],
            hobbies=[knitting],
        ),
        "retired": StimFactory(name="Old squishy", is_active=False),
    }


ACTIVE = {"Fidget spinner", "Chewing gum", "Hair twirling", "Skin picking", "Weighted blanket"}


def test_the_list_is_open_to_everyone_and_shows_each_active_stim_as_a_card(client, catalogue):
    response = client.get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    spinner, picking = catalogue["spinner"], catalogue["picking"]
    assert f'id="stim-{spinner.id}"' in html
    assert f'href="{detail_url(spinner)}"' in html
    assert "Tactile (touch)" in html
    assert "Harm: High" in html and "Harm: Moderate" in html and "Harm: Low" in html
    assert "Spins between the fingers." in html
    assert "Quiet enough for class." not in html  # only the first sentence
    assert f'id="stim-{picking.id}"' in html
    assert "5 stims" in html
    assert "<script" not in html  # server-rendered: it needs no JavaScript


def test_a_retired_stim_is_not_listed(client, catalogue):
    response = client.get(LIST)

    assert listed(response) == ACTIVE
    assert "Old squishy" not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"search": "spinner"}, {"Fidget spinner"}),
        ({"search": "quiet class"}, {"Fidget spinner"}),  # every word, in the description too
        ({"search": "SKIN"}, {"Skin picking"}),
        ({"category": "oral"}, {"Chewing gum"}),
        ({"condition": "adhd"}, {"Fidget spinner"}),
        ({"hobby": "knitting"}, {"Weighted blanket"}),
        ({"harm": "low"}, {"Fidget spinner", "Weighted blanket"}),  # 0.3 is moderate
        ({"harm": "moderate"}, ACTIVE - {"Skin picking"}),
        # As in the API: at most this score, the score itself included.
        ({"max_harmfulness": "0.3"}, {"Fidget spinner", "Weighted blanket", "Hair twirling"}),
        ({"category": "tactile", "harm": "low"}, {"Fidget spinner"}),
        ({"search": "", "category": "", "harm": ""}, ACTIVE),  # an empty form shows them all
    ],
)
def test_each_filter_narrows_the_list(client, catalogue, query, expected):
    response = client.get(LIST, query)

    assert response.status_code == 200
    assert listed(response) == expected


def test_the_result_count_says_how_many_stims_match(client, catalogue):
    html = client.get(LIST, {"category": "oral"}).content.decode()

    assert "1 stim<" in html


def test_no_match_says_so_kindly(client, catalogue):
    html = client.get(LIST, {"search": "trampoline"}).content.decode()

    assert "0 stims" in html
    assert "No stims match these filters" in html


def test_the_chosen_filters_stay_in_the_form(client, catalogue):
    query = {"search": "fingers", "category": "tactile", "condition": "adhd", "hobby": "gaming"}
    html = client.get(LIST, {**query, "harm": "low", "max_harmfulness": "0.5"}).content.decode()

    assert 'name="search" value="fingers"' in html
    for value in ("tactile", "adhd", "gaming", "low"):
        assert f'<option value="{value}" selected>' in html
    assert 'name="max_harmfulness" value="0.5"' in html
    assert f'href="{LIST}">Clear filters</a>' in html


def test_the_selects_offer_the_catalogue_vocabulary_by_slug(client, catalogue):
    html = client.get(LIST).content.decode()

    assert '<option value="autism">Autism</option>' in html
    assert '<option value="knitting">Knitting</option>' in html
    assert '<option value="" selected>Any kind</option>' in html


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"max_harmfulness": "abc"}, "Enter a number."),
        ({"max_harmfulness": "5"}, "Ensure this value is less than or equal to 1."),
        ({"max_harmfulness": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"category": "smell"}, "Select a valid choice."),
        ({"condition": "no-such-condition"}, "Select a valid choice."),
        ({"harm": "high"}, "Select a valid choice."),
    ],
)
def test_a_bad_filter_value_shows_its_error_tied_to_the_field_and_no_stims(
    client, catalogue, query, error
):
    response = client.get(LIST, query)

    assert response.status_code == 200
    html = response.content.decode()
    (field,) = query
    assert error in html
    assert f'id="id_{field}_error"' in html
    assert 'aria-describedby="id_' + field + '_error"' in html
    assert "No stims shown" in html
    assert listed(response) == set()


@pytest.fixture
def many_oral_stims(db):
    StimFactory.create_batch(30, category=Category.ORAL)
    StimFactory(name="A tactile stim")


def test_the_list_is_paginated_by_24_and_page_links_keep_the_filters(client, many_oral_stims):
    first = client.get(LIST, {"category": "oral"})
    second = client.get(LIST, {"category": "oral", "page": 2})

    assert len(first.context["cards"]) == 24
    assert len(second.context["cards"]) == 6
    html = first.content.decode()
    assert '<nav aria-label="Pages"' in html
    assert "30 stims" in html
    assert 'href="?category=oral&amp;page=2"' in html
    assert "A tactile stim" not in listed(first) | listed(second)


def test_a_page_past_the_end_is_not_found(client, many_oral_stims):
    assert client.get(LIST, {"page": 9}).status_code == 404


def test_one_page_of_results_has_no_page_links(client, catalogue):
    assert 'aria-label="Pages"' not in client.get(LIST).content.decode()


def test_the_detail_page_shows_the_stim_its_kind_harm_conditions_and_hobbies(client, catalogue):
    response = client.get(detail_url(catalogue["spinner"]))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "<h1>Fidget spinner</h1>",
        "Spins between the fingers. Quiet enough for class.",
        "Tactile (touch)",
        "Harm: Low",
        f'href="{LIST}?condition=adhd">ADHD</a>',
        f'href="{LIST}?hobby=gaming">Gaming</a>',
    ):
        assert text in html
    assert "<script" not in html


@pytest.mark.parametrize(
    ("score", "explanation"),
    [
        (0.1, "Low: gentle, and unlikely to hurt."),
        (0.45, "Moderate: usually fine"),
        (
            0.7,
            "High: this can hurt. We never recommend it; if you do it now, your list suggests "
            "gentler stims that feel similar.",
        ),
    ],
)
def test_the_detail_page_explains_the_harm_band_in_plain_words(client, db, score, explanation):
    stim = StimFactory(harmfulness_score=score)

    assert explanation in client.get(detail_url(stim)).content.decode()


def test_an_unknown_stim_is_not_found(client, db):
    assert client.get(reverse("stims:detail", args=["no-such-stim"])).status_code == 404


@pytest.mark.parametrize("visitor", [None, UserFactory], ids=["anonymous", "signed in"])
def test_a_retired_stim_page_is_not_found_for_people(client, catalogue, visitor):
    if visitor:
        client.force_login(visitor())

    assert client.get(detail_url(catalogue["retired"])).status_code == 404


def test_staff_see_a_retired_stim_with_a_notice(client, catalogue, superuser):
    client.force_login(superuser)

    response = client.get(detail_url(catalogue["retired"]))

    assert response.status_code == 200
    assert "This stim is retired" in response.content.decode()


def test_an_active_stim_has_no_retired_notice(client, catalogue, superuser):
    client.force_login(superuser)

    assert (
        "This stim is retired" not in client.get(detail_url(catalogue["spinner"])).content.decode()
    )


@pytest.fixture
def neighbourhood(db):
    """A tactile stim and candidates around it, named so that the name order alone would be
    wrong."""
    adhd, gaming = ConditionFactory(name="ADHD"), HobbyFactory(name="Gaming")
    both = {"conditions": [adhd], "hobbies": [gaming]}
    tactile = Category.TACTILE
    return {
        "stim": StimFactory(name="Fidget spinner", **both),
        # Kept, in this order: shared tags first, then the same kind, then the name.
        "ranked": [
            StimFactory(name="Z weighted vest", category=Category.PROPRIOCEPTIVE, **both),
            StimFactory(name="Y stress ball", conditions=[adhd]),
            StimFactory(name="X chewy", category=Category.ORAL, conditions=[adhd]),
            StimFactory(name="A putty"),
            StimFactory(name="B pebble", harmfulness_score=0.59),
            StimFactory(name="C crunchy snack", category=Category.ORAL),
        ],
        # Left out: harmful, retired, or a kind that feeds another sense.
        "left_out": [
            StimFactory(name="Skin picking", category=tactile, harmfulness_score=0.6, **both),
            StimFactory(name="Old squishy", is_active=False, **both),
            StimFactory(name="Lava lamp", category=Category.VISUAL, **both),
        ],
    }


def test_similar_stims_are_safe_active_of_a_similar_kind_and_ranked(neighbourhood):
    similar = stims_similar(stim=neighbourhood["stim"])

    assert similar == neighbourhood["ranked"]


def test_similar_stims_never_include_the_stim_itself_and_keep_to_the_limit(neighbourhood):
    similar = stims_similar(stim=neighbourhood["stim"], limit=2)

    assert similar == neighbourhood["ranked"][:2]
    assert neighbourhood["stim"] not in stims_similar(stim=neighbourhood["stim"], limit=100)


def test_similar_stims_follow_the_harm_threshold_setting(neighbourhood, settings):
    settings.RECOMMENDER_HARM_THRESHOLD = 0.5

    assert "B pebble" not in {stim.name for stim in stims_similar(stim=neighbourhood["stim"])}


def test_similar_stims_are_read_in_one_query(neighbourhood, django_assert_num_queries):
    with django_assert_num_queries(1):
        stims_similar(stim=neighbourhood["stim"])


def test_the_detail_page_lists_up_to_six_similar_stims_as_cards(client, neighbourhood):
    response = client.get(detail_url(neighbourhood["stim"]))

    html = response.content.decode()
    assert "Similar stims" in html
    assert [stim for stim, _ in response.context["similar_cards"]] == neighbourhood["ranked"]
    for stim in neighbourhood["ranked"]:
        assert f'id="stim-{stim.id}"' in html
    for stim in neighbourhood["left_out"]:
        assert f'id="stim-{stim.id}"' not in html


def test_a_stim_with_nothing_similar_says_so(client, db):
    stim = StimFactory(category=Category.OLFACTORY)

    assert (
        "No similar gentle stims are listed yet." in client.get(detail_url(stim)).content.decode()
    )
