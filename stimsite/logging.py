"""One JSON object per log line, for log collectors; used when LOG_FORMAT=json.

Each line has time, level, logger and message, and, where the record carries them, the
request's id, method, path and status and the duration. Other `extra` values are added
unless their name is in DENIED_FIELDS: profile answers (users.models.HEALTH_FIELDS) and
anything that could hold a request body or a credential are never written. A request object
is reduced to its method, path and X-Request-ID header; its body and query are never read.
"""

import json
import logging
from datetime import UTC, datetime

# users.models.HEALTH_FIELDS (not imported: logging is configured before the apps load; a test
# keeps the two in step), then names that could carry a request body or a secret.
DENIED_FIELDS = frozenset(
    {
        "age",
        "gender",
        "sexuality",
        "neurodivergent_conditions",
        "profile",
        "body",
        "data",
        "payload",
        "request_body",
        "form",
        "post",
        "query",
        "query_string",
        "headers",
        "cookies",
        "password",
        "token",
        "secret",
        "authorization",
    }
)
# Everything a LogRecord has of its own; only names beyond these are `extra` values.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
REQUEST_ID_HEADER = "X-Request-ID"


def _from_request(request) -> dict:
    """Method, path and request id of a Django request (django.request's `extra`)."""
    fields = {"method": getattr(request, "method", None), "path": getattr(request, "path", None)}
    headers = getattr(request, "headers", None)
    if headers is not None:
        fields["request_id"] = headers.get(REQUEST_ID_HEADER)
    return fields


def _from_gunicorn_access(atoms) -> dict:
    """Method, path, status, duration and request id of a gunicorn access-log record."""
    return {
        "method": atoms.get("m"),
        "path": atoms.get("U"),
        "status": int(atoms["s"]) if str(atoms.get("s", "")).isdigit() else None,
        "duration_ms": atoms.get("M"),
        "request_id": atoms.get("{x-request-id}i"),
    }


class JsonFormatter(logging.Formatter):
    """A stdlib formatter writing one JSON object per record, without denied fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            entry.update(_from_gunicorn_access(record.args))
        for name, value in vars(record).items():
            if name in _RECORD_ATTRIBUTES or name.lower() in DENIED_FIELDS:
                continue
            if name == "request":
                entry.update(_from_request(value))
            elif name == "status_code":
                entry["status"] = value
            else:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(
            {key: value for key, value in entry.items() if value is not None}, default=str
        )


def console_logging(log_format: str) -> dict:
    """The formatters and the stdout handler that Django's LOGGING and gunicorn's
    logconfig_dict share, so the web server's lines look like the application's."""
    return {
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "stimsite.logging.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "stream": "ext://sys.stdout",
            }
        },
    }
