"""Retraining through the real broker: a `celery worker` process trains, versions and promotes.

Since a first version must beat the popularity ranking to serve, and the tiny populations
here train too briefly to do so reliably, tests that need a serving version force it (the
staff path); promotion against a serving version is what test_a_worse_model_... checks.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from recommender.data import training_data_read
from recommender.models import Interaction, ModelVersion, TrainingRun
from recommender.services import training_run_request, training_run_schedule
from recommender.tasks import retrain_if_data_changed
from stims.models import Stim
from stimsite.celery import app as celery_app

from .training import (
    BROKEN_CALCULATOR,
    LONG,
    QUICK,
    WORSE,
    active_version,
    kill_pool_child,
    seed,
    temporaries,
    train,
)
from .worker import queued_messages, run_wait, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_triggered_retraining_is_trained_by_the_worker_and_activated(start_worker, model_dir):
    seed()
    route = celery_app.amqp.router.route({}, "recommender.tasks.retrain_model")
    assert route["queue"].name == "training"

    run, created = training_run_request(triggered_by="test", force_activate=True, parameters=QUICK)
    assert created
    # Sent through the broker, to the training queue, before any worker listens.
    assert queued_messages(celery_app, "training") == 1
    assert queued_messages(celery_app, "celery") == 0
    worker = start_worker()
    run_wait(run, worker=worker)

    assert run.state == TrainingRun.State.SUCCEEDED, run.error
    assert (run.attempts, run.error, run.triggered_by) == (1, "", "test")
    assert "Task recommender.tasks.retrain_model[" in worker.log()
    assert queued_messages(celery_app, "training") == 0

    version = active_version()
    assert run.model_version == version
    assert ModelVersion.objects.count() == 1
    assert version.promotion_note.startswith("activated by staff (forced)")
    ranking = version.metrics["ranking"]
    assert isinstance(ranking["model"]["ndcg"], float)
    assert {"popularity", "tag_overlap"} <= set(ranking)
    assert version.metrics["held_out_users"] > 0
    assert len(version.history["loss"]) == 2
    assert run.progress["epoch"] == 2
    snapshot = version.data_snapshot
    assert snapshot == run.data_snapshot
    assert snapshot["stims"] == Stim.objects.filter(is_active=True).count()
    assert snapshot["interactions"] == Interaction.objects.count()

    folder = model_dir / version.artifact
    assert (folder / "manifest.json").is_file() and (folder / "weights.h5").is_file()
    curve = model_dir / version.training_curve.name
    assert curve.read_bytes().startswith(b"\x89PNG")
    assert Path(version.training_curve.path) == curve
    assert temporaries(model_dir) == []


def test_a_worker_child_killed_mid_training_is_redelivered_and_finishes(start_worker, model_dir):
    seed()
    worker = start_worker()
    run, _ = training_run_request(triggered_by="test", force_activate=True, parameters=LONG)

    def first_epoch_done() -> bool:
        run.refresh_from_db()
        return run.progress.get("epoch", 0) >= 1

    wait_until(first_epoch_done, timeout=120, what="the first epoch", worker=worker)
    kill_pool_child(worker)
    run.refresh_from_db()
    assert (run.state, run.attempts) == (TrainingRun.State.RUNNING, 1)

    run_wait(run, worker=worker)
    assert run.state == TrainingRun.State.SUCCEEDED, run.error
    assert run.attempts == 2
    assert "WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL)" in worker.log()
    version = active_version()
    assert ModelVersion.objects.count() == 1 and run.model_version == version
    assert len(version.history["loss"]) == LONG["epochs"]
    assert (model_dir / version.artifact / "weights.h5").is_file()
    assert temporaries(model_dir) == []


def test_a_worker_child_killed_while_saving_leaves_no_half_written_artifact(
    start_worker, model_dir
):
    seed()
    worker = start_worker()
    run, _ = training_run_request(triggered_by="test", force_activate=True, parameters=QUICK)

    # The artifact is written into a .tmp- folder (for some 20 ms) and then renamed into
    # place: kill the child as soon as that folder appears, halfway through writing it.
    wait_until(
        lambda: temporaries(model_dir),
        timeout=120,
        what="the artifact to be written",
        worker=worker,
        interval=0.001,
    )
    kill_pool_child(worker)
    half_written = temporaries(model_dir)
    assert half_written, "the child finished writing before it was killed: nothing to check"
    run.refresh_from_db()
    assert run.state == TrainingRun.State.RUNNING and run.model_version is None

    run_wait(run, worker=worker)
    assert run.state == TrainingRun.State.SUCCEEDED, run.error
    assert run.attempts == 2
    assert (model_dir / active_version().artifact / "weights.h5").is_file()
    assert temporaries(model_dir) == [], (
        f"{half_written} was left by the killed child; the retried run did not remove it"
    )


def test_a_training_that_raises_is_failed_and_the_serving_version_keeps_serving(
    start_worker, model_dir
):
    seed()
    worker = start_worker()
    serving = train(worker, force_activate=True, parameters=QUICK).model_version
    worker.stop()

    worker = start_worker(RECOMMENDER_SCORE_CALCULATOR=BROKEN_CALCULATOR)
    run = train(worker, parameters=QUICK)

    assert run.state == TrainingRun.State.FAILED
    assert run.error.startswith("ValueError: score_calculator gave scores outside [0, 1]")
    assert run.attempts == 1 and run.model_version is None and run.finished_at
    # Celery logs the failure after the task has marked the run failed: wait for that line.
    wait_until(
        lambda: "raised unexpected: ValueError" in worker.log(),
        timeout=30,
        what="the worker to log the task's failure",
        worker=worker,
    )
    assert active_version() == serving
    assert ModelVersion.objects.count() == 1
    assert (model_dir / serving.artifact / "weights.h5").is_file()
    assert temporaries(model_dir) == []


def test_a_worse_model_is_kept_ready_and_staff_can_force_it(start_worker):
    seed()
    worker = start_worker()
    serving = train(worker, force_activate=True, parameters=QUICK).model_version

    worse = train(worker, parameters=WORSE)
    assert worse.state == TrainingRun.State.SUCCEEDED, worse.error
    challenger = worse.model_version
    assert challenger.status == ModelVersion.Status.READY
    ranking = challenger.metrics["ranking"]
    # The serving version was loaded from the shared storage and judged on the same users.
    assert ranking["model"]["ndcg"] < ranking["champion"]["ndcg"]
    assert challenger.promotion_note.startswith("kept ready: NDCG@10")
    assert f"serving version {serving.pk}" in challenger.promotion_note
    assert active_version() == serving

    forced = train(worker, parameters=WORSE, force_activate=True)
    assert forced.state == TrainingRun.State.SUCCEEDED, forced.error
    assert active_version() == forced.model_version
    assert forced.model_version.promotion_note.startswith("activated by staff (forced)")
    serving.refresh_from_db()
    assert serving.status == ModelVersion.Status.READY
    challenger.refresh_from_db()
    assert challenger.status == ModelVersion.Status.READY


def test_the_schedule_skips_unchanged_data_and_trains_on_new_interactions(start_worker):
    beat = settings.CELERY_BEAT_SCHEDULE
    assert "recommender.tasks.retrain_if_data_changed" in {job["task"] for job in beat.values()}
    assert celery_app.conf.beat_schedule == beat
    seed()
    worker = start_worker()
    first = train(worker, force_activate=True, parameters=QUICK)
    assert first.state == TrainingRun.State.SUCCEEDED, first.error

    assert training_run_schedule() is None
    assert retrain_if_data_changed.delay().get(timeout=60) is None  # through the worker
    assert TrainingRun.objects.count() == 1

    person = get_user_model().objects.filter(interactions__isnull=False).first()
    untried = Stim.objects.filter(is_active=True).exclude(interactions__user=person).first()
    Interaction.objects.create(user=person, stim=untried, rating=5)
    run_id = retrain_if_data_changed.delay().get(timeout=60)
    assert run_id is not None
    scheduled = run_wait(TrainingRun.objects.get(pk=run_id), worker=worker)
    assert scheduled.state == TrainingRun.State.SUCCEEDED, scheduled.error
    assert scheduled.triggered_by == "schedule"
    assert scheduled.data_snapshot["interactions"] == first.data_snapshot["interactions"] + 1
    assert scheduled.data_snapshot["fingerprint"] != first.data_snapshot["fingerprint"]


def test_deleted_and_deactivated_users_are_left_out_of_the_next_training(start_worker):
    seed()
    before = training_data_read()
    people = get_user_model().objects.filter(interactions__isnull=False).distinct()
    deleted, deactivated = people.order_by("pk")[:2]
    gone = {deleted.pk, deactivated.pk}
    gone_interactions = Interaction.objects.filter(user__in=gone).count()
    deleted.delete()
    deactivated.is_active = False
    deactivated.save()

    data = training_data_read()
    assert gone.isdisjoint(data.users["user_id"])
    assert gone.isdisjoint(data.interactions["user_id"])
    assert len(data.users) == len(before.users) - 2
    assert len(data.interactions) == len(before.interactions) - gone_interactions

    run = train(start_worker(), parameters=QUICK)
    assert run.state == TrainingRun.State.SUCCEEDED, run.error
    assert run.data_snapshot == data.snapshot
    assert (run.data_snapshot["users"], run.data_snapshot["interactions"]) == (
        len(data.users),
        len(data.interactions),
    )
    assert run.model_version.data_snapshot == data.snapshot
