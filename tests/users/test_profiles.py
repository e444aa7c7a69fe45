"""Profiles: created with the user, validated, and kept by their owner through the pages."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from tests.factories import PASSWORD, ConditionFactory, HobbyFactory, StimFactory, UserFactory
from users.models import Profile


@pytest.mark.django_db
def test_every_new_user_gets_an_empty_profile():
    person = get_user_model().objects.create_user("rowan", password=PASSWORD)
    profile = Profile.objects.get(user=person)
    assert (profile.age, profile.gender, profile.sexuality) == (None, "", "")
    assert profile.stimming_essentiality_score == 0.5


@pytest.mark.django_db
def test_blank_optional_answers_are_valid():
    profile = UserFactory().profile
    profile.full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age", 2),
        ("age", 121),
        ("stimming_essentiality_score", -0.1),
        ("stimming_essentiality_score", 1.1),
        ("gender", "robot"),
        ("sexuality", "unknown"),
    ],
)
def test_out_of_range_answers_fail_validation(field, value):
    profile = UserFactory().profile
    setattr(profile, field, value)
    with pytest.raises(ValidationError) as error:
        profile.full_clean()
    assert field in error.value.message_dict


@pytest.mark.django_db
def test_the_database_refuses_an_impossible_age():
    profile = UserFactory().profile
    profile.age = 500
    with pytest.raises(IntegrityError):
        profile.save()


@pytest.mark.django_db
def test_signup_then_profile_form_round_trip(client):
    autism, music = ConditionFactory(name="Autism"), HobbyFactory(name="Music")
    rocking = StimFactory(name="Rocking")
    StimFactory(name="Retired stim", is_active=False)

    response = client.post(
        reverse("users:signup"),
        {"username": "sam", "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"},
    )
    assert response.status_code == 302
    assert response.url == reverse("users:profile")

    page = client.get(reverse("users:profile"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Optional" in html and "Rocking" in html and "Retired stim" not in html

    response = client.post(
        reverse("users:profile"),
        {
            "age": "",
            "gender": "",
            "sexuality": "bisexual",
            "neurodivergent_conditions": [autism.pk],
            "hobbies": [music.pk],
            "other_hobbies": "trains",
            "stimming_essentiality_score": "0.75",
            "current_stims": [rocking.pk],
            "health_data_consent": "on",
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user__username="sam")
    assert profile.age is None and profile.gender == "" and profile.sexuality == "bisexual"
    assert list(profile.neurodivergent_conditions.all()) == [autism]
    assert list(profile.hobbies.all()) == [music]
    assert list(profile.current_stims.all()) == [rocking]
    assert (profile.other_hobbies, profile.stimming_essentiality_score) == ("trains", 0.75)
    assert profile.health_data_consent


@pytest.mark.django_db
def test_profile_form_shows_field_errors_and_keeps_the_old_answers(client, user):
    client.force_login(user)
    response = client.post(
        reverse("users:profile"), {"age": "200", "stimming_essentiality_score": "0.5"}
    )
    assert response.status_code == 200
    assert "less than or equal to 120" in response.content.decode()
    user.profile.refresh_from_db()
    assert user.profile.age is None


@pytest.mark.django_db
def test_profile_page_needs_login(client):
    response = client.get(reverse("users:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_login_and_logout_pages(client, user):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
