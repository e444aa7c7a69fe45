"""Interaction admin: read-mostly, since feedback belongs to the people who gave it."""

from django.contrib import admin
from import_export.admin import ExportMixin

from .models import Interaction
from .resources import InteractionResource


@admin.register(Interaction)
class InteractionAdmin(ExportMixin, admin.ModelAdmin):
    resource_classes = [InteractionResource]
    list_display = (
        "user",
        "stim",
        "rating",
        "usage_frequency",
        "still_using",
        "harm_reported",
        "dismissed",
        "created_at",
    )
    list_filter = (
        "rating",
        "usage_frequency",
        "still_using",
        "harm_reported",
        "dismissed",
        "stim__category",
    )
    list_select_related = ("user", "stim")
    search_fields = ("user__username", "stim__name")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False  # feedback is given by people, through the pages and the API

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # staff may read and delete (for an erasure request), never rewrite
