"""StimResource as admin uses it: export, re-import, XLSX cells, and slug clashes."""

import pytest
from tablib import Dataset

from stims.models import Category, Condition, Stim
from stims.resources import StimResource
from tests.factories import ConditionFactory, HobbyFactory, StimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    autism, adhd = ConditionFactory(name="Autism"), ConditionFactory(name="ADHD")
    StimFactory(name="Fidget cube", conditions=[autism, adhd], hobbies=[HobbyFactory(name="Music")])
    StimFactory(name="Chewing gum", category=Category.ORAL, harmfulness_score=0.4)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_imports_back_unchanged(catalogue, file_format):
    exported = StimResource().export()
    assert exported.headers == [
        "name",
        "description",
        "category",
        "harmfulness_score",
        "conditions",
        "hobbies",
    ]
    dataset = Dataset().load(exported.export(file_format), format=file_format)

    result = StimResource().import_data(dataset, raise_errors=True)

    assert [row.import_type for row in result.rows] == ["skip", "skip"]


def test_xlsx_numbers_and_blank_cells_are_read():
    sheet = Dataset(headers=["name", "description", "category", "harmfulness_score", "conditions"])
    sheet.append(["Rocking", None, "Vestibular", 0.05, "Autism; Anxiety"])
    dataset = Dataset().load(sheet.export("xlsx"), format="xlsx")

    result = StimResource().import_data(dataset, raise_errors=True)

    assert result.totals["new"] == 1
    rocking = Stim.objects.get()
    assert (rocking.description, rocking.category, rocking.harmfulness_score) == (
        "",
        Category.VESTIBULAR,
        0.05,
    )
    assert sorted(rocking.conditions.values_list("name", flat=True)) == ["Anxiety", "Autism"]


def test_a_name_whose_slug_is_taken_is_a_row_error(catalogue):
    dataset = Dataset(headers=["name", "category", "harmfulness_score", "conditions"])
    dataset.append(["Fidget-cube", "tactile", "0.1", "A.D.H.D."])

    result = StimResource().import_data(dataset)

    assert not result.has_errors()
    [invalid] = result.invalid_rows
    assert invalid.error_dict == {
        "name": ["gives the slug 'fidget-cube', which is blank or another stim's"],
        "conditions": [
            "condition 'A.D.H.D.' is too like an existing condition (same slug); "
            "use that one's name"
        ],
    }
    assert Condition.objects.count() == 2
