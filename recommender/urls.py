"""Pages for one's recommendations and feedback history, and the staff model dashboard."""

from django.urls import path

from . import account_views, views
from .dashboard import ModelDashboardView

app_name = "recommender"

urlpatterns = [
    path("recommendations/", views.RecommendationsView.as_view(), name="recommendations"),
    path(
        "recommendations/feedback/<int:stim_id>/",
        views.FeedbackView.as_view(),
        name="feedback",
    ),
    path("history/", views.HistoryView.as_view(), name="history"),
    path("history/<int:pk>/edit/", views.HistoryEditView.as_view(), name="history_edit"),
    path("history/<int:pk>/delete/", views.HistoryDeleteView.as_view(), name="history_delete"),
    path("staff/model/", ModelDashboardView.as_view(), name="model_dashboard"),
    path(
        "accounts/my-data/export/",
        account_views.MyDataExportView.as_view(),
        name="my_data_export",
    ),
]
