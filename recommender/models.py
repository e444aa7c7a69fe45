"""What people told us about stims they tried: the signals training learns from."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from stims.models import Stim

MIN_RATING, MAX_RATING = 1, 5


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
