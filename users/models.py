"""Profiles: what a person tells us so that stims can be matched to them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from stims.models import UNIT_INTERVAL, Condition, Hobby, Stim

# The fields that say something about a person's health or identity. Admin shows them only to
# staff holding users.view_health_data; logs never carry them.
HEALTH_FIELDS = ("age", "gender", "sexuality", "neurodivergent_conditions")
MIN_AGE, MAX_AGE = 3, 120


class Profile(models.Model):
    """One per auth user, created with it. Every answer is optional."""

    class Gender(models.TextChoices):
        WOMAN = "woman", "Woman"
        MAN = "man", "Man"
        NON_BINARY = "non_binary", "Non-binary"
        OTHER = "other", "Another gender"

    class Sexuality(models.TextChoices):
        HETEROSEXUAL = "heterosexual", "Heterosexual"
        GAY_OR_LESBIAN = "gay_or_lesbian", "Gay or lesbian"
        BISEXUAL = "bisexual", "Bisexual"
        PANSEXUAL = "pansexual", "Pansexual"
        ASEXUAL = "asexual", "Asexual"
        QUEER = "queer", "Queer"
        OTHER = "other", "Another sexuality"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(MIN_AGE), MaxValueValidator(MAX_AGE)]
    )
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True)
    sexuality = models.CharField(max_length=20, choices=Sexuality.choices, blank=True)
    neurodivergent_conditions = models.ManyToManyField(
        Condition, related_name="profiles", blank=True
    )
    hobbies = models.ManyToManyField(Hobby, related_name="profiles", blank=True)
    other_hobbies = models.CharField(
        max_length=300, blank=True, help_text="Interests not in the list, in your own words."
    )
    stimming_essentiality_score = models.FloatField(
        default=0.5,
        validators=UNIT_INTERVAL,
        help_text="How much stimming matters in your day: 0 = hardly, 1 = essential.",
    )
    current_stims = models.ManyToManyField(Stim, related_name="current_profiles", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("view_health_data", "Can see profile health and identity fields")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(age__isnull=True) | models.Q(age__gte=MIN_AGE, age__lte=MAX_AGE),
                name="users_profile_age_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    stimming_essentiality_score__gte=0.0, stimming_essentiality_score__lte=1.0
                ),
                name="users_profile_essentiality_in_unit_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user}"
