"""The site's own 403, 404 and 500 pages: what happened in plain words, in the reader's
language, with the header and navigation to go on; the same under `make run` (DEBUG off,
static files from the source folders). The API keeps answering JSON."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views import defaults

from tests.incidents.factories import IncidentFactory


def in_english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.mark.django_db
def test_a_record_the_reader_may_not_see_is_the_friendly_404_with_the_navigation(client, staff, other_staff):
    hidden = IncidentFactory(reporter=other_staff, department=other_staff.profile.department)
    client.force_login(staff)
    response = client.get(reverse("incident_detail", args=[hidden.pk]))
    assert response.status_code == 404
    content = response.content.decode()
    # Japanese by default: the page's language, and the site's navigation (translated already).
    assert '<html lang="ja">' in content
    assert 'class="main-nav"' in content and "マイページ" in content
    assert 'id="error-title"' in content and "Traceback" not in content
    assert hidden.title not in content and hidden.reference not in content

    in_english(client)
    content = client.get(reverse("incident_detail", args=[hidden.pk])).content.decode()
    assert "This page does not exist, or you do not have permission to view it." in content
    assert f'href="{reverse("home")}"' in content


@pytest.mark.django_db
def test_an_unknown_address_is_the_same_page_also_signed_out(client):
    in_english(client)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "This page does not exist, or you do not have permission to view it." in content
    assert f'href="{reverse("login")}"' in content


@pytest.mark.django_db
def test_a_page_not_for_the_role_is_the_friendly_403(client, staff):
    client.force_login(staff)
    in_english(client)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 403
    content = response.content.decode()
    assert "You do not have permission to view this page or to do this." in content
    assert 'class="main-nav"' in content and 'id="error-title"' in content


@pytest.mark.django_db
def test_the_api_still_answers_json(api_as, staff):
    response = api_as(staff).get("/api/no-such-endpoint/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    from config.urls import handler403

    request = RequestFactory().get("/api/incidents/")
    answer = handler403(request)
    assert answer.status_code == 403 and answer["Content-Type"] == "application/json"


def test_the_500_page_needs_no_request_context_nor_database():
    # No django_db mark: any query would fail the test.
    with translation.override("en"):
        response = defaults.server_error(RequestFactory().get("/incidents/1/"))
    assert response.status_code == 500
    content = response.content.decode()
    assert '<html lang="en">' in content
    assert "Something went wrong on the server" in content
    assert 'href="/"' in content and "/static/css/pms.css" in content
    with translation.override("ja"):
        assert '<html lang="ja">' in defaults.server_error(RequestFactory().get("/")).content.decode()


@pytest.mark.django_db
def test_a_refused_form_says_what_to_do(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    in_english(client)
    response = client.post(reverse("incident_report"), {"title": "x"})
    assert response.status_code == 403
    content = response.content.decode()
    assert "The form could not be sent" in content and "Nothing was saved." in content
    assert "CSRF verification failed" not in content


@pytest.mark.django_db
def test_a_server_error_under_debug_off_is_the_friendly_page(client, staff, monkeypatch):
    client.raise_request_exception = False
    client.force_login(staff)
    in_english(client)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("worklist.views.incident_work.context", broken)
    response = client.get(reverse("home"))
    assert response.status_code == 500
    assert "Something went wrong on the server" in response.content.decode()
    assert "boom" not in response.content.decode()


# ---------------------------------------------------------------------------
# `make run`


def make_run_environment(port: str) -> tuple[str, dict]:
    """The runserver line `make run` would run (make -n prints it without running anything),
    and the environment it sets."""
    result = subprocess.run(["make", "-n", "run", f"PORT={port}"], capture_output=True, text=True,
                            cwd=settings.BASE_DIR, env={k: v for k, v in os.environ.items() if k != "DEBUG"})
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "manage.py runserver" in line)
    assignments = dict(re.findall(r'(?:^|\s)([A-Z_]+)=("[^"]*"|\S+)', line.split("manage.py runserver")[0]))
    return line, {name: value.strip('"') for name, value in assignments.items() if "$" not in value}


def test_make_run_serves_the_demo_with_debug_off_on_the_port_asked():
    line, env = make_run_environment("8123")
    assert line.rstrip().endswith("runserver 127.0.0.1:8123")
    assert env["DEBUG"] == "False" and env["STATIC_FROM_SOURCE"] == "True"
    assert env["SESSION_COOKIE_SECURE"] == "False" and env["CSRF_COOKIE_SECURE"] == "False"
    echo = subprocess.run(["make", "-n", "run", "PORT=8123"], capture_output=True, text=True,
                          cwd=settings.BASE_DIR).stdout
    assert "http://127.0.0.1:8123/" in echo

    # Those settings load (a secret key is given, as make run gives its own), with the error
    # pages of production and the static files found without collectstatic.
    code = ("import config.settings as s; print(s.DEBUG, s.STATIC_FROM_SOURCE, s.WHITENOISE_USE_FINDERS, "
            "s.STORAGES['staticfiles']['BACKEND'].rsplit('.', 1)[1], '127.0.0.1' in s.ALLOWED_HOSTS)")
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    environment.update(env, SECRET_KEY="x" * 50, ALLOWED_HOSTS="127.0.0.1,localhost")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                            cwd=settings.BASE_DIR)
    assert result.stdout.split() == ["False", "True", "True", "StaticFilesStorage", "True"], result.stderr


def test_production_still_serves_the_collected_files():
    code = "import config.settings as s; print(s.STATIC_FROM_SOURCE, s.STORAGES['staticfiles']['BACKEND'])"
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    environment.update(DEBUG="False", SECRET_KEY="x" * 50)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                            cwd=settings.BASE_DIR)
    assert result.stdout.split() == ["False", "whitenoise.storage.CompressedManifestStaticFilesStorage"]
