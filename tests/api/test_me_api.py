"""The signed-in person's own account and profile: fields they may not set are ignored, and
their data can be exported whole and erased whole."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from recommender.data import training_data_read
from recommender.models import Interaction
from tests.factories import ConditionFactory, HobbyFactory, InteractionFactory, StimFactory
from tests.recommender.factories import ProfileFactory
from users.models import HEALTH_FIELDS, Profile

pytestmark = pytest.mark.django_db


def test_the_profile_round_trips_with_vocabularies_by_slug(client_for, user):
    autism, music, rocking = (
        ConditionFactory(name="Autism"),
        HobbyFactory(name="Music"),
        StimFactory(),
    )
    client = client_for(user)
    response = client.put(
        reverse("api-profile"),
        {
            "age": 27,
            "gender": "",
            "sexuality": "queer",
            "neurodivergent_conditions": ["autism"],
            "hobbies": ["music"],
            "current_stims": [rocking.pk],
            "stimming_essentiality_score": 0.9,
            "health_data_consent": True,
        },
    )
    assert response.status_code == 200, response.content
    shown = client.get(reverse("api-profile")).json()
    assert shown["neurodivergent_conditions"] == ["autism"] and shown["hobbies"] == ["music"]
    profile = Profile.objects.get(user=user)
    assert (profile.age, profile.sexuality, profile.stimming_essentiality_score) == (
        27,
        "queer",
        0.9,
    )
    assert list(profile.neurodivergent_conditions.all()) == [autism]
    assert list(profile.hobbies.all()) == [music]
    assert list(profile.current_stims.all()) == [rocking]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"age": 2}, "age"),
        ({"stimming_essentiality_score": 1.5}, "stimming_essentiality_score"),
        ({"gender": "robot"}, "gender"),
        ({"neurodivergent_conditions": ["no-such-condition"]}, "neurodivergent_conditions"),
        ({"current_stims": ["retired"]}, "current_stims"),
    ],
)
def test_an_invalid_profile_answer_is_a_400_naming_it(client_for, user, change, field):
    retired = StimFactory(is_active=False)
    body = {name: [retired.pk] if value == ["retired"] else value for name, value in change.items()}
    response = client_for(user).patch(reverse("api-profile"), body)
    assert response.status_code == 400
    assert response.json()[field]


def test_a_profile_change_cannot_reach_the_owner_or_read_only_fields(client_for, user, superuser):
    before = Profile.objects.get(user=user)
    response = client_for(user).patch(
        reverse("api-profile"),
        {
            "user": superuser.pk,
            "id": superuser.profile.pk,
            "is_staff": True,
            "updated_at": "2000-01-01T00:00:00Z",
            "age": 31,
            "health_data_consent": True,
        },
    )
    assert response.status_code == 200
    after = Profile.objects.get(pk=before.pk)
    assert (after.user, after.age) == (user, 31)
    assert after.updated_at.year > 2000
    assert Profile.objects.get(user=superuser).age is None
    user.refresh_from_db()
    assert not user.is_staff


@pytest.mark.parametrize(
    "answers", [{"age": 30}, {"sexuality": "queer"}, {"neurodivergent_conditions": ["autism"]}]
)
def test_health_and_identity_answers_need_consent_as_on_the_profile_page(client_for, user, answers):
    ConditionFactory(name="Autism")
    client = client_for(user)

    refused = client.patch(reverse("api-profile"), answers)
    assert refused.status_code == 400
    assert "tick this box" in refused.json()["health_data_consent"][0]
    assert Profile.objects.get(user=user).age is None

    accepted = client.patch(reverse("api-profile"), {**answers, "health_data_consent": True})
    assert accepted.status_code == 200, accepted.content
    taken_back = client.patch(reverse("api-profile"), {"health_data_consent": False})
    assert taken_back.status_code == 400
    assert "take back your consent" in taken_back.json()["health_data_consent"][0]


@pytest.mark.parametrize("method", ["patch", "put", "post"])
def test_nobody_makes_themself_staff_through_the_account(client_for, user, method):
    username = user.username
    response = getattr(client_for(user), method)(
        reverse("api-account"), {"is_staff": True, "is_superuser": True, "username": "root"}
    )
    assert response.status_code == 405
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser, user.username) == (False, False, username)


def test_the_account_shows_who_is_signed_in(client_for, user):
    shown = client_for(user).get(reverse("api-account")).json()
    assert (shown["id"], shown["username"], shown["is_staff"]) == (user.pk, user.username, False)
    assert "password" not in shown


@pytest.fixture
def two_people():
    """Two people with profiles and feedback; the first has an API token."""
    autism = ConditionFactory(name="Autism")
    people = [ProfileFactory(age=age, neurodivergent_conditions=[autism]).user for age in (27, 45)]
    for person in people:
        InteractionFactory.create_batch(2, user=person)
    Token.objects.create(user=people[0])
    return people


def token_client(person) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {person.auth_token.key}")
    return client


def test_the_export_holds_everything_about_the_person_and_nothing_else(two_people):
    person, other = two_people
    exported = token_client(person).get(reverse("api-export")).json()
    assert (exported["account"]["id"], exported["account"]["username"]) == (
        person.pk,
        person.username,
    )
    assert {field: exported["profile"][field] for field in HEALTH_FIELDS} == {
        "age": 27,
        "gender": "woman",
        "sexuality": "",
        "neurodivergent_conditions": ["autism"],
    }
    assert {row["id"] for row in exported["interactions"]} == set(
        person.interactions.values_list("pk", flat=True)
    )
    assert not {row["id"] for row in exported["interactions"]} & set(
        other.interactions.values_list("pk", flat=True)
    )
    assert exported["exported_at"]


def test_erasing_the_account_leaves_nothing_for_training(two_people):
    person, other = two_people
    client = token_client(person)
    others_before = set(other.interactions.values_list("pk", "rating"))

    assert client.delete(reverse("api-account")).status_code == 204

    assert not get_user_model().objects.filter(pk=person.pk).exists()
    assert not Profile.objects.filter(user_id=person.pk).exists()
    assert not Interaction.objects.filter(user_id=person.pk).exists()
    assert not Token.objects.filter(user_id=person.pk).exists()
    assert client.get(reverse("api-account")).status_code == 401

    data = training_data_read()
    assert person.pk not in set(data.users["user_id"])
    assert person.pk not in set(data.interactions["user_id"])
    assert other.pk in set(data.users["user_id"])
    assert set(other.interactions.values_list("pk", "rating")) == others_before
    assert Profile.objects.get(user=other).age == 45
