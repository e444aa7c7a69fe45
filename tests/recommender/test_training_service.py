"""Training runs and model versions: the database's limits, requesting, executing, promoting,
failing and scheduling, in the embedded mode or against PostgreSQL and Redis.

Runs are executed directly (enqueue=False) so no message ever reaches a real broker; where the
task queue matters, the on-commit callback is captured, and executed only when Celery runs
tasks inline (the embedded mode).
"""

import io
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from recommender import services
from recommender.data import training_data_read
from recommender.models import Interaction, ModelVersion, TrainingRun, model_storage
from recommender.tasks import retrain_if_data_changed
from stims.models import Stim
from stimsite import celery_app
from tests.factories import InteractionFactory, StimFactory
from tests.recommender.factories import ModelVersionFactory, ProfileFactory, TrainingRunFactory
from tests.score_calculators import feedback_on_every_stim

INLINE = celery_app.conf.task_always_eager  # embedded mode: a queued task runs in this process
PNG = b"\x89PNG\r\n\x1a\n"
CALCULATORS = "tests.score_calculators"
Status, State = ModelVersion.Status, TrainingRun.State


@pytest.fixture
def population(db):
    """seed_demo's 149 stims and 30 synthetic people (plus the demo accounts)."""
    call_command("seed_demo", users=30, seed=1, no_progress=True, stdout=io.StringIO())


@pytest.fixture
def full_feedback(population):
    feedback_on_every_stim()


@pytest.fixture
def small(db):
    """Twelve people with five pieces of feedback each on eight stims: data to read and to
    refuse, too little to train on (every top-k of eight stims looks alike)."""
    stims = StimFactory.create_batch(8)
    for number in range(12):
        person = ProfileFactory(age=20 + number).user
        for offset in range(5):
            stim = stims[(number + offset) % 8]
            InteractionFactory(user=person, stim=stim, rating=1 + (number + offset) % 5)


def request_run(**options) -> TrainingRun:
    run, created = services.training_run_request(
        triggered_by="test", enqueue=False, **{"parameters": {"epochs": 1}, **options}
    )
    assert created
    return run


def train(**options) -> TrainingRun:
    run = request_run(**options)
    services.training_run_execute(training_run_id=run.pk)
    run.refresh_from_db()
    return run


def storage_entries() -> set[str]:
    location = Path(model_storage().location)
    return set(os.listdir(location)) if location.exists() else set()


# The database's limits -------------------------------------------------------------------


def test_the_database_refuses_a_second_active_version(db):
    ModelVersionFactory(status=Status.ACTIVE)
    ModelVersionFactory.create_batch(2, status=Status.READY)
    ModelVersionFactory.create_batch(2, status=Status.RETIRED)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersionFactory(status=Status.ACTIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(status=Status.READY).update(status=Status.ACTIVE)
    assert ModelVersion.objects.filter(status=Status.ACTIVE).count() == 1


@pytest.mark.parametrize("state", [State.QUEUED, State.RUNNING])
def test_the_database_refuses_a_second_run_in_progress(db, state):
    for finished in (State.SUCCEEDED, State.FAILED, State.SKIPPED):
        TrainingRunFactory.create_batch(2, state=finished)
    TrainingRunFactory(state=State.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRunFactory(state=state)
    assert TrainingRun.objects.filter(state__in=TrainingRun.IN_PROGRESS).count() == 1


# Requesting -------------------------------------------------------------------------------


def test_a_second_request_is_told_which_run_is_in_progress(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        run, created = services.training_run_request(triggered_by="admin", requested_by=user)
    assert created and run.state == State.QUEUED and run.requested_by == user
    assert len(callbacks) == 1  # the task is queued once the transaction commits

    for state in TrainingRun.IN_PROGRESS:
        TrainingRun.objects.filter(pk=run.pk).update(state=state)
        with django_capture_on_commit_callbacks() as callbacks:
            again, created = services.training_run_request(triggered_by="schedule")
        assert (again.pk, again.state, created) == (run.pk, state, False)
        assert callbacks == []
    assert TrainingRun.objects.count() == 1

    TrainingRun.objects.filter(pk=run.pk).update(state=State.SUCCEEDED)
    later, created = services.training_run_request(triggered_by="schedule", enqueue=False)
    assert created and later.pk != run.pk


# Executing --------------------------------------------------------------------------------


def test_executing_a_run_trains_saves_and_activates_the_first_version(full_feedback, settings):
    settings.RECOMMENDER_SCORE_CALCULATOR = f"{CALCULATORS}.contrary_scores"
    run = request_run(parameters={"epochs": 2})
    progress_seen = []

    def progress(epoch, logs):
        recorded = TrainingRun.objects.get(pk=run.pk).progress
        progress_seen.append((epoch, recorded["epoch"], recorded["epochs"], set(logs)))

    services.training_run_execute(training_run_id=run.pk, progress=progress)

    run.refresh_from_db()
    assert (run.state, run.error, run.attempts) == (State.SUCCEEDED, "", 1)
    assert run.started_at <= run.finished_at
    assert [seen[:3] for seen in progress_seen] == [(0, 1, 2), (1, 2, 2)]
    assert {"loss", "val_loss"} <= progress_seen[0][3]
    assert run.progress["epoch"] == 2 and {"loss", "val_loss"} <= set(run.progress)

    version = run.model_version
    assert version.ndcg > version.metrics["ranking"]["popularity"]["ndcg"]
    assert version.status == Status.ACTIVE and version.activated_at is not None
    assert version.promotion_note.startswith("activated: NDCG@10")
    assert "against the popularity ranking's" in version.promotion_note  # none was serving
    assert set(version.stages) == {"read", "preprocess", "train", "evaluate", "save"}
    assert run.data_snapshot == version.data_snapshot == training_data_read().snapshot
    assert version.data_snapshot["interactions"] > 0
    assert version.parameters["epochs"] == 2
    assert len(version.history["loss"]) == len(version.history["val_loss"]) == 2
    assert set(version.metrics["ranking"]) == {"model", "popularity", "tag_overlap"}
    assert 0.0 <= version.ndcg <= 1.0
    assert version.metrics["collapse"]["passed"] is True
    assert version.duration_seconds > 0

    folder = Path(model_storage().path(version.artifact))
    assert {path.name for path in folder.iterdir()} == {"manifest.json", "weights.h5"}
    assert storage_entries() == {version.artifact, "training-curves"}  # no .tmp-* left
    assert model_storage().exists(version.training_curve.name)
    with version.training_curve.open("rb") as curve:
        assert curve.read().startswith(PNG)

    again = services.training_run_execute(training_run_id=run.pk)
    assert (again.state, again.attempts, again.model_version) == (State.SUCCEEDED, 1, version)
    assert ModelVersion.objects.count() == 1
    assert storage_entries() == {version.artifact, "training-curves"}


def test_a_run_whose_worker_kept_dying_is_given_up(db):
    run = TrainingRunFactory(state=State.RUNNING, attempts=services.MAX_ATTEMPTS)
    returned = services.training_run_execute(training_run_id=run.pk)
    run.refresh_from_db()
    assert returned.state == run.state == State.FAILED
    assert f"gave up after {services.MAX_ATTEMPTS} attempts" in run.error
    assert run.finished_at is not None and run.model_version is None
    assert not ModelVersion.objects.exists()


def test_a_worse_version_is_kept_ready_unless_staff_force_it(full_feedback, settings):
    settings.RECOMMENDER_SCORE_CALCULATOR = f"{CALCULATORS}.agreed_scores"
    untrained = {"epochs": 1, "learning_rate": 0.0}  # the model stays as initialised

    worse = train(parameters=untrained).model_version
    assert worse.metrics["ranking"]["popularity"]["ndcg"] == 1.0
    assert worse.ndcg < 1.0
    assert worse.status == Status.READY and worse.activated_at is None
    assert worse.promotion_note.startswith("kept ready: NDCG@10")
    assert "against the popularity ranking's 1.0000" in worse.promotion_note

    forced = train(parameters=untrained, force_activate=True).model_version
    assert forced.ndcg < 1.0
    assert forced.status == Status.ACTIVE
    assert forced.promotion_note.startswith("activated by staff (forced); NDCG@10")
    worse.refresh_from_db()
    assert worse.status == Status.READY


def test_a_new_version_is_judged_against_the_serving_one_on_the_same_people(
    full_feedback, settings
):
    settings.RECOMMENDER_SCORE_CALCULATOR = f"{CALCULATORS}.contrary_scores"
    serving = train(parameters={"epochs": 1, "learning_rate": 0.0}).model_version
    assert serving.status == Status.ACTIVE
    assert "champion" not in serving.metrics["ranking"]

    challenger = train(parameters={"epochs": 2}).model_version

    ranking = challenger.metrics["ranking"]
    assert ranking["champion"]["ndcg"] == pytest.approx(serving.ndcg, abs=1e-6)
    assert ranking["champion"]["users"] == ranking["model"]["users"]
    assert challenger.metrics["held_out_users"] == serving.metrics["held_out_users"]
    assert f"against serving version {serving.pk}'s" in challenger.promotion_note
    serving.refresh_from_db()
    if challenger.ndcg >= ranking["champion"]["ndcg"]:
        assert (challenger.status, serving.status) == (Status.ACTIVE, Status.READY)
        assert serving.promotion_note == f"served until version {challenger.pk} was activated"
    else:
        assert (challenger.status, serving.status) == (Status.READY, Status.ACTIVE)
        assert challenger.promotion_note.startswith("kept ready: NDCG@10")


def test_a_training_that_raises_is_recorded_and_the_serving_version_keeps_serving(small, settings):
    serving = ModelVersionFactory(status=Status.ACTIVE)
    settings.RECOMMENDER_SCORE_CALCULATOR = f"{CALCULATORS}.out_of_range_scores"
    run = request_run()

    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        services.training_run_execute(training_run_id=run.pk)

    run.refresh_from_db()
    assert run.state == State.FAILED
    assert run.error.startswith("ValueError: score_calculator gave scores outside [0, 1]")
    assert run.finished_at is not None and run.model_version is None
    assert run.data_snapshot["fingerprint"] == training_data_read().snapshot["fingerprint"]
    assert list(ModelVersion.objects.all()) == [serving]
    serving.refresh_from_db()
    assert serving.status == Status.ACTIVE
    assert storage_entries() == set()


def test_an_artifact_that_fails_half_way_leaves_nothing_in_the_models_storage(
    population, monkeypatch
):
    def half_written(trained, folder):
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text("{}")
        raise OSError("No space left on device")

    monkeypatch.setattr("recommender.ml.artifacts.save_artifact", half_written)
    run = request_run()

    with pytest.raises(OSError, match="No space left"):
        services.training_run_execute(training_run_id=run.pk)

    run.refresh_from_db()
    assert (run.state, run.error) == (State.FAILED, "OSError: No space left on device")
    assert not ModelVersion.objects.exists()
    assert storage_entries() == set()


@pytest.mark.django_db(transaction=True)
def test_held_out_people_who_rated_nothing_highly_still_give_a_version():
    """Every score is 0.5, below the 0.7 that counts as relevant, so recall@10 has nobody to
    average over and is NaN; the version must still be recorded (NaN is not JSON: SQLite's
    JSON_VALID and PostgreSQL's jsonb refuse it). Committed for real (transaction=True) so the
    failure shows as it would in a worker, not as a broken test transaction."""
    call_command("seed_demo", users=30, seed=1, no_progress=True, stdout=io.StringIO())
    Interaction.objects.update(
        rating=3, usage_frequency=None, still_using=False, harm_reported=False, dismissed=False
    )  # every score 0.5
    run = request_run()

    services.training_run_execute(training_run_id=run.pk)

    run.refresh_from_db()
    assert run.state == State.SUCCEEDED, run.error
    version = ModelVersion.objects.get()
    assert 0.0 <= version.ndcg <= 1.0
    assert storage_entries() == {version.artifact, "training-curves"}


# Activating and retiring ------------------------------------------------------------------


def test_activating_a_version_makes_the_serving_one_ready_for_rollback(db):
    old = ModelVersionFactory(status=Status.ACTIVE)
    new = ModelVersionFactory(status=Status.READY)

    services.model_version_activate(version=new, note="activated by robin")

    old.refresh_from_db()
    new.refresh_from_db()
    assert (new.status, new.promotion_note) == (Status.ACTIVE, "activated by robin")
    assert new.activated_at is not None
    assert (old.status, old.promotion_note) == (
        Status.READY,
        f"served until version {new.pk} was activated",
    )
    assert services.model_version_active() == new


def test_only_a_version_that_is_not_serving_can_be_retired(db):
    serving = ModelVersionFactory(status=Status.ACTIVE)
    spare = ModelVersionFactory(status=Status.READY)

    with pytest.raises(ValueError, match="serving version cannot be retired"):
        services.model_version_retire(version=serving)
    services.model_version_retire(version=spare)

    serving.refresh_from_db()
    spare.refresh_from_db()
    assert (serving.status, spare.status) == (Status.ACTIVE, Status.RETIRED)


# Scheduling -------------------------------------------------------------------------------


def last_training_saw_the_current_data(*, version_status=Status.ACTIVE) -> TrainingRun:
    snapshot = training_data_read().snapshot
    return TrainingRunFactory(
        state=State.SUCCEEDED,
        data_snapshot=snapshot,
        model_version=ModelVersionFactory(status=version_status, data_snapshot=snapshot),
    )


def test_the_schedule_skips_data_that_has_not_changed(
    small, served_artifact, django_capture_on_commit_callbacks
):
    last = last_training_saw_the_current_data()
    shutil.copytree(served_artifact, model_storage().path(last.model_version.artifact))
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.training_run_schedule() is None
        assert retrain_if_data_changed() is None
    assert callbacks == []
    assert TrainingRun.objects.count() == 1


def test_the_schedule_trains_unchanged_data_when_no_version_serves(
    small, django_capture_on_commit_callbacks
):
    last = last_training_saw_the_current_data(version_status=Status.RETIRED)
    with django_capture_on_commit_callbacks() as callbacks:
        run = services.training_run_schedule()
    assert run is not None and run.pk != last.pk
    assert (run.state, run.triggered_by) == (State.QUEUED, "schedule")
    assert len(callbacks) == 1


@pytest.mark.parametrize("damage", ["deleted", "corrupted"])
def test_the_schedule_trains_unchanged_data_when_the_serving_artifact_cannot_load(
    small, served_artifact, damage, caplog
):
    """The repair of an artifact lost on disk: what serves meanwhile is the popularity
    ranking (tests/recommender/test_recommendations.py), which the new version must match."""
    last = last_training_saw_the_current_data()
    if damage == "corrupted":
        folder = Path(model_storage().path(last.model_version.artifact))
        shutil.copytree(served_artifact, folder)
        (folder / "weights.h5").write_bytes(b"not HDF5 at all")
    run = services.training_run_schedule()
    assert run is not None and (run.state, run.triggered_by) == (State.QUEUED, "schedule")
    version = last.model_version.pk
    assert f"serving version {version} cannot be loaded: training a replacement" in caplog.text
    assert f"model version {version} cannot be loaded from its artifact" in caplog.text


def test_new_feedback_makes_the_schedule_train_inline_in_the_embedded_mode(
    population, django_capture_on_commit_callbacks
):
    last = last_training_saw_the_current_data()
    person = Interaction.objects.first().user
    untried = Stim.objects.exclude(interactions__user=person).first()
    InteractionFactory(user=person, stim=untried, rating=5)

    with django_capture_on_commit_callbacks(execute=INLINE) as callbacks:
        run = services.training_run_schedule()
        assert run.state == State.QUEUED  # nothing runs before the transaction commits

    assert callbacks  # the run is sent on commit (inline, activating may add the serving reset)
    run.refresh_from_db()
    assert run.triggered_by == "schedule"
    if INLINE:
        assert run.state == State.SUCCEEDED, run.error
        assert run.model_version.data_snapshot == run.data_snapshot
        new_fingerprint = run.data_snapshot["fingerprint"]
        assert new_fingerprint != last.data_snapshot["fingerprint"]
    else:  # a worker would take it from Redis; this test sends nothing there
        assert run.state == State.QUEUED
