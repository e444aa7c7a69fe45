"""manage.py train_model: trains in this process and reports the version; refuses what it
cannot do with a clear error."""

import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from recommender.models import ModelVersion, TrainingRun
from tests.factories import InteractionFactory
from tests.recommender.factories import TrainingRunFactory

State = TrainingRun.State


def out_of_range_scores(interactions) -> np.ndarray:
    """A broken RECOMMENDER_SCORE_CALCULATOR: scores above 1."""
    return np.full(len(interactions), 1.5, dtype=np.float32)


def train_model(*args: str) -> str:
    out = io.StringIO()
    call_command("train_model", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_trains_in_this_process_and_prints_the_version_and_its_evaluation(db):
    call_command("seed_demo", users=30, seed=1, no_progress=True, stdout=io.StringIO())

    output = train_model("--epochs", "1", "--no-progress")

    run = TrainingRun.objects.get()
    version = run.model_version
    assert (run.state, run.triggered_by) == (State.SUCCEEDED, "command")
    assert run.parameters == {"epochs": 1, "seed": 0}
    assert version.parameters["epochs"] == 1
    first_line, *table = output.strip().splitlines()
    assert first_line == (
        f"Training run {run.pk} made model version {version.pk} ({version.status}): "
        f"{version.promotion_note}"
    )
    assert "\n".join(table) == version.metrics_table()
    assert table[0].split()[:2] == ["name", "NDCG@10"]
    assert [line.split()[0] for line in table[1:]] == ["model", "popularity", "tag_overlap"]


def test_refuses_fewer_than_one_epoch(db):
    with pytest.raises(CommandError, match="--epochs must be at least 1"):
        train_model("--epochs", "0", "--no-progress")
    assert not TrainingRun.objects.exists()


@pytest.mark.parametrize("state", TrainingRun.IN_PROGRESS)
def test_refuses_to_start_a_second_training_and_names_the_one_in_progress(db, state):
    in_progress = TrainingRunFactory(state=state, triggered_by="schedule")

    with pytest.raises(CommandError, match=rf"Training run {in_progress.pk} is already {state}"):
        train_model("--epochs", "1", "--no-progress")

    assert list(TrainingRun.objects.all()) == [in_progress]


def test_a_failed_training_is_a_command_error_naming_the_run(db, settings):
    settings.RECOMMENDER_SCORE_CALCULATOR = f"{__name__}.out_of_range_scores"
    InteractionFactory.create_batch(3)

    with pytest.raises(CommandError, match=r"Training run \d+ failed: .*outside \[0, 1\]"):
        train_model("--epochs", "1", "--no-progress")

    run = TrainingRun.objects.get()
    assert run.state == State.FAILED and "outside [0, 1]" in run.error
    assert not ModelVersion.objects.exists()
