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

    def validate_name(self, name: str) -> str:
        """The database refuses a second stim of a name (in any case) or of a slug: a 400
        naming the field instead of a server error. The slug is made from a new stim's name."""
        others = Stim.objects.exclude(pk=self.instance.pk) if self.instance else Stim.objects
        if others.filter(name__iexact=name).exists():
            raise serializers.ValidationError("There is a stim of this name already.")
        if self.instance is None:
            new = Stim(name=name)
            new.fill_slug()
            if not new.slug or others.filter(slug=new.slug).exists():
                raise serializers.ValidationError(
                    f"This name makes the slug '{new.slug}', which another stim has or which "
                    "is empty; choose another name."
                )
        return name
