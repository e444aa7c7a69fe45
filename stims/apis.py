"""The catalogue API: anyone signed in reads it; staff who may edit the catalogue change it."""

from django.db.models import ProtectedError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets

from stimsite.api import Conflict, StaffWithModelPermissions

from .filters import StimFilter
from .models import Condition, Hobby, Stim
from .serializers import ConditionSerializer, HobbySerializer, StimSerializer


@extend_schema_view(
    destroy=extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(description="People gave feedback on it: retire it instead."),
        }
    )
)
class StimViewSet(viewsets.ModelViewSet):
    """Stims. People see the active ones; staff also see retired ones (`is_active=false`)."""

    serializer_class = StimSerializer
    permission_classes = [StaffWithModelPermissions]
    filterset_class = StimFilter
    search_fields = ("name", "description")
    ordering_fields = ("name", "harmfulness_score", "created_at")
    ordering = ("name",)

    def get_queryset(self):
        stims = Stim.objects.prefetch_related("conditions", "hobbies")
        return stims if self.request.user.is_staff else stims.filter(is_active=True)

    def perform_destroy(self, stim: Stim) -> None:
        try:
            stim.delete()
        except ProtectedError:
            raise Conflict(
                "People have given feedback on this stim, so it cannot be deleted; retire it "
                "instead (PATCH is_active=false): it is then never recommended."
            ) from None


class ConditionViewSet(viewsets.ReadOnlyModelViewSet):
    """Conditions a profile and a stim can name, by slug."""

    queryset = Condition.objects.all()
    serializer_class = ConditionSerializer
    search_fields = ("name",)


class HobbyViewSet(viewsets.ReadOnlyModelViewSet):
    """Hobbies a profile and a stim can name, by slug."""

    queryset = Hobby.objects.all()
    serializer_class = HobbySerializer
    search_fields = ("name",)
