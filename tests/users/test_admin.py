"""Health and identity answers in admin are for staff holding users.view_health_data only."""

import pytest
from django.urls import reverse

from tests.factories import ConditionFactory, UserFactory

HEALTH_LABELS = ("Age", "Gender", "Sexuality", "Neurodivergent conditions")


@pytest.fixture
def person(db):
    person = UserFactory(username="alex")
    profile = person.profile
    profile.age, profile.gender, profile.sexuality = 34, "non_binary", "pansexual"
    profile.save()
    profile.neurodivergent_conditions.add(ConditionFactory(name="Tourette syndrome"))
    return person


def profile_page(client, staff, person):
    client.force_login(staff)
    return client.get(reverse("admin:users_profile_change", args=[person.profile.pk]))


def test_catalogue_editor_does_not_see_health_fields(client, staff_in_group, person):
    response = profile_page(client, staff_in_group("Catalogue editors"), person)
    assert response.status_code == 200
    html = response.content.decode()
    assert "alex" in html
    for hidden in ("Tourette syndrome", "Pansexual", "Non-binary", "Health and identity"):
        assert hidden not in html
    fields = response.context["adminform"].form.fields
    assert not {"age", "gender", "sexuality", "neurodivergent_conditions"} & set(fields)


def test_catalogue_editor_cannot_filter_by_condition(client, staff_in_group, person):
    client.force_login(staff_in_group("Catalogue editors"))
    response = client.get(reverse("admin:users_profile_changelist"))
    assert response.status_code == 200
    assert "Tourette syndrome" not in response.content.decode()


def test_care_team_sees_health_fields(client, staff_in_group, person):
    response = profile_page(client, staff_in_group("Care team"), person)
    assert response.status_code == 200
    html = response.content.decode()
    for shown in ("Health and identity", "Tourette syndrome", "Pansexual", *HEALTH_LABELS):
        assert shown in html


def test_staff_without_profile_permission_are_refused(client, db, person):
    from tests.factories import StaffUserFactory

    response = profile_page(client, StaffUserFactory(), person)
    assert response.status_code == 403
