"""Test settings: only what must differ from config.settings."""

import os
import tempfile
from pathlib import Path

import jinja2

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run with DEBUG off and no collectstatic: let whitenoise look files up on demand
# instead of warning on every request that STATIC_ROOT does not exist.
WHITENOISE_AUTOREFRESH = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# A connection per request, as before persistent connections: the live-server and
# concurrency tests open connections in threads that must not outlive their test.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# One test database per test process, so that two suites running side by side on one
# machine never share (and drop) each other's database.
_test_db = f"test_pms_{os.getpid()}"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not the in-memory default: the concurrency tests open one connection per
    # thread, and an in-memory shared-cache database fails them with "table is locked"
    # where a real deployment would wait for the lock.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"{_test_db}.sqlite3")}  # noqa: F405
else:
    DATABASES["default"]["TEST"] = {"NAME": _test_db}  # noqa: F405

# django-axes stays on: every login over HTTP is counted and can be locked out. Only the
# test client's login(), which authenticates without a request, is let through.
AUTHENTICATION_BACKENDS = ["config.lockout.TestClientAxesBackend", *AUTHENTICATION_BACKENDS[1:]]  # noqa: F405

# A name a Jinja2 row template reads that its page does not give fails the test, where
# production draws nothing (config/jinja2.py).
next(engine for engine in TEMPLATES if engine["BACKEND"].endswith("Jinja2"))["OPTIONS"]["undefined"] = (  # noqa: F405
    jinja2.StrictUndefined
)
