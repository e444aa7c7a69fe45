"""The "Download my data" file of the My data page. It lives here, not in `users`, because it
holds the person's feedback too, and `users` does not depend on the recommender."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views import View

from users.models import Profile

from . import selectors
from .serializers import AccountExportSerializer

EXPORT_FILENAME = "my-stim-data.json"


def account_export_data(*, user) -> dict:
    """Everything held about the person, in the shape of the API's `GET /api/me/export/`."""
    held = {
        "account": user,
        "profile": Profile.objects.get(user=user),
        "interactions": selectors.interaction_list(user=user),
        "exported_at": timezone.now(),
    }
    return AccountExportSerializer(held).data


class MyDataExportView(LoginRequiredMixin, View):
    def get(self, request):
        response = JsonResponse(
            account_export_data(user=request.user), json_dumps_params={"indent": 2}
        )
        response["Content-Disposition"] = f'attachment; filename="{EXPORT_FILENAME}"'
        add_never_cache_headers(response)  # personal data: no copy kept by caches
        return response
