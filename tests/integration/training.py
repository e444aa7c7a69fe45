"""What the integration tests share about training: data, parameters and the models storage."""

import os
import signal
from pathlib import Path

from django.core.management import call_command

from recommender.models import ModelVersion, TrainingRun
from recommender.services import training_run_request

from .worker import Worker, run_wait

QUICK = {"epochs": 2}
# Several seconds of training, so that a worker can be stopped midway.
LONG = {"epochs": 30, "early_stopping_patience": None}
ENDLESS = {"epochs": 1000, "early_stopping_patience": None}
WORSE = {"epochs": 1, "learning_rate": 0.0}  # the initial random weights: ranks far worse
BROKEN_CALCULATOR = "tests.score_calculators.out_of_range_scores"
UNINTERRUPTIBLE_CALCULATOR = "tests.score_calculators.scores_after_uninterruptible_work"


def seed(users: int = 40) -> None:
    call_command("seed_demo", users=users, seed=1, no_progress=True)


def train(worker: Worker, **request) -> TrainingRun:
    """Requests a run through the broker and waits until the worker has finished it."""
    run, created = training_run_request(triggered_by="test", **request)
    assert created, f"run {run.pk} was already {run.state}"
    return run_wait(run, worker=worker)


def kill_pool_child(worker: Worker) -> None:
    """SIGKILL for the worker's one pool process, as the kernel's OOM killer would send."""
    (child,) = worker.pool_children()
    os.kill(child, signal.SIGKILL)


def active_version() -> ModelVersion:
    (active,) = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE)
    return active


def temporaries(model_dir: Path) -> list[str]:
    return sorted(path.name for path in model_dir.iterdir() if path.name.startswith(".tmp-"))
