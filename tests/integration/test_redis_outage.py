"""The real Redis stopped while the web serves: lists still come and feedback is saved, no 500;
once Redis is back, lists are cached and tasks queued again.

The test stops the Redis of .ci/run (127.0.0.1:6379) and starts it again exactly as .ci/run does,
whatever happens in the test: run it where nothing else needs that Redis meanwhile.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse

from recommender.models import Interaction
from recommender.serving import LIST_KEY
from recommender.tasks import recommendations_precompute
from stimsite.celery import app as celery_app
from tests.factories import StimFactory
from tests.recommender.factories import ProfileFactory

from .worker import queued_messages, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

REDIS = ("-h", "127.0.0.1", "-p", "6379")
REDIS_FOLDERS = ("/var/lib/redis", "/var/log/redis")
REDIS_START = (  # as .ci/run starts it
    *("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379"),
    *("--save", "", "--appendonly", "no", "--dir", "/var/lib/redis"),
    *("--logfile", "/var/log/redis/ci.log"),
)


def redis_answers() -> bool:
    ping = subprocess.run(["redis-cli", *REDIS, "ping"], capture_output=True, text=True)
    return ping.stdout.strip() == "PONG"


def redis_start() -> None:
    if not redis_answers():
        for folder in REDIS_FOLDERS:
            Path(folder).mkdir(parents=True, exist_ok=True)
        subprocess.run(REDIS_START, check=True)
    wait_until(redis_answers, timeout=30, what="Redis to answer again")


@pytest.fixture
def redis_stop():
    """Returns the function that stops Redis; Redis is started again after the test, always."""
    assert os.environ["REDIS_URL"].startswith("redis://127.0.0.1:6379"), "not .ci/run's Redis"

    def stop() -> None:
        subprocess.run(["redis-cli", *REDIS, "shutdown", "nosave"], capture_output=True)
        wait_until(lambda: not redis_answers(), timeout=30, what="Redis to stop")

    yield stop
    redis_start()


def test_the_web_serves_without_redis_and_caches_and_queues_again_once_it_is_back(
    client, redis_stop
):
    StimFactory.create_batch(4)
    person = ProfileFactory().user
    client.force_login(person)
    recommendations = reverse("api-my-recommendations")

    redis_stop()
    try:
        listed = client.get(recommendations)
        stim_id = listed.json()["stims"][0]["stim_id"]
        saved = client.post(
            reverse("interaction-list"),
            json.dumps({"stim": stim_id, "rating": 5}),
            content_type="application/json",
        )
        ready = client.get(reverse("readyz"))
    finally:
        redis_start()
    assert listed.status_code == 200
    assert saved.status_code == 201
    assert Interaction.objects.filter(user=person, stim_id=stim_id, rating=5).exists()
    assert ready.status_code == 503 and ready.json()["checks"]["cache"] == "failed"

    assert client.get(recommendations).status_code == 200
    assert cache.get(LIST_KEY.format(user_id=person.pk)) is not None
    recommendations_precompute.delay([person.pk])
    assert queued_messages(celery_app, "celery") == 1
