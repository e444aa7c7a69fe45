"""The My data pages: what is kept, a JSON download of the person's own data (the API's export),
and erasing the account after an explicit confirmation."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from recommender.models import Interaction
from tests.factories import ConditionFactory, InteractionFactory
from tests.recommender.factories import ProfileFactory
from users.models import Profile

pytestmark = pytest.mark.django_db

EXPORT_URL = "/accounts/my-data/export/"
DELETE_URL = "/accounts/delete/"


@pytest.fixture
def two_people():
    """Two people with health answers (given with consent) and feedback on two stims each."""
    autism = ConditionFactory(name="Autism")
    people = [
        ProfileFactory(age=age, neurodivergent_conditions=[autism], health_data_consent=True).user
        for age in (27, 45)
    ]
    for person in people:
        InteractionFactory.create_batch(2, user=person)
    return people


def signed_in_as(person, client=None) -> Client:
    client = client or Client()
    client.force_login(person)
    return client


def test_the_urls_are_the_documented_ones():
    assert reverse("recommender:my_data_export") == EXPORT_URL
    assert reverse("users:account_delete") == DELETE_URL
    assert reverse("users:my_data") == "/accounts/my-data/"


def test_my_data_says_what_is_kept_and_links_to_download_and_delete(two_people):
    person, _ = two_people
    response = signed_in_as(person).get(reverse("users:my_data"))
    assert response.status_code == 200
    html = response.content.decode()
    for heading in ("What we keep", "Download my data", "Delete my account"):
        assert f">{heading}</h2>" in html
    assert f"Your username ({person.username})" in html
    assert "You agreed that we store your answers about health and identity." in html
    assert f'href="{EXPORT_URL}" download>Download my data (JSON)</a>' in html
    assert f'href="{DELETE_URL}">Delete my account</a>' in html


def test_the_download_is_a_json_file_of_the_persons_own_data(two_people):
    person, other = two_people
    response = signed_in_as(person).get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="my-stim-data.json"'
    assert "no-store" in response["Cache-Control"]
    exported = json.loads(response.content)
    assert (exported["account"]["id"], exported["profile"]["age"]) == (person.pk, 27)
    assert exported["profile"]["health_data_consent"] is True
    assert {row["id"] for row in exported["interactions"]} == set(
        person.interactions.values_list("pk", flat=True)
    )
    assert not {row["id"] for row in exported["interactions"]} & set(
        other.interactions.values_list("pk", flat=True)
    )


def test_the_download_holds_what_the_api_export_holds(two_people):
    client = signed_in_as(two_people[0])
    downloaded = json.loads(client.get(EXPORT_URL).content)
    from_api = client.get(reverse("api-export")).json()
    assert downloaded.pop("exported_at") and from_api.pop("exported_at")
    assert downloaded == from_api


def test_the_delete_page_says_exactly_what_is_erased_and_asks_to_confirm(two_people):
    person, _ = two_people
    html = signed_in_as(person).get(DELETE_URL).content.decode()
    assert f"your username “{person.username}”" in html
    for erased in ("your profile answers", "all your feedback on stims", "any API keys"):
        assert erased in html
    assert "This cannot be undone." in html
    assert "I understand that this erases my account" in html
    assert 'class="button-danger">Delete my account</button>' in html
    assert f'href="{reverse("users:my_data")}">Keep my account</a>' in html


def test_deleting_without_confirming_erases_nothing(two_people):
    person, _ = two_people
    response = signed_in_as(person).post(DELETE_URL, {})
    assert response.status_code == 200
    assert "Please tick this box to confirm." in response.content.decode()
    assert get_user_model().objects.filter(pk=person.pk).exists()


def test_deleting_erases_the_person_and_their_data_and_logs_them_out(two_people):
    person, other = two_people
    client = signed_in_as(person)

    response = client.post(DELETE_URL, {"confirm": "on"}, follow=True)

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "Your account is deleted, with everything we held about you." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(pk=person.pk).exists()
    assert not Profile.objects.filter(user_id=person.pk).exists()
    assert not Interaction.objects.filter(user_id=person.pk).exists()
    assert other.interactions.count() == 2 and Profile.objects.get(user=other).age == 45


def test_deleting_needs_the_pages_csrf_token(two_people):
    person, _ = two_people
    client = signed_in_as(person, Client(enforce_csrf_checks=True))

    assert client.post(DELETE_URL, {"confirm": "on"}).status_code == 403
    assert get_user_model().objects.filter(pk=person.pk).exists()

    page = client.get(DELETE_URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(DELETE_URL, {"confirm": "on", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=person.pk).exists()


@pytest.mark.parametrize(
    "route",
    ["users:profile", "users:my_data", "recommender:my_data_export", "users:account_delete"],
)
def test_the_pages_about_a_person_need_login(client, route):
    response = client.get(reverse(route))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse(route)}"


def test_an_anonymous_delete_erases_nobody(client, two_people):
    response = client.post(DELETE_URL, {"confirm": "on"})
    assert response.url.startswith(reverse("login"))
    assert get_user_model().objects.filter(pk__in=[p.pk for p in two_people]).count() == 2
