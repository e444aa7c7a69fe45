"""CSV/XLSX import and export of people's profiles (django-import-export).

Profiles hold health data: errors name the column and the allowed values, never the answer.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from import_export import fields

from stims.models import Condition, Hobby, Stim
from stims.resources import (
    ChoiceWidget,
    FloatWidget,
    IntegerWidget,
    NameListWidget,
    NaturalKeyResource,
    TextWidget,
    cell_text,
)

from .models import Profile


class ProfileResource(NaturalKeyResource):
    """One row per person, found by username; a new username makes an account with its profile.

    A missing column leaves that answer as it is; a blank cell is an answer ("not said").
    """

    username = fields.Field(
        attribute="user__username", column_name="username", widget=TextWidget(), readonly=True
    )
    age = fields.Field(attribute="age", column_name="age", widget=IntegerWidget())
    gender = fields.Field(
        attribute="gender",
        column_name="gender",
        widget=ChoiceWidget(Profile.Gender, show_value=False),
    )
    sexuality = fields.Field(
        attribute="sexuality",
        column_name="sexuality",
        widget=ChoiceWidget(Profile.Sexuality, show_value=False),
    )
    conditions = fields.Field(
        attribute="neurodivergent_conditions",
        column_name="conditions",
        widget=NameListWidget(Condition, noun="condition", create_missing=True),
    )
    hobbies = fields.Field(
        attribute="hobbies",
        column_name="hobbies",
        widget=NameListWidget(Hobby, noun="hobby", create_missing=True),
    )
    # Blank keeps the current score (the model's default for a new person): it cannot be empty.
    stimming_essentiality_score = fields.Field(
        attribute="stimming_essentiality_score",
        column_name="stimming_essentiality_score",
        widget=FloatWidget(),
        saves_null_values=False,
    )
    current_stims = fields.Field(
        attribute="current_stims",
        column_name="current_stims",
        widget=NameListWidget(Stim, noun="stim"),
    )

    required_columns = ("username",)
    clean_exclude = ("user",)  # a new person's account is saved with the profile

    class Meta:
        model = Profile
        fields = (
            "username",
            "age",
            "gender",
            "sexuality",
            "conditions",
            "hobbies",
            "stimming_essentiality_score",
            "current_stims",
        )
        import_id_fields = ("username",)

    def get_queryset(self) -> models.QuerySet[Profile]:
        return Profile.objects.select_related("user").prefetch_related(
            "neurodivergent_conditions", "hobbies", "current_stims"
        )

    def init_instance(self, row=None) -> Profile:
        return Profile(user=get_user_model()(username=cell_text(row["username"])))

    def validate_instance(self, instance: Profile, import_validation_errors=None, **kwargs):
        errors = dict(import_validation_errors or {})
        user = instance.user
        if user.pk is None:
            try:
                user._meta.get_field("username").clean(user.username, user)
            except ValidationError as error:
                errors.setdefault("user__username", []).extend(error.error_list)
        super().validate_instance(instance, errors, **kwargs)

    def do_instance_save(self, instance: Profile, is_create: bool) -> None:
        if is_create:
            # Saving the account makes users.services give it an empty profile: fill that in.
            instance.user.set_unusable_password()
            instance.user.save()
            instance.pk, instance.created_at = Profile.objects.values_list("pk", "created_at").get(
                user=instance.user
            )
        instance.save()
