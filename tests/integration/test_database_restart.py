"""The real PostgreSQL stopped and restarted while the web serves: requests in between get a
503 with a message, not a stack trace; they succeed again once it is back; and every feedback
answered with a 201 is in the database afterwards.

The test stops the PostgreSQL of .ci/run (127.0.0.1:5432) and starts it again as .ci/run does,
whatever happens in the test: run it where nothing else needs that PostgreSQL meanwhile.
"""

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from recommender.models import Interaction
from stimsite.outage import MESSAGE
from tests.factories import StimFactory
from tests.recommender.factories import ProfileFactory

from .worker import wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

POSTGRES = ("-h", "127.0.0.1", "-p", "5432")
STIMS = 300  # one feedback each: enough for 20 ms apart across a restart of a few seconds
PACE = 0.02


def postgres_answers() -> bool:
    return subprocess.run(["pg_isready", "-q", *POSTGRES]).returncode == 0


def cluster(action: str) -> None:
    """pg_ctlcluster on the machine's one cluster, as .ci/run starts it; `fast` ends the open
    sessions at once instead of waiting for them (a web worker's connections never end)."""
    (version,) = os.listdir("/etc/postgresql")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", "--mode", "fast", version, "main", action],
        check=True,
        capture_output=True,
    )


def postgres_start() -> None:
    if not postgres_answers():
        cluster("start")
    wait_until(postgres_answers, timeout=60, what="PostgreSQL to answer again")
    connections.close_all()  # this thread's connection died with the server


@pytest.fixture
def postgres_stop():
    """Returns the function that stops PostgreSQL; it is started again after the test, always."""
    assert "@127.0.0.1:5432/" in os.environ["DATABASE_URL"], "not .ci/run's PostgreSQL"
    assert Path("/etc/postgresql").is_dir(), "no local PostgreSQL cluster to restart"

    def stop() -> None:
        cluster("stop")
        wait_until(lambda: not postgres_answers(), timeout=60, what="PostgreSQL to stop")

    yield stop
    postgres_start()


@pytest.fixture
def person_with_stims():
    stims = StimFactory.create_batch(STIMS)
    person = ProfileFactory().user
    client = Client(raise_request_exception=False)
    client.force_login(person)
    return client, person, stims


def feedback_post(client: Client, stim) -> object:
    return client.post(
        reverse("interaction-list"), {"stim": stim.pk, "rating": 4}, content_type="application/json"
    )


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content[:300]
    body = response.content.decode()
    assert MESSAGE in body and "Traceback" not in body
    assert response["Retry-After"]


def test_requests_while_postgres_is_down_answer_503_and_succeed_once_it_is_back(
    person_with_stims, postgres_stop
):
    client, person, stims = person_with_stims
    before = feedback_post(client, stims[0])
    assert before.status_code == 201

    postgres_stop()
    try:
        during = {
            "recommendations": client.get(reverse("api-my-recommendations")),
            "feedback": feedback_post(client, stims[1]),
            "catalogue": client.get(reverse("stim-list")),
            "catalogue page": client.get("/stims/"),
            "my stims page": client.get("/recommendations/"),
        }
        ready = client.get(reverse("readyz"))
    finally:
        postgres_start()
    for response in during.values():
        assert_unavailable(response)
    assert ready.status_code == 503 and ready.json()["checks"]["database"] == "failed"

    assert client.get(reverse("api-my-recommendations")).status_code == 200
    assert client.get("/stims/").status_code == 200
    assert feedback_post(client, stims[1]).status_code == 201  # the refused one, sent again
    assert client.get(reverse("readyz")).status_code == 200
    assert set(Interaction.objects.filter(user=person).values_list("stim_id", flat=True)) == {
        stims[0].pk,
        stims[1].pk,
    }


def test_no_feedback_answered_201_is_lost_across_a_restart(person_with_stims, postgres_stop):
    """Feedback posted back to back while another thread restarts the server: every answer is
    a 201 or the 503, and every 201's feedback is in the database afterwards."""
    client, person, stims = person_with_stims
    restarted = threading.Event()

    def restart() -> None:
        try:
            postgres_stop()
            postgres_start()
        finally:
            restarted.set()

    answers = {stim.pk: feedback_post(client, stim).status_code for stim in stims[:5]}
    restarter = threading.Thread(target=restart)
    restarter.start()
    for stim in stims[5:]:
        answers[stim.pk] = feedback_post(client, stim).status_code
        if restarted.is_set() and list(answers.values())[-3:] == [201] * 3:
            break  # back, and answering
        time.sleep(PACE)
    restarter.join(timeout=120)
    assert restarted.is_set() and list(answers.values())[-1] == 201, "ran out of stims first"
    connections.close_all()

    assert set(answers.values()) <= {201, 503}, answers
    assert 503 in answers.values(), "no request fell in the restart: nothing was shown"
    acknowledged = {stim_id for stim_id, status in answers.items() if status == 201}
    stored = set(Interaction.objects.filter(user=person).values_list("stim_id", flat=True))
    assert stored == acknowledged  # nothing answered 201 lost, nothing answered 503 kept
