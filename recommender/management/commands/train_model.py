"""manage.py train_model: train a new model version now, with a progress bar."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from recommender.ml.training import TrainingConfig
from recommender.models import TrainingRun
from recommender.services import training_run_execute, training_run_request

POLL_SECONDS = 2.0


class Command(BaseCommand):
    help = (
        "Train a model version on the current data and activate it if it ranks held-out users "
        "at least as well as the serving one (or always, with --force-activate). Trains in this "
        "process; --queue sends it to the Celery training worker and follows its progress."
    )

    def add_arguments(self, parser) -> None:
        defaults = TrainingConfig()
        parser.add_argument("--epochs", type=int, default=defaults.epochs)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--force-activate", action="store_true")
        parser.add_argument("--queue", action="store_true", help="train in the Celery worker")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, epochs, seed, force_activate, queue, no_progress, **options) -> None:
        if epochs < 1:
            raise CommandError("--epochs must be at least 1")
        run, created = training_run_request(
            triggered_by="command",
            force_activate=force_activate,
            parameters={"epochs": epochs, "seed": seed},
            enqueue=queue,
        )
        if not created:
            raise CommandError(f"Training run {run.pk} is already {run.state}: wait for it.")
        with tqdm(total=epochs, unit="epoch", disable=no_progress) as bar:
            if queue:
                run = self._follow(run, bar)
            else:
                try:
                    run = training_run_execute(
                        training_run_id=run.pk,
                        progress=lambda epoch, logs: self._advance(bar, epoch + 1, logs),
                    )
                except Exception as error:
                    raise CommandError(f"Training run {run.pk} failed: {error}") from error
        self._report(run)

    def _follow(self, run: TrainingRun, bar) -> TrainingRun:
        while run.state in TrainingRun.IN_PROGRESS:
            time.sleep(POLL_SECONDS)
            run.refresh_from_db()
            if run.progress:
                self._advance(bar, run.progress["epoch"], run.progress)
        return run

    @staticmethod
    def _advance(bar, epoch: int, logs: dict) -> None:
        bar.update(epoch - bar.n)
        bar.set_postfix(
            loss=f"{logs.get('loss', 0):.4f}", val_loss=f"{logs.get('val_loss', 0):.4f}"
        )

    def _report(self, run: TrainingRun) -> None:
        if run.state != TrainingRun.State.SUCCEEDED:
            raise CommandError(f"Training run {run.pk} {run.state}: {run.error}")
        version = run.model_version
        self.stdout.write(
            f"Training run {run.pk} made model version {version.pk} ({version.status}): "
            f"{version.promotion_note}"
        )
        self.stdout.write(version.metrics_table())
