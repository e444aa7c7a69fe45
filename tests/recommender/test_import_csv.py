"""manage.py import_csv and the import service behind it: upserts, all-or-nothing, clear errors."""

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from tablib import Dataset

from recommender.importing import RESOURCES, ImportRejected, records_import
from recommender.models import Interaction, UsageFrequency
from stims.models import Category, Condition, Hobby, Stim
from tests.factories import (
    ConditionFactory,
    HobbyFactory,
    InteractionFactory,
    StimFactory,
    UserFactory,
)
from users.models import Profile

CATALOGUE = Path(__file__).resolve().parents[2] / "stims" / "data" / "catalogue.csv"
STIMS_HEADER = "name,description,category,harmfulness_score,conditions,hobbies"
USERS_HEADER = (
    "username,age,gender,sexuality,conditions,hobbies,stimming_essentiality_score,current_stims"
)
INTERACTIONS_HEADER = (
    "username,stim,rating,created_at,usage_frequency,still_using,harm_reported,dismissed"
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    autism = ConditionFactory(name="Autism")
    music = HobbyFactory(name="Music")
    return {
        "cube": StimFactory(name="Fidget cube", conditions=[autism], hobbies=[music]),
        "ball": StimFactory(name="Stress ball"),
        "gum": StimFactory(name="Chewing gum", category=Category.ORAL),
    }


@pytest.fixture
def write(tmp_path):
    """write("stims.csv", header, row, ...) -> the path of a CSV file with those lines."""

    def write(name: str, *lines: str) -> Path:
        path = tmp_path / name
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        return path

    return write


def run_import(*options: str, **paths: Path) -> str:
    out = StringIO()
    files = [f"--{kind}={path}" for kind, path in paths.items()]
    call_command("import_csv", *files, *options, "--no-progress", stdout=out)
    return out.getvalue()


def rejected_lines(**paths: Path) -> list[str]:
    with pytest.raises(CommandError) as rejected:
        run_import(**paths)
    return str(rejected.value).splitlines()[1:]  # after "Nothing was imported: N problem(s)."


def row_counts() -> dict[str, int]:
    models = (Stim, Condition, Hobby, get_user_model(), Profile, Interaction)
    return {model.__name__: model.objects.count() for model in models}


# --- Good files


def test_stims_file_creates_stims_with_their_lists_and_new_vocabulary(write, catalogue):
    path = write(
        "stims.csv",
        STIMS_HEADER,
        "Chewy tube,A tube to chew on.,oral,0.1, autism ; Anxiety ;ANXIETY,Music;Reading",
        "Head banging,Hitting the head against things.,Vestibular,0.95,,",
    )
    output = run_import(stims=path)

    assert output.strip() == "stims: 2 created, 0 updated, 0 unchanged"
    tube = Stim.objects.get(name="Chewy tube")
    assert (tube.description, tube.category, tube.harmfulness_score, tube.slug) == (
        "A tube to chew on.",
        Category.ORAL,
        0.1,
        "chewy-tube",
    )
    assert sorted(tube.conditions.values_list("name", flat=True)) == ["Anxiety", "Autism"]
    assert sorted(tube.hobbies.values_list("name", flat=True)) == ["Music", "Reading"]
    assert Condition.objects.filter(name__iexact="anxiety").count() == 1
    assert Hobby.objects.get(name="Reading").slug == "reading"
    banging = Stim.objects.get(name="Head banging")
    assert banging.category == Category.VESTIBULAR
    assert not banging.conditions.exists()


def test_stims_file_updates_a_stim_found_by_name_in_any_case(write, catalogue):
    path = write("stims.csv", STIMS_HEADER, "FIDGET CUBE,New words.,tactile,0.2,Autism,")
    assert run_import(stims=path).strip() == "stims: 0 created, 1 updated, 0 unchanged"
    cube = Stim.objects.get(pk=catalogue["cube"].pk)
    assert (cube.description, cube.harmfulness_score) == ("New words.", 0.2)
    assert not cube.hobbies.exists()  # a blank list cell empties the list
    assert Stim.objects.count() == 3


def test_users_file_creates_people_and_fills_their_profiles(write, catalogue):
    existing = UserFactory(username="sam")
    path = write(
        "users.csv",
        USERS_HEADER,
        "alex,34,non_binary,Bisexual,Autism;Dyspraxia,Music;Climbing,0.8,fidget cube; Stress ball",
        "blake,,,,,,,",
        "SAM,15,man,,ADHD,,0.3,",
    )
    output = run_import(users=path)

    assert output.strip() == "users: 2 created, 1 updated, 0 unchanged"
    alex = Profile.objects.get(user__username="alex")
    assert not alex.user.has_usable_password()
    assert (alex.age, alex.gender, alex.sexuality, alex.stimming_essentiality_score) == (
        34,
        Profile.Gender.NON_BINARY,
        Profile.Sexuality.BISEXUAL,
        0.8,
    )
    assert sorted(alex.neurodivergent_conditions.values_list("name", flat=True)) == [
        "Autism",
        "Dyspraxia",
    ]
    assert sorted(alex.hobbies.values_list("name", flat=True)) == ["Climbing", "Music"]
    assert set(alex.current_stims.all()) == {catalogue["cube"], catalogue["ball"]}
    blake = Profile.objects.get(user__username="blake")
    assert (blake.age, blake.gender, blake.sexuality) == (None, "", "")  # blank is "not said"
    assert blake.stimming_essentiality_score == 0.5  # the model's default
    sam = Profile.objects.get(user=existing)
    assert (sam.age, sam.gender) == (15, Profile.Gender.MAN)
    assert get_user_model().objects.filter(username__iexact="sam").count() == 1


def test_interactions_file_imports_every_signal(write, catalogue):
    alex, sam = UserFactory(username="alex"), UserFactory(username="sam")
    path = write(
        "interactions.csv",
        INTERACTIONS_HEADER,
        "alex,Fidget cube,5,2025-03-01T10:30:00Z,4,yes,no,",
        "ALEX,stress BALL,,,,0,1,true",
        "sam,Chewing gum,2,2025-03-02 08:00,,,,",
    )
    before = timezone.now()
    output = run_import(interactions=path)

    assert output.strip() == "interactions: 3 created, 0 updated, 0 unchanged"
    cube = Interaction.objects.get(user=alex, stim=catalogue["cube"])
    assert (cube.rating, cube.usage_frequency, cube.still_using, cube.harm_reported) == (
        5,
        UsageFrequency.SEVERAL_TIMES_A_DAY,
        True,
        False,
    )
    assert cube.created_at == datetime(2025, 3, 1, 10, 30, tzinfo=UTC)
    ball = Interaction.objects.get(user=alex, stim=catalogue["ball"])
    assert (ball.rating, ball.harm_reported, ball.dismissed, ball.still_using) == (
        None,
        True,
        True,
        False,
    )
    assert ball.created_at >= before  # blank created_at means now
    gum = Interaction.objects.get(user=sam)
    assert gum.created_at == datetime(2025, 3, 2, 8, 0, tzinfo=UTC)  # naive means UTC


def test_interactions_need_only_username_stim_and_rating(write, catalogue):
    UserFactory(username="alex")
    run_import(interactions=write("interactions.csv", "username,stim,rating", "alex,Fidget cube,3"))
    interaction = Interaction.objects.get()
    assert interaction.rating == 3
    assert (interaction.usage_frequency, interaction.still_using, interaction.dismissed) == (
        None,
        False,
        False,
    )


def test_blank_created_at_leaves_an_existing_interaction_time_alone(write, catalogue):
    long_ago = datetime(2024, 1, 1, tzinfo=UTC)
    interaction = InteractionFactory(
        user=UserFactory(username="alex"), stim=catalogue["cube"], rating=2, created_at=long_ago
    )
    path = write("interactions.csv", "username,stim,rating,created_at", "alex,Fidget cube,4,")
    output = run_import(interactions=path)
    assert output.strip() == "interactions: 0 created, 1 updated, 0 unchanged"
    interaction.refresh_from_db()
    assert (interaction.rating, interaction.created_at) == (4, long_ago)


def test_a_users_file_may_name_stims_from_the_stims_file_of_the_same_run(write):
    stims = write("stims.csv", STIMS_HEADER, "Rocking,Back and forth.,vestibular,0.05,,")
    users = write("users.csv", USERS_HEADER, "alex,,,,,,,rocking")
    interactions = write("interactions.csv", "username,stim,rating", "alex,Rocking,5")
    run_import(stims=stims, users=users, interactions=interactions)
    profile = Profile.objects.get(user__username="alex")
    assert list(profile.current_stims.values_list("name", flat=True)) == ["Rocking"]
    assert Interaction.objects.get().stim.name == "Rocking"


def test_rerunning_the_same_files_changes_nothing(write, catalogue):
    files = {
        "stims": write(
            "stims.csv",
            STIMS_HEADER,
            "Rocking,Back and forth.,vestibular,0.05,Autism;Anxiety,Music",
        ),
        "users": write(
            "users.csv",
            USERS_HEADER,
            "alex,34,woman,,ADHD,Music,0.7,Rocking;Fidget cube",
            "blake,,,,,,,",
        ),
        "interactions": write(
            "interactions.csv",
            INTERACTIONS_HEADER,
            "alex,Rocking,5,,2,true,,",
            "blake,Fidget cube,,2025-01-01T00:00:00Z,,,,yes",
        ),
    }
    run_import(**files)
    counts = row_counts()
    stamps = {
        model: list(model.objects.order_by("pk").values_list("updated_at", "created_at"))
        for model in (Stim, Profile, Interaction)
    }

    output = run_import(**files)

    assert output.splitlines() == [
        "stims: 0 created, 0 updated, 1 unchanged",
        "users: 0 created, 0 updated, 2 unchanged",
        "interactions: 0 created, 0 updated, 2 unchanged",
    ]
    assert row_counts() == counts
    for model, before in stamps.items():
        assert list(model.objects.order_by("pk").values_list("updated_at", "created_at")) == before


def test_what_admin_exports_imports_back_unchanged(tmp_path, catalogue):
    alex = UserFactory(username="alex")
    alex.profile.neurodivergent_conditions.add(ConditionFactory(name="ADHD"))
    alex.profile.current_stims.add(catalogue["cube"])
    InteractionFactory(user=alex, stim=catalogue["cube"], usage_frequency=2, still_using=True)
    InteractionFactory(
        user=UserFactory(username="blake"), stim=catalogue["gum"], rating=None, dismissed=True
    )
    paths = {}
    for kind, resource_class in RESOURCES.items():
        paths[kind] = tmp_path / f"{kind}.csv"
        paths[kind].write_text(resource_class().export().export("csv"), encoding="utf-8")
    counts = row_counts()

    assert run_import(**paths).splitlines() == [
        "stims: 0 created, 0 updated, 3 unchanged",
        "users: 0 created, 0 updated, 2 unchanged",
        "interactions: 0 created, 0 updated, 2 unchanged",
    ]
    assert row_counts() == counts


def test_the_shipped_catalogue_imports_cleanly():
    output = run_import(stims=CATALOGUE)
    assert Stim.objects.count() >= 120
    assert output.strip() == f"stims: {Stim.objects.count()} created, 0 updated, 0 unchanged"
    assert set(Stim.objects.values_list("category", flat=True)) <= set(Category.values)


def test_dry_run_counts_but_writes_nothing(write, catalogue):
    path = write("stims.csv", STIMS_HEADER, "Rocking,,vestibular,0.05,New condition,")
    counts = row_counts()
    assert run_import("--dry-run", stims=path).splitlines() == [
        "stims: 1 created, 0 updated, 0 unchanged",
        "Dry run: nothing was written.",
    ]
    assert row_counts() == counts


# --- Bad files: every bad line, and nothing written


@pytest.mark.parametrize(
    ("kind", "lines", "expected"),
    [
        pytest.param(
            "stims",
            ("name,description,harmfulness_score", "Rocking,,0.1"),
            ["stims.csv: missing required column(s): category"],
            id="missing column",
        ),
        pytest.param(
            "stims",
            (f"{STIMS_HEADER},notes", "Rocking,,vestibular,0.1,,,x"),
            [
                "stims.csv: unknown column(s): notes (expected: name, description, category, "
                "harmfulness_score, conditions, hobbies)"
            ],
            id="unknown column",
        ),
        pytest.param(
            "stims",
            (
                STIMS_HEADER,
                "Rocking,,vestibular,0.1,Brand new condition,",
                "Banging,,vestibular,1.5,,",
            ),
            [
                "stims.csv line 3: harmfulness_score: "
                "Ensure this value is less than or equal to 1.0."
            ],
            id="harmfulness above 1",
        ),
        pytest.param(
            "stims",
            (STIMS_HEADER, "Rocking,,vestibular,lots,,"),
            ["stims.csv line 2: harmfulness_score: must be a number"],
            id="harmfulness not a number",
        ),
        pytest.param(
            "stims",
            (STIMS_HEADER, ",,,,,"),
            [
                "stims.csv line 2: name: required",
                "stims.csv line 2: category: required",
                "stims.csv line 2: harmfulness_score: required",
            ],
            id="blank row",
        ),
        pytest.param(
            "stims",
            (STIMS_HEADER, "Rocking,,spinny,0.1,,"),
            [
                "stims.csv line 2: category: 'spinny' is not one of: tactile, oral, visual, "
                "auditory, vocal, vestibular, proprioceptive, movement, olfactory"
            ],
            id="unknown category",
        ),
        pytest.param(
            "stims",
            (STIMS_HEADER, "Rocking,,vestibular,0.1,,", "rocking ,,vestibular,0.2,,"),
            ["stims.csv line 3: name already given on line 2"],
            id="duplicate stim",
        ),
        pytest.param(
            "users",
            (USERS_HEADER, "alex,30,,,New condition,,0.5,Fidget cube;Fidget spiner"),
            ["users.csv line 2: current_stims: unknown stim 'Fidget spiner'"],
            id="unknown stim in users",
        ),
        pytest.param(
            "users",
            (USERS_HEADER, ",30,,,,,0.5,", "a b,,,,,,,"),
            [
                "users.csv line 2: username: required",
                "users.csv line 3: username: Enter a valid username. This value may contain "
                "only letters, numbers, and @/./+/-/_ characters.",
            ],
            id="blank or invalid username",
        ),
        pytest.param(
            "users",
            (USERS_HEADER, "alex,30,robot,,,,0.5,"),
            ["users.csv line 2: gender: not one of: woman, man, non_binary, other"],
            id="bad gender, value not repeated",
        ),
        pytest.param(
            "users",
            (USERS_HEADER, "alex,2,,,,,,"),
            ["users.csv line 2: age: Ensure this value is greater than or equal to 3."],
            id="age too low",
        ),
        pytest.param(
            "users",
            (USERS_HEADER, "alex,,,,,,,", "bob,,,,,,,", "Alex,,,,,,,"),
            ["users.csv line 4: username already given on line 2"],
            id="duplicate username",
        ),
        pytest.param(
            "interactions",
            (INTERACTIONS_HEADER, "sam,Fidget spiner,4,,,,,"),
            ["interactions.csv line 2: stim: unknown stim 'Fidget spiner'"],
            id="unknown stim",
        ),
        pytest.param(
            "interactions",
            (INTERACTIONS_HEADER, "nobody,Fidget cube,4,,,,,"),
            ["interactions.csv line 2: username: unknown user 'nobody'"],
            id="unknown username",
        ),
        pytest.param(
            "interactions",
            (INTERACTIONS_HEADER, "sam,Fidget cube,4,01/03/2025,,,,"),
            [
                "interactions.csv line 2: created_at: '01/03/2025' is not an ISO 8601 date and "
                "time (e.g. 2025-03-01T14:30:00Z)"
            ],
            id="bad date",
        ),
        pytest.param(
            "interactions",
            (INTERACTIONS_HEADER, "sam,Fidget cube,0,,,,,", "sam,Stress ball,6,,,,,"),
            [
                "interactions.csv line 2: rating: Ensure this value is greater than or equal to 1.",
                "interactions.csv line 3: rating: Ensure this value is less than or equal to 5.",
            ],
            id="rating 0 and 6",
        ),
        pytest.param(
            "interactions",
            (INTERACTIONS_HEADER, "sam,Fidget cube,4.5,,2,,,"),
            ["interactions.csv line 2: rating: must be a whole number"],
            id="rating not whole",
        ),
        pytest.param(
            "interactions",
            (INTERACTIONS_HEADER, "sam,Fidget cube,4,,7,maybe,,"),
            [
                "interactions.csv line 2: usage_frequency: '7' is not one of: 0, 1, 2, 3, 4",
                "interactions.csv line 2: still_using: 'maybe' is not one of: "
                "true, false, yes, no, 1, 0",
            ],
            id="bad frequency and flag",
        ),
        pytest.param(
            "interactions",
            (INTERACTIONS_HEADER, "sam,Fidget cube,2,,,true,,true"),
            [
                "interactions.csv line 2: still_using: A stim marked 'not for me' cannot also "
                "be one you still use."
            ],
            id="dismissed and still using",
        ),
        pytest.param(
            "interactions",
            (INTERACTIONS_HEADER, "sam,Fidget cube,,,,,,"),
            [
                "interactions.csv line 2: Give at least one piece of feedback: a rating, how "
                "often you use it, whether you still use it, harm, or 'not for me'."
            ],
            id="no signal",
        ),
        pytest.param(
            "interactions",
            (INTERACTIONS_HEADER, "sam,Fidget cube,4,,,,,", "Sam,fidget cube,5,,,,,"),
            ["interactions.csv line 3: username and stim already given on line 2"],
            id="duplicate interaction",
        ),
    ],
)
def test_a_bad_file_is_rejected_line_by_line_and_nothing_is_written(
    write, catalogue, kind, lines, expected
):
    UserFactory(username="sam")
    path = write(f"{kind}.csv", *lines)
    counts = row_counts()

    assert rejected_lines(**{kind: path}) == expected
    assert row_counts() == counts


def test_an_error_in_interactions_rolls_back_the_good_stims_and_users_files(write, catalogue):
    stims = write("stims.csv", STIMS_HEADER, "Rocking,,vestibular,0.05,New condition,New hobby")
    users = write("users.csv", USERS_HEADER, "alex,30,,,ADHD,,0.5,Rocking")
    interactions = write(
        "interactions.csv", "username,stim,rating", "alex,Rocking,5", "alex,Fidget spiner,4"
    )
    counts = row_counts()

    assert rejected_lines(stims=stims, users=users, interactions=interactions) == [
        "interactions.csv line 3: stim: unknown stim 'Fidget spiner'"
    ]
    assert row_counts() == counts
    assert not Condition.objects.filter(name__in=["New condition", "ADHD"]).exists()


def test_every_bad_line_of_every_file_is_reported_in_one_go(write, catalogue):
    UserFactory(username="sam")
    stims = write(
        "stims.csv",
        STIMS_HEADER,
        "Rocking,,vestibular,0.05,,",
        "Banging,,vestibular,-1,,",
        "Hum,,humming,0.0,,",
    )
    interactions = write(
        "interactions.csv",
        "username,stim,rating",
        "sam,Fidget cube,5",
        "sam,Nope,4",
        "sam,Stress ball,9",
        "nobody,Rocking,3",
    )
    with pytest.raises(CommandError) as rejected:
        run_import(stims=stims, interactions=interactions)
    assert str(rejected.value).splitlines() == [
        "Nothing was imported: 5 problem(s).",
        "stims.csv line 3: harmfulness_score: Ensure this value is greater than or equal to 0.0.",
        "stims.csv line 4: category: 'humming' is not one of: tactile, oral, visual, auditory, "
        "vocal, vestibular, proprioceptive, movement, olfactory",
        "interactions.csv line 3: stim: unknown stim 'Nope'",
        "interactions.csv line 4: rating: Ensure this value is less than or equal to 5.",
        "interactions.csv line 5: username: unknown user 'nobody'",
    ]


def test_no_file_or_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="at least one of --stims, --users, --interactions"):
        call_command("import_csv")
    with pytest.raises(CommandError, match=r"absent\.csv: cannot be read \(No such file"):
        run_import(stims=tmp_path / "absent.csv")


# --- The service, as the demo seed uses it


def test_records_import_takes_datasets_made_from_dataframes(catalogue):
    users = pd.DataFrame(
        {
            "username": ["alex", "blake"],
            "age": [34, None],  # a column with a blank is written as 34.0
            "current_stims": ["Fidget cube", ""],
        }
    )
    interactions = pd.DataFrame(
        {
            "username": ["alex", "blake"],
            "stim": ["Fidget cube", "Stress ball"],
            "rating": [5, None],
            "created_at": pd.to_datetime(["2025-03-01T10:00:00Z", "2025-03-02T10:00:00Z"]),
            "usage_frequency": [3, None],
            "still_using": [True, False],
            "dismissed": [False, True],
        }
    )

    def dataset(frame: pd.DataFrame) -> Dataset:
        return Dataset().load(frame.to_csv(index=False), format="csv")

    summary = records_import(users=dataset(users), interactions=dataset(interactions))

    assert {kind: counts.created for kind, counts in summary.counts.items()} == {
        "users": 2,
        "interactions": 2,
    }
    assert Profile.objects.get(user__username="alex").age == 34
    alex_cube = Interaction.objects.get(user__username="alex")
    assert (alex_cube.rating, alex_cube.usage_frequency, alex_cube.still_using) == (5, 3, True)
    assert alex_cube.created_at == datetime(2025, 3, 1, 10, tzinfo=UTC)


def test_records_import_names_an_untitled_dataset_by_its_kind(catalogue):
    bad = Dataset().load("username,stim,rating\nnobody,Fidget cube,4\n", format="csv")
    with pytest.raises(ImportRejected) as rejected:
        records_import(interactions=bad)
    assert [str(error) for error in rejected.value.errors] == [
        "interactions line 2: username: unknown user 'nobody'"
    ]
    assert rejected.value.errors[0].line == 2


# --- Admin


def test_admin_import_of_a_stims_csv_shows_a_preview_then_confirms(client, superuser, catalogue):
    client.force_login(superuser)
    model_admin = _stim_admin()
    csv_format = next(
        index
        for index, file_format in enumerate(model_admin.get_import_formats())
        if file_format().get_title() == "csv"
    )
    upload = SimpleUploadedFile(
        "stims.csv",
        f"{STIMS_HEADER}\nRocking,Back and forth.,vestibular,0.05,Brand new condition,\n"
        "Fidget cube,What Fidget cube feels like.,tactile,0.05,Autism,Music\n".encode(),
        content_type="text/csv",
    )

    preview = client.post(
        reverse("admin:stims_stim_import"),
        {"import_file": upload, "format": str(csv_format), "resource": "0"},
    )

    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["new", "skip"]
    assert not Stim.objects.filter(name="Rocking").exists()  # the preview is a dry run
    assert not Condition.objects.filter(name="Brand new condition").exists()

    confirm = preview.context["confirm_form"]
    response = client.post(reverse("admin:stims_stim_process_import"), confirm.initial)

    assert response.status_code == 302
    rocking = Stim.objects.get(name="Rocking")
    assert list(rocking.conditions.values_list("name", flat=True)) == ["Brand new condition"]


def _stim_admin():
    from django.contrib import admin

    return admin.site._registry[Stim]
