"""Celery tasks of the recommender. They take ids and call a service; see docs/training.md."""

from billiard.exceptions import TimeLimitExceeded
from celery import Task, group, shared_task

TRAINING_SOFT_TIME_LIMIT = 60 * 60
TRAINING_TIME_LIMIT = TRAINING_SOFT_TIME_LIMIT + 5 * 60


class TrainingTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        """A hard time limit kills the child and acknowledges the message, so nothing will
        redeliver it: record the run as failed (a lost worker is redelivered instead)."""
        if isinstance(exc, TimeLimitExceeded):
            from recommender.services import training_run_fail

            training_run_fail(training_run_id=args[0], error=f"TimeLimitExceeded: {exc}")


@shared_task(
    bind=True,
    base=TrainingTask,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=TRAINING_SOFT_TIME_LIMIT,
    time_limit=TRAINING_TIME_LIMIT,
)
def retrain_model(self, training_run_id: int) -> int:
    """Executes a training run; a redelivered message (worker lost) resumes the same run."""
    from recommender.services import training_run_execute

    def report(epoch: int, logs: dict) -> None:
        if not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"epoch": epoch + 1, **logs})

    training_run_execute(training_run_id=training_run_id, progress=report)
    return training_run_id


@shared_task
def retrain_if_data_changed() -> int | None:
    """Scheduled: queues a training run unless the data is as the last successful run saw it."""
    from recommender.services import training_run_schedule

    run = training_run_schedule()
    return run.pk if run else None


@shared_task
def recommendations_precompute(user_ids: list[int]) -> int:
    """Computes and caches these people's lists; idempotent (a cached list is kept)."""
    from recommender.services import recommendations_precompute_for

    return recommendations_precompute_for(user_ids=user_ids)


@shared_task
def recommendations_refresh_recent(days: int = 14, chunk_size: int = 200) -> dict:
    """Fans out the precomputation of recently active people's lists, chunk_size people per
    task; queued when a version is activated. Inline in the embedded mode (small data)."""
    from recommender.services import recently_active_user_ids

    user_ids = recently_active_user_ids(days=days)
    chunks = [user_ids[start : start + chunk_size] for start in range(0, len(user_ids), chunk_size)]
    if chunks:
        group(recommendations_precompute.s(chunk) for chunk in chunks).apply_async()
    return {"people": len(user_ids), "chunks": len(chunks)}
