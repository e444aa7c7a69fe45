"""Profiles: what a person tells us so that stims can be matched to them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import get_text_list

from stims.models import UNIT_INTERVAL, Condition, Hobby, Stim

# The fields that say something about a person's health or identity. Admin shows them only to
# staff holding users.view_health_data; logs never carry them; the profile page stores them
# only with the person's health_data_consent.
HEALTH_FIELDS = ("age", "gender", "sexuality", "neurodivergent_conditions")
# How the consent message names the health and identity questions a person answered.
HEALTH_QUESTIONS = {
    "age": "age",
    "gender": "gender",
    "sexuality": "sexuality",
    "neurodivergent_conditions": "conditions",
}
MIN_AGE, MAX_AGE = 3, 120


def health_consent_error(answers: dict, *, consent: bool, consented_before: bool) -> str | None:
    """Why these answers cannot be stored, or None: health and identity answers need consent.
    The profile page and the API both apply it, so neither stores what the other refuses.

    Args:
      answers: the profile's answers as they would be saved (field name -> value).
      consent: health_data_consent as it would be saved.
      consented_before: the stored consent (a person taking it back is told differently).
    """
    answered = [name for name in HEALTH_FIELDS if answers.get(name)]
    if not answered or consent:
        return None
    questions = get_text_list([HEALTH_QUESTIONS[name] for name in answered], "and")
    if consented_before:
        return (
            f"To take back your consent, also clear your answers about {questions}, "
            "then save. Or keep this box ticked."
        )
    return (
        f"Please tick this box so we may store your answers about {questions}. "
        "Or clear those answers."
    )


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
    health_data_consent = models.BooleanField(
        default=False,
        help_text="They agreed that their answers about health and identity (conditions, age, "
        "gender, sexuality) are stored to personalise their suggestions.",
    )
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
