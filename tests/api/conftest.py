"""Fixtures of the API tests: the staff roles, signed-in clients, and a training queue that
records what it is sent instead of training."""

import pytest
from rest_framework.test import APIClient

from tests.factories import StaffUserFactory


@pytest.fixture
def staff(db):
    """Staff with no group and no permission of their own."""
    return StaffUserFactory()


@pytest.fixture
def catalogue_editor(staff_in_group):
    return staff_in_group("Catalogue editors")


@pytest.fixture
def client_for(db):
    """An API client signed in as this person (anonymous for None)."""

    def make(person=None) -> APIClient:
        client = APIClient()
        if person is not None:
            client.force_authenticate(person)
        return client

    return make


@pytest.fixture
def training_sends(monkeypatch) -> list[int]:
    """The ids of the training runs sent to the Celery task; nothing is trained."""
    sent: list[int] = []
    monkeypatch.setattr("recommender.services._training_run_send", sent.append)
    return sent
