"""/healthz says the process is up without touching anything; /readyz says whether it can
serve, naming what is wrong with a 503, and which ranking would serve."""

import logging
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import OperationalError, connection
from kombu import Connection
from kombu.exceptions import OperationalError as BrokerUnreachable

from recommender.models import ModelVersion
from tests.factories import StimFactory
from tests.recommender.factories import ModelVersionFactory

# The broker is checked only in the service mode (REDIS_URL set), as in CI.
BROKER = "ok" if django_settings.REDIS_URL else "not used"
READY = {"database": "ok", "cache": "ok", "broker": BROKER, "model": "popularity fallback"}


def test_healthz_answers_ok_without_the_database_or_the_cache(client, db):
    with (
        mock.patch.object(connection, "cursor", side_effect=OperationalError("down")),
        mock.patch.object(cache, "get", side_effect=ConnectionError("down")),
    ):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize(
    "active", [None, ModelVersion.Status.ACTIVE], ids=["no version", "artifact missing"]
)
def test_readyz_is_ready_on_the_popularity_fallback_when_no_model_can_serve(client, db, active):
    if active:
        ModelVersionFactory(status=active)  # no artifact on disk: it cannot load

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": READY}


def test_readyz_names_the_active_version_that_serves(
    client, activate_served_model, django_capture_on_commit_callbacks
):
    StimFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=True):
        version = activate_served_model()

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["model"] == f"version {version.pk}"


FAILURES = {
    "database": (connection, "cursor", OperationalError("connection refused")),
    "cache": (cache, "set", ConnectionError("connection refused")),
}


@pytest.mark.parametrize("failing", FAILURES.keys())
def test_readyz_names_a_failing_dependency_with_a_503_and_logs_the_error(
    client, db, caplog, failing
):
    target, attribute, error = FAILURES[failing]
    with (
        mock.patch.object(target, attribute, side_effect=error),
        caplog.at_level(logging.ERROR, logger="stimsite.health"),
    ):
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"][failing] == "failed"
    assert body["checks"]["model"] == "not checked"
    assert "connection refused" not in response.content.decode()  # the log has it, not the body
    (record,) = [record for record in caplog.records if record.name == "stimsite.health"]
    assert record.getMessage() == f"readiness check {failing} failed"
    assert "connection refused" in str(record.exc_info[1])


@pytest.mark.parametrize(
    ("broker_error", "status", "broker"),
    [(None, 200, "ok"), (BrokerUnreachable("broker down"), 503, "failed")],
)
def test_readyz_checks_the_broker_when_redis_is_configured(
    client, db, settings, broker_error, status, broker
):
    settings.REDIS_URL = "redis://broker.invalid:6379/0"
    with mock.patch.object(
        Connection, "ensure_connection", autospec=True, side_effect=broker_error
    ) as ensure:
        response = client.get("/readyz")

    assert response.status_code == status
    assert response.json()["checks"] == {**READY, "broker": broker}
    assert ensure.call_args.kwargs["max_retries"] == 1
