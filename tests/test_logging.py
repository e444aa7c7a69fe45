"""Structured logs: one JSON object a line, never a profile answer or a request body, and the
format the settings pick in each runtime mode."""

import json
import logging

import pytest
from django.test import RequestFactory

from stimsite.logging import DENIED_FIELDS, JsonFormatter
from tests.test_settings import PRODUCTION_ENV, run_python
from users.models import HEALTH_FIELDS


def formatted(name="recommender.serving", msg="model version %s loaded", args=(7,), **extra):
    record = logging.makeLogRecord(
        {"name": name, "levelno": logging.INFO, "levelname": "INFO", "msg": msg, "args": args}
    )
    record.__dict__.update(extra)
    return JsonFormatter().format(record)


def test_a_record_is_one_line_of_json_with_time_level_logger_and_message():
    line = formatted()
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "INFO"
    assert entry["logger"] == "recommender.serving"
    assert entry["message"] == "model version 7 loaded"
    assert entry["time"].endswith("+00:00")


def test_an_allowed_extra_value_is_kept():
    assert json.loads(formatted(version_id=7, reason=object()))["version_id"] == 7


@pytest.mark.parametrize("name", [*HEALTH_FIELDS, "body", "request_body", "password", "token"])
def test_a_profile_answer_or_request_body_given_as_extra_is_never_written(name):
    line = formatted(**{name: "autistic, ADHD, 34, SECRET-VALUE"})
    assert name not in json.loads(line)
    assert "SECRET-VALUE" not in line


def test_every_health_field_of_the_profile_is_denied():
    assert set(HEALTH_FIELDS) <= DENIED_FIELDS


def test_a_request_is_reduced_to_its_method_path_and_request_id():
    request = RequestFactory().post(
        "/api/me/profile/?age=34",
        data={"age": 34, "neurodivergent_conditions": ["dyspraxia"]},
        content_type="application/json",
        headers={"X-Request-ID": "req-42"},
    )
    line = formatted(
        name="django.request",
        msg="Bad Request: %s",
        args=(request.path,),
        request=request,
        status_code=400,
    )
    entry = json.loads(line)
    assert {k: entry[k] for k in ("method", "path", "status", "request_id")} == {
        "method": "POST",
        "path": "/api/me/profile/",
        "status": 400,
        "request_id": "req-42",
    }
    assert "dyspraxia" not in line  # the body
    assert "age=" not in line  # the query string
    assert '"age"' not in line


def test_a_gunicorn_access_record_gives_method_path_status_duration_and_request_id():
    atoms = {"m": "GET", "U": "/healthz", "s": "200", "M": 3, "{x-request-id}i": "lb-9"}
    entry = json.loads(formatted(name="gunicorn.access", msg="%(m)s %(U)s %(s)s", args=atoms))
    assert entry["message"] == "GET /healthz 200"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/healthz", 200)
    assert (entry["duration_ms"], entry["request_id"]) == (3, "lb-9")


LOG_ONE_REQUEST_WARNING = """
import logging, django
django.setup()
logging.getLogger("django.request").warning("Not Found: %s", "/missing-page/")
"""


@pytest.mark.parametrize(
    ("env", "expected_format"),
    [
        (PRODUCTION_ENV, "json"),
        ({}, "plain"),
        ({**PRODUCTION_ENV, "LOG_FORMAT": "plain"}, "plain"),
        ({"LOG_FORMAT": "json"}, "json"),
    ],
)
def test_settings_log_json_in_production_and_plain_text_in_development(env, expected_format):
    result = run_python(LOG_ONE_REQUEST_WARNING, **env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "/missing-page/" in line]
    assert len(lines) == 1  # once, to stdout: no second copy from Django's own handler
    assert "/missing-page/" not in result.stderr
    if expected_format == "json":
        assert json.loads(lines[0])["logger"] == "django.request"
    else:
        assert lines[0].endswith(" WARNING django.request Not Found: /missing-page/")


def test_an_unknown_log_format_is_refused_at_start_up():
    result = run_python("import django; django.setup()", LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT" in result.stderr
