"""Self-service password change and password reset by mail, through the real views (with
django-axes in AUTHENTICATION_BACKENDS, as in production)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.incidents.factories import UserFactory

PASSWORD = "pass-for-tests"
NEW_PASSWORD = "kinmokusei-2026-aki"


@pytest.fixture
def user(db):
    return UserFactory(username="hanako", email="hanako@example.jp", first_name="花子", last_name="山田")


def logs_in(password, username="hanako") -> bool:
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def test_it_links_the_password_pages_from_the_header_and_the_login_page(client, user):
    login_page = client.get(reverse("login")).content.decode()
    assert "パスワードをお忘れの方" in login_page
    assert f'href="{reverse("password_reset")}"' in login_page
    client.force_login(user)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("password_change")}"' in home
    assert "パスワードの変更" in home


def test_it_requires_login_to_change_the_password(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_it_refuses_a_wrong_old_password(client, user):
    client.force_login(user)
    response = client.post(reverse("password_change"), {
        "old_password": "not-my-password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert response.status_code == 200
    assert "元のパスワードが間違っています" in response.content.decode()
    assert logs_in(PASSWORD) and not logs_in(NEW_PASSWORD)


def test_it_applies_the_password_validators(client, user):
    client.force_login(user)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678",
    })
    assert response.status_code == 200
    text = response.content.decode()
    assert "よく使われるパスワード" in text or "一般的すぎます" in text
    assert logs_in(PASSWORD)


def test_it_changes_the_password_and_keeps_the_user_logged_in(client, user):
    client.force_login(user)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    assert "<html" in page.content.decode() and 'name="old_password"' in page.content.decode()
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    done = client.get(response.url)
    assert done.status_code == 200 and done.wsgi_request.user == user
    assert client.get(reverse("home")).status_code == 200  # update_session_auth_hash: still in
    assert logs_in(NEW_PASSWORD) and not logs_in(PASSWORD)


def request_reset(client, email="hanako@example.jp", language="ja"):
    return client.post(reverse("password_reset"), {"email": email}, HTTP_ACCEPT_LANGUAGE=language)


def reset_link(message) -> str:
    return re.search(r"https?://testserver(/accounts/password/reset/\S+/)", message.body).group(1)


def test_it_mails_a_reset_link_in_japanese_that_works_once(client, user):
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200 and 'name="email"' in page.content.decode()

    response = request_reset(client)
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hanako@example.jp"]
    assert "PMSワークフロー" in message.subject and "パスワード" in message.subject
    assert message.content_subtype == "plain" and not message.alternatives
    assert "新しいパスワード" in message.body and "hanako" in message.body

    link = reset_link(message)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("password_reset_complete")
    assert client.get(response.url).status_code == 200
    assert logs_in(NEW_PASSWORD) and not logs_in(PASSWORD)

    again = Client().get(link, follow=True)
    assert again.status_code == 200 and not again.context["validlink"]
    assert "このリンクは無効です" in again.content.decode()


def test_the_reset_mail_follows_the_language_of_the_request(client, user):
    request_reset(client, language="en")
    assert mail.outbox[0].subject == "Password reset on PMS workflow"
    assert "choose a new password" in mail.outbox[0].body


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, user):
    known = request_reset(client)
    mail.outbox.clear()
    unknown = request_reset(Client(), email="nobody@example.jp")
    assert unknown.status_code == known.status_code == 302
    assert unknown.url == known.url
    assert mail.outbox == []


def test_the_reset_password_must_pass_the_validators(client, user):
    request_reset(client)
    form_page = client.get(reset_link(mail.outbox[0]), follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "hanako", "new_password2": "hanako"})
    assert response.status_code == 200 and response.context["form"].errors
    assert get_user_model().objects.get(pk=user.pk).check_password(PASSWORD)
