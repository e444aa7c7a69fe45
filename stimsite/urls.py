"""Top-level URLs: pages, accounts, admin and the API; JSON errors under /api/."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from . import health

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/", include("users.urls")),
    path("stims/", include("stims.urls")),
    path("", include("recommender.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("stimsite.api_urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler404 = "stimsite.api.page_not_found"
handler500 = "stimsite.api.server_error"
