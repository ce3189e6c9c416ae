"""API tokens (django-rest-knox): obtained with a password, stored as a hash, expiring after
API_TOKEN_TTL_HOURS; listed and revoked by their owner; revoked by a password change or a
deactivation; Django REST framework's old tokens carried over by migration accounts 0002."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import io
from types import SimpleNamespace

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "pass-for-tests"
TOKEN_URL = "/api/auth/token/"
TOKENS_URL = "/api/auth/tokens/"
LOGOUT_URL = "/api/auth/logout/"
LOGOUTALL_URL = "/api/auth/logoutall/"
PROBE_URL = "/api/incidents/"
TTL = dt.timedelta(hours=720)


def obtain(username="staff", password=PASSWORD, **kwargs) -> str:
    response = APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json", **kwargs)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token: str) -> bool:
    status = with_token(token).get(PROBE_URL).status_code
    assert status in (200, 401)
    return status == 200


# ---------------------------------------------------------------------------
# Obtaining a token


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_it_exchanges_a_password_for_a_token_and_its_expiry(staff, fmt):
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        response = APIClient().post(TOKEN_URL, {"username": "staff", "password": PASSWORD}, format=fmt)
        assert works(response.json()["token"])

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    assert dt.datetime.fromisoformat(body["expiry"]) == start + TTL


def test_the_form_post_of_the_readme_works(staff):
    """`curl -d username=… -d password=…`: a urlencoded form."""
    response = Client().post(TOKEN_URL, {"username": "staff", "password": PASSWORD})

    assert response.status_code == 200
    assert works(response.json()["token"])


def test_only_a_hash_is_stored(staff):
    token = obtain()

    stored = AuthToken.objects.get(user=staff)
    assert stored.digest == hashlib.sha512(token.encode()).hexdigest()
    assert token not in (stored.digest, stored.token_key)
    assert stored.token_key == token[:15]


def test_each_request_gets_another_token(staff):
    first, second = obtain(), obtain()

    assert first != second
    assert AuthToken.objects.filter(user=staff).count() == 2
    assert works(first) and works(second)


def test_wrong_credentials_are_a_400_in_json(staff):
    response = APIClient().post(TOKEN_URL, {"username": "staff", "password": "wrong"}, format="json",
                                HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert not AuthToken.objects.exists()


def test_an_inactive_user_gets_no_token(staff):
    staff.is_active = False
    staff.save()

    response = APIClient().post(TOKEN_URL, {"username": "staff", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert not AuthToken.objects.exists()


def test_missing_fields_are_named(db):
    response = APIClient().post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


# ---------------------------------------------------------------------------
# Expiry


def test_a_token_works_until_its_expiry_and_not_after(staff):
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        token = obtain()
        traveller.move_to(start + TTL - dt.timedelta(minutes=1))
        assert works(token)
        traveller.move_to(start + TTL + dt.timedelta(minutes=1))
        response = with_token(token).get(PROBE_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    # knox deletes an expired token when it is presented.
    assert not AuthToken.objects.exists()


def test_use_does_not_extend_a_token(staff):
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        token = obtain()
        traveller.move_to(start + dt.timedelta(days=20))
        assert works(token)
        assert AuthToken.objects.get().expiry == start + TTL


def test_the_lifetime_follows_the_settings(staff, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": dt.timedelta(hours=2)}
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        response = APIClient().post(TOKEN_URL, {"username": "staff", "password": PASSWORD}, format="json")
        assert dt.datetime.fromisoformat(response.json()["expiry"]) == start + dt.timedelta(hours=2)
        traveller.move_to(start + dt.timedelta(hours=3))
        assert not works(response.json()["token"])


def test_the_lifetime_comes_from_the_environment(monkeypatch):
    import config.settings

    try:
        assert importlib.reload(config.settings).REST_KNOX["TOKEN_TTL"] == TTL
        monkeypatch.setenv("API_TOKEN_TTL_HOURS", "24")
        reloaded = importlib.reload(config.settings)
        assert reloaded.REST_KNOX["TOKEN_TTL"] == dt.timedelta(hours=24)
        assert reloaded.REST_KNOX["AUTH_HEADER_PREFIX"] == "Token"
        for wrong in ("0", "-5", "month"):
            monkeypatch.setenv("API_TOKEN_TTL_HOURS", wrong)
            with pytest.raises(ImproperlyConfigured, match="API_TOKEN_TTL_HOURS"):
                importlib.reload(config.settings)
    finally:
        monkeypatch.undo()
        importlib.reload(config.settings)


# ---------------------------------------------------------------------------
# Listing and revoking your own


def test_it_lists_your_live_tokens_with_a_short_prefix_only(staff, other_staff):
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        old = obtain()
        traveller.move_to(start + dt.timedelta(hours=1))
        current = obtain()
        obtain("other_staff")
        response = with_token(current).get(TOKENS_URL)

    assert response.status_code == 200
    assert response.json() == [
        {"prefix": current[:8], "created": "2026-06-01T19:00:00+09:00", "expiry": "2026-07-01T19:00:00+09:00",
         "current": True},
        {"prefix": old[:8], "created": "2026-06-01T18:00:00+09:00", "expiry": "2026-07-01T18:00:00+09:00",
         "current": False},
    ]
    text = response.content.decode()
    for stored in AuthToken.objects.all():
        assert stored.digest not in text and stored.token_key not in text


def test_expired_tokens_are_not_listed(staff, settings):
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        obtain()
        traveller.move_to(start + TTL + dt.timedelta(hours=1))
        current = obtain()
        assert [row["prefix"] for row in with_token(current).get(TOKENS_URL).json()] == [current[:8]]


def test_a_browser_session_sees_its_tokens_none_current(staff):
    token = obtain()
    client = APIClient()
    client.force_login(staff)

    assert client.get(TOKENS_URL).json()[0] | {"created": None, "expiry": None} == {
        "prefix": token[:8], "created": None, "expiry": None, "current": False,
    }


def test_the_list_takes_three_queries(staff, django_assert_num_queries):
    token = obtain()
    for _ in range(3):
        obtain()
    client = with_token(token)

    # The token and its user, the list (not the user's other tokens: accounts/auth.py).
    with django_assert_num_queries(2):
        assert len(client.get(TOKENS_URL).json()) == 4


def test_a_request_reads_none_of_the_users_other_tokens(staff, other_staff):
    """knox itself reads all of a user's tokens on each request to delete the expired ones;
    the project's authentication checks the presented one only, and the periodic job deletes
    the rest: an expired token of the same user stays until then, and is refused."""
    from accounts.auth import delete_expired_tokens
    from notifications.periodic import run_job

    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        old = obtain()
        traveller.move_to(start + TTL + dt.timedelta(hours=1))  # `old` has expired
        current, other_users = obtain(), obtain("other_staff")
        with CaptureQueriesContext(connection) as queries:
            assert works(current)
        # One read of the token table: the presented token (by its key), with its user.
        assert len([q for q in queries.captured_queries if 'FROM "knox_authtoken"' in q["sql"]]) == 1
        assert AuthToken.objects.count() == 3  # the expired one is still there, and refused:
        assert not works(old)  # presented, it is deleted (as knox deletes it)
        assert AuthToken.objects.count() == 2
        traveller.move_to(start + 2 * TTL + dt.timedelta(hours=2))  # now both others have expired too
        fresh = obtain()
        assert run_job("expired_tokens") == "2 deleted"  # settings.PERIODIC_JOBS
        assert list(AuthToken.objects.values_list("token_key", flat=True)) == [fresh[:15]]
        assert delete_expired_tokens() == "0 deleted"
        assert works(fresh) and not works(current) and not works(other_users)


def test_the_token_endpoints_need_credentials(db):
    for method, url in [("get", TOKENS_URL), ("delete", TOKENS_URL + "abcdef12/"), ("post", LOGOUT_URL),
                        ("post", LOGOUTALL_URL)]:
        response = getattr(APIClient(), method)(url)
        assert response.status_code == 401, url
        assert response.json()["code"] == "not_authenticated"


def test_you_revoke_one_of_your_tokens_by_its_prefix(staff):
    keep, revoke = obtain(), obtain()

    response = with_token(keep).delete(f"{TOKENS_URL}{revoke[:8]}/")

    assert response.status_code == 204
    assert not works(revoke)
    assert works(keep)


def test_another_users_token_is_a_404_and_keeps_working(staff, other_staff):
    mine, theirs = obtain(), obtain("other_staff")

    response = with_token(mine).delete(f"{TOKENS_URL}{theirs[:8]}/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert works(theirs)


@pytest.mark.parametrize("prefix", ["0000ffff", "abc", "whole-token-below"])
def test_an_unknown_or_malformed_prefix_is_a_404(staff, prefix):
    token = obtain()
    if prefix == "whole-token-below":
        prefix = token  # not the prefix as listed

    assert with_token(token).delete(f"{TOKENS_URL}{prefix}/").status_code == 404
    assert works(token)


def test_logout_revokes_the_token_it_is_sent_with_only(staff):
    first, second = obtain(), obtain()

    response = with_token(first).post(LOGOUT_URL)

    assert response.status_code == 204
    assert not works(first)
    assert works(second)


def test_logout_needs_a_token_not_a_session(staff):
    client = APIClient()
    client.force_login(staff)

    assert client.post(LOGOUT_URL).status_code == 401


def test_logoutall_revokes_all_of_yours_and_no_one_elses(staff, other_staff):
    first, second, theirs = obtain(), obtain(), obtain("other_staff")

    response = with_token(first).post(LOGOUTALL_URL)

    assert response.status_code == 204
    assert not works(first) and not works(second)
    assert works(theirs)


# ---------------------------------------------------------------------------
# Revoked by a password change or a deactivation


def change_with_set_password(user):
    user.set_password("a-new-pass-2026")
    user.save()


def change_with_set_password_and_update_fields(user):
    user.set_password("a-new-pass-2026")
    user.save(update_fields=["password"])


def change_with_the_command(user, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="Password: ": "a-new-pass-2026")
    call_command("changepassword", user.username, stdout=io.StringIO())


def change_with_the_reset_form(user):
    # The form of the password reset (and of the admin's page below).
    form = SetPasswordForm(user, {"new_password1": "a-new-pass-2026", "new_password2": "a-new-pass-2026"})
    assert form.is_valid(), form.errors
    form.save()


def make_unusable(user):
    user.set_unusable_password()
    user.save()


@pytest.mark.parametrize("change", [
    change_with_set_password, change_with_set_password_and_update_fields, change_with_the_command,
    change_with_the_reset_form, make_unusable,
], ids=lambda change: change.__name__)
def test_a_password_change_revokes_every_token_of_the_user(staff, other_staff, change, monkeypatch):
    tokens, theirs = [obtain(), obtain()], obtain("other_staff")
    user = User.objects.get(pk=staff.pk)

    if change is change_with_the_command:
        change(user, monkeypatch)
    else:
        change(user)

    assert not any(works(token) for token in tokens)
    assert not AuthToken.objects.filter(user=staff).exists()
    assert works(theirs)


def test_a_password_changed_in_the_admin_revokes_the_tokens(staff, superuser, admin_client):
    token = obtain()

    response = admin_client(superuser).post(reverse("admin:auth_user_password_change", args=[staff.pk]), {
        "password1": "a-new-pass-2026", "password2": "a-new-pass-2026", "usable_password": "true",
    })

    assert response.status_code == 302, response.content.decode()
    assert not works(token)
    assert works(obtain(password="a-new-pass-2026"))


def test_other_saves_keep_the_tokens(staff):
    token = obtain()
    user = User.objects.get(pk=staff.pk)
    user.last_name = "山田"
    user.save()
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    # A web login saves last_login.
    assert Client().post("/accounts/login/", {"username": "staff", "password": PASSWORD}).status_code == 302

    assert works(token)


def test_a_rehash_of_the_same_password_at_login_keeps_the_tokens(staff):
    # A hash the current hasher wants to redo (a short salt): Django re-hashes the same
    # password at the next login, as after an upgrade that strengthens the hasher.
    User.objects.filter(pk=staff.pk).update(password=make_password(PASSWORD, salt="x", hasher="md5"))
    token = obtain()  # also a login: the first re-hash happens here
    User.objects.filter(pk=staff.pk).update(password=make_password(PASSWORD, salt="x", hasher="md5"))
    stored = User.objects.get(pk=staff.pk).password

    assert Client().post("/accounts/login/", {"username": "staff", "password": PASSWORD}).status_code == 302

    assert User.objects.get(pk=staff.pk).password != stored  # re-hashed
    assert works(token)


def test_deactivation_revokes_every_token_and_reactivation_brings_none_back(staff):
    token = obtain()
    user = User.objects.get(pk=staff.pk)

    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not AuthToken.objects.filter(user=staff).exists()
    user.is_active = True
    user.save()

    assert not works(token)


# ---------------------------------------------------------------------------
# The admin: who holds which token, until when; revoke; no hash, no key


@pytest.fixture
def tokens_in_admin(staff, other_staff):
    return {"staff": obtain(), "other": obtain("other_staff")}


def test_the_admin_lists_user_prefix_and_dates_only(tokens_in_admin, superuser, admin_client):
    response = admin_client(superuser).get(reverse("admin:accounts_apitoken_changelist"))

    assert response.status_code == 200
    text = response.content.decode()
    assert f"{tokens_in_admin['staff'][:8]}…" in text and f"{tokens_in_admin['other'][:8]}…" in text
    for stored in AuthToken.objects.all():
        assert stored.token_key not in text
        # The hash is only the row's checkbox value, as the admin's key for the row.
        assert text.count(stored.digest) == 1
        assert f'value="{stored.digest}"' in text
    assert response.context["cl"].list_display == ["action_checkbox", "user", "prefix", "created", "expiry"]


def test_the_admin_adds_and_edits_no_token(tokens_in_admin, superuser, admin_client):
    client = admin_client(superuser)
    token = ApiToken.objects.get(user__username="staff")

    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    page = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert page.status_code == 200
    assert token.token_key not in page.content.decode()
    assert list(page.context["adminform"].form.fields) == []


def test_knox_own_admin_is_replaced(db):
    from django.contrib import admin

    assert not admin.site.is_registered(AuthToken)
    assert admin.site.is_registered(ApiToken)


def test_the_admin_revokes_selected_tokens(tokens_in_admin, superuser, admin_client):
    from django.contrib.admin.models import LogEntry

    client = admin_client(superuser)
    token = ApiToken.objects.get(user__username="staff")
    url = reverse("admin:accounts_apitoken_changelist")
    actions = dict(client.get(url).context["action_form"].fields["action"].choices)
    assert actions["delete_selected"] == "Revoke selected API tokens"

    confirm = client.post(url, {"action": "delete_selected", "_selected_action": [token.pk]})
    assert confirm.status_code == 200
    assert f"staff · {token.prefix}…" in confirm.content.decode()
    response = client.post(url, {"action": "delete_selected", "_selected_action": [token.pk], "post": "yes"})

    assert response.status_code == 302
    assert not works(tokens_in_admin["staff"])
    assert works(tokens_in_admin["other"])
    entry = LogEntry.objects.get(action_flag=3)
    assert entry.object_repr == f"staff · {token.prefix}…"


# ---------------------------------------------------------------------------
# Django REST framework's tokens carried over (migration accounts 0002)

carry_over = importlib.import_module("accounts.migrations.0002_carry_over_drf_tokens").carry_over
OLD_KEY = "0123456789abcdef0123456789abcdef01234567"  # DRF's format: 40 hexadecimal characters


@pytest.fixture
def old_table(db):
    """rest_framework.authtoken's table as it was, made here: the app is no longer installed."""
    created_type = "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, '
                       f'"created" {created_type} NOT NULL, "user_id" integer NOT NULL)')
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS authtoken_token")


def old_token(key, user, created):
    with connection.cursor() as cursor:
        cursor.execute('INSERT INTO authtoken_token ("key", "created", "user_id") VALUES (%s, %s, %s)',
                       [key, connection.ops.adapt_datetimefield_value(created), user.pk])


def old_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        return cursor.fetchone()[0]


def test_an_old_token_keeps_working_until_the_new_expiry(old_table, staff, other_staff):
    issued = dt.datetime(2025, 4, 1, 9, 0, tzinfo=dt.UTC)
    old_token(OLD_KEY, staff, issued)
    other_staff.is_active = False
    other_staff.save()
    old_token("f" * 40, other_staff, issued)
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)

    with time_machine.travel(start, tick=False) as traveller:
        carry_over(apps, SimpleNamespace(connection=connection))
        carried = ApiToken.objects.get()
        assert (carried.user, carried.token_key, carried.created, carried.expiry) == (
            staff, OLD_KEY[:15], issued, start + TTL)
        assert carried.digest == hashlib.sha512(OLD_KEY.encode()).hexdigest()
        assert old_rows() == 0  # no key left in clear
        assert works(OLD_KEY)
        assert with_token(OLD_KEY).get(TOKENS_URL).json()[0]["current"] is True
        traveller.move_to(start + TTL + dt.timedelta(minutes=1))
        assert not works(OLD_KEY)


def test_a_carried_over_token_is_revoked_by_a_password_change(old_table, staff):
    old_token(OLD_KEY, staff, timezone.now())
    carry_over(apps, SimpleNamespace(connection=connection))
    assert works(OLD_KEY)

    change_with_set_password(User.objects.get(pk=staff.pk))

    assert not works(OLD_KEY)


def test_a_new_database_has_no_old_table_and_nothing_happens(staff):
    assert "authtoken_token" not in connection.introspection.table_names()

    carry_over(apps, SimpleNamespace(connection=connection))

    assert not AuthToken.objects.exists()
