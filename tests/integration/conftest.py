"""Integration tests against the real PostgreSQL, Redis and a real `celery worker` process.

Tests marked `services` are skipped, with the reason, when DATABASE_URL (PostgreSQL) or
REDIS_URL is unset: the embedded mode has no broker for a worker to listen to.
"""

import os
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.storage import storages
from django.db import connection

from recommender.models import ModelVersion
from stimsite.celery import app as celery_app

from .worker import Worker, queues_purge, worker_start


def _missing_services() -> str:
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        return f"{' and '.join(missing)} unset (embedded mode)"
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://", "pgsql://")):
        return "DATABASE_URL is not PostgreSQL"
    return ""


def pytest_collection_modifyitems(config, items):
    missing = _missing_services()
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"needs the real PostgreSQL and Redis: {missing}")
    for item in items:
        if item.get_closest_marker("services"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _empty_queues(request):
    """No message left by an earlier test (or an interrupted run) may reach this test's worker."""
    if not request.node.get_closest_marker("services"):
        yield
        return
    queues_purge(celery_app)
    yield
    queues_purge(celery_app)


@pytest.fixture
def model_dir(settings) -> Path:
    """The models storage of this test (tests/conftest.py gives each test its own folder),
    which its workers are given too."""
    folder = Path(settings.STORAGES["models"]["OPTIONS"]["location"])
    folder.mkdir(parents=True, exist_ok=True)
    for storage in (storages["models"], ModelVersion._meta.get_field("training_curve").storage):
        assert Path(storage.location) == folder, "this process would write somewhere else"
    return folder


def worker_database_url() -> str:
    """The URL of the test database pytest-django made (test_<name>), for another process."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST']}:{db['PORT']}" if db["PORT"] else db["HOST"]
    return f"postgres://{credentials}@{host}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def start_worker(transactional_db, model_dir, tmp_path, settings):
    """start_worker(**env) -> Worker: a real worker on this test's database, broker and models
    storage (env adds or overrides variables). Every worker is stopped at the end of the test
    and its log printed (shown when the test fails)."""
    workers: list[Worker] = []

    def start(**env: str) -> Worker:
        worker = worker_start(
            app=celery_app,
            env={
                "DATABASE_URL": worker_database_url(),
                "REDIS_URL": os.environ["REDIS_URL"],
                "RECOMMENDER_MODEL_DIR": str(model_dir),
                # this test's cache namespace (tests/conftest.py), so both see the serving stamp
                "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
                **env,
            },
            log_path=tmp_path / f"worker-{len(workers) + 1}.log",
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
        print(f"--- log of worker {worker.nodename} ---\n{worker.log()}")
