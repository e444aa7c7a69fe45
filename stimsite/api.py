"""API conventions shared by every app: pagination, permissions, and errors always as JSON."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, pagination, permissions, throttling
from rest_framework.settings import api_settings

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


class _FailOpen:
    """A throttle that lets requests through while the cache holding its history is down (the
    outage logged as serving logs it): DRF's limits otherwise."""

    def allow_request(self, request, view) -> bool:
        from recommender.serving import cache_outage_survived

        with cache_outage_survived():
            return super().allow_request(request, view)
        return True


class AnonRateThrottle(_FailOpen, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_FailOpen, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_FailOpen, throttling.ScopedRateThrottle):
    pass


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong."}},
    "required": ["detail"],
}
# A 400 has each field's messages by name (`non_field_errors` for the fields together), or a
# `detail` for the request as a whole (e.g. malformed JSON).
VALIDATION_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
# Query parameters no value of which is refused: a page past the end is a 404, not a 400.
UNCHECKED_QUERY_PARAMETERS = {"page", "page_size", "search", "ordering"}


def schema_document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: each operation also documents the errors it can
    answer, all JSON; a view without permission classes (the token view) needs no credentials.
    An error response a view declares by description only (e.g. 409) gets the error body."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(Error=ERROR, ValidationError=VALIDATION_ERROR)
    for path, _, method, callback in generator.endpoints:
        view = generator.create_view(callback, method, request)
        operation = result["paths"].get(generator.coerce_path(path, method, view), {})
        operation = operation.get(method.lower())
        if operation is None:
            continue
        if not view.get_permissions():
            operation["security"] = [*operation.get("security", []), {}]
        responses = operation["responses"]
        for status, description in _errors_of(view, method, operation):
            responses.setdefault(status, {"description": description})
        for status, response in responses.items():
            if status.startswith("4") and "content" not in response:
                name = "ValidationError" if status == "400" else "Error"
                response["content"] = {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}
                }
    return result


def _errors_of(view, method: str, operation: dict):
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    if has_body or any(
        parameter["in"] == "query" and parameter["name"] not in UNCHECKED_QUERY_PARAMETERS
        for parameter in parameters
    ):
        yield "400", "The request is invalid; the body says what is wrong."
    if view.get_authenticators():
        yield "401", "Credentials are missing (where needed) or invalid."
    granted = {type(permission) for permission in view.get_permissions()}
    if method not in permissions.SAFE_METHODS or granted - {
        permissions.AllowAny,
        permissions.IsAuthenticated,
    }:
        yield (
            "403",
            "Not allowed: for staff only, without the model permission, or a session request "
            "without its CSRF token.",
        )
    if any(parameter["in"] == "path" or parameter["name"] == "page" for parameter in parameters):
        yield "404", "There is no such object (or it is not yours), or no such page."
    if has_body:
        yield "415", "The body's media type is not accepted: send JSON."
    if view.get_throttles():
        yield "429", "Too many requests: try again after the seconds in `Retry-After`."


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
    # Imported here: rest_framework.views reads this module's throttles from the settings.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(error, DjangoValidationError):
        error = validation_error_from_django(error)
    return drf_exception_handler(error, context)


def page_not_found(request, exception):
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Never a stack trace: API clients get JSON, people get the error page; a database out of
    reach outside a view (a session saved by middleware, say) gets the 503 of stimsite.outage."""
    from .outage import database_unavailable, unavailable_database_error  # it imports this module

    if unavailable_database_error():
        return database_unavailable(request)
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": "Something went wrong on our side; it has been logged."}, status=500
        )
    return defaults.server_error(request)
