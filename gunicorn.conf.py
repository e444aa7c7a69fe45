"""Gunicorn settings for `make serve` and deployments (docs/deploy.md).

preload_app stays False: each worker imports Django, TensorFlow and the served model itself,
after the fork. TensorFlow starts thread pools and holds locks as soon as it runs, and a forked
copy of a running TensorFlow can deadlock; a model loaded in the master would also be a stale
copy in every worker, which never sees a new active version. Lazy loading keeps the master
small, and a worker recycled by max_requests starts clean.
"""

import os

from stimsite.logging import console_logging

MAX_WORKERS = 8


def cpu_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the whole host)."""
    return len(os.sched_getaffinity(0))


def workers_for(cores: int) -> int:
    """One worker a core plus one, capped: each holds its own TensorFlow runtime and model
    (a few hundred MB), and its threads already cover requests waiting on the database."""
    return min(cores + 1, MAX_WORKERS)


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or workers_for(cpu_cores()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = False

# Recycle workers now and then (memory growth in TensorFlow or a library). A new worker needs
# seconds of CPU to load TensorFlow and the model before it serves, so rarely, and spread
# widely: with evenly shared load, workers reach a narrow max_requests together. At 1000 with
# a jitter of 100, bench/load.py saw all four workers renew at once and serve nothing for 8 s.
max_requests = 20000
max_requests_jitter = 10000

# A worker loads the model before its first request (post_worker_init): seconds, not a minute.
timeout = 60
graceful_timeout = 30
keepalive = 5

# No control socket: it lives at one path per user ($HOME/.gunicorn), shared by every checkout.
control_socket_disable = True

# Access log to stdout, through the same formatter as the application's logs: one JSON object a
# line in production (method, path, status, duration_ms, request_id), plain text otherwise. The
# query string is left out of the message: it is the caller's, not ours to keep.
_production = os.environ.get("DJANGO_ENV") == "production"
_log_format = os.environ.get("LOG_FORMAT") or ("json" if _production else "plain")
accesslog = "-"
access_log_format = '%(m)s %(U)s %(s)s %(M)sms "%(a)s"'
logconfig_dict = {
    **console_logging(_log_format),
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        name: {"level": "INFO", "handlers": ["console"], "propagate": False}
        for name in ("gunicorn.error", "gunicorn.access")
    },
}


def post_worker_init(worker) -> None:
    """Loads the catalogue and the active model in each worker, after the fork and before its
    first request (a worker renewed by max_requests too), so no request waits for them."""
    from recommender.serving import warm_up

    try:
        warm_up()
    except Exception:  # the database or cache is down: the first request will try again
        worker.log.exception("warming up failed; the first request will load the model")
