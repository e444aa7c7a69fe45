"""Writes of the recommender: people's feedback, training runs and model versions.

A training run is requested (at most one queued or running: the database refuses a second),
then executed by the Celery task `retrain_model`, in a worker or inline. Execution never
touches the version that is serving unless the new one is at least as good on the same
held-out users, or staff force it.
"""

import io
import logging
import time
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as BrokerUnreachable

from .artifact_storage import (
    artifact_delete,
    artifact_local_folder,
    artifact_temporaries_remove,
    artifact_write,
)
from .data import training_data_read
from .models import Interaction, ModelVersion, TrainingRun

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a run whose worker died this many times is given up


class TrainingFailed(Exception):
    """The run finished without a usable model; its error is recorded on the run."""


def training_run_request(
    *,
    triggered_by: str,
    requested_by=None,
    force_activate: bool = False,
    parameters: dict | None = None,
    enqueue: bool = True,
) -> tuple[TrainingRun, bool]:
    """Creates a training run, unless one is queued or running already.

    Args:
      enqueue: send it to the Celery task once the transaction commits (a worker, or inline
        in the embedded mode); False when the caller executes it itself.

    Returns:
      (run, created): the new run, or the one in progress with created=False, so a second
      caller can be told which run is training.
    """

    try:
        with transaction.atomic():
            run = TrainingRun.objects.create(
                triggered_by=triggered_by,
                requested_by=requested_by,
                force_activate=force_activate,
                parameters=parameters or {},
            )
    except IntegrityError:
        return TrainingRun.objects.get(state__in=TrainingRun.IN_PROGRESS), False
    if enqueue:
        # robust: a training that fails inline (embedded mode) is recorded on the run; it must
        # not turn the request that started it into an error page.
        transaction.on_commit(lambda: _training_run_send(run.pk), robust=True)
    return run, True


def training_run_execute(*, training_run_id: int, progress=None) -> TrainingRun:
    """Trains, evaluates, saves and perhaps activates; idempotent for a finished run.

    Args:
      training_run_id: the run to execute.
      progress: optional progress(epoch, logs) for a progress bar; the run's own progress
        field is updated either way.
    """
    from .ml.artifacts import save_artifact
    from .ml.stages import StageClock
    from .ml.training import TrainingConfig, train_ranking_model

    run = _training_run_claim(training_run_id)
    if run.state != TrainingRun.State.RUNNING:
        return run
    artifact_temporaries_remove()
    started = time.monotonic()
    clock = StageClock()
    try:
        with clock.stage("read"):
            data = training_data_read()
        run.data_snapshot = data.snapshot
        run.save(update_fields=["data_snapshot"])
        config = TrainingConfig(**run.parameters)

        def on_epoch(epoch: int, logs: dict) -> None:
            run.progress = {"epoch": epoch + 1, "epochs": config.epochs, **_rounded(logs)}
            TrainingRun.objects.filter(pk=run.pk).update(progress=run.progress)
            if progress:
                progress(epoch, logs)

        champion = model_version_active()
        result = train_ranking_model(
            *data.frames(),
            config=config,
            score_calculator=import_string(settings.RECOMMENDER_SCORE_CALCULATOR),
            progress=on_epoch,
            champion=_loaded(champion),
        )
        if not result.evaluation.collapse.passed:
            raise TrainingFailed(f"collapse check failed: {result.evaluation.collapse.reason}")
        with clock.stage("save"):
            artifact = artifact_write(lambda folder: save_artifact(result.trained, folder))
        version = _model_version_record(
            artifact,
            curve_png=_curve_png(result.history),
            parameters=config.as_dict(),
            data_snapshot=data.snapshot,
            metrics=result.evaluation.as_dict(),
            history=result.history,
            duration_seconds=time.monotonic() - started,
            stages={"read": clock.stages["read"], **result.stages, "save": clock.stages["save"]},
        )
        _promote(version, champion=champion, force=run.force_activate)
    except Exception as error:
        logger.exception("training run %s failed", run.pk)
        reason = _time_limit_in(error) or error
        _training_run_finish(
            run, state=TrainingRun.State.FAILED, error=f"{type(reason).__name__}: {reason}"
        )
        raise
    _training_run_finish(run, state=TrainingRun.State.SUCCEEDED, version=version)
    return run


def _training_run_send(training_run_id: int) -> None:
    """Sends the run to the task; if the broker cannot take it, the run fails with the reason,
    so it does not stay queued for ever and block every later trigger."""
    from .tasks import retrain_model

    try:
        retrain_model.delay(training_run_id)
    except (BrokerUnreachable, OSError) as error:
        training_run_fail(training_run_id=training_run_id, error=f"could not be queued: {error}")


def _time_limit_in(error: BaseException) -> SoftTimeLimitExceeded | None:
    """The soft time limit, when it is what stopped training: TensorFlow may re-raise it
    wrapped in another exception, which would hide the real reason from staff."""
    while error is not None:
        if isinstance(error, SoftTimeLimitExceeded):
            return error
        error = error.__cause__ or error.__context__
    return None


def training_run_fail(*, training_run_id: int, error: str) -> None:
    """Marks a run that is still queued or running as failed (a lost message, a hard limit)."""
    TrainingRun.objects.filter(pk=training_run_id, state__in=TrainingRun.IN_PROGRESS).update(
        state=TrainingRun.State.FAILED, error=error, finished_at=timezone.now()
    )


def _model_version_record(artifact: str, *, curve_png: bytes, **fields) -> ModelVersion:
    """Records the version of a written artifact; if that fails, the artifact is removed, so
    no folder is left that no version points to."""
    try:
        with transaction.atomic():
            version = ModelVersion.objects.create(artifact=artifact, **fields)
            version.training_curve.save(f"version-{version.pk}.png", ContentFile(curve_png))
    except BaseException:
        artifact_delete(artifact)
        raise
    return version


@transaction.atomic
def _training_run_claim(training_run_id: int) -> TrainingRun:
    """Marks the run running (again, if its worker died); gives up after MAX_ATTEMPTS."""
    run = TrainingRun.objects.select_for_update().get(pk=training_run_id)
    if run.state not in TrainingRun.IN_PROGRESS:
        return run  # finished already: a redelivered task does nothing
    if run.attempts >= MAX_ATTEMPTS:
        run.state, run.finished_at = TrainingRun.State.FAILED, timezone.now()
        run.error = f"gave up after {run.attempts} attempts (the worker stopped each time)"
        run.save()
        return run
    run.state, run.attempts = TrainingRun.State.RUNNING, run.attempts + 1
    run.started_at = run.started_at or timezone.now()
    run.save()
    return run


def _training_run_finish(run: TrainingRun, *, state: str, error: str = "", version=None) -> None:
    run.state, run.error, run.finished_at = state, error, timezone.now()
    run.model_version = version
    run.save()


def _promote(version: ModelVersion, *, champion: ModelVersion | None, force: bool) -> None:
    """Activates the version if it ranks held-out users at least as well as what serves now:
    the champion version, or, with none (or none loadable), the popularity ranking."""
    ranking = version.metrics["ranking"]
    if "champion" in ranking:
        rival, rival_ndcg = f"serving version {champion.pk}", ranking["champion"]["ndcg"]
    else:
        rival, rival_ndcg = "the popularity ranking", ranking["popularity"]["ndcg"]
    comparison = (
        f"NDCG@10 {version.ndcg:.4f} against {rival}'s {rival_ndcg:.4f} on the same held-out users"
    )
    if force:
        model_version_activate(version=version, note=f"activated by staff (forced); {comparison}")
    elif version.ndcg >= rival_ndcg:
        model_version_activate(version=version, note=f"activated: {comparison}")
    else:
        version.promotion_note = f"kept ready: {comparison}"
        version.save(update_fields=["promotion_note"])


@transaction.atomic
def model_version_activate(*, version: ModelVersion, note: str = "activated by staff") -> None:
    """Makes this version the one serving; the previous one becomes ready (for rollback)."""
    ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).exclude(pk=version.pk).update(
        status=ModelVersion.Status.READY,
        promotion_note=f"served until version {version.pk} was activated",
    )
    version.status, version.activated_at, version.promotion_note = (
        ModelVersion.Status.ACTIVE,
        timezone.now(),
        note,
    )
    version.save(update_fields=["status", "activated_at", "promotion_note"])
    # robust: the activation stands whatever befalls the refresh (run inline when embedded)
    transaction.on_commit(recommendations_refresh_queue, robust=True)


def model_version_retire(*, version: ModelVersion) -> None:
    """Retires a version that is not serving; the serving one must be replaced first."""
    if version.status == ModelVersion.Status.ACTIVE:
        raise ValueError("the serving version cannot be retired: activate another one first")
    version.status = ModelVersion.Status.RETIRED
    version.save(update_fields=["status"])


def model_version_active() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()


def _loaded(version: ModelVersion | None):
    """The version's model, or None when its artifact cannot be loaded (logged, not fatal)."""
    from .ml.artifacts import ArtifactError, load_artifact

    if version is None:
        return None
    try:
        return load_artifact(artifact_local_folder(version.artifact))
    except ArtifactError:
        logger.exception("model version %s cannot be loaded from its artifact", version.pk)
        return None


def _curve_png(history: dict[str, list[float]]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6, 3.5), dpi=100)
    epochs = range(1, len(history.get("loss", [])) + 1)
    for key, label in (("loss", "training loss"), ("val_loss", "validation loss")):
        if key in history:
            axes.plot(epochs, history[key], marker="o", label=label)
    axes.set_xlabel("epoch")
    axes.set_ylabel("mean squared error")
    axes.legend()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return buffer.getvalue()


def _rounded(logs: dict) -> dict:
    return {name: round(float(value), 5) for name, value in logs.items()}


def training_run_schedule() -> TrainingRun | None:
    """Queues a run for the schedule, or None when the data has not changed since the last
    successful run (same fingerprint) and the serving version loads. An artifact deleted or
    damaged on disk is repaired this way: the new version is judged against the popularity
    ranking, which is what serves meanwhile."""
    last = TrainingRun.objects.filter(state=TrainingRun.State.SUCCEEDED).first()
    fingerprint = training_data_read().snapshot["fingerprint"]
    active = model_version_active()
    if last and active and last.data_snapshot.get("fingerprint") == fingerprint:
        if _loaded(active) is not None:
            logger.info("scheduled training skipped: data unchanged (fingerprint %s)", fingerprint)
            return None
        logger.error("serving version %s cannot be loaded: training a replacement", active.pk)
    run, _ = training_run_request(triggered_by="schedule")
    return run


FEEDBACK_SIGNALS = frozenset(
    {"rating", "usage_frequency", "still_using", "harm_reported", "dismissed"}
)


@transaction.atomic
def interaction_feedback_give(*, user, stim, **signals) -> Interaction:
    """Records a person's feedback on one stim, on their one record of it: the signals given
    are changed, the rest kept. "Not for me" (dismissed) means not in use, and "I use this
    now" (still_using) takes back a "not for me".

    Raises:
      ValidationError: the result breaks the model's rules, or the stim is retired.
      TypeError: a signal that is not a field of feedback.
    """
    unknown = signals.keys() - FEEDBACK_SIGNALS
    if unknown:
        raise TypeError(f"not feedback: {', '.join(sorted(unknown))}")
    if not stim.is_active:
        raise ValidationError({"stim": "This stim is retired: it takes no new feedback."})
    if signals.get("dismissed"):
        signals["still_using"] = False
    if signals.get("still_using"):
        signals["dismissed"] = False
    candidate = Interaction.objects.select_for_update().filter(user=user, stim=stim).first()
    candidate = candidate or Interaction(user=user, stim=stim)
    for name, value in signals.items():
        setattr(candidate, name, value)
    # The check constraints restate clean(): checking them too would repeat its messages.
    candidate.full_clean(validate_unique=False, validate_constraints=False)
    # update_or_create, not save(): two first clicks at once give one record, not an error.
    interaction, _ = Interaction.objects.update_or_create(user=user, stim=stim, defaults=signals)
    return interaction


# Precomputed lists ---------------------------------------------------------------------------


def recommendations_refresh_queue() -> None:
    """Queues the refresh of recently active people's lists (after a version is activated),
    so they find their new list ready; a broker that cannot take it is logged, not raised."""
    from .tasks import recommendations_refresh_recent

    try:
        recommendations_refresh_recent.delay()
    except (BrokerUnreachable, OSError) as error:
        logger.warning("the refresh of recent people's lists could not be queued: %s", error)


def recently_active_user_ids(*, days: int) -> list[int]:
    """Active accounts that gave or changed feedback, or logged in, in the last days."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    since = timezone.now() - timedelta(days=days)
    recent = (
        Q(last_login__gte=since)
        | Q(interactions__created_at__gte=since)
        | Q(interactions__updated_at__gte=since)
    )
    people = get_user_model().objects.filter(recent, is_active=True)
    return list(people.values_list("pk", flat=True).distinct().order_by("pk"))


def recommendations_precompute_for(*, user_ids: list[int]) -> int:
    """Computes and caches each person's list, unless cached already under what serves now
    (so a repeated task does nothing); people deleted or deactivated since are skipped.

    Returns:
      how many people's lists were read or made.
    """
    from django.contrib.auth import get_user_model

    from .selectors import recommendations_for_user

    people = get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("pk")
    done = 0
    for person in people:
        try:  # one person's failure must not cost the rest of the chunk their lists
            recommendations_for_user(user=person, k=settings.RECOMMENDER_DEFAULT_K)
        except Exception:
            logger.exception("the list of user %s could not be precomputed", person.pk)
        else:
            done += 1
    return done
