"""API conventions shared by every app: pagination, permissions, and errors always as JSON."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, pagination, permissions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

API_PREFIX = "/api/"


class Pagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class IsStaff(permissions.BasePermission):
    """Staff members only; what they may change is further limited by their model permissions
    (the same ones admin uses, so a catalogue editor can edit stims by API and in admin)."""

    message = "Only staff can do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_staff)


class StaffWithModelPermissions(permissions.DjangoModelPermissions):
    """Reading for anyone signed in; writing for staff holding the model's add/change/delete
    permission."""

    message = "Only staff who may edit the catalogue can do this."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return request.user.is_staff and super().has_permission(request, view)


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def validation_error_from_django(error: DjangoValidationError) -> exceptions.ValidationError:
    """A model's ValidationError (from full_clean) as DRF's: field names kept, Django's
    non-field key renamed to DRF's."""
    if not hasattr(error, "error_dict"):
        return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: error.messages})
    return exceptions.ValidationError(
        {
            api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
            for field, messages in error.message_dict.items()
        }
    )


def exception_handler(error, context):
    """DRF's handler, also answering a model's ValidationError raised in a service with a 400
    that names the fields."""
    if isinstance(error, DjangoValidationError):
        error = validation_error_from_django(error)
    return drf_exception_handler(error, context)


def page_not_found(request, exception):
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Never a stack trace: API clients get JSON, people get the error page."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": "Something went wrong on our side; it has been logged."}, status=500
        )
    return defaults.server_error(request)
