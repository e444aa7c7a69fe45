"""Interaction admin is read-mostly: staff read, filter and export; nobody rewrites feedback."""

import pytest
from django.urls import reverse

from recommender.models import Interaction
from tests.factories import InteractionFactory, StimFactory, UserFactory

CHANGELIST = reverse("admin:recommender_interaction_changelist")


@pytest.fixture
def feedback(db):
    return [
        InteractionFactory(
            user=UserFactory(username="robin"), stim=StimFactory(name="Rocking"), rating=5
        ),
        InteractionFactory(stim=StimFactory(name="Skin picking"), rating=None, harm_reported=True),
    ]


def test_staff_list_search_and_filter(client, superuser, feedback):
    client.force_login(superuser)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert {i.pk for i in response.context["cl"].result_list} == {i.pk for i in feedback}
    response = client.get(CHANGELIST, {"q": "robin"})
    assert [i.stim.name for i in response.context["cl"].result_list] == ["Rocking"]
    response = client.get(CHANGELIST, {"harm_reported__exact": "1"})
    assert [i.stim.name for i in response.context["cl"].result_list] == ["Skin picking"]


def test_feedback_cannot_be_added_or_rewritten_but_can_be_erased(client, superuser, feedback):
    client.force_login(superuser)
    assert client.get(reverse("admin:recommender_interaction_add")).status_code == 403
    change_url = reverse("admin:recommender_interaction_change", args=[feedback[0].pk])
    page = client.get(change_url)
    assert page.status_code == 200
    assert 'name="rating"' not in page.content.decode()  # shown, not editable
    client.post(change_url, {"rating": 1})
    feedback[0].refresh_from_db()
    assert feedback[0].rating == 5

    delete_url = reverse("admin:recommender_interaction_delete", args=[feedback[0].pk])
    client.post(delete_url, {"post": "yes"})
    assert not Interaction.objects.filter(pk=feedback[0].pk).exists()


def test_export_is_offered(client, superuser, feedback):
    client.force_login(superuser)
    assert client.get(reverse("admin:recommender_interaction_export")).status_code == 200
