"""Settings, read from the environment (django-environ); see docs/configuration.md.

With no environment at all this is the embedded mode: SQLite under var/, Celery tasks run
inline, a local-memory cache. DATABASE_URL and REDIS_URL switch to the real services, and
DJANGO_ENV=production turns on the deployment hardening.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from stimsite.logging import console_logging

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# GENERAL
# https://docs.djangoproject.com/en/5.2/ref/settings/#core-settings
DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
ROOT_URLCONF = "stimsite.urls"
WSGI_APPLICATION = "stimsite.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# DATABASES
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# APPS
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "import_export",
    "django_celery_beat",
    "stims",
    "users",
    "recommender",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "stimsite.outage.DatabaseUnavailableMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "stimsite" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# AUTHENTICATION
# https://docs.djangoproject.com/en/5.2/topics/auth/customizing/
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "recommender:recommendations"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# STATIC FILES AND STORAGE
# https://whitenoise.readthedocs.io/en/stable/django.html
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "stimsite" / "static"]
RECOMMENDER_MODEL_DIR = env.path("RECOMMENDER_MODEL_DIR", default=VAR_DIR / "models")
# Where a process keeps the artifacts it downloaded, when the models storage is an object store.
RECOMMENDER_ARTIFACT_CACHE_DIR = env.path(
    "RECOMMENDER_ARTIFACT_CACHE_DIR", default=VAR_DIR / "artifact-cache"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
    # Trained model artifacts, behind Django's storage API so several nodes can share them: a
    # folder (on several machines, a shared file system), or an S3 bucket through
    # django-storages when RECOMMENDER_MODEL_BUCKET is set (recommender/artifact_storage.py).
    "models": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(RECOMMENDER_MODEL_DIR)},
    },
}
RECOMMENDER_MODEL_BUCKET = env.str("RECOMMENDER_MODEL_BUCKET", default="")
if RECOMMENDER_MODEL_BUCKET:
    STORAGES["models"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": RECOMMENDER_MODEL_BUCKET,
            "location": "models",
            "default_acl": None,  # private
            "file_overwrite": False,
        },
    }
    # Credentials as boto3 finds them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the
    # machine's role); these two for a store other than AWS's own.
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)

# REDIS: CELERY AND CACHE
# https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="stimsite"),
        }
    }
else:
    # Embedded mode: no broker, tasks run inline in the calling process.
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Training is long and memory-hungry: its own queue, acknowledged only when done (so a lost
# worker's run is redelivered), one message at a time. Run its worker with
# `--max-tasks-per-child 1` so TensorFlow's memory goes back with the child.
CELERY_TASK_ROUTES = {"recommender.tasks.retrain_model": {"queue": "training"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
# Longer than the training task's hard limit (recommender.tasks), or Redis redelivers a task
# that is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_BEAT_SCHEDULE = {
    "retrain-if-data-changed": {
        "task": "recommender.tasks.retrain_if_data_changed",
        "schedule": env.int("RECOMMENDER_RETRAIN_EVERY_SECONDS", default=6 * 60 * 60),
    },
}

# DJANGO REST FRAMEWORK
# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    # Token first: an anonymous request is then told 401 with WWW-Authenticate, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "stimsite.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "stimsite.api.AnonRateThrottle",
        "stimsite.api.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        "training": env.str("API_THROTTLE_TRAINING", default="10/hour"),
    },
    "EXCEPTION_HANDLER": "stimsite.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Stim recommender API",
    "DESCRIPTION": (
        "Ranked stims for a person, under a harm policy no model can overrule; their profile "
        "and feedback; the catalogue; and, for staff, model versions and retraining. "
        "Authenticate with `Authorization: Token <key>` from `POST /api/auth/token/`, or with "
        "the browser session (and its CSRF token)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Forms are for the browsable API; clients send JSON (form values lose their types).
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "stimsite.api.schema_document_errors",
    ],
}

# IMPORT-EXPORT
# https://django-import-export.readthedocs.io/en/latest/installation.html#settings
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# RECOMMENDER
RECOMMENDER_HARM_THRESHOLD = env.float("RECOMMENDER_HARM_THRESHOLD", default=0.6)
RECOMMENDER_DEFAULT_K = env.int("RECOMMENDER_DEFAULT_K", default=10)
RECOMMENDER_MAX_K = env.int("RECOMMENDER_MAX_K", default=50)
RECOMMENDER_SCORE_CALCULATOR = env.str(
    "RECOMMENDER_SCORE_CALCULATOR",
    default="recommender.ml.preprocessing.default_score_calculator",
)
if not 0.0 <= RECOMMENDER_HARM_THRESHOLD <= 1.0:
    raise ImproperlyConfigured("RECOMMENDER_HARM_THRESHOLD must lie in [0, 1]")
if not 1 <= RECOMMENDER_DEFAULT_K <= RECOMMENDER_MAX_K:
    raise ImproperlyConfigured("RECOMMENDER_DEFAULT_K must lie in [1, RECOMMENDER_MAX_K]")

# LOGGING
# https://docs.djangoproject.com/en/5.2/topics/logging/
# To stdout, one JSON object a line in production (stimsite.logging.JsonFormatter, which never
# writes profile answers or request bodies), plain text in development.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'plain', not {LOG_FORMAT!r}")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    **console_logging(LOG_FORMAT),
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's default config gives these loggers their own handlers, which also propagate to
    # the root: every django.request warning was written twice. One handler, no propagation.
    "loggers": {
        name: {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False}
        for name in ("django", "django.server")
    }
    # SQL with its parameters (profile answers among them) only ever at DEBUG: never written.
    | {"django.db.backends": {"level": "INFO"}},
}
# Celery workers log through the configuration above, not through one of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# SECURITY (production)
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # A load balancer polls these over plain HTTP inside the network: answer, do not redirect.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
