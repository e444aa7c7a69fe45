"""Recommendations through the API: how many, the shape of a list from the model or from
popularity, and the staff view of a person's list, unfiltered on request."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import StimFactory, UserFactory
from tests.recommender.factories import ProfileFactory

pytestmark = pytest.mark.django_db

SAFE_KINDS = {"tactile": 4, "proprioceptive": 3, "visual": 6}


@pytest.fixture
def harmful():
    return StimFactory(name="Skin picking", category="tactile", harmfulness_score=0.9)


@pytest.fixture
def person(harmful):
    """Someone who picks their skin now, in a catalogue of 13 safe stims of three kinds."""
    for kind, count in SAFE_KINDS.items():
        StimFactory.create_batch(count, category=kind)
    return ProfileFactory(current_stims=[harmful]).user


def my_list(client_for, person, query: str = ""):
    return client_for(person).get(reverse("api-my-recommendations") + query)


def staff_view(client_for, superuser, person, query: str = ""):
    path = reverse("api-user-recommendations", kwargs={"user_id": person.pk})
    return client_for(superuser).get(path + query)


@pytest.mark.parametrize(("query", "count"), [("", settings.RECOMMENDER_DEFAULT_K), ("?k=3", 3)])
def test_k_stims_are_recommended_by_default_as_many_as_settings_say(
    client_for, person, query, count
):
    assert count < sum(SAFE_KINDS.values())
    response = my_list(client_for, person, query)
    assert response.status_code == 200
    assert len(response.json()["stims"]) == count


@pytest.mark.parametrize("k", ["0", str(settings.RECOMMENDER_MAX_K + 1), "abc"])
@pytest.mark.parametrize("route", ["mine", "staff view"])
def test_a_k_out_of_range_is_a_400_naming_k(client_for, person, superuser, route, k):
    query = f"?k={k}"
    response = (
        my_list(client_for, person, query)
        if route == "mine"
        else staff_view(client_for, superuser, person, query)
    )
    assert response.status_code == 400
    assert response.json()["k"]


def test_without_a_model_the_most_popular_stims_are_shown_with_a_notice(
    client_for, person, harmful
):
    shown = my_list(client_for, person).json()
    assert (shown["user_id"], shown["source"], shown["model_version"]) == (
        person.pk,
        "popularity",
        None,
    )
    assert "no model version is active" in shown["notice"]
    assert shown["unfiltered"] is False
    assert all(stim["reason"] and stim["harm_band"] == "low" for stim in shown["stims"])
    assert harmful.pk not in {stim["stim_id"] for stim in shown["stims"]}


def test_a_harmful_current_stim_gets_safer_alternatives_of_its_own_kind(
    client_for, person, harmful
):
    (alternatives,) = my_list(client_for, person).json()["safer_alternatives"]
    assert alternatives["instead_of"]["stim_id"] == harmful.pk
    assert alternatives["instead_of"]["harm_band"] == "high"
    assert alternatives["instead_of"]["current"] is True
    assert [stim["category"] for stim in alternatives["stims"]] == ["tactile"] * 3
    assert all(stim["harm_band"] == "low" for stim in alternatives["stims"])


def test_the_active_model_ranks_the_list(
    client_for, person, harmful, activate_served_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = activate_served_model()
    shown = my_list(client_for, person, "?k=50").json()
    assert (shown["source"], shown["model_version"], shown["notice"]) == (
        "model",
        version.pk,
        "",
    )
    assert len(shown["stims"]) == sum(SAFE_KINDS.values())
    assert harmful.pk not in {stim["stim_id"] for stim in shown["stims"]}
    assert [stim["score"] for stim in shown["stims"]] == sorted(
        (stim["score"] for stim in shown["stims"]), reverse=True
    )


def test_staff_see_a_persons_list_as_the_person_does(client_for, person, superuser):
    theirs = my_list(client_for, person, "?k=20").json()
    seen = staff_view(client_for, superuser, person, "?k=20").json()
    assert seen["unfiltered"] is False
    assert [stim["stim_id"] for stim in seen["stims"]] == [
        stim["stim_id"] for stim in theirs["stims"]
    ]


def test_staff_may_ask_for_every_stim_with_why_a_harmful_one_is_withheld(
    client_for, person, superuser, harmful
):
    shown = staff_view(client_for, superuser, person, "?unfiltered=true&k=50").json()
    assert shown["unfiltered"] is True
    withheld = {stim["stim_id"]: stim["withheld"] for stim in shown["stims"]}
    assert len(withheld) == sum(SAFE_KINDS.values()) + 1
    assert "harmfulness" in withheld.pop(harmful.pk)
    assert set(withheld.values()) == {""}


@pytest.mark.parametrize("who", ["nobody", "a deactivated person"])
def test_an_unknown_person_is_a_json_404(client_for, superuser, who):
    user_id = 999_999 if who == "nobody" else UserFactory(is_active=False).pk
    response = client_for(superuser).get(
        reverse("api-user-recommendations", kwargs={"user_id": user_id})
    )
    assert response.status_code == 404
    assert response.json()["detail"]
