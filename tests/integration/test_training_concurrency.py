"""At most one training at a time, and at most one serving version, held by PostgreSQL itself."""

import threading

import pytest
from django.db import IntegrityError, connections, transaction

from recommender.models import ModelVersion, TrainingRun
from recommender.services import training_run_request
from stimsite.celery import app as celery_app

from .worker import queued_messages

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_triggers_at_the_same_moment_give_one_training_run():
    barrier = threading.Barrier(2, timeout=30)
    results, errors = [], []

    def trigger(name: str) -> None:
        try:
            barrier.wait()
            results.append(training_run_request(triggered_by=name))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=trigger, args=(name,)) for name in ("admin", "schedule")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    assert sorted(created for _, created in results) == [False, True]
    (first, _), (second, _) = results
    assert first.pk == second.pk
    (run,) = TrainingRun.objects.all()
    assert run.pk == first.pk and run.state == TrainingRun.State.QUEUED
    assert queued_messages(celery_app, "training") == 1  # one training, not two


@pytest.mark.parametrize("second_state", TrainingRun.IN_PROGRESS)
def test_the_database_refuses_a_second_run_in_progress(second_state):
    TrainingRun.objects.create(triggered_by="test", state=TrainingRun.State.RUNNING)
    with (
        pytest.raises(IntegrityError, match="recommender_trainingrun_one_in_progress"),
        transaction.atomic(),
    ):
        TrainingRun.objects.create(triggered_by="test", state=second_state)

    for finished in ("succeeded", "failed", "skipped"):
        TrainingRun.objects.create(triggered_by="test", state=finished)
    assert TrainingRun.objects.count() == 4


def test_the_database_refuses_a_second_active_version():
    ModelVersion.objects.create(artifact="model-a", status=ModelVersion.Status.ACTIVE)
    with (
        pytest.raises(IntegrityError, match="recommender_modelversion_one_active"),
        transaction.atomic(),
    ):
        ModelVersion.objects.create(artifact="model-b", status=ModelVersion.Status.ACTIVE)
    ModelVersion.objects.create(artifact="model-c", status=ModelVersion.Status.READY)
    assert ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).count() == 1
