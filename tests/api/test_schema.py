"""The OpenAPI schema: valid without a warning, documenting every endpoint of the permission
table, and served with its docs page."""

import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from .endpoints import ENDPOINTS


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker) -> dict:
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def documented(schema: dict, path: str) -> dict:
    """The schema's operations for a concrete path, its {parameters} matching any segment."""
    for template, operations in schema["paths"].items():
        pattern = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}]+\})", template)
        )
        if re.fullmatch(pattern, path):
            return operations
    return {}


def test_the_schema_is_valid_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Stim recommender API"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_the_schema_documents_every_endpoint_of_the_permission_table(schema, endpoint):
    path = reverse(endpoint.route, kwargs={keyword: 1 for keyword, _ in endpoint.url_args})
    assert endpoint.method.lower() in documented(schema, path)


@pytest.mark.parametrize("route", ["api-schema", "api-docs"])
def test_the_schema_and_its_docs_are_served_to_a_signed_in_person(client_for, user, route):
    response = client_for(user).get(reverse(route))
    assert response.status_code == 200
