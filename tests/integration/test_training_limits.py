"""Limits of a training in the real worker: attempts when its child keeps dying, time limits.

Whatever stops a training, the run must end (failed, with its error), or no training could
ever be requested again: the database allows one run in progress at a time.
"""

import pytest
from kombu.exceptions import OperationalError

from recommender.models import ModelVersion, TrainingRun
from recommender.services import MAX_ATTEMPTS, training_run_request
from recommender.tasks import retrain_model
from stimsite.celery import app as celery_app

from .training import ENDLESS, LONG, QUICK, UNINTERRUPTIBLE_CALCULATOR, kill_pool_child, seed
from .worker import queued_messages, run_wait, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_run_whose_worker_dies_every_time_is_given_up(start_worker):
    seed()
    worker = start_worker()
    run, _ = training_run_request(triggered_by="test", parameters=LONG)
    for attempt in range(1, MAX_ATTEMPTS + 1):

        def claimed(attempt=attempt) -> bool:
            run.refresh_from_db()
            return run.attempts == attempt

        wait_until(claimed, timeout=120, what=f"attempt {attempt}", worker=worker)
        kill_pool_child(worker)

    run_wait(run, worker=worker)
    assert run.state == TrainingRun.State.FAILED
    assert run.attempts == MAX_ATTEMPTS
    assert run.error == f"gave up after {MAX_ATTEMPTS} attempts (the worker stopped each time)"
    assert ModelVersion.objects.count() == 0
    assert queued_messages(celery_app, "training") == 0


def test_a_training_over_its_soft_time_limit_is_failed_and_frees_the_queue(start_worker):
    seed()
    worker = start_worker()
    run, _ = training_run_request(triggered_by="test", parameters=ENDLESS, enqueue=False)
    retrain_model.apply_async((run.pk,), soft_time_limit=10, time_limit=120)

    wait_until(
        lambda: "Soft time limit (10s)" in worker.log(),
        timeout=60,
        what="the soft time limit",
        worker=worker,
    )
    run_wait(run, worker=worker, timeout=30)
    assert run.state == TrainingRun.State.FAILED
    assert run.error.startswith("SoftTimeLimitExceeded")
    assert ModelVersion.objects.count() == 0
    assert training_run_request(triggered_by="test", enqueue=False)[1]


def test_a_training_killed_at_its_hard_time_limit_is_failed_and_frees_the_queue(start_worker):
    """The soft limit cannot stop every step (a long native call does not return to Python);
    the hard limit then kills the child, and the run must not stay running forever."""
    seed()
    worker = start_worker(RECOMMENDER_SCORE_CALCULATOR=UNINTERRUPTIBLE_CALCULATOR)
    run, _ = training_run_request(triggered_by="test", parameters=QUICK, enqueue=False)
    retrain_model.apply_async((run.pk,), soft_time_limit=10, time_limit=12)

    wait_until(
        lambda: "Hard time limit (12s)" in worker.log(),
        timeout=60,
        what="the hard time limit",
        worker=worker,
    )
    run_wait(run, worker=worker, timeout=15)
    assert run.state == TrainingRun.State.FAILED
    assert "TimeLimitExceeded" in run.error
    assert ModelVersion.objects.count() == 0
    assert training_run_request(triggered_by="test", enqueue=False)[1]


def test_a_trigger_whose_message_never_reached_the_broker_does_not_block_training(
    start_worker, monkeypatch
):
    """Redis unreachable at the moment of a trigger: the run is committed, its message is
    lost. Once the broker is back, a trigger must still give a training that runs."""
    seed()

    def broker_unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(retrain_model, "delay", broker_unreachable)
        training_run_request(triggered_by="admin", parameters=QUICK)
    assert queued_messages(celery_app, "training") == 0

    worker = start_worker()
    run, _ = training_run_request(triggered_by="admin", parameters=QUICK)
    run_wait(run, worker=worker, timeout=45)
    assert run.state == TrainingRun.State.SUCCEEDED, run.error
