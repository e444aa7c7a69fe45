"""The permission cases every endpoint shares, run against the table in endpoints.py, and the
check that the table names every route under /api/."""

import pytest

from recommender.models import Interaction
from stimsite import api_urls
from tests.factories import UserFactory

from .endpoints import ENDPOINTS, EXEMPT_ROUTES, ROLES, world_for

SIGNED_IN_ONLY = [endpoint for endpoint in ENDPOINTS if not endpoint.access.anonymous]
ALLOWED = [(endpoint, role) for endpoint in ENDPOINTS for role in endpoint.access.roles]
REFUSED = [
    (endpoint, role)
    for endpoint in ENDPOINTS
    for role in ROLES
    if role not in endpoint.access.roles
]
OWNED = [endpoint for endpoint in ENDPOINTS if endpoint.theirs]


def routes_under_api() -> set[tuple[str, str]]:
    """(URL name, method) of every view in stimsite.api_urls, the router's format-suffix
    copies aside."""
    routes = set()
    for pattern in api_urls.urlpatterns:
        if "format" in pattern.pattern.regex.groupindex:
            continue
        view = pattern.callback
        if hasattr(view, "actions"):  # a viewset: the methods its route maps
            methods = set(view.actions)
        else:
            methods = {name for name in view.cls.http_method_names if hasattr(view.cls, name)}
        routes |= {(pattern.name, method.upper()) for method in methods - {"head", "options"}}
    return routes


def test_the_table_names_every_route_under_api_and_nothing_else():
    routes = routes_under_api()
    assert {name for name, _ in routes} >= EXEMPT_ROUTES
    tabled = [(endpoint.route, endpoint.method) for endpoint in ENDPOINTS]
    assert len(tabled) == len(set(tabled))
    assert {(name, method) for name, method in routes if name not in EXEMPT_ROUTES} == set(tabled)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", SIGNED_IN_ONLY, ids=str)
def test_a_caller_who_is_not_signed_in_gets_401_in_json(endpoint, client_for):
    response = endpoint.call(client_for(None), world_for(UserFactory()))
    assert response.status_code == 401
    assert "detail" in response.json()
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(("endpoint", "role"), ALLOWED, ids=str)
def test_a_role_the_endpoint_lets_through_succeeds(endpoint, role, request, client_for):
    caller = request.getfixturevalue(role)
    response = endpoint.call(client_for(caller), world_for(caller))
    assert response.status_code == endpoint.success, response.content


@pytest.mark.parametrize(("endpoint", "role"), REFUSED, ids=str)
def test_a_role_the_endpoint_does_not_let_through_gets_403_in_json(
    endpoint, role, request, client_for
):
    caller = request.getfixturevalue(role)
    response = endpoint.call(client_for(caller), world_for(caller))
    assert response.status_code == 403
    assert "detail" in response.json()


@pytest.mark.parametrize("role", ["user", "superuser"])
@pytest.mark.parametrize("endpoint", OWNED, ids=str)
def test_someone_elses_object_is_not_found_even_by_staff(endpoint, role, request, client_for):
    caller = request.getfixturevalue(role)
    world = world_for(caller)
    response = endpoint.call(client_for(caller), world, theirs=True)
    assert response.status_code == 404
    assert "detail" in response.json()
    theirs = Interaction.objects.get(pk=world.their_interaction.pk)  # not changed, not deleted
    assert (theirs.user, theirs.rating, theirs.still_using) == (world.someone_else, 4, False)
