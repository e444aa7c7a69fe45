"""Signing in to the API: a token from a username and password, or the browser session, which
must then send its CSRF token with every change."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD, StimFactory

pytestmark = pytest.mark.django_db


def test_the_token_from_good_credentials_authenticates_later_requests(user):
    response = APIClient().post(
        reverse("api-token"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=user).key == key

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    account = client.get(reverse("api-account"))
    assert account.status_code == 200
    assert account.json()["username"] == user.username


@pytest.mark.parametrize(
    ("credentials", "field"),
    [
        ({"password": "not-the-password"}, "non_field_errors"),
        ({"username": "nobody", "password": PASSWORD}, "non_field_errors"),
        ({"password": ""}, "password"),
    ],
    ids=["wrong password", "unknown user", "no password"],
)
def test_bad_credentials_give_400_with_a_message_and_no_token(user, credentials, field):
    response = APIClient().post(reverse("api-token"), {"username": user.username, **credentials})
    assert response.status_code == 400
    assert response.json()[field][0]
    assert not Token.objects.exists()


def test_an_unknown_token_gets_401(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get(reverse("api-account"))
    assert response.status_code == 401
    assert response.json()["detail"]


CHANGES = [
    ("post", "interaction-list", lambda: {"stim": StimFactory().pk, "rating": 5}, 201),
    ("patch", "api-profile", lambda: {"age": 40, "health_data_consent": True}, 200),
]
CHANGE_IDS = ["POST feedback", "PATCH profile"]


def session_client(person) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=person.username, password=PASSWORD)
    return client


@pytest.mark.parametrize(("method", "route", "body", "success"), CHANGES, ids=CHANGE_IDS)
def test_a_session_change_without_the_csrf_token_is_refused(user, method, route, body, success):
    client = session_client(user)
    response = getattr(client, method)(reverse(route), body())
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    user.profile.refresh_from_db()
    assert not user.interactions.exists() and user.profile.age is None  # nothing changed


@pytest.mark.parametrize(("method", "route", "body", "success"), CHANGES, ids=CHANGE_IDS)
def test_a_session_change_with_the_csrf_token_succeeds(user, method, route, body, success):
    client = session_client(user)
    client.get(reverse("login"))  # any page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = getattr(client, method)(reverse(route), body(), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == success, response.content


@pytest.mark.parametrize(("method", "route", "body", "success"), CHANGES, ids=CHANGE_IDS)
def test_a_token_client_needs_no_csrf_token(user, method, route, body, success):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = getattr(client, method)(reverse(route), body())
    assert response.status_code == success, response.content
