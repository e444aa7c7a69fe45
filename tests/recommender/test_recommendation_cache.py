"""The cache of people's lists: reused while nothing changed, dropped by every change that makes
a list wrong, and only for the people whose list it makes wrong."""

from collections import Counter
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest
from django.db import transaction

from recommender import selectors
from recommender.models import ModelVersion
from recommender.selectors import recommendations_for_user
from recommender.services import model_version_activate
from stims.models import Stim
from stims.services import stims_set_active
from tests.factories import ConditionFactory, HobbyFactory, InteractionFactory, StimFactory
from tests.recommender.factories import ModelVersionFactory, ProfileFactory


@pytest.fixture(autouse=True)
def compute(db, monkeypatch):
    """An active version that scores every stim alike (no artifact loaded); returns the
    ranking computation, wrapped to count who it ran for."""
    ModelVersionFactory(status=ModelVersion.Status.ACTIVE)
    monkeypatch.setattr(
        selectors,
        "_model_scores",
        lambda stamp, catalogue, person: np.ones(len(catalogue.facts), np.float32),
    )
    counted = mock.Mock(wraps=selectors._ranking_compute)
    monkeypatch.setattr(selectors, "_ranking_compute", counted)
    return counted


def computed_for(compute) -> Counter:
    """How many times a list was computed, by user id, since the last reset."""
    return Counter(call.kwargs["user"].pk for call in compute.call_args_list)


@pytest.fixture
def world(db):
    """Two people with answers and feedback, a catalogue, and the tags a change may add: made
    before any list, so making them drops nothing a test looks at."""
    autism, music = ConditionFactory(name="Autism"), HobbyFactory(name="Music")
    stim = StimFactory(name="Fidget cube", conditions=[autism], hobbies=[music])
    rocking = StimFactory(name="Body rocking")
    person, other = (
        ProfileFactory(
            neurodivergent_conditions=[autism], hobbies=[music], current_stims=[stim]
        ).user
        for _ in range(2)
    )
    return SimpleNamespace(
        person=person,
        other=other,
        stim=stim,
        condition=autism,
        feedback=InteractionFactory(user=person, stim=rocking, rating=3),
        new_condition=ConditionFactory(name="ADHD"),
        new_hobby=HobbyFactory(name="Coding"),
        new_version=ModelVersionFactory(),
    )


@pytest.mark.parametrize("asked", [{}, {"k": 1}, {"k": 7, "exclude_current": True}])
def test_a_second_request_is_answered_from_the_cache_without_a_query(
    world, compute, django_assert_num_queries, asked
):
    first = recommendations_for_user(user=world.person)

    with django_assert_num_queries(0):
        again = recommendations_for_user(user=world.person, **asked)

    assert compute.call_count == 1
    shown = [stim for stim in first.stims if not (asked.get("exclude_current") and stim.current)]
    assert again.stims == tuple(shown[: asked.get("k")])


def save_profile_answer(world):
    profile = world.person.profile
    profile.age = 41
    profile.save()


def save_stim(world):
    world.stim.description = "Six sides to fidget with."
    world.stim.save()


def rename_condition(world):
    world.condition.name = "Autism spectrum"
    world.condition.save()


def update_feedback(world):
    world.feedback.rating = 5
    world.feedback.save()


PERSON, EVERYONE = "person", "everyone"
CHANGES = {
    "profile answer saved": (PERSON, save_profile_answer),
    "profile hobby added": (PERSON, lambda w: w.person.profile.hobbies.add(w.new_hobby)),
    "profile condition added": (
        PERSON,
        lambda w: w.person.profile.neurodivergent_conditions.add(w.new_condition),
    ),
    "profile current stims cleared": (PERSON, lambda w: w.person.profile.current_stims.clear()),
    "feedback given": (PERSON, lambda w: InteractionFactory(user=w.person, stim=w.stim)),
    "feedback changed": (PERSON, update_feedback),
    "feedback deleted": (PERSON, lambda w: w.feedback.delete()),
    "stim saved": (EVERYONE, save_stim),
    "stim condition added": (EVERYONE, lambda w: w.stim.conditions.add(w.new_condition)),
    "stim hobby removed": (EVERYONE, lambda w: w.stim.hobbies.clear()),
    "stim retired": (
        EVERYONE,
        lambda w: stims_set_active(stims=Stim.objects.filter(pk=w.stim.pk), is_active=False),
    ),
    "condition renamed": (EVERYONE, rename_condition),
    "version activated": (EVERYONE, lambda w: model_version_activate(version=w.new_version)),
}


@pytest.mark.parametrize(("scope", "change"), CHANGES.values(), ids=CHANGES.keys())
def test_a_change_drops_the_cached_lists_it_makes_wrong_and_no_other(
    world, compute, django_capture_on_commit_callbacks, scope, change
):
    for person in (world.person, world.other):
        recommendations_for_user(user=person)
    compute.reset_mock()

    with django_capture_on_commit_callbacks(execute=True):
        change(world)
    for person in (world.person, world.other):
        recommendations_for_user(user=person)

    assert computed_for(compute) == Counter(
        {world.person.pk: 1, world.other.pk: 1 if scope == EVERYONE else 0}
    )


def test_the_list_computed_after_a_change_shows_the_change(
    world, django_capture_on_commit_callbacks
):
    before = recommendations_for_user(user=world.person)
    with django_capture_on_commit_callbacks(execute=True):
        stims_set_active(stims=Stim.objects.filter(pk=world.stim.pk), is_active=False)
        model_version_activate(version=world.new_version)

    after = recommendations_for_user(user=world.person)

    assert world.stim.pk in {stim.stim_id for stim in before.stims}
    assert world.stim.pk not in {stim.stim_id for stim in after.stims}
    assert after.model_version == world.new_version.pk != before.model_version


def test_a_change_rolled_back_drops_nothing(world, compute, django_capture_on_commit_callbacks):
    recommendations_for_user(user=world.person)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        save_stim(world)
        save_profile_answer(world)
        transaction.set_rollback(True)
    recommendations_for_user(user=world.person)

    assert compute.call_count == 1
