"""The stim catalogue: what can be recommended, and the vocabularies shared with profiles."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.text import slugify

UNIT_INTERVAL = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class HarmBand(models.TextChoices):
    """Harmfulness scores read by people: staff filter by band, users see the band."""

    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"

    @classmethod
    def bounds(cls) -> dict[str, tuple[float, float]]:
        """Half-open [lower, upper) score ranges; the top band includes 1.0."""
        return {cls.LOW: (0.0, 0.3), cls.MODERATE: (0.3, 0.6), cls.HIGH: (0.6, 1.01)}

    @classmethod
    def of(cls, score: float) -> "HarmBand":
        return next(band for band, (lower, upper) in cls.bounds().items() if lower <= score < upper)


class Category(models.TextChoices):
    """Sensory kinds: the sense a stim mainly feeds."""

    TACTILE = "tactile", "Tactile (touch)"
    ORAL = "oral", "Oral (mouth)"
    VISUAL = "visual", "Visual"
    AUDITORY = "auditory", "Auditory (hearing)"
    VOCAL = "vocal", "Vocal"
    VESTIBULAR = "vestibular", "Vestibular (balance)"
    PROPRIOCEPTIVE = "proprioceptive", "Proprioceptive (pressure)"
    MOVEMENT = "movement", "Movement"
    OLFACTORY = "olfactory", "Olfactory (smell)"

    @classmethod
    def similar_to(cls, category: str) -> tuple["Category", ...]:
        """The kind itself, then the kinds that feed a nearby sense, closest first: where a
        safer alternative to a harmful stim is looked for."""
        return (cls(category), *SIMILAR_CATEGORIES[cls(category)])


SIMILAR_CATEGORIES = {
    Category.TACTILE: (Category.PROPRIOCEPTIVE, Category.ORAL),
    Category.ORAL: (Category.TACTILE, Category.PROPRIOCEPTIVE),
    Category.VISUAL: (Category.AUDITORY, Category.MOVEMENT),
    Category.AUDITORY: (Category.VOCAL, Category.VISUAL),
    Category.VOCAL: (Category.AUDITORY, Category.ORAL),
    Category.VESTIBULAR: (Category.MOVEMENT, Category.PROPRIOCEPTIVE),
    Category.PROPRIOCEPTIVE: (Category.TACTILE, Category.VESTIBULAR, Category.MOVEMENT),
    Category.MOVEMENT: (Category.VESTIBULAR, Category.PROPRIOCEPTIVE),
    Category.OLFACTORY: (Category.ORAL, Category.TACTILE),
}


class NamedModel(models.Model):
    """A record known by a unique name (case-insensitively) and a slug made from it."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="%(app_label)s_%(class)s_unique_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.fill_slug()
        super().save(*args, **kwargs)

    def fill_slug(self) -> None:
        """Make the slug from the name unless staff chose one."""
        if not self.slug:
            self.slug = slugify(self.name)[: self._meta.get_field("slug").max_length]


class Condition(NamedModel):
    """A neurodivergent or mental-health condition (autism, ADHD, anxiety ...)."""


class Hobby(NamedModel):
    """An interest or pastime, used to match stims to what people already enjoy."""

    class Meta(NamedModel.Meta):
        verbose_name_plural = "hobbies"


class Stim(NamedModel):
    """A stimming mechanism: a tool, a movement, a sound or a routine."""

    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    harmfulness_score = models.FloatField(
        validators=UNIT_INTERVAL,
        help_text="0 = harmless, 1 = causes injury. Low < 0.3 ≤ moderate < 0.6 ≤ high.",
    )
    conditions = models.ManyToManyField(Condition, related_name="stims", blank=True)
    hobbies = models.ManyToManyField(Hobby, related_name="stims", blank=True)
    is_active = models.BooleanField(
        default=True, help_text="Retired stims are kept for history but never recommended."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(NamedModel.Meta):
        constraints = [
            *NamedModel.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(harmfulness_score__gte=0.0, harmfulness_score__lte=1.0),
                name="stims_stim_harmfulness_in_unit_interval",
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=Category.values),
                name="stims_stim_category_known",
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "category"], name="stims_stim_active_category")
        ]

    @property
    def harm_band(self) -> HarmBand:
        return HarmBand.of(self.harmfulness_score)
