"""A person's own account and profile, as the API shows them to that person only."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from stims.models import Condition, Hobby, Stim

from .models import Profile, health_consent_error


class ProfileSerializer(serializers.ModelSerializer):
    """Every answer is optional; blank gender or sexuality is an answer, not an error."""

    neurodivergent_conditions = serializers.SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=Condition.objects.all()
    )
    hobbies = serializers.SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=Hobby.objects.all()
    )
    current_stims = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Stim.objects.filter(is_active=True)
    )

    class Meta:
        model = Profile
        fields = (
            "age", "gender", "sexuality", "neurodivergent_conditions", "hobbies",
            "other_hobbies", "stimming_essentiality_score", "current_stims",
            "health_data_consent", "updated_at",
        )  # fmt: skip
        read_only_fields = ("updated_at",)

    def validate(self, attrs: dict) -> dict:
        profile = self.instance
        stored = {
            "age": profile.age,
            "gender": profile.gender,
            "sexuality": profile.sexuality,
            "neurodivergent_conditions": list(profile.neurodivergent_conditions.all()),
        }
        consent = attrs.get("health_data_consent", profile.health_data_consent)
        problem = health_consent_error(
            {**stored, **attrs}, consent=consent, consented_before=profile.health_data_consent
        )
        if problem:
            raise serializers.ValidationError({"health_data_consent": problem})
        return attrs


class AccountSerializer(serializers.ModelSerializer):
    # Blank when none was given, so not documented as an email address (the schema would lie).
    email = serializers.CharField(read_only=True)

    class Meta:
        model = get_user_model()
        fields = ("id", "username", "email", "date_joined", "last_login", "is_staff")
        read_only_fields = fields
