"""Catalogue filters for the API and the pages: by kind, condition, hobby and harmfulness."""

import django_filters
from drf_spectacular.utils import extend_schema_field

from .models import Category, Stim

MAX_HARMFULNESS = "Maximum harmfulness (0 to 1)"


class StimFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=Category.choices)
    condition = django_filters.CharFilter(
        field_name="conditions__slug", label="Condition (slug)", distinct=True
    )
    hobby = django_filters.CharFilter(
        field_name="hobbies__slug", label="Hobby (slug)", distinct=True
    )
    # The range is checked (a 400 outside it) and documented, so the schema does not promise
    # any number.
    max_harmfulness = extend_schema_field(
        {"type": "number", "minimum": 0, "maximum": 1, "description": MAX_HARMFULNESS}
    )(
        django_filters.NumberFilter(
            field_name="harmfulness_score",
            lookup_expr="lte",
            label=MAX_HARMFULNESS,
            min_value=0,
            max_value=1,
        )
    )

    class Meta:
        model = Stim
        fields = ("category", "condition", "hobby", "max_harmfulness")
