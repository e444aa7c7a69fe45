"""A database out of reach gets a 503 with a message and Retry-After, never a stack trace, on
API routes and pages alike; other server errors stay 500s. (The same against a real PostgreSQL
restart: tests/integration/test_database_restart.py.)"""

import logging

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from django.urls import reverse

from stimsite.api import server_error
from stimsite.outage import MESSAGE, RETRY_AFTER_SECONDS
from tests.factories import StimFactory

pytestmark = pytest.mark.django_db

DRIVER_ERROR = 'connection refused\nDETAIL: while running SELECT "secret" FROM users_profile'


def refuse(error_class):
    """An execute wrapper failing every query as a database that went away would."""

    def wrapper(execute, sql, params, many, context):
        raise error_class(DRIVER_ERROR)

    return wrapper


@pytest.mark.parametrize("error_class", [OperationalError, InterfaceError])
@pytest.mark.parametrize(
    "route", ["api-my-recommendations", "interaction-list", "stim-list", "api-profile"]
)
def test_an_api_route_answers_503_json_while_the_database_is_out_of_reach(
    client, user, route, error_class, caplog
):
    client.force_login(user)
    with connection.execute_wrapper(refuse(error_class)), caplog.at_level(logging.WARNING):
        response = client.get(reverse(route))
    assert response.status_code == 503
    assert response.json() == {"detail": MESSAGE}
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    (logged,) = [r for r in caplog.records if r.name == "stimsite.outage"]
    assert logged.getMessage() == (
        f"database unavailable, answered 503 to GET {reverse(route)}: "
        f"{error_class.__name__}: connection refused"
    )


def test_feedback_posted_while_the_database_is_out_of_reach_is_refused_not_half_saved(client, user):
    stim = StimFactory()
    client.force_login(user)
    with connection.execute_wrapper(refuse(OperationalError)):
        response = client.post(
            reverse("interaction-list"),
            {"stim": stim.pk, "rating": 4},
            content_type="application/json",
        )
    assert response.status_code == 503
    assert not user.interactions.exists()


@pytest.mark.parametrize("path", ["/", "/stims/", "/recommendations/"])
def test_a_page_answers_503_with_the_message_and_no_stack_trace(client, user, path):
    client.force_login(user)
    with connection.execute_wrapper(refuse(OperationalError)):
        response = client.get(path)
    assert response.status_code == 503
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert MESSAGE in html and "<h1>Back in a moment</h1>" in html
    assert "Traceback" not in html and "secret" not in html


@pytest.mark.parametrize(
    ("path", "error", "status"),
    [
        ("/api/me/", OperationalError("server closed the connection unexpectedly"), 503),
        ("/stims/", InterfaceError("connection already closed"), 503),
        ("/api/me/", RuntimeError("a bug"), 500),
    ],
)
def test_handler500_answers_503_for_a_database_error_raised_outside_a_view(rf, path, error, status):
    """Middleware that saves the session after the view is out of process_exception's reach:
    Django's handler500 runs inside its `except`, and gives the same 503."""
    try:
        raise error
    except Exception:
        response = server_error(rf.get(path))
    assert response.status_code == status
    assert (MESSAGE in response.content.decode()) == (status == 503)


def test_other_server_errors_stay_500(client, user, monkeypatch):
    def broken(**_):
        raise RuntimeError("a bug")

    monkeypatch.setattr("recommender.selectors.recommendations_for_user", broken)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    assert client.get(reverse("api-my-recommendations")).status_code == 500
