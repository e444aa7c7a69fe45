"""While the cache is unreachable people still get their lists (computed, not cached), their
feedback is saved and no throttle refuses them; once it returns, lists are cached again."""

import logging
from contextlib import ExitStack
from unittest import mock

import numpy as np
import pytest
from django.core.cache import cache
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from recommender import selectors, serving
from recommender.models import Interaction, ModelVersion
from recommender.selectors import SOURCE_MODEL, SOURCE_POPULARITY, recommendations_for_user
from stimsite.api import UserRateThrottle
from tests.factories import StimFactory
from tests.recommender.factories import ModelVersionFactory, ProfileFactory

pytestmark = pytest.mark.django_db

CACHE_CALLS = ("get", "get_many", "set", "add", "delete")


@pytest.fixture
def person():
    StimFactory.create_batch(4)
    return ProfileFactory().user


@pytest.fixture
def cache_down(monkeypatch):
    """Every cache call raises as Redis's client does when Redis is down; returns the function
    that brings the cache back. The outage warning is due again."""
    monkeypatch.setattr(serving._CacheOutage, "warned_at", float("-inf"))
    outage = ExitStack()
    for name in CACHE_CALLS:
        outage.enter_context(
            mock.patch.object(cache, name, side_effect=RedisConnectionError("Connection refused"))
        )
    yield outage.close
    outage.close()


@pytest.fixture
def compute(monkeypatch):
    """The ranking computation and the catalogue's building, wrapped to be counted."""
    counted = mock.Mock(wraps=selectors._ranking_compute)
    monkeypatch.setattr(selectors, "_ranking_compute", counted)
    built = mock.Mock(wraps=serving.stims_frame)
    monkeypatch.setattr(serving, "stims_frame", built)
    return mock.NonCallableMock(ranking=counted, catalogue=built)


def model_active(monkeypatch) -> None:
    """An active version that scores every stim alike (no artifact loaded)."""
    ModelVersionFactory(status=ModelVersion.Status.ACTIVE)
    monkeypatch.setattr(
        selectors,
        "_model_scores",
        lambda stamp, catalogue, person: np.ones(len(catalogue.facts), np.float32),
    )


@pytest.mark.parametrize("source", [SOURCE_MODEL, SOURCE_POPULARITY])
def test_the_list_while_the_cache_is_down_is_the_one_it_would_be_with_it(
    monkeypatch, person, cache_down, source
):
    if source == SOURCE_MODEL:
        model_active(monkeypatch)
    during = recommendations_for_user(user=person)
    cache_down()
    after = recommendations_for_user(user=person)
    assert during.source == after.source == source
    assert during.stims and during.stims == after.stims


def test_requests_while_the_cache_is_down_compute_lists_but_build_the_catalogue_once(
    person, compute, cache_down
):
    for _ in range(3):
        recommendations_for_user(user=person)
    assert compute.ranking.call_count == 3  # nothing could be cached
    assert compute.catalogue.call_count == 1  # the catalogue held is kept


def test_once_the_cache_is_back_a_list_is_cached_again(person, compute, cache_down):
    recommendations_for_user(user=person)
    cache_down()
    for _ in range(2):
        recommendations_for_user(user=person)
    assert compute.ranking.call_count == 2  # once during the outage, once after: then cached
    assert cache.get(serving.LIST_KEY.format(user_id=person.pk)) is not None


def test_an_outage_is_logged_once_not_per_request(person, cache_down, caplog):
    with caplog.at_level(logging.WARNING, logger=serving.__name__):
        for _ in range(3):
            recommendations_for_user(user=person)
    warnings = [record for record in caplog.records if record.name == serving.__name__]
    assert len(warnings) == 1
    assert "cache cannot be reached" in warnings[0].getMessage()


def test_the_api_lists_and_saves_feedback_while_the_cache_is_down(
    person, cache_down, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_authenticate(person)
    listed = client.get(reverse("api-my-recommendations"))
    stim_id = listed.json()["stims"][0]["stim_id"]
    with django_capture_on_commit_callbacks(execute=True):  # the list's drop runs, and fails
        saved = client.post(reverse("interaction-list"), {"stim": stim_id, "rating": 5})
    assert listed.status_code == 200
    assert saved.status_code == 201
    assert Interaction.objects.filter(user=person, stim_id=stim_id, rating=5).exists()


@pytest.mark.parametrize(("down", "second_status"), [(False, 429), (True, 200)])
def test_the_throttle_limits_with_the_cache_and_lets_requests_through_without_it(
    monkeypatch, request, person, down, second_status
):
    monkeypatch.setattr(UserRateThrottle, "rate", "1/minute", raising=False)
    if down:
        request.getfixturevalue("cache_down")
    client = APIClient()
    client.force_authenticate(person)
    statuses = [client.get(reverse("api-my-recommendations")).status_code for _ in range(2)]
    assert statuses == [200, second_status]
