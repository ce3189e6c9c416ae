"""Optional TOTP two-factor (django-otp): enrolment, the code step of the web and admin logins,
TWO_FACTOR_REQUIRED_FOR, and api_code_refusal() for the token endpoint."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.twofactor import api_code_refusal
from tests.incidents.factories import UserFactory

PASSWORD = "pass-for-tests"
START = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def wrong(device) -> str:
    return f"{(int(code(device)) + 1) % 1_000_000:06d}"


def next_step(clock):
    """The next 30-second step: a fresh code (a used one is refused) and past any throttling wait."""
    clock.shift(dt.timedelta(seconds=31))


@pytest.fixture
def user(db):
    return UserFactory(username="taro", roles=["staff"])


def enrol(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def login(client, username="taro", path="/accounts/login/", **extra):
    return client.post(path, {"username": username, "password": PASSWORD, **extra})


def logged_in(response) -> bool:
    return response.wsgi_request.user.is_authenticated


# Enrolment


def test_the_enrolment_page_shows_a_qr_code_and_the_key(client, user, clock):
    client.force_login(user)
    response = client.get(reverse("two_factor"))
    assert response.status_code == 200
    text = response.content.decode()
    # The QR code is inline SVG without any script (the page itself loads only the site's own files).
    svg = text[text.index("<svg"):text.index("</svg>")]
    assert "<script" not in svg and "<script>" not in text
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    from base64 import b32encode
    assert response.context["secret"].replace(" ", "") == b32encode(device.bin_key).decode()
    assert "otpauth://totp/PMS%20workflow%3Ataro" in device.config_url
    # Reloading shows the same secret (the unconfirmed device is kept until confirmed).
    client.get(reverse("two_factor"))
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_the_enrolment_page_passes_the_content_security_policy(client, user):
    client.force_login(user)
    response = client.get(reverse("two_factor"))
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert "'self'" in script_src and "unsafe-inline" not in script_src
    svg = re.search(r"<svg.*?</svg>", response.content.decode(), re.S).group(0)
    assert "<style" not in svg and "style=" not in svg and "<script" not in svg


def test_a_wrong_code_does_not_turn_it_on_and_a_good_one_does(client, user, clock):
    client.force_login(user)
    client.get(reverse("two_factor"))
    device = TOTPDevice.objects.get(user=user)
    response = client.post(reverse("two_factor"), {"code": wrong(device)})
    assert response.status_code == 200 and response.context["form"].errors
    device.refresh_from_db()
    assert not device.confirmed

    next_step(clock)
    response = client.post(reverse("two_factor"), {"code": code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    # This session counts as verified: the page now offers to turn it off.
    page = client.get(reverse("two_factor"))
    assert page.status_code == 200 and "secret" in page.context["form"].fields
    assert page.wsgi_request.user.is_verified()


def test_it_turns_off_with_the_password_or_a_code_but_not_a_wrong_one(client, user, clock):
    device = enrol(user)
    login(client)
    client.post(reverse("login_code"), {"code": code(device)})
    next_step(clock)
    response = client.post(reverse("two_factor"), {"secret": "not-it"})
    assert response.status_code == 200 and TOTPDevice.objects.filter(user=user).exists()

    next_step(clock)
    assert client.post(reverse("two_factor"), {"secret": PASSWORD}).status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()

    other = enrol(user)
    client.force_login(user)
    from django_otp import DEVICE_ID_SESSION_KEY
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = other.persistent_id
    session.save()
    next_step(clock)
    assert client.post(reverse("two_factor"), {"secret": code(other)}).status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()


# Login


def test_a_user_without_a_device_logs_in_with_the_password_alone(client, user):
    response = login(client)
    assert response.status_code == 302 and logged_in(response)


def test_a_user_with_a_device_is_asked_for_the_code(client, user, clock):
    device = enrol(user)
    response = login(client, next="/incidents/")
    assert response.status_code == 302 and response.url == reverse("login_code")
    assert not logged_in(response)
    assert client.get(reverse("home")).status_code == 302  # not logged in yet
    page = client.get(reverse("login_code"))
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.content.decode()

    response = client.post(reverse("login_code"), {"code": code(device)})
    assert response.status_code == 302 and response.url == "/incidents/"
    assert logged_in(response)
    home = client.get(reverse("home"))
    assert home.status_code == 200 and home.wsgi_request.user.is_verified()


def test_a_wrong_code_is_refused_throttled_and_counted_by_axes(client, user, clock):
    device = enrol(user)
    login(client)
    response = client.post(reverse("login_code"), {"code": wrong(device)})
    assert response.status_code == 200 and not logged_in(response)
    assert "code" in response.context["form"].errors
    assert AccessAttempt.objects.get(username="taro").failures_since_start == 1
    # Right away, even the right code waits for the throttle (1 s after one failure).
    response = client.post(reverse("login_code"), {"code": code(device)})
    assert not logged_in(response)
    next_step(clock)
    response = client.post(reverse("login_code"), {"code": code(device)})
    assert logged_in(response)
    assert not AccessAttempt.objects.filter(username="taro").exists()  # a success resets the count


def test_wrong_codes_lock_the_account_out_like_wrong_passwords(client, user, clock, settings):
    settings.AXES_FAILURE_LIMIT = 3
    device = enrol(user)
    login(client)
    for _ in range(2):
        next_step(clock)
        assert client.post(reverse("login_code"), {"code": wrong(device)}).status_code == 200
    next_step(clock)
    assert client.post(reverse("login_code"), {"code": wrong(device)}).status_code == 429
    next_step(clock)
    assert client.post(reverse("login_code"), {"code": code(device)}).status_code == 429
    assert login(Client()).status_code == 429  # the password step is locked too


def test_the_code_step_expires_and_needs_the_password_first(client, user, clock):
    device = enrol(user)
    response = client.post(reverse("login_code"), {"code": code(device)})
    assert response.status_code == 302 and response.url == reverse("login")
    login(client)
    clock.shift(dt.timedelta(minutes=6))
    response = client.post(reverse("login_code"), {"code": code(device)})
    assert response.status_code == 302 and response.url == reverse("login") and not logged_in(response)


def test_the_admin_login_asks_for_the_code(client, superuser, clock):
    device = enrol(superuser)
    response = login(client, username="root", path="/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url == reverse("login_code") and not logged_in(response)
    assert client.get("/admin/").status_code == 302
    response = client.post(reverse("login_code"), {"code": code(device)})
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_without_a_device_goes_to_the_admin(client, superuser):
    assert client.get("/admin/login/").status_code == 200
    response = login(client, username="root", path="/admin/login/")
    assert response.status_code == 302 and response.url == "/admin/" and logged_in(response)


def test_the_devices_can_be_removed_in_the_admin(admin_client, superuser, user):
    device = enrol(user)
    client = admin_client(superuser)
    assert client.get(reverse("admin:otp_totp_totpdevice_changelist")).status_code == 200
    assert client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).status_code == 200
    response = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302 and not TOTPDevice.objects.exists()


# Required for some users


@pytest.fixture
def required(settings):
    settings.OTP_REQUIRED = ["superusers", "pms_managers"]


def test_the_group_name_is_the_pms_manager_role():
    from incidents.roles import Role

    assert twofactor.PMS_MANAGER_GROUP == Role.PMS_MANAGER


def test_a_required_user_without_a_device_reaches_only_the_enrolment_page(client, superuser, required, clock):
    response = login(client, username="root")
    assert logged_in(response)
    for url in ["/", "/incidents/", "/admin/", reverse("password_change")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("two_factor") + "?next="), url
    assert client.get(reverse("two_factor")).status_code == 200
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302


def test_enrolling_lets_a_required_user_through(client, manager, required, clock):
    client.force_login(manager)
    response = client.get("/incidents/")
    assert response.url == reverse("two_factor") + "?next=%2Fincidents%2F"
    page = client.get(response.url)
    assert "必須" in page.content.decode() or "requires" in page.content.decode()
    device = TOTPDevice.objects.get(user=manager)
    response = client.post(reverse("two_factor"), {"code": code(device), "next": "/incidents/"})
    assert response.status_code == 302 and response.url == "/incidents/"
    assert client.get("/incidents/").status_code == 200


def test_a_required_user_with_a_device_and_an_unverified_session_must_pass_the_code(client, manager, required,
                                                                                   clock):
    device = enrol(manager)
    client.force_login(manager)  # a session that never passed a code
    response = client.get("/incidents/")
    assert response.status_code == 302 and response.url == reverse("login_code") + "?next=%2Fincidents%2F"
    response = client.post(reverse("login_code"), {"code": code(device), "next": "/incidents/"})
    assert response.status_code == 302 and response.url == "/incidents/"
    assert client.get("/incidents/").status_code == 200


def test_users_out_of_scope_are_not_held(client, staff, required):
    client.force_login(staff)
    assert client.get("/incidents/").status_code == 200


def test_a_held_session_cannot_use_the_api_but_a_token_can(client, superuser, required):
    """The API would otherwise be a way round the code page: a session that has not passed
    its code is a 403 there too; a token was only issued after the code (the token endpoint)."""
    client.force_login(superuser)
    response = client.get("/api/incidents/")
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_required" and "2段階認証" in response.json()["detail"]
    assert client.get("/api/schema/").status_code == 200
    from knox.models import AuthToken

    token = AuthToken.objects.create(superuser)[1]
    assert client.get("/api/incidents/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_no_requirement_holds_nobody(client, superuser):
    client.force_login(superuser)
    assert client.get("/incidents/").status_code == 200


def test_the_setting_comes_from_the_environment(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import config.settings

    try:
        monkeypatch.setenv("TWO_FACTOR_REQUIRED_FOR", "superusers, pms_managers")
        assert importlib.reload(config.settings).OTP_REQUIRED == ["superusers", "pms_managers"]
        monkeypatch.setenv("TWO_FACTOR_REQUIRED_FOR", "everyone")
        with pytest.raises(ImproperlyConfigured):
            importlib.reload(config.settings)
    finally:
        monkeypatch.undo()
        importlib.reload(config.settings)
    assert config.settings.OTP_REQUIRED == []


# The API token endpoint's check


def test_api_code_refusal(user, superuser, settings, clock):
    assert api_code_refusal(user, None) is None
    assert api_code_refusal(user, "123456") is None

    device = enrol(user)
    assert "6桁" in api_code_refusal(user, None) and "6桁" in api_code_refusal(user, " ")
    assert "コード" in api_code_refusal(user, wrong(device))
    next_step(clock)
    assert api_code_refusal(user, code(device)) is None
    assert api_code_refusal(user, code(device)) is not None  # a code is good once

    settings.OTP_REQUIRED = ["superusers"]
    assert "設定" in api_code_refusal(superuser, None)
    unconfirmed = TOTPDevice.objects.create(user=superuser, name="app", confirmed=False)
    assert api_code_refusal(superuser, code(unconfirmed)) is not None


# The token endpoint (accounts.api.TokenObtainApi) asks for the code through api_code_refusal().

TOKEN_URL = "/api/auth/token/"


def test_the_token_endpoint_needs_the_code_of_a_user_with_two_factor(user, clock):
    api = Client()
    assert api.post(TOKEN_URL, {"username": "taro", "password": PASSWORD}).status_code == 200

    device = enrol(user)
    missing = api.post(TOKEN_URL, {"username": "taro", "password": PASSWORD})
    assert missing.status_code == 400
    assert "6桁" in missing.json()["otp"][0]
    assert "token" not in missing.json()

    bad = api.post(TOKEN_URL, {"username": "taro", "password": PASSWORD, "otp": wrong(device)})
    assert bad.status_code == 400 and "otp" in bad.json()
    # The wrong code counts as a failed login for the lockout, the missing one does not.
    assert AccessAttempt.objects.get(username="taro").failures_since_start == 1

    next_step(clock)
    good = api.post(TOKEN_URL, {"username": "taro", "password": PASSWORD, "otp": code(device)},
                    content_type="application/json")
    assert good.status_code == 200 and good.json()["token"]
    # A wrong password is refused before any code is looked at.
    next_step(clock)
    refused = api.post(TOKEN_URL, {"username": "taro", "password": "nope", "otp": code(device)})
    assert refused.status_code == 400 and "otp" not in refused.json()


def test_the_token_endpoint_refuses_a_required_user_not_yet_enrolled(superuser, settings):
    settings.OTP_REQUIRED = ["superusers"]
    response = Client().post(TOKEN_URL, {"username": superuser.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "設定" in response.json()["otp"][0]
