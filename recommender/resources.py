"""CSV/XLSX import and export of interactions: people's feedback on stims (django-import-export)."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from import_export import fields, widgets

from stims.models import Stim
from stims.resources import ChoiceWidget, IntegerWidget, LookupMixin, NaturalKeyResource, cell_text

from .models import Interaction, UsageFrequency


class LookupForeignKeyWidget(LookupMixin, widgets.ForeignKeyWidget):
    """A foreign key given by name, e.g. a stim's name or a username, in any case."""

    def __init__(self, model, *, field: str, noun: str, **kwargs):
        super().__init__(model, field=field, **kwargs)
        self.noun = noun

    def clean(self, value, row=None, **kwargs) -> models.Model:
        name = cell_text(value)
        if not name:
            raise ValueError("required")
        record = self.find(name)
        if record is None:
            raise ValueError(f"unknown {self.noun} {name!r}")
        return record


class FlagWidget(widgets.BooleanWidget):
    """true/false, yes/no or 1/0 in any case, blank meaning false; anything else is an error."""

    TRUE_TEXTS = frozenset({"true", "yes", "1"})
    FALSE_TEXTS = frozenset({"false", "no", "0", ""})

    def clean(self, value, row=None, **kwargs) -> bool:
        text = cell_text(value).lower()
        if text in self.TRUE_TEXTS:
            return True
        if text in self.FALSE_TEXTS:
            return False
        raise ValueError(f"{cell_text(value)!r} is not one of: true, false, yes, no, 1, 0")


class IsoDateTimeWidget(widgets.DateTimeWidget):
    """An ISO 8601 date and time; one without an offset is read in the project's time zone."""

    def clean(self, value, row=None, **kwargs) -> datetime | None:
        if isinstance(value, datetime):  # XLSX cells arrive parsed
            moment = value
        elif not cell_text(value):
            return None
        else:
            try:
                moment = datetime.fromisoformat(cell_text(value))
            except ValueError:
                raise ValueError(
                    f"{cell_text(value)!r} is not an ISO 8601 date and time "
                    "(e.g. 2025-03-01T14:30:00Z)"
                ) from None
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment

    def render(self, value, obj=None, **kwargs) -> str:
        return value.isoformat() if value else ""


class InteractionResource(NaturalKeyResource):
    """One row per (person, stim), found by both names.

    A blank or missing created_at means now for a new row and no change for an existing one.
    """

    user = fields.Field(
        attribute="user",
        column_name="username",
        widget=LookupForeignKeyWidget(get_user_model(), field="username", noun="user"),
    )
    stim = fields.Field(
        attribute="stim",
        column_name="stim",
        widget=LookupForeignKeyWidget(Stim, field="name", noun="stim"),
    )
    rating = fields.Field(attribute="rating", column_name="rating", widget=IntegerWidget())
    created_at = fields.Field(
        attribute="created_at",
        column_name="created_at",
        widget=IsoDateTimeWidget(),
        saves_null_values=False,
    )
    usage_frequency = fields.Field(
        attribute="usage_frequency",
        column_name="usage_frequency",
        widget=ChoiceWidget(UsageFrequency),
    )
    still_using = fields.Field(
        attribute="still_using", column_name="still_using", widget=FlagWidget()
    )
    harm_reported = fields.Field(
        attribute="harm_reported", column_name="harm_reported", widget=FlagWidget()
    )
    dismissed = fields.Field(attribute="dismissed", column_name="dismissed", widget=FlagWidget())

    required_columns = ("username", "stim", "rating")

    class Meta:
        model = Interaction
        fields = (
            "user",
            "stim",
            "rating",
            "created_at",
            "usage_frequency",
            "still_using",
            "harm_reported",
            "dismissed",
        )
        import_id_fields = ("user", "stim")

    def get_queryset(self) -> models.QuerySet[Interaction]:
        return Interaction.objects.select_related("user", "stim")

    def existing_instances(self, dataset) -> models.QuerySet[Interaction]:
        # Only the people in this file: the whole table may be large.
        usernames = dataset["username"] if "username" in (dataset.headers or []) else []
        find_user = self.fields["user"].widget.find
        users = {find_user(cell_text(name)) for name in usernames} - {None}
        return self.get_queryset().filter(user__in=users)
