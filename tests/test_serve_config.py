"""`make serve`'s gunicorn settings, and its refusal to start without PostgreSQL and Redis."""

import os
import runpy
import subprocess
from unittest import mock

import pytest
from django.db import OperationalError
from gunicorn.config import KNOWN_SETTINGS

from recommender.serving import _Held, held_reset
from tests.test_settings import BASE_DIR

CONFIG = str(BASE_DIR / "gunicorn.conf.py")


@pytest.fixture
def config(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    return runpy.run_path(CONFIG)


def test_workers_load_the_app_and_tensorflow_after_the_fork(config):
    assert config["preload_app"] is False


def test_binds_to_loopback_port_8000_with_threaded_workers(config):
    assert config["bind"] == "127.0.0.1:8000"
    assert config["worker_class"] == "gthread"
    assert 2 <= config["threads"] <= 8


def test_two_cores_get_three_workers_and_many_cores_a_capped_number(config):
    assert config["workers_for"](2) == 3
    assert config["workers_for"](64) == config["MAX_WORKERS"]
    assert 2 <= config["workers"] <= config["MAX_WORKERS"]


def test_web_concurrency_sets_the_number_of_workers(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    assert runpy.run_path(CONFIG)["workers"] == 5


def test_workers_are_recycled_at_staggered_request_counts(config):
    assert 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["timeout"] > config["graceful_timeout"] > 0


def test_every_setting_in_the_file_is_one_gunicorn_knows(config):
    """Gunicorn ignores a misspelt setting silently."""
    known = {setting.name for setting in KNOWN_SETTINGS}
    settings = {
        name
        for name, value in config.items()
        if name.islower() and not name.startswith("_") and not callable(value)
    } - {"os"}
    assert settings <= known
    assert {"preload_app", "max_requests_jitter", "logconfig_dict"} <= settings


@pytest.mark.parametrize(
    ("present", "named"),
    [
        ({}, ["DATABASE_URL", "REDIS_URL"]),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/stims"}, ["REDIS_URL"]),
        ({"REDIS_URL": "redis://127.0.0.1:6379/5"}, ["DATABASE_URL"]),
    ],
)
def test_make_serve_refuses_to_start_without_postgres_and_redis(present, named):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        ["make", "--no-print-directory", "serve"],
        cwd=BASE_DIR,
        env={**env, **present},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if f"needs {name}" in result.stderr]
    assert missing == named
    assert result.stdout == ""  # stopped before doing anything


def test_each_worker_loads_the_active_model_before_its_first_request(
    config, activate_served_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = activate_served_model()
    held_reset()
    config["post_worker_init"](mock.Mock())
    assert _Held.model is not None and _Held.model.version_id == version.pk


def test_a_worker_that_cannot_warm_up_starts_all_the_same(config, monkeypatch):
    monkeypatch.setattr(
        "recommender.serving.serving_stamp", mock.Mock(side_effect=OperationalError("refused"))
    )
    worker = mock.Mock()
    config["post_worker_init"](worker)
    worker.log.exception.assert_called_once()
