"""Fixtures of the recommender's page tests."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def person(client):
    """Someone signed in to the test client."""
    someone = UserFactory()
    client.force_login(someone)
    return someone
