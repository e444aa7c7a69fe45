"""Health endpoints for a load balancer or orchestrator: /healthz (the process is up) and
/readyz (it can serve: database, cache, broker and a model or the popularity fallback).

Plain Django views, open to anyone, outside the transaction ATOMIC_REQUESTS wraps around views
(a database that is down must give a 503 naming it, not an error page before the view runs).
"""

import logging
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

OK, FAILED, NOT_USED, NOT_CHECKED = "ok", "failed", "not used", "not checked"
FALLBACK = "popularity fallback"
BROKER_TIMEOUT = 2  # seconds: a probe must answer well within a load balancer's own timeout
PROBE_TIMEOUT = 10  # seconds the cache keeps a probe key, should its delete be lost


def _endpoint(view):
    return login_not_required(transaction.non_atomic_requests(never_cache(require_GET(view))))


@_endpoint
def healthz(request):
    """The process is up and answers: nothing else is touched."""
    return JsonResponse({"status": "ok"})


@_endpoint
def readyz(request):
    checks = {"database": _checked("database", _database), "cache": _checked("cache", _cache)}
    checks["broker"] = _checked("broker", _broker) if settings.REDIS_URL else NOT_USED
    dependencies_up = checks["database"] == checks["cache"] == OK
    checks["model"] = _checked("model", _model) if dependencies_up else NOT_CHECKED
    ready = all(result != FAILED for result in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def _checked(name: str, check) -> str:
    """The check's result, or FAILED with the error logged (never shown: no stack trace)."""
    try:
        return check()
    except Exception:
        logger.exception("readiness check %s failed", name)
        return FAILED


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def _cache() -> str:
    key, token = f"health:probe:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, token, timeout=PROBE_TIMEOUT)
    found = cache.get(key)
    cache.delete(key)
    if found != token:
        raise RuntimeError("the cache did not return the probe value it was given")
    return OK


def _broker() -> str:
    from stimsite.celery import app

    with app.connection_for_write(connect_timeout=BROKER_TIMEOUT) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)
    return OK


def _model() -> str:
    """What serves lists: the active version's model, held by this process as serving holds
    it (loaded once, not per probe), or the popularity fallback when none is active or it
    cannot be loaded. Only the catalogue, which the fallback needs too, must be readable."""
    from recommender.serving import warm_up

    version = warm_up()
    return f"version {version}" if version is not None else FALLBACK
