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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "simple_history",
    "pgtrigger",
    "axes",
    "csp",
    "trail",
    "accounts",
    # audits before incidents: its seed_demo extends the incidents one (the first app wins).
    "audits",
    "incidents",
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
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Who saved a record, for its history, when a service did not say (the services do).
    "simple_history.middleware.HistoryRequestMiddleware",
    # Which door (web, API, admin) each trail and history entry came through.
    "trail.doors.DoorMiddleware",
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
            ],
        },
    },
]

# The embedded default is a SQLite file in the project; production sets
# DATABASE_URL=postgres://user@host:5432/pms.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("CONN_MAX_AGE", "0"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes every write transaction take the database lock at BEGIN, so two
    # transactions never read the same reference counter and then collide on write.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})

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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.getenv("MEDIA_ROOT", BASE_DIR / "media"))

# Evidence files (attachments of incidents, audits and findings): never served from a
# public URL, only through a view that checks the user may see the record.
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024))

# The fiscal year of the audit programme starts in this month (April in most Japanese companies).
FISCAL_YEAR_START_MONTH = envint("FISCAL_YEAR_START_MONTH", "4")

# Printed on the cover of the review and audit PDFs (left off when empty).
COMPANY_NAME = os.getenv("COMPANY_NAME", "")

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
        "rest_framework.authentication.TokenAuthentication",
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
        "rest_framework.filters.SearchFilter",
        "incidents.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "incidents.api.errors.exception_handler",
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
}

# A request whose declared size is above this is refused (413) before its body is read:
# the largest attachment plus a margin for the rest of the form.
REQUEST_MAX_BYTES = envint("REQUEST_MAX_BYTES", str(ATTACHMENT_MAX_BYTES + 1024 * 1024))

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
