"""The REST API under /api/, with its OpenAPI schema and browsable docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings

from recommender import apis as recommender_apis
from stims import apis as stims_apis
from users import apis as users_apis

router = DefaultRouter()
router.register("stims", stims_apis.StimViewSet, basename="stim")
router.register("conditions", stims_apis.ConditionViewSet, basename="condition")
router.register("hobbies", stims_apis.HobbyViewSet, basename="hobby")
router.register("me/interactions", recommender_apis.InteractionViewSet, basename="interaction")
router.register("model-versions", recommender_apis.ModelVersionViewSet, basename="modelversion")
router.register("training-runs", recommender_apis.TrainingRunViewSet, basename="trainingrun")

urlpatterns = [
    # DRF's token view turns throttling off; without it, passwords could be guessed as fast as
    # the server answers.
    path(
        "auth/token/",
        ObtainAuthToken.as_view(throttle_classes=api_settings.DEFAULT_THROTTLE_CLASSES),
        name="api-token",
    ),
    path("me/", users_apis.AccountView.as_view(), name="api-account"),
    path("me/profile/", users_apis.ProfileView.as_view(), name="api-profile"),
    path(
        "me/recommendations/",
        recommender_apis.MyRecommendationsView.as_view(),
        name="api-my-recommendations",
    ),
    path("me/export/", recommender_apis.AccountExportView.as_view(), name="api-export"),
    path(
        "users/<int:user_id>/recommendations/",
        recommender_apis.UserRecommendationsView.as_view(),
        name="api-user-recommendations",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    *router.urls,
]
