"""The recommender's API shapes: ranked lists, feedback, model versions and training runs."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from stims.models import Category, HarmBand, Stim
from stimsite.api import validation_error_from_django
from users.serializers import AccountSerializer, ProfileSerializer

from .models import Interaction, ModelVersion, TrainingRun
from .selectors import SOURCE_MODEL, SOURCE_POPULARITY


class RecommendationQuerySerializer(serializers.Serializer):
    k = serializers.IntegerField(
        min_value=1,
        max_value=settings.RECOMMENDER_MAX_K,
        default=settings.RECOMMENDER_DEFAULT_K,
        help_text="How many stims to return.",
    )
    exclude_current = serializers.BooleanField(
        default=False, help_text="Leave out the stims the person does already."
    )


class StaffRecommendationQuerySerializer(RecommendationQuerySerializer):
    unfiltered = serializers.BooleanField(
        default=False,
        help_text="Every stim by score, harmful ones included, each with why the harm policy "
        "would withhold it. Never shown to the person.",
    )


class RankedStimSerializer(serializers.Serializer):
    stim_id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    harmfulness_score = serializers.FloatField()
    harm_band = serializers.ChoiceField(choices=HarmBand.choices)
    score = serializers.FloatField(help_text="How well it suits the person, 0 to 1.")
    reason = serializers.CharField()
    current = serializers.BooleanField(help_text="The person does it now.")
    withheld = serializers.CharField(
        help_text="Unfiltered lists only: why the harm policy keeps it from the person."
    )


class SaferAlternativesSerializer(serializers.Serializer):
    instead_of = RankedStimSerializer()
    stims = RankedStimSerializer(many=True)


class RecommendationsSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    source = serializers.ChoiceField(
        choices=[SOURCE_MODEL, SOURCE_POPULARITY],
        help_text="`model`: the active model version ranked them; `popularity`: no model "
        "could, and the stims most people found helpful are shown (see `notice`).",
    )
    model_version = serializers.IntegerField(allow_null=True)
    notice = serializers.CharField()
    unfiltered = serializers.BooleanField()
    stims = RankedStimSerializer(many=True)
    safer_alternatives = SaferAlternativesSerializer(many=True)


class InteractionSerializer(serializers.ModelSerializer):
    """Feedback on one stim. The database's rules are checked here first, so breaking one is
    a 400 naming the field, never a server error."""

    stim = serializers.PrimaryKeyRelatedField(queryset=Stim.objects.filter(is_active=True))
    stim_name = serializers.CharField(source="stim.name", read_only=True)

    class Meta:
        model = Interaction
        fields = (
            "id", "stim", "stim_name", "rating", "usage_frequency", "still_using",
            "harm_reported", "dismissed", "created_at", "updated_at",
        )  # fmt: skip
        read_only_fields = ("created_at", "updated_at")

    def validate_stim(self, stim: Stim) -> Stim:
        if self.instance is not None and stim != self.instance.stim:
            raise serializers.ValidationError(
                "Feedback stays with its stim; give feedback on the other stim instead."
            )
        user = self.context["request"].user
        if self.instance is None and Interaction.objects.filter(user=user, stim=stim).exists():
            raise serializers.ValidationError(
                "You have given feedback on this stim already; change it with PATCH on it."
            )
        return stim

    def validate(self, attrs: dict) -> dict:
        """Runs the model's own validation (signals given, no contradiction) on the result."""
        candidate = Interaction(user=self.context["request"].user)
        for field in Interaction._meta.concrete_fields:
            if self.instance is not None:
                setattr(candidate, field.attname, getattr(self.instance, field.attname))
        for name, value in attrs.items():
            setattr(candidate, name, value)
        try:
            # Constraints mirror clean()'s rules; checked once, by clean(), for one message.
            candidate.full_clean(
                exclude=["user", "stim"], validate_unique=False, validate_constraints=False
            )
        except DjangoValidationError as error:
            raise validation_error_from_django(error) from None
        return attrs


class ModelVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = (
            "id", "status", "created_at", "activated_at", "promotion_note", "metrics",
            "parameters", "data_snapshot", "duration_seconds",
        )  # fmt: skip
        read_only_fields = fields


class TrainingRunSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TrainingRun
        fields = (
            "id", "state", "triggered_by", "requested_by", "force_activate", "parameters",
            "progress", "attempts", "error", "model_version", "data_snapshot", "created_at",
            "started_at", "finished_at",
        )  # fmt: skip
        read_only_fields = tuple(set(fields) - {"force_activate"})


class TrainingRunRequestSerializer(serializers.Serializer):
    force_activate = serializers.BooleanField(
        default=False, help_text="Activate the new version even if it ranks worse."
    )
    epochs = serializers.IntegerField(min_value=1, max_value=200, required=False)


class AccountExportSerializer(serializers.Serializer):
    """Everything held about a person."""

    account = AccountSerializer()
    profile = ProfileSerializer()
    interactions = InteractionSerializer(many=True)
    exported_at = serializers.DateTimeField()
