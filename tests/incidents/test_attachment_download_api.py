"""Evidence files downloaded with an API token: `GET /api/attachments/<pk>/download/`.

The same rule as the web view (incidents.attachments.attachment_for_download): whoever may
see the record downloads its files, anyone else gets 404; without credentials, 401.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.attachments import attachment_add
from tests.incidents.test_attachments import pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token/"  # the contract, whichever app serves it
JAPANESE_NAME = "顧客一覧 (抜粋).pdf"


def token_client(username: str) -> APIClient:
    """A client holding a token obtained the way API clients do (username and password)."""
    client = APIClient()
    response = client.post(TOKEN_URL, {"username": username, "password": "pass-for-tests"}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def download_url(attachment) -> str:
    return reverse("api:attachment-download", args=[attachment.pk])


@pytest.fixture
def stored(staff, incident):
    return attachment_add(record=incident, by=staff, file=upload(JAPANESE_NAME, pdf_bytes()),
                          description="漏えい対象の一覧")


def test_a_token_downloads_the_file(staff, stored):
    response = token_client("staff").get(download_url(stored))

    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data == pdf_bytes()
    assert hashlib.sha256(data).hexdigest() == stored.sha256
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_the_japanese_file_name_is_in_the_header_rfc_5987(staff, stored):
    response = token_client("staff").get(download_url(stored))

    disposition = response["Content-Disposition"]
    assert disposition == f"attachment; filename*=utf-8''{quote(JAPANESE_NAME)}"
    assert disposition.isascii()


def test_whoever_may_see_the_record_downloads_it(manager, stored):
    response = token_client("manager").get(download_url(stored))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_the_file_goes_out_in_its_type_whatever_the_client_accepts(staff, incident):
    attachment = attachment_add(record=incident, by=staff, file=upload("現場写真.png", png_bytes(), "text/html"))

    response = token_client("staff").get(download_url(attachment), HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_another_user_gets_404(other_staff, stored):
    response = token_client("other_staff").get(download_url(stored))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_an_unknown_attachment_is_404(staff):
    assert token_client("staff").get("/api/attachments/999999/download/").status_code == 404


def test_anonymous_is_401(stored):
    response = APIClient().get(download_url(stored))

    assert response.status_code == 401
    assert response.has_header("WWW-Authenticate")


def test_a_wrong_token_is_401(stored):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(download_url(stored)).status_code == 401


def test_the_api_lists_the_api_download_url_and_the_pages_keep_the_web_one(staff, incident, stored):
    client = token_client("staff")
    listed = client.get(f"/api/incidents/{incident.pk}/attachments/").json()

    assert [row["download_url"] for row in listed] == [f"http://testserver{download_url(stored)}"]
    assert b"".join(client.get(listed[0]["download_url"]).streaming_content) == pdf_bytes()
    web = APIClient()
    web.force_login(staff)
    page = web.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert reverse("attachment_download", args=[stored.pk]) in page
    assert download_url(stored) not in page


def test_the_session_also_works_as_for_every_api_endpoint(client, staff, stored):
    client.force_login(staff)
    response = client.get(download_url(stored))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_a_missing_stored_file_is_404(staff, stored):
    stored.file.storage.delete(stored.file.name)
    assert token_client("staff").get(download_url(stored)).status_code == 404


def test_the_schema_documents_a_binary_download_with_401_and_404():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/attachments/{id}/download/"]["get"]
    assert operation["responses"]["200"]["content"] == {"*/*": {"schema": {"type": "string", "format": "binary"}}}
    assert {"401", "404"} <= set(operation["responses"])
