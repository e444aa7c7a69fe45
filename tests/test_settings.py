"""Settings in both runtime modes, the production profile, and the TensorFlow start-up rule.

Each case runs in a fresh interpreter with a controlled environment, since settings are read
once per process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "kq3v9!x2b7$w0m5n8r1t4y6u3i9o0p2a5s7d1f4g6h8j0k2l4z6x8c0v",
    "ALLOWED_HOSTS": "stims.example.org",
}
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_ENV",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
)


def run_python(code: str, **env_overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.pop("TF_USE_LEGACY_KERAS", None)  # each process must set it for itself
    env.update({"DJANGO_SETTINGS_MODULE": "stimsite.settings", **env_overrides})
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_in_subprocess(**env_overrides: str) -> dict:
    code = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "db": s.DATABASES["default"]["ENGINE"],
    "db_name": str(s.DATABASES["default"]["NAME"]),
    "cache": s.CACHES["default"]["BACKEND"],
    "eager": getattr(s, "CELERY_TASK_ALWAYS_EAGER", False),
    "broker": s.CELERY_BROKER_URL,
    "backend": getattr(s, "CELERY_RESULT_BACKEND", None),
    "debug": s.DEBUG,
    "threshold": s.RECOMMENDER_HARM_THRESHOLD,
    "k": s.RECOMMENDER_DEFAULT_K,
    "models": s.STORAGES["models"]["OPTIONS"]["location"],
}))
"""
    result = run_python(code, **env_overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_needs_no_services():
    found = settings_in_subprocess()
    assert found["db"] == "django.db.backends.sqlite3"
    assert found["db_name"] == str(BASE_DIR / "var" / "db.sqlite3")
    assert found["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert found["eager"] is True
    assert found["broker"] == "memory://"
    assert found["debug"] is True
    assert found["models"] == str(BASE_DIR / "var" / "models")


def test_service_mode_uses_postgres_and_redis_for_broker_results_and_cache():
    found = settings_in_subprocess(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/stims",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert found["db"] == "django.db.backends.postgresql"
    assert found["db_name"] == "stims"
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert found["eager"] is False
    assert found["broker"] == found["backend"] == "redis://127.0.0.1:6379/3"


def test_recommender_knobs_and_model_folder_come_from_the_environment(tmp_path):
    found = settings_in_subprocess(
        RECOMMENDER_HARM_THRESHOLD="0.45",
        RECOMMENDER_DEFAULT_K="25",
        RECOMMENDER_MODEL_DIR=str(tmp_path),
    )
    assert (found["threshold"], found["k"], found["models"]) == (0.45, 25, str(tmp_path))


def test_a_model_bucket_keeps_artifacts_in_s3_through_django_storages():
    code = """
import django
django.setup()
from django.core.files.storage import storages
from recommender.artifact_storage import has_local_paths
models = storages["models"]
print(type(models).__module__, models.bucket_name, models.location, has_local_paths(models))
"""
    result = run_python(
        code, RECOMMENDER_MODEL_BUCKET="stims-models", AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["storages.backends.s3", "stims-models", "models", "False"]


@pytest.mark.parametrize(
    ("variable", "value"), [("RECOMMENDER_HARM_THRESHOLD", "1.5"), ("RECOMMENDER_DEFAULT_K", "0")]
)
def test_out_of_range_knobs_are_refused_at_start_up(variable, value):
    result = run_python("import django; django.setup()", **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr


def test_production_profile_requires_a_secret_key():
    result = run_python(
        "import django; django.setup()", DJANGO_ENV="production", ALLOWED_HOSTS="stims.example.org"
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_profile_passes_check_deploy():
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**env, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_profile_is_flagged_by_check_deploy():
    """The hardening really comes from the production profile, not from defaults."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # HSTS not set


@pytest.mark.django_db
def test_cache_round_trip_in_the_configured_backend():
    cache.set("settings-test", {"ok": True}, timeout=30)
    assert cache.get("settings-test") == {"ok": True}
    cache.delete("settings-test")
