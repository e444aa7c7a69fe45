"""The catalogue API: paginated and filtered lists, retired stims kept from people, deleting
only what nobody gave feedback on, and the harm band spelled out."""

import pytest
from django.urls import reverse

from stims.models import Stim
from tests.factories import (
    ConditionFactory,
    HobbyFactory,
    InteractionFactory,
    StimFactory,
)

pytestmark = pytest.mark.django_db


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {stim["name"] for stim in response.json()["results"]}


@pytest.mark.parametrize(
    ("query", "shown"),
    [("", 20), ("?page_size=5", 5), ("?page_size=1000", 100)],
    ids=["default page", "chosen size", "size capped at 100"],
)
def test_the_list_is_paginated_with_the_page_size_capped(client_for, user, query, shown):
    StimFactory.create_batch(101)
    page = client_for(user).get(reverse("stim-list") + query).json()
    assert page["count"] == 101
    assert len(page["results"]) == shown
    assert page["next"] and page["previous"] is None


@pytest.fixture
def catalogue():
    autism, music = ConditionFactory(name="Autism"), HobbyFactory(name="Music")
    StimFactory(name="Chewy necklace", category="oral", harmfulness_score=0.1, conditions=[autism])
    StimFactory(name="Spinning top", category="visual", harmfulness_score=0.2, hobbies=[music])
    StimFactory(
        name="Head banging", category="movement", harmfulness_score=0.9, conditions=[autism]
    )
    StimFactory(
        name="Humming",
        category="vocal",
        harmfulness_score=0.05,
        description="A soft sound you can feel.",
        hobbies=[music],
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=oral", {"Chewy necklace"}),
        ("condition=autism", {"Chewy necklace", "Head banging"}),
        ("hobby=music", {"Spinning top", "Humming"}),
        ("max_harmfulness=0.1", {"Chewy necklace", "Humming"}),
        ("search=sound", {"Humming"}),
        ("search=spinning", {"Spinning top"}),
        ("condition=autism&max_harmfulness=0.5", {"Chewy necklace"}),
        ("hobby=knitting", set()),
    ],
)
def test_the_list_filters_by_kind_condition_hobby_harm_and_text(
    client_for, user, catalogue, query, expected
):
    assert names(client_for(user).get(f"{reverse('stim-list')}?{query}")) == expected


@pytest.mark.parametrize(
    ("role", "sees_retired"), [("user", False), ("staff", True), ("superuser", True)]
)
def test_only_staff_see_retired_stims(client_for, request, role, sees_retired):
    client = client_for(request.getfixturevalue(role))
    StimFactory(name="Fidget cube")
    retired = StimFactory(name="Old stim", is_active=False)
    listed = names(client.get(reverse("stim-list")))
    detail = client.get(reverse("stim-detail", kwargs={"pk": retired.pk}))
    assert listed == ({"Fidget cube", "Old stim"} if sees_retired else {"Fidget cube"})
    assert detail.status_code == (200 if sees_retired else 404)


def test_a_stim_with_feedback_cannot_be_deleted_only_retired(client_for, superuser):
    stim = InteractionFactory().stim
    response = client_for(superuser).delete(reverse("stim-detail", kwargs={"pk": stim.pk}))
    assert response.status_code == 409
    assert "retire it" in response.json()["detail"]
    assert Stim.objects.filter(pk=stim.pk).exists()


def test_a_stim_without_feedback_is_deleted(client_for, superuser):
    stim = StimFactory()
    response = client_for(superuser).delete(reverse("stim-detail", kwargs={"pk": stim.pk}))
    assert response.status_code == 204
    assert not Stim.objects.filter(pk=stim.pk).exists()


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0.0, "low"),
        (0.29, "low"),
        (0.3, "moderate"),
        (0.59, "moderate"),
        (0.6, "high"),
        (1, "high"),
    ],
)
def test_each_stim_shows_its_harm_band(client_for, user, score, band):
    stim = StimFactory(harmfulness_score=score)
    shown = client_for(user).get(reverse("stim-detail", kwargs={"pk": stim.pk})).json()
    assert (shown["harmfulness_score"], shown["harm_band"]) == (score, band)


def test_a_catalogue_editor_adds_a_stim_named_by_slugs(client_for, catalogue_editor):
    autism, music = ConditionFactory(name="Autism"), HobbyFactory(name="Music")
    response = client_for(catalogue_editor).post(
        reverse("stim-list"),
        {
            "name": "Weighted Blanket",
            "slug": "chosen-by-the-client",
            "category": "proprioceptive",
            "harmfulness_score": 0.05,
            "conditions": [autism.slug],
            "hobbies": [music.slug],
        },
    )
    assert response.status_code == 201, response.content
    stim = Stim.objects.get(pk=response.json()["id"])
    assert stim.slug == "weighted-blanket"  # read-only: made from the name
    assert list(stim.conditions.all()) == [autism] and list(stim.hobbies.all()) == [music]
    assert response.json()["harm_band"] == "low"


@pytest.mark.parametrize("name", ["Fidget cube", "FIDGET CUBE", "Fidget-cube!", "???"])
def test_a_new_stim_whose_name_or_slug_is_taken_is_refused_naming_the_name(
    client_for, catalogue_editor, name
):
    StimFactory(name="Fidget cube")
    response = client_for(catalogue_editor).post(
        reverse("stim-list"), {"name": name, "category": "tactile", "harmfulness_score": 0.1}
    )
    assert response.status_code == 400
    assert "name" in response.json()
    assert Stim.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"harmfulness_score": 1.5}, "harmfulness_score"),
        ({"category": "telepathic"}, "category"),
        ({"conditions": ["no-such-condition"]}, "conditions"),
        ({"name": "fidget cube"}, "name"),
    ],
)
def test_an_invalid_change_names_the_field(client_for, catalogue_editor, change, field):
    StimFactory(name="Fidget cube")
    stim = StimFactory()
    response = client_for(catalogue_editor).patch(
        reverse("stim-detail", kwargs={"pk": stim.pk}), change
    )
    assert response.status_code == 400
    assert field in response.json()


def test_a_stim_keeps_its_slug_and_may_change_the_case_of_its_own_name(
    client_for, catalogue_editor
):
    stim = StimFactory(name="Fidget cube")
    response = client_for(catalogue_editor).patch(
        reverse("stim-detail", kwargs={"pk": stim.pk}), {"name": "Fidget Cube"}
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["slug"]) == ("Fidget Cube", "fidget-cube")
