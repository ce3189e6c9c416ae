"""API authentication (token and session) and the language of its answers."""

import pytest
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.incidents.factories import reported_incident

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("auth_api:token")
INCIDENTS_URL = reverse("api:incident-list")


def test_it_exchanges_username_and_password_for_a_token(api, staff):
    response = api.post(TOKEN_URL, {"username": "staff", "password": "pass-for-tests"}, format="json")

    assert response.status_code == 200
    assert set(response.json()) == {"token", "expiry"}
    assert AuthToken.objects.get(user=staff).token_key == response.json()["token"][:15]


def test_it_refuses_wrong_credentials_with_400(api, staff):
    response = api.post(TOKEN_URL, {"username": "staff", "password": "wrong"}, format="json",
                        HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not AuthToken.objects.exists()


def test_it_requires_username_and_password(api, db):
    response = api.post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_the_token_authenticates_requests(api, staff):
    incident = reported_incident(staff)
    token = api.post(TOKEN_URL, {"username": "staff", "password": "pass-for-tests"}, format="json").json()["token"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get(INCIDENTS_URL)

    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [incident.reference]


def test_a_request_without_credentials_gets_401(api, db):
    response = api.get(INCIDENTS_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_gets_401(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert api.get(INCIDENTS_URL).status_code == 401


def test_a_logged_in_browser_session_works_too(api, staff):
    api.login(username="staff", password="pass-for-tests")

    assert api.get(INCIDENTS_URL).status_code == 200


def test_it_answers_in_japanese_by_default_and_in_english_on_request(api_as, staff):
    client = api_as(staff)

    japanese = client.post(INCIDENTS_URL, {}, format="json")
    english = client.post(INCIDENTS_URL, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert japanese.json()["title"] == ["この項目は必須です。"]
    assert english.json()["title"] == ["This field is required."]


def test_choice_labels_follow_the_language(api_as, staff):
    incident = reported_incident(staff)
    url = reverse("api:incident-detail", args=[incident.pk])

    english = api_as(staff).get(url, HTTP_ACCEPT_LANGUAGE="en").json()

    assert english["state_display"] == "Reported"
    assert english["kind_display"] == "Leak"
