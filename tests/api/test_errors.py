"""Every API error is JSON with a `detail`, never an HTML page or a stack trace: unknown URLs,
wrong methods, server errors and throttled callers alike."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db

GENEROUS = "1000/minute"


def test_an_unknown_api_url_is_a_json_404(client_for, user):
    response = client_for(user).get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_page_outside_the_api_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_unknown_id_is_a_json_404(client_for, user):
    response = client_for(user).get(reverse("stim-detail", kwargs={"pk": 999_999}))
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "route"),
    [("delete", "condition-list"), ("patch", "api-account"), ("put", "api-my-recommendations")],
)
def test_a_method_the_route_does_not_take_is_a_json_405(client_for, user, method, route):
    response = getattr(client_for(user), method)(reverse(route), {})
    assert response.status_code == 405
    assert method.upper() in response.json()["detail"]


def test_a_server_error_is_json_without_a_stack_trace(user, monkeypatch):
    def broken(**_):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("recommender.selectors.recommendations_for_user", broken)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    response = client.get(reverse("api-my-recommendations"))
    assert response.status_code == 500
    assert "secret internals" not in response.content.decode()
    assert response.json()["detail"]


@pytest.fixture
def throttle_rates(monkeypatch):
    """Sets the throttle rates: DRF copies them into the class when rest_framework.throttling
    is first imported, so the settings fixture reaches them only if no earlier test imported
    it."""

    def set_rates(**rates: str) -> None:
        monkeypatch.setattr(
            SimpleRateThrottle,
            "THROTTLE_RATES",
            {"anon": GENEROUS, "user": GENEROUS, "training": GENEROUS, **rates},
        )

    return set_rates


def test_a_caller_over_the_user_rate_gets_a_json_429(throttle_rates, client_for, user):
    throttle_rates(user="3/minute")
    client = client_for(user)
    assert [client.get(reverse("api-account")).status_code for _ in range(3)] == [200] * 3
    response = client.get(reverse("api-account"))
    assert response.status_code == 429
    assert "throttled" in response.json()["detail"].lower()
    assert int(response["Retry-After"]) > 0


def test_a_caller_over_the_anonymous_rate_gets_a_json_429(throttle_rates, user):
    throttle_rates(anon="2/minute")
    client = APIClient()
    body = {"username": user.username, "password": "wrong"}
    assert [client.post(reverse("api-token"), body).status_code for _ in range(2)] == [400] * 2
    response = client.post(reverse("api-token"), body)
    assert response.status_code == 429
    assert response.json()["detail"]


def test_starting_training_has_its_own_tighter_rate(
    throttle_rates, client_for, superuser, training_sends
):
    throttle_rates(training="1/hour")
    client = client_for(superuser)
    assert client.post(reverse("trainingrun-list"), {}).status_code == 202
    response = client.post(reverse("trainingrun-list"), {})
    assert response.status_code == 429
    assert response.json()["detail"]
    assert client.get(reverse("trainingrun-list")).status_code == 200  # reading is not limited
