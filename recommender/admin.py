"""Recommender admin: read-mostly feedback, model versions and training runs."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ExportMixin

from . import services
from .models import Interaction, ModelVersion, TrainingRun
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


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = (
        "__str__", "status", "ndcg_display", "popularity_ndcg", "tag_overlap_ndcg", "data_counts",
        "duration", "created_at", "activated_at",
    )  # fmt: skip
    list_filter = ("status",)
    readonly_fields = (
        "status", "promotion_note", "created_at", "activated_at", "duration", "data_counts",
        "evaluation", "training_curve_image", "parameters", "artifact",
    )  # fmt: skip
    fields = readonly_fields
    actions = ("activate", "retire")

    def has_add_permission(self, request) -> bool:
        return False  # versions come from training runs

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # versions are changed only by the actions below

    def get_urls(self):
        curve = path(
            "<int:pk>/training-curve.png",
            self.admin_site.admin_view(self.training_curve_view),
            name="recommender_modelversion_curve",
        )
        return [curve, *super().get_urls()]

    def training_curve_view(self, request, pk: int) -> FileResponse:
        version = get_object_or_404(ModelVersion, pk=pk)
        if not self.has_view_permission(request, version) or not version.training_curve:
            raise Http404("no training curve")
        return FileResponse(version.training_curve.open("rb"), content_type="image/png")

    @admin.display(description="NDCG@10", ordering="created_at")
    def ndcg_display(self, version: ModelVersion) -> str:
        return _figure(version.ndcg)

    @admin.display(description="popularity")
    def popularity_ndcg(self, version: ModelVersion) -> str:
        return _figure(version.metrics.get("ranking", {}).get("popularity", {}).get("ndcg"))

    @admin.display(description="tag overlap")
    def tag_overlap_ndcg(self, version: ModelVersion) -> str:
        return _figure(version.metrics.get("ranking", {}).get("tag_overlap", {}).get("ndcg"))

    @admin.display(description="data")
    def data_counts(self, version: ModelVersion) -> str:
        snapshot = version.data_snapshot
        return (
            f"{snapshot.get('users', 0)} people, {snapshot.get('stims', 0)} stims, "
            f"{snapshot.get('interactions', 0)} interactions"
        )

    @admin.display(description="training time")
    def duration(self, version: ModelVersion) -> str:
        return "-" if version.duration_seconds is None else f"{version.duration_seconds:.1f} s"

    @admin.display(description="held-out evaluation")
    def evaluation(self, version: ModelVersion) -> str:
        return format_html("<pre>{}</pre>", version.metrics_table())

    @admin.display(description="training curve")
    def training_curve_image(self, version: ModelVersion) -> str:
        if not version.training_curve:
            return "-"
        url = reverse("admin:recommender_modelversion_curve", args=[version.pk])
        return format_html(
            '<img src="{}" alt="Training and validation loss per epoch" width="600">', url
        )

    def has_switch_permission(self, request) -> bool:
        return request.user.has_perm("recommender.change_modelversion")

    @admin.action(
        description="Activate (serve this version; use it to roll back)", permissions=["switch"]
    )
    def activate(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one version to activate.", messages.ERROR)
            return
        version = queryset.get()
        services.model_version_activate(version=version, note=f"activated by {request.user}")
        self.message_user(request, f"{version} is now serving.", messages.SUCCESS)

    @admin.action(description="Retire (keep the record, never serve)", permissions=["switch"])
    def retire(self, request, queryset) -> None:
        for version in queryset:
            try:
                services.model_version_retire(version=version)
            except ValueError as error:
                self.message_user(request, f"{version}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{version} retired.", messages.SUCCESS)


class RetrainForm(forms.Form):
    force_activate = forms.BooleanField(
        required=False,
        label="Activate it even if it ranks held-out people worse than the serving version",
    )


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = (
        "__str__", "state", "triggered_by", "requested_by", "progress_display", "attempts",
        "created_at", "finished_at", "model_version",
    )  # fmt: skip
    list_filter = ("state", "triggered_by")
    list_select_related = ("requested_by", "model_version")
    readonly_fields = (
        "state", "triggered_by", "requested_by", "force_activate", "progress_display", "attempts",
        "error", "data_snapshot", "parameters", "model_version", "created_at", "started_at",
        "finished_at",
    )  # fmt: skip
    fields = readonly_fields
    change_list_template = "admin/recommender/trainingrun/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # "Retrain now" starts runs

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        retrain = path(
            "retrain/",
            self.admin_site.admin_view(self.retrain_view),
            name="recommender_trainingrun_retrain",
        )
        return [retrain, *super().get_urls()]

    def retrain_view(self, request):
        if not request.user.has_perm("recommender.add_trainingrun"):
            raise PermissionDenied
        form = RetrainForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run, created = services.training_run_request(
                triggered_by="admin",
                requested_by=request.user,
                force_activate=form.cleaned_data["force_activate"],
            )
            if created:
                self.message_user(request, f"{run} started.", messages.SUCCESS)
            else:
                self.message_user(
                    request, f"{run} is already {run.state}: no second run was started.",
                    messages.WARNING,
                )  # fmt: skip
            return redirect("admin:recommender_trainingrun_change", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Retrain the model now",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/recommender/trainingrun/retrain.html", context)

    @admin.display(description="progress")
    def progress_display(self, run: TrainingRun) -> str:
        progress = run.progress
        if not progress:
            return "-"
        return (
            f"epoch {progress.get('epoch')}/{progress.get('epochs')}, "
            f"loss {progress.get('loss', 0):.4f}, val_loss {progress.get('val_loss', 0):.4f}"
        )


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"
