"""The "My feedback" pages: one's own feedback over time, changed under the model's rules or
deleted, and nobody else's."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from recommender.models import Interaction, UsageFrequency
from tests.factories import InteractionFactory, StimFactory

pytestmark = pytest.mark.django_db

HISTORY_URL = reverse("recommender:history")


def text(response) -> str:
    """The page's words as the person reads them: no tags, entities turned back into
    characters, every run of white space one space."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def markup(response) -> str:
    return response.content.decode()


def listed(response) -> list[str]:
    """The headings of the history page's entries (the stims' names), in order."""
    headings = re.findall(r'<h2 id="feedback-\d+-name">(.*?)</h2>', markup(response), re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", heading).split()) for heading in headings]


def edit(interaction, **changes) -> dict:
    """The edit form's fields for this interaction, with changes, as a browser posts them."""
    fields = {
        "rating": interaction.rating or "",
        "usage_frequency": interaction.usage_frequency or "",
        "still_using": interaction.still_using,
        "harm_reported": interaction.harm_reported,
        "dismissed": interaction.dismissed,
        **changes,
    }
    return {name: value for name, value in fields.items() if value is not False}


def test_history_shows_ones_own_feedback_newest_first_in_words(client, person):
    now = timezone.now()
    InteractionFactory(
        user=person,
        stim=StimFactory(name="Stress ball"),
        rating=4,
        usage_frequency=UsageFrequency.DAILY,
        still_using=True,
        created_at=now - timedelta(days=3),
    )
    InteractionFactory(
        user=person,
        stim=StimFactory(name="Slime"),
        rating=None,
        dismissed=True,
        created_at=now,
    )
    InteractionFactory(stim=StimFactory(name="Someone else's stim"))
    response = client.get(HISTORY_URL)
    page = text(response)
    assert response.status_code == 200
    assert listed(response) == ["Slime", "Stress ball"]
    assert "Someone else's stim" not in page
    assert "How helpful Quite helpful (4 of 5)" in page
    assert "How often you use it Every day" in page
    assert "How helpful Not rated How often you use it Not said" in page
    assert "Not for me Yes" in page and "Still using it Yes" in page


def test_a_retired_stim_stays_in_history_without_a_link(client, person):
    stim = StimFactory(name="Old fidget", is_active=False)
    InteractionFactory(user=person, stim=stim)
    response = client.get(HISTORY_URL)
    assert listed(response) == ["Old fidget no longer in the catalogue"]
    assert reverse("stims:detail", args=[stim.slug]) not in markup(response)


def test_a_rating_given_on_the_list_shows_in_history(client, person):
    stim = StimFactory(name="Worry stone")
    client.post(reverse("recommender:feedback", args=[stim.pk]), {"action": "rate", "rating": 5})
    assert "How helpful Very helpful (5 of 5)" in text(client.get(HISTORY_URL))


def test_history_is_paginated_by_twenty(client, person):
    InteractionFactory.create_batch(21, user=person)
    first, second = client.get(HISTORY_URL), client.get(HISTORY_URL + "?page=2")
    assert (len(listed(first)), len(listed(second))) == (20, 1)
    assert 'href="?page=2">Older feedback' in markup(first)
    assert "Page 2 of 2" in text(second)


def test_with_no_feedback_the_page_points_to_the_suggestions(client, person):
    response = client.get(HISTORY_URL)
    assert "You have not given feedback yet." in text(response)
    assert f'href="{reverse("recommender:recommendations")}"' in markup(response)


def test_change_saves_the_edit_and_says_so(client, person):
    interaction = InteractionFactory(user=person, stim=StimFactory(name="Slime"), rating=2)
    url = reverse("recommender:history_edit", args=[interaction.pk])
    form = text(client.get(url))
    for label in (
        "How helpful was it?",
        "How often do you use it?",
        "I still use it",
        "It caused me harm or discomfort",
        "Not for me: don't suggest it again",
    ):
        assert label in form  # fmt: skip
    response = client.post(
        url, edit(interaction, rating=5, usage_frequency=UsageFrequency.WEEKLY), follow=True
    )
    assert response.redirect_chain == [(HISTORY_URL, 302)]
    assert "Saved your feedback on Slime." in text(response)
    interaction.refresh_from_db()
    assert (interaction.rating, interaction.usage_frequency) == (5, UsageFrequency.WEEKLY)


@pytest.mark.parametrize(
    ("changes", "message", "field"),
    [
        (
            {"dismissed": True, "still_using": True},
            "A stim marked 'not for me' cannot also be one you still use.",
            "still_using",
        ),
        ({"rating": ""}, "Give at least one piece of feedback", None),
        ({"rating": 9}, "Choose one of the ratings, or No rating.", "rating"),
    ],
    ids=["not for me yet in use", "nothing given", "rating 9"],
)
def test_a_change_breaking_a_rule_shows_the_error_and_saves_nothing(
    client, person, changes, message, field
):
    interaction = InteractionFactory(user=person, rating=3)
    url = reverse("recommender:history_edit", args=[interaction.pk])
    response = client.post(url, edit(interaction, **changes))
    page = text(response)
    assert response.status_code == 200
    assert page.count(message) == 1
    assert "Constraint" not in page  # the model's rule, said once, in its own words
    assert field is None or f'id="id_{field}_error"' in markup(response)
    interaction.refresh_from_db()
    assert (interaction.rating, interaction.dismissed) == (3, False)


def test_delete_asks_first_then_deletes(client, person):
    interaction = InteractionFactory(user=person, stim=StimFactory(name="Slime"))
    url = reverse("recommender:history_delete", args=[interaction.pk])
    confirm = client.get(url)
    assert "Delete your feedback on Slime?" in text(confirm)
    assert ">Delete feedback</button>" in markup(confirm)
    assert Interaction.objects.filter(pk=interaction.pk).exists()
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(HISTORY_URL, 302)]
    assert "Deleted your feedback on Slime." in text(response)
    assert not Interaction.objects.filter(pk=interaction.pk).exists()


def test_a_deleted_not_for_me_lets_the_stim_be_suggested_again(
    client, person, django_capture_on_commit_callbacks
):
    stim = StimFactory(name="Fidget spinner")
    interaction = InteractionFactory(user=person, stim=stim, rating=None, dismissed=True)
    recommendations = reverse("recommender:recommendations")
    assert f'id="stim-{stim.pk}"' not in markup(client.get(recommendations))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("recommender:history_delete", args=[interaction.pk]))
    assert f'id="stim-{stim.pk}"' in markup(client.get(recommendations))


@pytest.mark.parametrize("name", ["recommender:history_edit", "recommender:history_delete"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_feedback_is_404(client, person, name, method):
    theirs = InteractionFactory(rating=1)
    response = getattr(client, method)(reverse(name, args=[theirs.pk]), {"rating": 5})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.rating == 1


@pytest.mark.parametrize(
    "name", ["recommender:history", "recommender:history_edit", "recommender:history_delete"]
)
def test_a_visitor_who_is_not_signed_in_is_sent_to_log_in(client, name):
    interaction = InteractionFactory()
    url = reverse(name, args=[] if name == "recommender:history" else [interaction.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
