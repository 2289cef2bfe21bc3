"""Oversight settings, read from the environment.

The embedded default needs nothing running: SQLite under var/. Production sets
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, FIELD_ENCRYPTION_KEY and DATABASE_URL; DEBUG is off
unless DJANGO_DEBUG asks for it, and with DEBUG off HTTPS, HSTS and secure cookies are on.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue as _Queue

from oversight import local_keys
from oversight.security import proxy_networks

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
# Debug comes from the process environment only (`make run` sets it): never from .env, a file in the
# checkout that production runs from too, where a leftover DJANGO_DEBUG=1 would turn debug pages on.
_DEBUG_FROM_ENVIRONMENT = os.environ.get("DJANGO_DEBUG")
# A local .env (git-ignored) may hold other variables for this checkout.
ENV_FILE = local_keys.env_file()
if ENV_FILE.exists():
    environ.Env.read_env(ENV_FILE, overwrite=False)
    if _DEBUG_FROM_ENVIRONMENT is None and os.environ.pop("DJANGO_DEBUG", None) is not None:
        print(  # noqa: T201 - settings have no logging yet
            f"Oversight: DJANGO_DEBUG in {ENV_FILE} is ignored; debug is only set in the environment "
            "(make run does it).",
            file=sys.stderr,
        )

# Keys, the SQLite database, briefings. Settings only read it: `make run` makes it and the local keys.
VAR_DIR = local_keys.var_dir()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it (production), or set DJANGO_DEBUG=1 for local development."
        )
    # Local development only: a key made once per checkout (oversight/local_keys.py).
    SECRET_KEY = local_keys.local_key(local_keys.SECRET_KEY_FILE)

# Confidential notes are encrypted with these (agencies/core/fields.py): the first encrypts, all decrypt.
# Rotate by putting a new key first, then `manage.py reencrypt_fields`, then dropping the old one.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY is not set. Set it (production: keep it apart from database backups), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    # Local development only, like the secret key: losing var/ loses the confidential notes.
    FIELD_ENCRYPTION_KEYS = [local_keys.local_key(local_keys.FIELD_KEY_FILE)]
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError:
        # The message never repeats the key: it may end up in a log.
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key (32 url-safe base64 bytes). "
            "Make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from None

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "oversight.apps.OversightAdminConfig",  # django.contrib.admin, the record first
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "simple_history",
    "axes",
    "csp",
    "agencies",
]

MIDDLEWARE = [
    # First: forwarded headers from anyone but a trusted proxy are dropped before anything reads them.
    "oversight.security.TrustedProxyMiddleware",
    # Oversized bodies (413) and NUL bytes in query strings (400), before any view.
    "oversight.security.RequestBoundsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the process (compressed, cached forever by their hashed names).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records who made each change in the admin into the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses any login, even with the right password, while the account is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "oversight.urls"
# One login page for the admin and the explorer.
LOGIN_URL = "admin:login"

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
            ],
        },
    },
]

WSGI_APPLICATION = "oversight.wsgi.application"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'oversight.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Serialise writers instead of failing with "database is locked" under the worker and the web.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    # A kept connection is checked before reuse: after a PostgreSQL restart the next request reconnects
    # instead of failing on the dead one. Connecting fails fast when the server is down.
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    # No JIT: a page that stops at its LIMIT is planned at the cost of reading every row, and
    # PostgreSQL would spend 0.3-1.7 s compiling it for 0.2 s of work at a million claims.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves what `collectstatic` wrote: compressed, under names that change with the content.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Briefing PDFs (an internal one names confidential sources) and uploads: their owner only, in folders
# only their owner opens.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Request bodies. The largest anyone sends is a dossier upload, at most 16 MiB (agencies/exchange/
# loading.py MAX_BYTES): a body larger than that and its form is refused with 413 before it is read
# (oversight/security.py), as the proxy refuses it (client_max_body_size in the README). Form fields
# other than files stay within Django's 2.5 MiB; a file above 2.5 MiB goes to a temporary file (0600).
REQUEST_BODY_MAX_BYTES = 17 * 2**20  # the 16 MiB file and 1 MiB for the form around it
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Trust: hardening, lockout, content security policy (docs/deploying.md) ---
# Off DEBUG, Oversight expects HTTPS, normally terminated by a proxy that sets X-Forwarded-Proto.
HTTPS = env.bool("DJANGO_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=HTTPS)
# Forwarded headers count only from these addresses or networks (oversight/security.py): trust none
# by default. Behind the README's proxy on the same machine: OVERSIGHT_TRUSTED_PROXIES=127.0.0.1,::1.
if "DJANGO_BEHIND_PROXY" in os.environ:
    raise ImproperlyConfigured(
        "DJANGO_BEHIND_PROXY is replaced by OVERSIGHT_TRUSTED_PROXIES: set it to the proxy's addresses "
        "(e.g. 127.0.0.1,::1), or leave it empty when no proxy stands in front."
    )
TRUSTED_PROXIES = env.list("OVERSIGHT_TRUSTED_PROXIES", default=[])
proxy_networks(TRUSTED_PROXIES)  # a typo stops the start, naming the value
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_SECONDS", default=12 * 3600)
# Error reports (500 e-mails, logged tracebacks, debug pages) hide note fields as well as keys,
# passwords and the password of any URL (CELERY_BROKER_URL, DATABASE_URL in runserver's META).
DEFAULT_EXCEPTION_REPORTER_FILTER = "oversight.error_reports.ConfidentialExceptionReporterFilter"

# django-axes: after AXES_FAILURE_LIMIT failed logins on an account from one address, or from one
# address on any accounts, logins from that address are refused, even with the right password, until
# the cool-off has passed (or `manage.py axes_reset_username NAME`). A success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Locked: an account from one address, and an address on any accounts. Never an account from
# everywhere, or anyone could lock a victim out with AXES_FAILURE_LIMIT wrong passwords. (With one
# failure limit for both, the address's count is the one that trips first.)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_CLIENT_IP_CALLABLE = "oversight.security.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# No "AXES: BEGIN" banner on every manage.py command.
AXES_VERBOSE = env.bool("AXES_VERBOSE", default=False)

# django-csp: every response, the admin's included. Nothing inline: Oversight's styles and scripts
# are static files, so neither 'unsafe-inline' nor nonces are needed.
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

# History pages show and never save: no Revert button, and agencies/admin/common.py's
# ReadOnlyHistoryAdmin answers a POST to them with 405 whatever the settings.
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_EDIT = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # WeasyPrint logs each rendering step at INFO; only its warnings say something.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# --- Celery and briefing storage (agencies/briefings/services.py, worker.py; oversight/celery.py) ---
# With CELERY_BROKER_URL (redis://...) workers build briefings; without it the same tasks run
# in-process, so the embedded default builds briefings with nothing else running.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False  # an in-process build that breaks leaves its row to say so, not a 500
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True  # the Briefing row is the result
CELERY_TIMEZONE = TIME_ZONE
# Acknowledge after the work, re-queue when the worker process dies, take one task at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A render goes on when the connection to Redis drops; its ack is lost at worst, and a copy of the task
# delivered again finds the briefing finished (every claim is fenced).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Briefings on their own queue: other background work (on the default queue, "celery") cannot starve
# them. A worker names the queues it serves: `celery -A oversight worker -Q briefings,celery`.
CELERY_TASK_DEFAULT_QUEUE = "celery"
# A worker started without -Q serves both.
CELERY_TASK_QUEUES = [_Queue(name, routing_key=name) for name in ("briefings", "celery")]
CELERY_TASK_ROUTES = {"agencies.briefing_build": {"queue": "briefings"}}
BRIEFING_QUEUE = "briefings"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Time limits stay below the visibility timeout, or Redis would hand a running task to a second worker.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("BRIEFING_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
_visibility_timeout = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
if _visibility_timeout <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must be longer than the task time limit.")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _visibility_timeout,
    # A request never hangs on a broker that is down: fail fast and leave the row queued.
    "socket_connect_timeout": 2,
    "socket_timeout": 5,  # above kombu's 1-second BRPOP; bounds a publish to a broker that hangs
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# WeasyPrint keeps some memory of every document it renders (about 1 MiB with the bundled fonts,
# outside Python): a child process is replaced after this many briefings, or above this size.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=20)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD_KIB", default=768_000)

BRIEFING_MAX_ATTEMPTS = env.int("BRIEFING_MAX_ATTEMPTS", default=3)
# The paper briefings are laid out for unless a request says otherwise: "A4" or "letter".
BRIEFING_PAGE_SIZE = env.str("BRIEFING_PAGE_SIZE", default="A4")
# Bounds on asking (agencies/briefings/services.py briefing_request): briefings one user may have queued
# or running at once, and claims one briefing may cover.
BRIEFING_MAX_QUEUED_PER_USER = env.int("BRIEFING_MAX_QUEUED_PER_USER", default=3)
BRIEFING_MAX_CLAIMS = env.int("BRIEFING_MAX_CLAIMS", default=2000)
# Worker processes that may die under one briefing before it is failed (a render that takes its
# process down every time); deaths from elsewhere (a deploy, the OOM killer) rarely hit one twice.
BRIEFING_MAX_WORKERS_LOST = env.int("BRIEFING_MAX_WORKERS_LOST", default=5)
BRIEFING_HEARTBEAT_SECONDS = env.float("BRIEFING_HEARTBEAT_SECONDS", default=3)
# A running briefing whose heartbeat is older than this lost its worker (recovery after a worker dies
# takes at most this plus BRIEFING_SWEEP_SECONDS); a queued one older than BRIEFING_REPUBLISH_SECONDS
# that the broker does not hold (Redis restarted empty) is published again.
BRIEFING_STALE_SECONDS = env.float("BRIEFING_STALE_SECONDS", default=12)
BRIEFING_REPUBLISH_SECONDS = env.float("BRIEFING_REPUBLISH_SECONDS", default=20)
BRIEFING_SWEEP_SECONDS = env.float("BRIEFING_SWEEP_SECONDS", default=5)
# How long a finished render waits for the database to come back before it gives its attempt back.
BRIEFING_STORE_RETRY_SECONDS = env.float("BRIEFING_STORE_RETRY_SECONDS", default=60)
# Dossier uploads kept between the dry run and the confirmation (agencies/admin/dossier_upload.py) that
# nobody confirmed are refused after an hour and deleted this often.
DOSSIER_UPLOADS_SWEEP_SECONDS = env.float("DOSSIER_UPLOADS_SWEEP_SECONDS", default=900)
# Files under briefings/ that no row records (a worker died between writing and recording) are removed
# this often.
BRIEFING_FILES_SWEEP_SECONDS = env.float("BRIEFING_FILES_SWEEP_SECONDS", default=3600)
# The briefing sweep itself runs in beat's process every BRIEFING_SWEEP_SECONDS (oversight/celery.py):
# a sweep task would wait behind the briefings a busy worker renders.
CELERY_BEAT_SCHEDULE = {
    "briefing-files-sweep": {
        "task": "agencies.briefing_files_sweep",
        "schedule": BRIEFING_FILES_SWEEP_SECONDS,
        "options": {"expires": BRIEFING_FILES_SWEEP_SECONDS},
    },
    "dossier-uploads-sweep": {
        "task": "agencies.dossier_uploads_sweep",
        "schedule": DOSSIER_UPLOADS_SWEEP_SECONDS,
        "options": {"expires": DOSSIER_UPLOADS_SWEEP_SECONDS},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# PDFs go through Django's default storage (FileSystemStorage under MEDIA_ROOT here; object storage
# through django-storages past one machine). MEDIA_URL stays unset: nothing is served from it.

# Object storage past one machine: set AWS_STORAGE_BUCKET_NAME and briefing PDFs and pending dossier
# uploads go to that S3 bucket (AWS, or any S3 protocol server through AWS_S3_ENDPOINT_URL) instead of
# MEDIA_ROOT. Objects are private: nothing is public-read, no URL is handed out, every download goes
# through the view that checks permission.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    from botocore.config import Config as _BotoConfig

    _s3_endpoint = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    _s3_style = env.str("AWS_S3_ADDRESSING_STYLE", default="path" if _s3_endpoint else "auto")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": _s3_endpoint,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Empty: boto3's own chain (instance role, ~/.aws, AWS_* variables) finds the credentials.
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("AWS_LOCATION", default="").strip("/"),
            "default_acl": None,  # the bucket's own: private
            "querystring_auth": True,
            "file_overwrite": True,  # names are unique by construction (briefing, attempt, digest)
            # Fail an unreachable storage in seconds, with one retry, rather than hang a worker.
            "client_config": _BotoConfig(
                s3={"addressing_style": _s3_style},
                signature_version="s3v4",
                connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3),
                read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=20),
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        },
    }
