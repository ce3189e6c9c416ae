"""config/settings.py reads the environment and fails loudly on a missing secret."""

import os
import subprocess
import sys

from django.conf import settings


def load_settings(**env):
    code = "import config.settings as s; print(s.DATABASES['default']['ENGINE'], s.TIME_ZONE, s.LANGUAGE_CODE)"
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL")}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                          cwd=settings.BASE_DIR)


def test_it_requires_a_secret_key_when_debug_is_off():
    result = load_settings(DEBUG="False")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_runs_on_sqlite_by_default_in_tokyo_time_and_japanese():
    result = load_settings(DEBUG="False", SECRET_KEY="x" * 50)
    assert result.stdout.split() == ["django.db.backends.sqlite3", "Asia/Tokyo", "ja"]


def test_database_url_switches_to_postgresql():
    result = load_settings(DATABASE_URL="postgres://postgres@127.0.0.1:5432/pms")
    assert result.stdout.split()[0] == "django.db.backends.postgresql"


def test_a_malformed_boolean_is_an_error():
    result = load_settings(DEBUG="yes")
    assert "Unexpected value DEBUG='yes'" in result.stderr
