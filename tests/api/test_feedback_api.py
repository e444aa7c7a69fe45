"""Feedback through the API: every broken rule a 400 naming the field, and always stored for
the person who sent it, whatever the body claims."""

import pytest
from django.urls import reverse

from recommender.models import Interaction
from tests.factories import InteractionFactory, StimFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stim():
    return StimFactory()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"usage_frequency": 9}, "usage_frequency"),
        ({"stim": 999_999, "rating": 4}, "stim"),
        ({}, "non_field_errors"),
        ({"dismissed": True, "still_using": True}, "still_using"),
    ],
    ids=["rating 0", "rating 6", "unknown frequency", "unknown stim", "no signal", "contrary"],
)
def test_invalid_feedback_is_a_400_naming_the_field(client_for, user, stim, body, field):
    response = client_for(user).post(reverse("interaction-list"), {"stim": stim.pk, **body})
    assert response.status_code == 400
    assert response.json()[field]
    assert not Interaction.objects.exists()


def test_a_retired_stim_is_unknown(client_for, user):
    retired = StimFactory(is_active=False)
    response = client_for(user).post(reverse("interaction-list"), {"stim": retired.pk, "rating": 4})
    assert response.status_code == 400
    assert response.json()["stim"]


def test_a_second_feedback_on_the_same_stim_is_refused(client_for, user, stim):
    InteractionFactory(user=user, stim=stim, rating=2)
    response = client_for(user).post(reverse("interaction-list"), {"stim": stim.pk, "rating": 5})
    assert response.status_code == 400
    assert "PATCH" in response.json()["stim"][0]
    assert Interaction.objects.get(user=user).rating == 2


def test_someone_elses_feedback_on_the_stim_does_not_stop_yours(client_for, user, stim):
    InteractionFactory(stim=stim)
    response = client_for(user).post(reverse("interaction-list"), {"stim": stim.pk, "rating": 5})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stim": "other"}, "stim"),
        ({"still_using": True}, "still_using"),  # the stored dismissed=True contradicts it
        ({"dismissed": False}, "non_field_errors"),  # no signal left
    ],
)
def test_a_change_checked_against_what_is_stored(client_for, user, stim, change, field):
    feedback = InteractionFactory(user=user, stim=stim, rating=None, dismissed=True)
    body = {name: StimFactory().pk if value == "other" else value for name, value in change.items()}
    response = client_for(user).patch(
        reverse("interaction-detail", kwargs={"pk": feedback.pk}), body
    )
    assert response.status_code == 400
    assert response.json()[field]
    feedback.refresh_from_db()
    assert (feedback.stim, feedback.dismissed, feedback.still_using) == (stim, True, False)


def test_feedback_is_stored_for_the_sender_whatever_the_body_says(client_for, user, stim):
    someone_else = UserFactory()
    response = client_for(user).post(
        reverse("interaction-list"),
        {
            "stim": stim.pk,
            "rating": 5,
            "user": someone_else.pk,
            "id": 12_345,
            "created_at": "2000-01-01T00:00:00Z",
            "stim_name": "Something else",
        },
    )
    assert response.status_code == 201
    stored = Interaction.objects.get()
    assert stored.user == user and stored.pk != 12_345
    assert stored.created_at.year > 2000
    assert response.json()["stim_name"] == stim.name
    assert not someone_else.interactions.exists()


def test_a_change_keeps_the_owner_and_the_creation_time(client_for, user, stim):
    feedback = InteractionFactory(user=user, stim=stim)
    response = client_for(user).patch(
        reverse("interaction-detail", kwargs={"pk": feedback.pk}),
        {"user": UserFactory().pk, "created_at": "2000-01-01T00:00:00Z", "still_using": True},
    )
    assert response.status_code == 200
    changed = Interaction.objects.get(pk=feedback.pk)
    assert (changed.user, changed.created_at, changed.still_using) == (
        user,
        feedback.created_at,
        True,
    )


def test_the_list_holds_only_your_own_feedback(client_for, user):
    mine = InteractionFactory.create_batch(2, user=user)
    InteractionFactory()
    response = client_for(user).get(reverse("interaction-list"))
    assert {row["id"] for row in response.json()["results"]} == {row.pk for row in mine}
