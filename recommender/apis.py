"""The recommender's API: your recommendations and feedback, and model steering for staff.

Views parse, make one call to a selector or service, and render; every query about a person
starts from request.user, so no URL can reach someone else's data.
"""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from stimsite.api import IsStaff, ScopedRateThrottle
from users.models import Profile

from . import selectors, services
from .models import Interaction, ModelVersion, TrainingRun
from .serializers import (
    AccountExportSerializer,
    InteractionSerializer,
    ModelVersionSerializer,
    RecommendationQuerySerializer,
    RecommendationsSerializer,
    StaffRecommendationQuerySerializer,
    TrainingRunRequestSerializer,
    TrainingRunSerializer,
)


class MyRecommendationsView(generics.GenericAPIView):
    serializer_class = RecommendationsSerializer

    @extend_schema(parameters=[RecommendationQuerySerializer])
    def get(self, request):
        """Your top stims, harmful ones never among them, with safer alternatives for any
        harmful stim you do now."""
        query = RecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = selectors.recommendations_for_user(user=request.user, **query.validated_data)
        return Response(found.as_dict())  # the serializer documents this shape


class UserRecommendationsView(generics.GenericAPIView):
    serializer_class = RecommendationsSerializer
    permission_classes = [IsStaff]

    @extend_schema(parameters=[StaffRecommendationQuerySerializer])
    def get(self, request, user_id: int):
        """A person's list as they see it, or (`unfiltered=true`) every stim by score."""
        person = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
        query = StaffRecommendationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = selectors.recommendations_for_user(user=person, **query.validated_data)
        return Response(found.as_dict())  # the serializer documents this shape


class InteractionViewSet(viewsets.ModelViewSet):
    """Your feedback on stims: one record per stim, changed in place as you learn more."""

    serializer_class = InteractionSerializer
    filterset_fields = ("stim", "dismissed", "still_using", "harm_reported")
    ordering_fields = ("created_at", "updated_at", "rating")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: nobody signed in
            return Interaction.objects.none()
        return selectors.interaction_list(user=self.request.user)

    def perform_create(self, serializer) -> None:
        serializer.save(user=self.request.user)


class AccountExportView(generics.GenericAPIView):
    serializer_class = AccountExportSerializer

    def get(self, request):
        """Everything held about you, as JSON: account, profile and feedback."""
        held = {
            "account": request.user,
            "profile": Profile.objects.get(user=request.user),
            "interactions": selectors.interaction_list(user=request.user),
            "exported_at": timezone.now(),
        }
        return Response(self.get_serializer(held).data)


class CanSwitchModelVersions(permissions.BasePermission):
    message = "Only staff who may change model versions can activate one."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("recommender.change_modelversion")


class ModelVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Trained model versions, newest first, with their held-out metrics (staff)."""

    queryset = ModelVersion.objects.all()
    serializer_class = ModelVersionSerializer
    permission_classes = [IsStaff]
    filterset_fields = ("status",)

    @extend_schema(
        request=None,
        responses={
            200: ModelVersionSerializer,
            409: OpenApiResponse(description="A retired version is never served again."),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsStaff, CanSwitchModelVersions])
    def activate(self, request, pk=None):
        """Serve this version (also how to roll back); the one serving becomes ready."""
        version = self.get_object()
        if version.status == ModelVersion.Status.RETIRED:
            return Response(
                {"detail": "A retired version is never served again; train a new one."},
                status=status.HTTP_409_CONFLICT,
            )
        services.model_version_activate(version=version, note=f"activated by {request.user}")
        return Response(self.get_serializer(version).data)


class CanStartTraining(permissions.BasePermission):
    message = "Only staff who may start training runs can start one."

    def has_permission(self, request, view) -> bool:
        return view.action != "create" or request.user.has_perm("recommender.add_trainingrun")


class TrainingRunViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Training runs (staff): start one, and follow its state and progress."""

    queryset = TrainingRun.objects.select_related("requested_by")
    serializer_class = TrainingRunSerializer
    permission_classes = [IsStaff, CanStartTraining]
    filterset_fields = ("state", "triggered_by")
    throttle_scope = "training"

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":  # a tighter limit for what costs minutes of CPU
            throttles.append(ScopedRateThrottle())
        return throttles

    @extend_schema(
        request=TrainingRunRequestSerializer,
        responses={
            202: OpenApiResponse(TrainingRunSerializer, description="The run was queued."),
            200: OpenApiResponse(
                TrainingRunSerializer,
                description="A run was queued or running already: that run, nothing new.",
            ),
        },
    )
    def create(self, request):
        """Starts a retraining, unless one is queued or running (that one is returned)."""
        options = TrainingRunRequestSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        epochs = options.validated_data.get("epochs")
        run, created = services.training_run_request(
            triggered_by="api",
            requested_by=request.user,
            force_activate=options.validated_data["force_activate"],
            parameters={"epochs": epochs} if epochs else None,
        )
        return Response(
            self.get_serializer(run).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )
