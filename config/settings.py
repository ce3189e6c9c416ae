"""Settings, read from the environment (one module, healthchecks-style).

Every value has a safe development default except SECRET_KEY, which must be set
whenever DEBUG is off.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default)
    if value not in ("", "True", "False", "1", "0", "true", "false"):
        raise ImproperlyConfigured(f"Unexpected value {name}={value!r}, use 'True' or 'False'")
    return value in ("True", "1", "true")


def envint(name: str, default: str) -> int:
    value = os.getenv(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "True")

SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "simple_history",
    "pgtrigger",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    # django-ratelimit (the public form's limit), with its cache table made after every migrate.
    "config.ratelimit.RatelimitConfig",
    "trail",
    "accounts",
    "notifications",
    # audits before incidents: its seed_demo extends the incidents one (the first app wins).
    "audits",
    "incidents",
    "worklist",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # 413 for a body larger than REQUEST_MAX_BYTES, before anything reads it.
    "config.limits.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "config.contentpolicy.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The group's companies (are there several? which?): one query a request, not one per question.
    "incidents.middleware.CompaniesReadOncePerRequest",
    # request.user.is_verified(): whether this session passed a two-factor code (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # Users who must use two-factor (OTP_REQUIRED) reach only the enrolment or code page until they do.
    "accounts.twofactor.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Who saved a record, for its history, when a service did not say (the services do).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Which door (web, API, admin) each trail and history entry came through.
    "trail.doors.DoorMiddleware",
    # A POST under /api/ with an Idempotency-Key runs once per user and key; a retry gets the
    # first answer (incidents/api/idempotency.py). Wraps the view in a transaction with the key.
    "incidents.api.idempotency.IdempotencyMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "incidents.context_processors.roles",
                "incidents.context_processors.companies",
                "notifications.context_processors.inbox",
            ],
        },
    },
    # The rows pages repeat for every record (<app>/jinja2/, included with {% rows %}): see
    # config/jinja2.py. Second, so that a page's name is looked up among the Django templates first.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "config" / "jinja2"],  # the site's header (base.html)
        "APP_DIRS": True,
        "OPTIONS": {"environment": "config.jinja2.environment"},
    },
]
# Django's own widgets from its Jinja2 copies of their templates (config/jinja2.py).
FORM_RENDERER = "config.jinja2.FormRenderer"

# The embedded default is a SQLite file in the project; production sets
# DATABASE_URL=postgres://user@host:5432/pms.
# Each worker keeps its database connection for CONN_MAX_AGE seconds instead of opening one
# per request (on PostgreSQL each new connection forks a server process and authenticates:
# a record page's API answer took 57 ms with one per request, 25 ms kept, bench/load_mix.py),
# checked before reuse, so that a restarted database does not fail the next request. 0: a
# connection per request (behind a transaction-pooling PgBouncer, say).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("CONN_MAX_AGE", "600"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes every write transaction take the database lock at BEGIN, so two
    # transactions never read the same reference counter and then collide on write.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
elif envbool("DATABASE_PREPARED_STATEMENTS", "True"):
    # PostgreSQL: the values bound on the server, and a statement a connection has sent twice
    # prepared, so that PostgreSQL parses and plans it once per connection instead of at each
    # request (the incident page's record query, nine tables joined: 3 ms of planning for 0.3 ms
    # of work, then 0.01 ms; bench/query_plans.md). PostgreSQL's CPU a request under the day's
    # mix: 9–14 ms before, 6.5–8.5 ms after (bench/load_mix.py). False behind a pooler in
    # transaction mode (PgBouncer before 1.21), which cannot keep a connection's prepared
    # statements.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 2})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The admin's "History" pages of reference data show every saved version; reverting to one
# would write the record around its rules, so it is off.
SIMPLE_HISTORY_REVERT_DISABLED = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login protection (django-axes): a username + client address pair is locked after
# LOGIN_FAILURE_LIMIT failed logins (web, admin and API token alike) for
# LOGIN_LOCKOUT_MINUTES (0: until an administrator unlocks it in the admin, "Access
# attempts", or with `manage.py axes_reset`). A successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before checking the password
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "10")
_lockout_minutes = envint("LOGIN_LOCKOUT_MINUTES", "15")
AXES_COOLOFF_TIME = timedelta(minutes=_lockout_minutes) if _lockout_minutes > 0 else None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# Logged (logger "axes", WARNING): each failure and each lockout, with the username and address.
AXES_SENSITIVE_PARAMETERS: list[str] = []
# The client address is REMOTE_ADDR unless a reverse proxy you trust sets a header with it:
# CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR with TRUSTED_PROXY_COUNT proxies in front.
if os.getenv("CLIENT_IP_HEADER"):
    AXES_IPWARE_META_PRECEDENCE_ORDER = (os.environ["CLIENT_IP_HEADER"], "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "1")

# Two-factor (django-otp, TOTP): optional for everyone, enrolled at /accounts/two-factor/;
# compulsory for the groups of users named in TWO_FACTOR_REQUIRED_FOR (comma list of
# "superusers", "pms_managers"). An administrator removes a lost device in the admin
# ("TOTP devices"). Each wrong code doubles the wait before the next try and counts as a
# failed login for django-axes.
OTP_REQUIRED = envlist("TWO_FACTOR_REQUIRED_FOR", "")
if unknown := set(OTP_REQUIRED) - {"superusers", "pms_managers"}:
    raise ImproperlyConfigured(
        f"TWO_FACTOR_REQUIRED_FOR: unknown {', '.join(sorted(unknown))}; use superusers and/or pms_managers"
    )
OTP_TOTP_ISSUER = "PMS workflow"  # the account's name in the authenticator app

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Japanese first, English available.
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
# Static files straight from the apps' and config/ folders, looked up on each request: under
# DEBUG, and under `make run`, which turns DEBUG off (the site's own error pages) but has no
# collectstatic step. Production runs collectstatic once; whitenoise serves the hashed,
# compressed copies from STATIC_ROOT.
STATIC_FROM_SOURCE = envbool("STATIC_FROM_SOURCE", "True" if DEBUG else "False")
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = STATIC_FROM_SOURCE
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if STATIC_FROM_SOURCE
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.getenv("MEDIA_ROOT", BASE_DIR / "media"))
# Evidence files on a shared S3-compatible bucket (django-storages) when several instances
# serve the application: FILE_STORAGE=s3 and AWS_STORAGE_BUCKET_NAME, optionally
# AWS_S3_ENDPOINT_URL (MinIO, Ceph, Wasabi…) and AWS_S3_REGION_NAME. The keys are read from
# AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY by django-storages, else boto3's default chain
# (instance role, ~/.aws). Objects stay private: no ACL is set (the bucket's own, private),
# and the files are only ever read back through the download views, never from a bucket URL.
FILE_STORAGE = os.getenv("FILE_STORAGE", "filesystem")
if FILE_STORAGE == "s3":
    if not os.getenv("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.getenv("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.getenv("AWS_S3_REGION_NAME") or None,
            "location": os.getenv("AWS_LOCATION", ""),
            "default_acl": None,
            "querystring_auth": True,
            # Names are attachments/<uuid4>: never taken, so no existence check before a write.
            "file_overwrite": True,
            # A download is buffered in memory up to 2 MB, on disk beyond (the default: all in memory).
            "max_memory_size": 2 * 1024 * 1024,
        },
    }
elif FILE_STORAGE != "filesystem":
    raise ImproperlyConfigured(f"Unexpected value FILE_STORAGE={FILE_STORAGE!r}, use 'filesystem' or 's3'")

# Evidence files (attachments of incidents, audits and findings): never served from a
# public URL, only through a view that checks the user may see the record.
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024))

# The group's companies are records (admin: "Group companies"). These two settings only
# name the first company when the database is created from a single-company installation;
# afterwards each company's own name and fiscal year (April by default) are used.
FISCAL_YEAR_START_MONTH = envint("FISCAL_YEAR_START_MONTH", "4")
COMPANY_NAME = os.getenv("COMPANY_NAME", "")

# Where the links in mails sent outside a request point: the joint-use notice, and the
# reminders unless send_reminders is given --base-url.
SITE_URL = os.getenv("SITE_URL", "")

# Background work (issue 14): django-tasks with its database backend, so one machine needs
# nothing beside the database; `manage.py run_worker` (started by `make run`) delivers the
# notifications and runs the periodic jobs below. Several workers may run at once.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# Each job: (the function, seconds between runs). One worker runs each per period.
PERIODIC_JOBS = {
    "sweep": ("notifications.delivery.sweep", 60),
    "digests": ("notifications.digest.send_digests", 300),
    "reminders": ("incidents.reminders.send_reminders", 300),
    "finding_reminders": ("audits.reminders.send_reminders", 300),
    "request_reminders": ("incidents.case_reminders.send_reminders", 300),
    # Copies of identity documents of requests closed longer than the company's retention period.
    "purge_identity_documents": ("incidents.case_services.purge_identity_documents", 86400),
    "prune_tasks": ("notifications.periodic.prune_finished_tasks", 86400),
    # API tokens past their expiry (refused as soon as they expire; accounts/auth.py).
    "expired_tokens": ("accounts.auth.delete_expired_tokens", 3600),
}
# The hour (Japan time) from which the daily digest goes out.
NOTIFICATION_DIGEST_HOUR = envint("NOTIFICATION_DIGEST_HOUR", "8")

# Number each company's records in its own series, headed by its code (INE-INC-2026-0042).
# Off, the group shares one series (INC-2026-0042) and a record's company is on its page.
REFERENCE_COMPANY_PREFIX = envbool("REFERENCE_COMPANY_PREFIX", "False")

EMAIL_BACKEND = os.getenv("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.getenv("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "False")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "pms@localhost")

REST_FRAMEWORK = {
    # Token first: a request without credentials then gets 401 with `WWW-Authenticate: Token`
    # (with session auth first, DRF answers 403, as a session has no challenge to offer).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # knox's, without reading all of the user's tokens on each request (accounts/auth.py).
        "accounts.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON nested deeper than 32 levels is a 400 before it is parsed (never a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "incidents.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "incidents.api.pagination.PageNumberPagination",
    # Invalid filter, ordering or page-size values are a 400 naming the parameter.
    "DEFAULT_FILTER_BACKENDS": [
        "incidents.api.filters.StrictDjangoFilterBackend",
        "incidents.api.filters.StrictSearchFilter",
        "incidents.api.filters.StrictOrderingFilter",
    ],
    # drf-spectacular's, with the error answers every endpoint can give (incidents/api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "incidents.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "incidents.api.errors.exception_handler",
}

# API tokens (django-rest-knox, accounts/api.py): stored as a hash, one per client or device,
# each expiring API_TOKEN_TTL_HOURS after it was issued; a client then asks for a new one.
# 720 hours (30 days): long enough that a scheduled integration is not stopped every day,
# short enough that a token forgotten on a laptop or in a script stops working within a month
# (and one taken from them with it). Deactivating the user or changing their password revokes
# their tokens at once (accounts/signals.py).
# No sliding renewal (AUTO_REFRESH): a stolen token in use still dies at its expiry.
API_TOKEN_TTL_HOURS = envint("API_TOKEN_TTL_HOURS", "720")
if API_TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured(f"API_TOKEN_TTL_HOURS must be at least 1, got {API_TOKEN_TTL_HOURS}")
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",  # `Authorization: Token <token>`, as with DRF's tokens before
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "PMS incident and audit API",
    "DESCRIPTION": "Incidents, corrective and preventive actions, and their transitions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"FilingMethodEnum": "incidents.models.reporting.FilingMethod"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The optional Idempotency-Key header, and its 400 and 422, on every POST it applies to.
        "incidents.api.idempotency.document_idempotency_key",
        # `version` is required on every PUT and PATCH (the edit contract), partial or not.
        "incidents.api.schema.require_version_on_edits",
    ],
}

# How long the answer to an API POST sent with an Idempotency-Key is kept for its retries
# (`manage.py purge_idempotency_keys` deletes older ones; an older key is a new request).
IDEMPOTENCY_KEY_HOURS = envint("IDEMPOTENCY_KEY_HOURS", "24")

# A request whose declared size is above this is refused (413) before its body is read:
# the largest attachment plus a margin for the rest of the form.
REQUEST_MAX_BYTES = envint("REQUEST_MAX_BYTES", str(ATTACHMENT_MAX_BYTES + 1024 * 1024))

# The public form (incidents public_intake, issue 15): a person files a request to disclose
# etc. or a complaint without an account and gets a receipt number. Off by default (404);
# PUBLIC_INTAKE=True opens it at /contact/privacy/. PUBLIC_INTAKE_RATE: submissions per client
# address (django-ratelimit's "count/period", s m h d), beyond which the page answers 429.
PUBLIC_INTAKE = envbool("PUBLIC_INTAKE", "False")
PUBLIC_INTAKE_RATE = os.getenv("PUBLIC_INTAKE_RATE", "5/h")
# The counters are shared by every worker and instance: a cache table in the database
# (config/ratelimit.py, created after every migrate), with an atomic increment. The default
# cache stays the per-process memory one Django uses when none is set.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {
        "BACKEND": "config.ratelimit.AtomicDatabaseCache",
        "LOCATION": "ratelimit_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_IP_META_KEY = "config.ratelimit.client_ip"
# django-ratelimit warns about any backend it does not list (W001); it lists DatabaseCache as
# unsafe (E003, a non-atomic increment), which AtomicDatabaseCache is not: its check is
# about the backend's name, so the warning is expected and reviewed (config/ratelimit.py).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# Production profile (HTTPS). `python manage.py check --deploy` is clean with DEBUG=False,
# SECURE_SSL_REDIRECT=True and SECURE_HSTS_SECONDS, SECURE_HSTS_INCLUDE_SUBDOMAINS and
# SECURE_HSTS_PRELOAD set; HSTS is opt-in as a browser remembers it for its whole duration.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "False")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer probes over plain HTTP
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "False")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "False")
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", "False" if DEBUG else "True")
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", "False" if DEBUG else "True")
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
if envbool("SECURE_PROXY_SSL_HEADER", "False"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp) on every page: this origin only; scripts and <style>
# elements from files or carrying the response's nonce; style attributes allowed (the bar
# charts, the admin). config/contentpolicy.py allows inline <style> on the admin and ReDoc.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}
