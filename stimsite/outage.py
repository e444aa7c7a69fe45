"""A database that cannot be reached answers 503 with a message, never a stack trace.

While PostgreSQL restarts or fails over, the connections a web worker holds break and new ones
are refused: Django raises OperationalError or InterfaceError. Such a request saved nothing
(ATOMIC_REQUESTS commits a view's writes before its response is made, so a response a client
received as a success was committed), and Retry-After tells the client when to try again.
Once the database answers, Django's CONN_HEALTH_CHECKS replace the broken connections.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .api import API_PREFIX

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
MESSAGE = (
    "The service cannot reach its database for a moment, so nothing was read or saved. "
    "Please try again in a few seconds."
)


def database_unavailable(request) -> HttpResponse:
    """The 503 answer: JSON under /api/, otherwise a page (made without the database: no
    request context, so no session or user is read)."""
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": MESSAGE}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unavailable_database_error() -> BaseException | None:
    """The exception being handled, if it is the database being out of reach (handler500 is
    called inside the `except` of Django's handler)."""
    error = sys.exc_info()[1]
    return error if isinstance(error, DATABASE_ERRORS) else None


class DatabaseUnavailableMiddleware:
    """Turns a view's (or its template's) database connection error into the 503 answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        # The error's first line only ("connection refused", "server closed the connection"):
        # the driver's later lines can quote the statement.
        first_line = str(exception).strip().splitlines()[:1]
        logger.warning(
            "database unavailable, answered 503 to %s %s: %s: %s",
            request.method,
            request.path,
            type(exception).__name__,
            first_line[0] if first_line else "",
        )
        return database_unavailable(request)
