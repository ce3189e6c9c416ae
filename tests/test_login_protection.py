"""Login protection (django-axes): a username + address is locked after LOGIN_FAILURE_LIMIT
(10) failed logins for LOGIN_LOCKOUT_MINUTES (15) on the web login, the admin login and the
API token endpoint alike; an administrator unlocks it; a success resets the count."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.core.management import call_command
from django.test import Client

from tests.incidents.factories import UserFactory

PASSWORD = "pass-for-tests"
LOCKED = "ログインの失敗が続いたため"
LOCKED_MINUTES = "15分間"


@pytest.fixture
def user(db):
    return UserFactory(username="locky", roles=["staff"], is_staff=True, is_superuser=True)


def web_login(client, password):
    return client.post("/accounts/login/", {"username": "locky", "password": password})


def admin_login(client, password):
    return client.post("/admin/login/?next=/admin/", {"username": "locky", "password": password})


def api_login(client, password):
    return client.post("/api/auth/token/", {"username": "locky", "password": password})


def logged_in(endpoint, response):
    if endpoint is api_login:
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def assert_locked(endpoint, response):
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    if endpoint is api_login:
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert body["code"] == "locked_out"
        assert LOCKED in body["detail"] and LOCKED_MINUTES in body["detail"]
    else:
        assert response["Content-Type"].startswith("text/html")
        text = response.content.decode()
        assert LOCKED in text and LOCKED_MINUTES in text
        assert "ログインを停止しました" in text


ENDPOINTS = [web_login, admin_login, api_login]


def fail(endpoint, client, times=10):
    """`times` wrong passwords; the tenth is answered with the lockout itself."""
    for attempt in range(1, times + 1):
        response = endpoint(client, "wrong-password")
        assert not logged_in(endpoint, response)
        if attempt < 10:
            assert response.status_code in (200, 400)
        else:
            assert_locked(endpoint, response)
    return response


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.__name__)
def test_ten_failures_lock_the_right_password_out(endpoint, user, client):
    fail(endpoint, client)
    assert_locked(endpoint, endpoint(client, PASSWORD))
    attempt = AccessAttempt.objects.get(username="locky")
    assert attempt.ip_address == "127.0.0.1"
    assert attempt.failures_since_start >= 10


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.__name__)
def test_the_lock_holds_on_the_other_endpoints_but_not_for_another_address(endpoint, user, client):
    fail(endpoint, client)
    for other in ENDPOINTS:
        assert_locked(other, other(client, PASSWORD))
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    assert logged_in(endpoint, endpoint(elsewhere, PASSWORD))


def test_nine_failures_do_not_lock(user, client):
    fail(web_login, client, times=9)
    assert logged_in(web_login, web_login(client, PASSWORD))


def test_a_success_resets_the_count(user, client):
    fail(web_login, client, times=9)
    assert logged_in(web_login, web_login(Client(), PASSWORD))
    assert not AccessAttempt.objects.filter(username="locky").exists()
    fail(web_login, client, times=9)
    assert logged_in(web_login, web_login(Client(), PASSWORD))


def test_unlocking_in_the_admin_lets_the_user_in(user, superuser, client):
    fail(api_login, client)
    assert_locked(web_login, web_login(client, PASSWORD))

    admin = Client()
    admin.force_login(superuser)
    attempt = AccessAttempt.objects.get(username="locky")
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "locky" in listing.content.decode()
    response = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()

    assert logged_in(web_login, web_login(client, PASSWORD))


def test_axes_reset_unlocks(user, client):
    fail(admin_login, client)
    call_command("axes_reset_username", "locky")
    assert logged_in(api_login, api_login(client, PASSWORD))


def test_the_lock_expires_after_the_cool_off(user, client):
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        fail(web_login, client)
        assert_locked(web_login, web_login(client, PASSWORD))
        traveller.move_to(start + dt.timedelta(minutes=14))
        assert_locked(api_login, api_login(client, PASSWORD))
        # Each refused attempt restarts the cool-off.
        traveller.move_to(start + dt.timedelta(minutes=14 + 16))
        assert logged_in(web_login, web_login(client, PASSWORD))


def test_the_limit_and_duration_come_from_the_environment(monkeypatch):
    import importlib

    import config.settings

    monkeypatch.setenv("LOGIN_FAILURE_LIMIT", "5")
    monkeypatch.setenv("LOGIN_LOCKOUT_MINUTES", "60")
    try:
        reloaded = importlib.reload(config.settings)
        assert reloaded.AXES_FAILURE_LIMIT == 5
        assert reloaded.AXES_COOLOFF_TIME == dt.timedelta(minutes=60)
        monkeypatch.setenv("LOGIN_LOCKOUT_MINUTES", "0")
        assert importlib.reload(config.settings).AXES_COOLOFF_TIME is None
    finally:
        monkeypatch.undo()
        importlib.reload(config.settings)


def test_the_test_client_login_still_works(user, client):
    """config.test_settings lets the test client's login() (no request) through axes."""
    assert client.login(username="locky", password=PASSWORD)


def test_the_admin_pages_of_login_attempts_load(user, superuser, client):
    fail(web_login, client, times=3)
    admin = Client()
    admin.force_login(superuser)
    for name, record in [("accessattempt", AccessAttempt.objects.get()), ("accesslog", AccessLog.objects.first())]:
        assert admin.get(f"/admin/axes/{name}/").status_code == 200, name
        assert admin.get(f"/admin/axes/{name}/{record.pk}/change/").status_code == 200, name
        assert admin.get(f"/admin/axes/{name}/add/").status_code == 403, name
