"""Catalogue filters for the API and the pages: by kind, condition, hobby and harmfulness."""

import django_filters

from .models import Category, Stim


class StimFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=Category.choices)
    condition = django_filters.CharFilter(
        field_name="conditions__slug", label="Condition (slug)", distinct=True
    )
    hobby = django_filters.CharFilter(
        field_name="hobbies__slug", label="Hobby (slug)", distinct=True
    )
    max_harmfulness = django_filters.NumberFilter(
        field_name="harmfulness_score", lookup_expr="lte", label="Maximum harmfulness (0 to 1)"
    )

    class Meta:
        model = Stim
        fields = ("category", "condition", "hobby", "max_harmfulness")
