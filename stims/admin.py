"""Catalogue admin: the screens staff curate stims in."""

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.utils.html import format_html
from import_export.admin import ImportExportModelAdmin

from . import services
from .models import Condition, HarmBand, Hobby, Stim
from .resources import StimResource

BAND_COLOURS = {HarmBand.LOW: "#2e6b3a", HarmBand.MODERATE: "#8a5a00", HarmBand.HIGH: "#9b1c1c"}


class HarmBandFilter(admin.SimpleListFilter):
    title = "harm band"
    parameter_name = "harm_band"

    def lookups(self, request, model_admin):
        return HarmBand.choices

    def queryset(self, request, queryset: QuerySet[Stim]) -> QuerySet[Stim]:
        if self.value() not in HarmBand.values:
            return queryset
        lower, upper = HarmBand.bounds()[HarmBand(self.value())]
        return queryset.filter(harmfulness_score__gte=lower, harmfulness_score__lt=upper)


@admin.register(Stim)
class StimAdmin(ImportExportModelAdmin):
    resource_classes = [StimResource]
    list_display = ("name", "category", "harmfulness_score", "harm_band", "is_active")
    list_editable = ("harmfulness_score",)
    list_filter = ("category", HarmBandFilter, "conditions", "is_active")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("conditions", "hobbies")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "category")}),
        ("Safety", {"fields": ("harmfulness_score", "is_active")}),
        ("Who it suits", {"fields": ("conditions", "hobbies")}),
        ("History", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    actions = ("retire", "reactivate")
    list_per_page = 50

    def get_changelist_form(self, request, **kwargs):
        """The list's editable score cells have no visible label: name each for screen
        readers ("Harmfulness score of Skin picking")."""
        base = super().get_changelist_form(request, **kwargs)

        class LabelledScoreForm(base):
            def __init__(self, *args, **form_kwargs) -> None:
                super().__init__(*args, **form_kwargs)
                self.fields["harmfulness_score"].widget.attrs["aria-label"] = (
                    f"Harmfulness score of {self.instance.name}"
                )

        return LabelledScoreForm

    @admin.display(description="Harm band", ordering="harmfulness_score")
    def harm_band(self, stim: Stim) -> str:
        band = stim.harm_band
        return format_html('<strong style="color: {}">{}</strong>', BAND_COLOURS[band], band.label)

    @admin.action(description="Retire selected stims (never recommended, history kept)")
    def retire(self, request, queryset: QuerySet[Stim]) -> None:
        changed = services.stims_set_active(stims=queryset, is_active=False)
        self.message_user(request, f"{changed} stim(s) retired.", messages.SUCCESS)

    @admin.action(description="Reactivate selected stims")
    def reactivate(self, request, queryset: QuerySet[Stim]) -> None:
        changed = services.stims_set_active(stims=queryset, is_active=True)
        self.message_user(request, f"{changed} stim(s) reactivated.", messages.SUCCESS)


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "stim_count")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(stim_count=Count("stims"))

    @admin.display(description="Stims", ordering="stim_count")
    def stim_count(self, obj) -> int:
        return obj.stim_count


admin.site.register(Condition, VocabularyAdmin)
admin.site.register(Hobby, VocabularyAdmin)
