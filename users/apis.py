"""The signed-in person's own account and profile: no URL names anyone else."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from . import services
from .models import Profile
from .serializers import AccountSerializer, ProfileSerializer


class ProfileView(generics.RetrieveUpdateAPIView):
    """Your profile (GET, PUT, PATCH)."""

    serializer_class = ProfileSerializer

    def get_object(self) -> Profile:
        return Profile.objects.prefetch_related(
            "neurodivergent_conditions", "hobbies", "current_stims"
        ).get(user=self.request.user)


class AccountView(generics.GenericAPIView):
    """Your account (GET), or erase it with everything held about you (DELETE)."""

    serializer_class = AccountSerializer

    def get(self, request):
        return Response(self.get_serializer(request.user).data)

    @extend_schema(responses={204: None})
    def delete(self, request):
        services.account_erase(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
