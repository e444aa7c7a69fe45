"""The catalogue as the API shows it: vocabularies by slug, the harm band spelled out."""

from rest_framework import serializers

from .models import Condition, HarmBand, Hobby, Stim


class ConditionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Condition
        fields = ("id", "name", "slug")


class HobbySerializer(serializers.ModelSerializer):
    class Meta:
        model = Hobby
        fields = ("id", "name", "slug")


class StimSerializer(serializers.ModelSerializer):
    conditions = serializers.SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=Condition.objects.all()
    )
    hobbies = serializers.SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=Hobby.objects.all()
    )
    harm_band = serializers.ChoiceField(choices=HarmBand.choices, read_only=True)

    class Meta:
        model = Stim
        fields = (
            "id", "name", "slug", "description", "category", "harmfulness_score", "harm_band",
            "conditions", "hobbies", "is_active", "created_at", "updated_at",
        )  # fmt: skip
        read_only_fields = ("slug", "created_at", "updated_at")
        extra_kwargs = {"slug": {"required": False}}
