"""The production profile: `check --deploy` clean from the environment, the
Content-Security-Policy, the request-size limit and the health endpoint."""

from __future__ import annotations

import io
import json as json_module
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import RequestFactory

from config.limits import RequestSizeLimitMiddleware
from tests.incidents.factories import IncidentFactory

PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "pms.example.jp",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "1",
}


def run(code_or_args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DJANGO_SETTINGS_MODULE"}
    environment.update(env)
    args = [sys.executable, *code_or_args] if isinstance(code_or_args, list) else [sys.executable, "-c", code_or_args]
    return subprocess.run(args, capture_output=True, text=True, env=environment, cwd=settings.BASE_DIR)


def test_check_deploy_is_clean_in_the_production_profile():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_server_process_freezes_the_app_and_collects_the_young_less_often():
    """config.wsgi, what gunicorn loads: the app's objects set aside from the collector and
    the youngest generation collected every 7,000 containers (bench/profile_summary.md)."""
    done = run("import gc, config.wsgi; print(gc.get_freeze_count() > 10000, gc.get_threshold())", **PRODUCTION)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "True (7000, 10, 10)"


def test_check_deploy_warns_without_https_settings():
    env = {k: PRODUCTION[k] for k in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_the_environment_sets_the_https_settings():
    code = ("import config.settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
            "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)")
    result = run(code, **PRODUCTION)
    assert result.stdout.split() == ["True", "31536000", "True", "True", "True", "True",
                                     "('HTTP_X_FORWARDED_PROTO',", "'https')"]
    result = run("import config.settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
                 "s.SESSION_COOKIE_SECURE, hasattr(s, 'SECURE_PROXY_SSL_HEADER'))", DEBUG="True")
    assert result.stdout.split() == ["False", "0", "False", "False"]


# -- health ------------------------------------------------------------------------------


def test_healthz_answers_ok_without_login_and_without_writing(client, django_assert_max_num_queries, db):
    with django_assert_max_num_queries(1) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert all(q["sql"].strip().upper().startswith("SELECT") for q in queries.captured_queries)
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_does_not_answer(client, monkeypatch, db):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("config.health.connection", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_healthz_is_not_redirected_to_https(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


# -- request size --------------------------------------------------------------------------


def test_the_default_limit_is_the_attachment_limit_plus_a_margin():
    assert settings.REQUEST_MAX_BYTES == settings.ATTACHMENT_MAX_BYTES + 1024 * 1024


class Unreadable(io.BytesIO):
    def read(self, *args, **kwargs):
        raise AssertionError("the body was read")

    readline = read


@pytest.mark.parametrize(("path", "json"), [("/api/incidents/", True), ("/incidents/new/", False)])
def test_an_oversized_request_is_refused_before_its_body_is_read(settings, path, json):
    settings.REQUEST_MAX_BYTES = 3 * 1024 * 1024
    request = RequestFactory().post(path, data=b"", content_type="multipart/form-data; boundary=x")
    request.META["CONTENT_LENGTH"] = str(5 * 1024 * 1024)
    request.META["wsgi.input"] = Unreadable()
    request._stream = Unreadable()

    response = RequestSizeLimitMiddleware(lambda r: pytest.fail("the view ran"))(request)
    assert response.status_code == 413
    message = "リクエストが大きすぎます（5 MB）。上限は 3 MB です。"
    if json:
        assert json_module.loads(response.content) == {"detail": message, "code": "request_too_large"}
    else:
        assert response.content.decode() == message


def test_an_oversized_upload_is_413_through_the_stack(api_as, manager, settings):
    settings.REQUEST_MAX_BYTES = 1000
    response = api_as(manager).post("/api/incidents/", {"title": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert api_as(manager).get("/api/incidents/").status_code == 200


# -- Content-Security-Policy --------------------------------------------------------------


def policy(response):
    header = response["Content-Security-Policy"]
    return dict((part.split(" ", 1) + [""])[:2] for part in header.split("; "))


def test_every_page_carries_the_policy(client, manager, superuser, db):
    incident = IncidentFactory()
    client.force_login(manager)
    for url in ["/", f"/incidents/{incident.pk}/", "/incidents/", "/accounts/login/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = policy(response)
        assert directives["default-src"] == "'self'"
        assert "'unsafe-inline'" not in directives["script-src"]
        assert "'unsafe-inline'" not in directives["style-src"]
        assert directives["object-src"] == "'none'"
    client.force_login(superuser)
    response = client.get(f"/admin/incidents/incident/{incident.pk}/change/")
    assert response.status_code == 200
    directives = policy(response)
    # The admin's own <style> elements: styles relaxed there, scripts not.
    assert directives["default-src"] == "'self'" and directives["style-src"] == "'self' 'unsafe-inline'"
    assert "'unsafe-inline'" not in directives["script-src"]


def test_the_api_docs_inline_code_carries_the_nonce(client, manager):
    client.force_login(manager)
    for url in ["/api/docs/", "/api/redoc/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        nonce = re.search(r"'nonce-([^']+)'", policy(response)["script-src"]).group(1)
        inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", text)
        assert inline and all(f'nonce="{nonce}"' in attributes for _, attributes in inline), url
        assert "fonts.googleapis.com" not in text
    assert "'unsafe-inline'" in policy(client.get("/api/redoc/"))["style-src"]
    assert "'unsafe-inline'" not in policy(client.get("/api/docs/"))["style-src"]


SETTINGS_OPTIONS = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS', {}))"


def test_postgresql_statements_are_bound_on_the_server_and_prepared():
    """PostgreSQL parses and plans a statement once per connection (config/settings.py): the
    values bound on the server, a statement sent twice prepared. A pooler in transaction
    mode turns it off."""
    url = {"DATABASE_URL": "postgres://pms@db.internal:5432/pms"}
    on = run(SETTINGS_OPTIONS, DJANGO_SETTINGS_MODULE="config.settings", **url)
    assert on.returncode == 0, on.stderr
    assert "'server_side_binding': True, 'prepare_threshold': 2" in on.stdout
    off = run(SETTINGS_OPTIONS, DJANGO_SETTINGS_MODULE="config.settings", DATABASE_PREPARED_STATEMENTS="False", **url)
    assert off.returncode == 0, off.stderr
    assert "server_side_binding" not in off.stdout and "prepare_threshold" not in off.stdout
    sqlite = run(SETTINGS_OPTIONS, DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL="sqlite:///x.sqlite3")
    assert "server_side_binding" not in sqlite.stdout and "IMMEDIATE" in sqlite.stdout


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_a_query_sent_twice_is_prepared_on_the_connection():
    from incidents.models import Incident

    incident = IncidentFactory()
    for _ in range(3):
        assert Incident.objects.filter(pk=incident.pk).values_list("reference", flat=True).get() == incident.reference
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "incidents_incident"' in text and "$1" in text for text in prepared), prepared
