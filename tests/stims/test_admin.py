"""The catalogue admin, as staff use it."""

import pytest
from django.urls import reverse

from stims.models import Category, Stim
from tests.factories import ConditionFactory, StimFactory

CHANGELIST = reverse("admin:stims_stim_changelist")


@pytest.fixture
def catalogue(db):
    adhd = ConditionFactory(name="ADHD")
    return {
        "spinner": StimFactory(
            name="Fidget spinner",
            description="Spins between the fingers.",
            harmfulness_score=0.02,
            conditions=[adhd],
        ),
        "gum": StimFactory(name="Chewing gum", category=Category.ORAL, harmfulness_score=0.4),
        "picking": StimFactory(
            name="Skin picking", description="Can break the skin.", harmfulness_score=0.85
        ),
    }


@pytest.fixture
def editor_client(client, staff_in_group):
    client.force_login(staff_in_group("Catalogue editors"))
    return client


def listed_names(response) -> set[str]:
    return {stim.name for stim in response.context["cl"].result_list}


def test_changelist_shows_name_category_harm_band_and_active_flag(editor_client, catalogue):
    response = editor_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Fidget spinner", "Tactile (touch)", "High", "Moderate", "Low", "Harm band"):
        assert text in html
    assert 'name="form-0-harmfulness_score"' in html  # editable in the list


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "spinner"}, {"Fidget spinner"}),
        ({"q": "break the skin"}, {"Skin picking"}),  # searches descriptions too
        ({"category": "oral"}, {"Chewing gum"}),
        ({"harm_band": "high"}, {"Skin picking"}),
        ({"harm_band": "moderate"}, {"Chewing gum"}),
        ({"harm_band": "low"}, {"Fidget spinner"}),
        ({"is_active__exact": "1"}, {"Fidget spinner", "Chewing gum", "Skin picking"}),
    ],
)
def test_search_and_filters(editor_client, catalogue, query, expected):
    response = editor_client.get(CHANGELIST, query)
    assert response.status_code == 200
    assert listed_names(response) == expected


def test_filter_by_condition(editor_client, catalogue):
    adhd = catalogue["spinner"].conditions.get()
    response = editor_client.get(CHANGELIST, {"conditions__id__exact": adhd.pk})
    assert listed_names(response) == {"Fidget spinner"}


def test_harmfulness_is_edited_in_the_list(editor_client, catalogue):
    stims = list(Stim.objects.order_by("name"))
    data = {
        "form-TOTAL_FORMS": len(stims),
        "form-INITIAL_FORMS": len(stims),
        "_save": "Save",
        **{f"form-{i}-id": stim.pk for i, stim in enumerate(stims)},
        **{f"form-{i}-harmfulness_score": stim.harmfulness_score for i, stim in enumerate(stims)},
    }
    gum_index = [stim.name for stim in stims].index("Chewing gum")
    data[f"form-{gum_index}-harmfulness_score"] = "0.7"
    response = editor_client.post(CHANGELIST, data)
    assert response.status_code == 302
    catalogue["gum"].refresh_from_db()
    assert catalogue["gum"].harmfulness_score == 0.7


def test_list_edit_rejects_an_out_of_range_score(editor_client, catalogue):
    stim = catalogue["gum"]
    data = {
        "form-TOTAL_FORMS": 1,
        "form-INITIAL_FORMS": 1,
        "_save": "Save",
        "form-0-id": stim.pk,
        "form-0-harmfulness_score": "1.5",
    }
    response = editor_client.post(CHANGELIST + "?q=gum", data)
    assert response.status_code == 200
    assert "less than or equal to 1" in response.content.decode()
    stim.refresh_from_db()
    assert stim.harmfulness_score == 0.4


def test_bulk_retire_and_reactivate(editor_client, catalogue):
    chosen = [catalogue["gum"].pk, catalogue["picking"].pk]
    response = editor_client.post(
        CHANGELIST, {"action": "retire", "_selected_action": chosen}, follow=True
    )
    assert "2 stim(s) retired." in response.content.decode()
    assert set(Stim.objects.filter(is_active=False).values_list("pk", flat=True)) == set(chosen)

    editor_client.post(CHANGELIST, {"action": "reactivate", "_selected_action": chosen[:1]})
    assert list(Stim.objects.filter(is_active=False).values_list("pk", flat=True)) == chosen[1:]


def test_change_form_renders_and_saves(editor_client, catalogue):
    stim = catalogue["spinner"]
    url = reverse("admin:stims_stim_change", args=[stim.pk])
    assert editor_client.get(url).status_code == 200
    response = editor_client.post(
        url,
        {
            "name": "Fidget spinner",
            "slug": stim.slug,
            "description": "Spins.",
            "category": "visual",
            "harmfulness_score": "0.05",
            "is_active": "on",
            "conditions": [],
            "hobbies": [],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    stim.refresh_from_db()
    assert (stim.category, stim.harmfulness_score, stim.conditions.count()) == ("visual", 0.05, 0)


def test_condition_and_hobby_admin_list_their_stim_counts(editor_client, catalogue):
    response = editor_client.get(reverse("admin:stims_condition_changelist"))
    assert response.status_code == 200
    assert "ADHD" in response.content.decode()
    assert editor_client.get(reverse("admin:stims_hobby_changelist")).status_code == 200


def test_export_offers_csv_and_xlsx(editor_client, catalogue):
    response = editor_client.get(reverse("admin:stims_stim_export"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "csv" in html and "xlsx" in html
