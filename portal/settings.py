"""Settings for the contest portal, read from the environment.

With nothing set, the portal runs on a bare laptop: SQLite and a Celery broker on the local
filesystem. With DATABASE_URL and REDIS_URL (docker-compose, CI, production) it uses PostgreSQL
and Redis.
"""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "insecure-development-key-set-SECRET_KEY-in-production" if DEBUG else ""
)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h.strip()]

# Where the portal keeps what it writes: uploads, the local broker, caches. Never served as-is.
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))
STORAGE_DIR = Path(os.environ.get("PORTAL_STORAGE_DIR", VAR_DIR / "uploads"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",  # django-bootstrap-static: Bootstrap's CSS and JS, served locally
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "axes",  # django-axes: failed logins are throttled per account and per address
    "portal",
    "evaluation",
    "reviews",
    "partners",
]

MIDDLEWARE = [
    "csp.middleware.CSPMiddleware",  # outermost: the error pages get the policy too
    "portal.middleware.ErrorPageMiddleware",  # no traceback page, whatever DEBUG says
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.RequestSizeLimitMiddleware",  # before anything reads the body
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): scripts and styles only from the portal's own files (static/,
# and the Bootstrap and plotly.js that packages ship), never inline, so an injected <script>, an
# on...= handler or a style attribute does nothing. Bootstrap's CSS draws its icons (the menu
# button, checkboxes, selects) from data: URLs. plotly.js would add a <style> element of its own;
# templates/base.html links the same rules as static/evaluation/plotly.css under the element's id
# with the class "no-inline-styles", which tells plotly.js to add none (see that file).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.roles",
            ],
        },
    },
]

# A server database keeps each worker's connection open (a new PostgreSQL connection costs a backend
# process per request), checked before reuse; SQLite opens its file per request.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60 if os.environ.get("DATABASE_URL") else 0),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The laptop default: a transaction takes the write lock when it begins and a writer waits for
    # it (up to 20 s) instead of failing with "database is locked"; WAL lets readers go on meanwhile.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20,
                                       "init_command": "PRAGMA journal_mode=WAL"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # refuses nothing: once a new password is saved (a completed reset, say), the account's failed
    # logins are forgotten, which lifts a lock on the account (not on an address), and its API tokens
    # are revoked
    {"NAME": "portal.accounts.NewPasswordResetsAccess"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while an account or address is locked
    "django.contrib.auth.backends.ModelBackend",
]
# 10 failed logins (within 15 minutes of each other) lock the account, and the address they came
# from, for 15 minutes; organizers unlock in the admin (Axes > Access attempts: delete), and a new
# password unlocks the account. A successful login forgets only the failures at that account from
# that address (portal.accounts.AxesHandler): axes' own AXES_RESET_ON_SUCCESS would forget every
# failure from the address, whatever account it guessed at.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock lasts 15 minutes, not longer
AXES_RESET_ON_SUCCESS = False
AXES_HANDLER = "portal.accounts.AxesHandler"
AXES_LOCKOUT_CALLABLE = "portal.accounts.lockout_response"
AXES_CLIENT_IP_CALLABLE = "portal.accounts.client_ip"
AXES_VERBOSE = False  # no start-up banner on every management command
# How many reverse proxies (each appending to X-Forwarded-For) stand between clients and the
# portal: 1 behind docker-compose's nginx. 0 trusts no header and uses the connection's address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

LOGIN_URL = "login"
CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"
LOGIN_REDIRECT_URL = "submission-list"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # stored in UTC; deadlines are displayed Anywhere on Earth (UTC-12)
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("PORTAL_STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # plotly.js as the plotly package ships it (served at static/plotly/plotly.min.js; no CDN)
    ("plotly", Path(importlib.util.find_spec("plotly").submodule_search_locations[0]) / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(STORAGE_DIR)}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if os.environ.get("PORTAL_S3_BUCKET"):
    # Uploaded zips in an S3-compatible bucket (django-storages), so workers on other hosts read them.
    # Credentials come the usual boto3 way: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or an instance role.
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": os.environ["PORTAL_S3_BUCKET"],
        "endpoint_url": os.environ.get("PORTAL_S3_ENDPOINT_URL") or None,  # MinIO, Ceph, R2, ...
        "region_name": os.environ.get("PORTAL_S3_REGION") or None,
        "location": os.environ.get("PORTAL_S3_PREFIX", "uploads"),
        "default_acl": "private", "querystring_auth": True, "file_overwrite": False,
    }}
WHITENOISE_USE_FINDERS = True  # serve static files straight from the apps, no collectstatic needed

# The REST API (/api/): the same selectors as the pages decide what each user sees.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    # A service's refusal answers {"detail": message} with its status (portal.refusals).
    "EXCEPTION_HANDLER": "portal.refusals.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Inverse Scaling Prize portal API",
    "DESCRIPTION": "Submit tasks, poll their evaluation and fetch results; review and award them.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # a trend's label and shape share one choice set: one name for it in the schema
    "ENUM_NAME_OVERRIDES": {"TrendShapeEnum": "evaluation.engine.trends.LABELS"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Upload limits (each configurable, each with its own message to the contestant).
UPLOAD_MAX_COMPRESSED_BYTES = env_int("UPLOAD_MAX_COMPRESSED_MB", 50) * 1024 * 1024
UPLOAD_MAX_UNCOMPRESSED_BYTES = env_int("UPLOAD_MAX_UNCOMPRESSED_MB", 500) * 1024 * 1024
UPLOAD_MAX_ENTRIES = env_int("UPLOAD_MAX_ENTRIES", 100)
UPLOAD_MAX_COMPRESSION_RATIO = env_int("UPLOAD_MAX_COMPRESSION_RATIO", 200)
# A request body larger than the zip limit plus this allowance for the form's other fields is
# refused before any of it is read (portal.middleware); docker-compose's nginx has the same limit.
UPLOAD_FORM_ALLOWANCE_BYTES = 1024 * 1024
UPLOAD_MAX_REQUEST_BYTES = UPLOAD_MAX_COMPRESSED_BYTES + UPLOAD_FORM_ALLOWANCE_BYTES
UPLOAD_ORPHAN_MAX_AGE = timedelta(days=1)  # stored zips no version points to are swept after this
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024  # larger request bodies spool their files to a temporary file
FILE_UPLOAD_TEMP_DIR = os.environ.get("FILE_UPLOAD_TEMP_DIR") or None

# Evaluation jobs (evaluation/lifecycle.py, worker.py, sweep.py).
EVALUATION_TASK_TIME_LIMIT_SECONDS = env_int("EVALUATION_TASK_TIME_LIMIT_SECONDS", 6 * 3600)
EVALUATION_MAX_ATTEMPTS = env_int("EVALUATION_MAX_ATTEMPTS", 3)  # claims of a run before it is marked failed
EVALUATION_HEARTBEAT_SECONDS = env_int("EVALUATION_HEARTBEAT_SECONDS", 30)
EVALUATION_STALE_AFTER_SECONDS = env_int("EVALUATION_STALE_AFTER_SECONDS", 600)  # no heartbeat: worker stopped
EVALUATION_RESEND_AFTER_SECONDS = env_int("EVALUATION_RESEND_AFTER_SECONDS", 1800)  # sent, never started: lost
EVALUATION_RETRY_DELAY_SECONDS = env_int("EVALUATION_RETRY_DELAY_SECONDS", 30)  # doubled at each attempt
EVALUATION_DRAIN_MAX = env_int("EVALUATION_DRAIN_MAX", 20)  # queued runs of the loaded model scored after a task
EVALUATION_DEVICE = os.environ.get("EVALUATION_DEVICE") or None  # cpu, cuda, auto; default: cuda if there is one
EVALUATION_DTYPE = os.environ.get("EVALUATION_DTYPE") or None  # default: fp32 on CPU, bf16/fp16 on GPU

# Celery and cache: Redis when REDIS_URL is set, otherwise a broker that needs no server.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Longer than the longest task (EVALUATION_TASK_TIME_LIMIT_SECONDS), so an unacknowledged task is
    # redelivered only when its worker is gone, never while it is still being scored.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 2 * EVALUATION_TASK_TIME_LIMIT_SECONDS}
else:
    _broker = VAR_DIR / "celery-broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "out"),
        "data_folder_out": str(_broker / "out"),
        "processed_folder": str(_broker / "processed"),
        "control_folder": str(_broker / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery-results'}"
    for _folder in (_broker / "out", _broker / "processed", _broker / "control", VAR_DIR / "celery-results"):
        _folder.mkdir(parents=True, exist_ok=True)
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "cpu"
# The periodic tasks have a queue of their own, served by a worker that never scores (scripts/celery-processes,
# docker-compose's sweeper), so they never wait behind a model being scored.
SWEEP_QUEUE = "sweep"
CELERY_TASK_ROUTES = {"evaluation.sweep": {"queue": SWEEP_QUEUE},
                      "portal.tasks.sweep_orphan_uploads": {"queue": SWEEP_QUEUE}}
# Periodic jobs (celery beat); each app adds its own entries.
CELERY_BEAT_SCHEDULE: dict = {
    "portal-sweep-orphan-uploads": {"task": "portal.tasks.sweep_orphan_uploads", "schedule": 3600.0},
    # sends unsent runs, re-queues those whose worker stopped, starts missing and private runs
    "evaluation-sweep": {"task": "evaluation.sweep", "schedule": float(env_int("EVALUATION_SWEEP_SECONDS", 60))},
}

# Email: printed on the console in development; SMTP (EMAIL_HOST, ...) in production.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Inverse Scaling Prize <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The portal's public address, for links in emails sent by workers (no request to take it from).
PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:8000/")


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# The proxy in front (docker-compose's nginx) says whether the client used HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    # Behind a TLS-terminating proxy that redirects and sends HSTS itself, set SECURE_SSL_REDIRECT=false
    # and SECURE_HSTS_SECONDS=0.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
