"""What people told us about stims they tried: the signals training learns from."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from stims.models import Stim

MIN_RATING, MAX_RATING = 1, 5


def model_storage():
    """Where artifacts and their training curves live, shared by every node that serves."""
    return storages["models"]


class UsageFrequency(models.IntegerChoices):
    """How often a person uses a stim, from their own feedback."""

    NOT_USED = 0, "Not used"
    NOW_AND_THEN = 1, "Now and then"
    WEEKLY = 2, "Every week"
    DAILY = 3, "Every day"
    SEVERAL_TIMES_A_DAY = 4, "Several times a day"


class Interaction(models.Model):
    """One person's feedback on one stim; updated in place as their experience changes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interactions"
    )
    # PROTECT: a stim that people gave feedback on is retired, not deleted, so history stays.
    stim = models.ForeignKey(Stim, on_delete=models.PROTECT, related_name="interactions")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_RATING), MaxValueValidator(MAX_RATING)],
        help_text="How helpful it was, 1 (not at all) to 5 (very).",
    )
    usage_frequency = models.PositiveSmallIntegerField(
        choices=UsageFrequency.choices, null=True, blank=True
    )
    still_using = models.BooleanField(default=False)
    harm_reported = models.BooleanField(default=False, help_text="It caused harm or discomfort.")
    dismissed = models.BooleanField(default=False, help_text="Not for me: never suggest it again.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "stim"], name="recommender_interaction_unique_user_stim"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | models.Q(rating__gte=MIN_RATING, rating__lte=MAX_RATING),
                name="recommender_interaction_rating_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(usage_frequency__isnull=True)
                | models.Q(usage_frequency__in=UsageFrequency.values),
                name="recommender_interaction_frequency_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(dismissed=True, still_using=True),
                name="recommender_interaction_dismissed_not_in_use",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=False)
                | models.Q(usage_frequency__isnull=False)
                | models.Q(still_using=True)
                | models.Q(harm_reported=True)
                | models.Q(dismissed=True),
                name="recommender_interaction_has_signal",
            ),
        ]
        indexes = [
            # A person's history, newest first (their pages, the API, exclusions at serving).
            models.Index(fields=["user", "-created_at"], name="recommender_int_user_recent"),
            # Training snapshots: the latest interaction and what changed since a time.
            models.Index(fields=["created_at"], name="recommender_int_created"),
            # Popularity fallback: ratings per stim.
            models.Index(fields=["stim", "rating"], name="recommender_int_stim_rating"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.stim}"

    def clean(self) -> None:
        if self.dismissed and self.still_using:
            raise ValidationError(
                {"still_using": "A stim marked 'not for me' cannot also be one you still use."}
            )
        if not (
            self.rating is not None
            or self.usage_frequency is not None
            or self.still_using
            or self.harm_reported
            or self.dismissed
        ):
            raise ValidationError(
                "Give at least one piece of feedback: a rating, how often you use it, "
                "whether you still use it, harm, or 'not for me'."
            )


class ModelVersion(models.Model):
    """A trained RankingModel: its artifact, how it was made and how well it did."""

    class Status(models.TextChoices):
        READY = "ready", "Ready (not serving)"
        ACTIVE = "active", "Active (serving)"
        RETIRED = "retired", "Retired"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    artifact = models.CharField(
        max_length=200, help_text="Folder of the artifact in the models storage."
    )
    parameters = models.JSONField(default=dict)
    data_snapshot = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict, help_text="Held-out evaluation, with the baselines'.")
    history = models.JSONField(default=dict, help_text="Loss and validation loss per epoch.")
    training_curve = models.FileField(
        storage=model_storage, upload_to="training-curves/", blank=True
    )
    promotion_note = models.TextField(blank=True, help_text="Why it was or was not activated.")
    duration_seconds = models.FloatField(null=True, blank=True)
    stages = models.JSONField(
        default=dict,
        help_text="Seconds and peak memory of read, preprocess, train, evaluate, save.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="active"),
                name="recommender_modelversion_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"Model version {self.pk} ({self.get_status_display()})"

    @property
    def ndcg(self) -> float | None:
        return self.metrics.get("ranking", {}).get("model", {}).get("ndcg")

    def metrics_table(self) -> str:
        """The held-out evaluation as a text table: the model, the baselines, the champion."""
        from .ml.evaluation import RankingMetrics, evaluation_table

        ranking = self.metrics.get("ranking", {})
        if not ranking:
            return "(no evaluation)"
        return evaluation_table(
            {name: RankingMetrics(**figures) for name, figures in ranking.items()},
            rmse_by_name=self.metrics.get("rmse"),
        )


class TrainingRun(models.Model):
    """One request to train: queued, run by a Celery task (perhaps more than once), finished."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (data unchanged)"

    IN_PROGRESS = (State.QUEUED, State.RUNNING)

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    triggered_by = models.CharField(max_length=100, help_text="admin, api, command or schedule")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="training_runs",
    )
    force_activate = models.BooleanField(
        default=False, help_text="Activate the new version even if it ranks worse."
    )
    parameters = models.JSONField(default=dict)
    data_snapshot = models.JSONField(default=dict)
    progress = models.JSONField(default=dict, help_text="Latest epoch and losses while running.")
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    model_version = models.OneToOneField(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="training_run"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one run queued or running: two triggers at once give one training.
            models.UniqueConstraint(
                models.Value(1),
                condition=models.Q(state__in=["queued", "running"]),
                name="recommender_trainingrun_one_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"Training run {self.pk} ({self.get_state_display()})"
