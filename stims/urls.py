"""Pages of the catalogue: search and filters, and one stim."""

from django.urls import path

from . import views

app_name = "stims"

urlpatterns = [
    path("", views.StimListView.as_view(), name="list"),
    path("<slug:slug>/", views.StimDetailView.as_view(), name="detail"),
]
