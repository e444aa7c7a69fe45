"""The staff model dashboard: the serving version against its baselines, and recent training."""

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from .models import ModelVersion, TrainingRun
from .services import model_version_active

RECENT_RUNS = 5
ROW_LABELS = {
    "model": "This version",
    "popularity": "Popularity baseline",
    "tag_overlap": "Tag overlap baseline",
    "champion": "Version serving before it",
}


def evaluation_rows(version: ModelVersion) -> tuple[list[str], list[list[str]]] | None:
    """The admin's held-out table (`metrics_table()`) as a header and rows for an HTML table,
    each row named for people; None when the version stored no evaluation."""
    if not version.metrics.get("ranking"):
        return None
    (_, *header), *rows = (line.split() for line in version.metrics_table().splitlines())
    return header, [[ROW_LABELS.get(name, name), *cells] for name, *cells in rows]


@method_decorator(staff_member_required, name="dispatch")
class ModelDashboardView(PermissionRequiredMixin, TemplateView):
    """Staff who may see model versions (as in the admin); others go to the admin login."""

    permission_required = "recommender.view_modelversion"
    raise_exception = True
    template_name = "recommender/model_dashboard.html"

    def get_context_data(self, **kwargs):
        version = model_version_active()
        return {
            **super().get_context_data(**kwargs),
            "version": version,
            "evaluation": version and evaluation_rows(version),
            "epochs": version and len(version.history.get("loss", [])),
            "runs": TrainingRun.objects.select_related("model_version")[:RECENT_RUNS],
        }
