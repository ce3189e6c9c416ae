"""Safe retries: a POST under /api/ sent again with the same `Idempotency-Key` gets the first
answer instead of doing it twice (incidents/api/idempotency.py)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.response import Response
from rest_framework.test import APIClient

from incidents.api.views import IncidentViewSet
from incidents.models import Attachment, IdempotentRequest, Incident
from tests.incidents.factories import reported_incident
from tests.incidents.test_api_writes import INCIDENTS_URL, report
from tests.incidents.test_attachments import pdf_bytes, upload
from tests.threads import race
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def key() -> str:
    return str(uuid.uuid4())


def post(client, url, data, idempotency_key=None, format="json", **extra):
    if idempotency_key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
    return client.post(url, data, format=format, **extra)


def transition_url(record, name) -> str:
    return reverse("api:incident-transition", args=[record.pk, name])


# ---------------------------------------------------------------------------
# Creating a record


def test_it_creates_one_incident_for_a_retry_with_the_same_key(api_as, staff):
    client, sent, same = api_as(staff), report(), key()

    first = post(client, INCIDENTS_URL, sent, same)
    second = post(client, INCIDENTS_URL, sent, same)

    assert first.status_code == second.status_code == 201, first.content
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"] == "application/json"
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Incident.objects.count() == 1
    stored = IdempotentRequest.objects.get()
    assert (stored.user, stored.key, stored.method, stored.path, stored.response_status) == (
        staff, same, "POST", INCIDENTS_URL, 201)
    assert len(stored.fingerprint) == 64


def test_without_a_key_every_post_is_a_new_record(api_as, staff):
    client = api_as(staff)
    assert post(client, INCIDENTS_URL, report()).status_code == 201
    assert post(client, INCIDENTS_URL, report()).status_code == 201
    assert Incident.objects.count() == 2
    assert not IdempotentRequest.objects.exists()


def test_the_same_key_with_another_body_is_a_422_and_nothing_more_is_created(api_as, staff):
    client, same = api_as(staff), key()
    assert post(client, INCIDENTS_URL, report(), same).status_code == 201

    response = post(client, INCIDENTS_URL, report(title="別の事故"), same, **EN)

    assert response.status_code == 422
    assert response.json() == {
        "detail": "This Idempotency-Key was already used for a different request (another body or another URL). "
                  "Send a new key with a new request.",
        "code": "idempotency_key_reused",
    }
    assert list(Incident.objects.values_list("title", flat=True)) == ["顧客リストの誤送信"]


def test_the_same_key_on_another_url_is_a_422(api_as, staff, manager):
    same = key()
    incident = reported_incident(staff)
    assert post(api_as(manager), INCIDENTS_URL, report(), same).status_code == 201

    response = post(api_as(manager), transition_url(incident, "triage"), {"severity": "L1"}, same)

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Incident.objects.get(pk=incident.pk).state == "reported"


@pytest.mark.parametrize("bad_key", ["", "x" * 256, "キー", "tab\there", "line\x7f"])
def test_a_malformed_key_is_a_400_naming_the_header(api_as, staff, bad_key):
    response = post(api_as(staff), INCIDENTS_URL, report(), bad_key, **EN)

    assert response.status_code == 400
    assert list(response.json()) == ["Idempotency-Key"]
    assert "printable ASCII" in response.json()["Idempotency-Key"][0]
    assert not Incident.objects.exists()
    assert not IdempotentRequest.objects.exists()


def test_a_key_of_255_printable_characters_is_accepted(api_as, staff):
    response = post(api_as(staff), INCIDENTS_URL, report(), "a-Z_0.9 ~!" + "k" * 245)
    assert response.status_code == 201, response.content


def test_two_users_may_use_the_same_key(api_as, staff, other_staff):
    same, sent = key(), report()
    first = post(api_as(staff), INCIDENTS_URL, sent, same)
    second = post(api_as(other_staff), INCIDENTS_URL, sent, same)

    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert first.json()["id"] != second.json()["id"]
    assert Incident.objects.count() == 2
    assert IdempotentRequest.objects.count() == 2


def test_a_refused_request_keeps_no_key_so_the_corrected_one_goes_through(api_as, staff):
    client, same, sent = api_as(staff), key(), report()

    refused = post(client, INCIDENTS_URL, {**sent, "title": ""}, same, **EN)
    assert refused.status_code == 400
    assert "title" in refused.json()
    assert not IdempotentRequest.objects.exists()

    corrected = post(client, INCIDENTS_URL, sent, same)
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected
    assert Incident.objects.count() == 1


def test_a_view_that_fails_half_way_leaves_neither_the_key_nor_the_record(api_as, staff, monkeypatch):
    client, same, sent = api_as(staff), key(), report()

    def lost_connection(self, record, status_code=200):
        assert Incident.objects.filter(pk=record.pk).exists()  # the record was written…
        raise RuntimeError("server closed the connection unexpectedly")  # …then the request failed

    with monkeypatch.context() as patched:
        patched.setattr(IncidentViewSet, "detail_response", lost_connection)
        with pytest.raises(RuntimeError):
            post(client, INCIDENTS_URL, sent, same)

    assert not Incident.objects.exists()
    assert not IdempotentRequest.objects.exists()
    retried = post(client, INCIDENTS_URL, sent, same)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert Incident.objects.count() == 1


def test_an_error_answer_from_a_broken_transaction_is_given_and_the_key_forgotten(api_as, staff, monkeypatch):
    client, same, sent = api_as(staff), key(), report()

    def broken(self, record, status_code=200):
        transaction.set_rollback(True)  # as a database error caught without a savepoint would leave it
        return Response({"detail": "conflict", "code": "conflict"}, status=409)

    with monkeypatch.context() as patched:
        patched.setattr(IncidentViewSet, "detail_response", broken)
        response = post(client, INCIDENTS_URL, sent, same)

    assert response.status_code == 409
    assert response.json() == {"detail": "conflict", "code": "conflict"}
    assert not Incident.objects.exists()
    assert not IdempotentRequest.objects.exists()
    assert post(client, INCIDENTS_URL, sent, same).status_code == 201


def test_without_credentials_it_is_the_views_401_and_nothing_is_kept(api):
    response = post(api, INCIDENTS_URL, report(), key())
    assert response.status_code == 401
    assert not IdempotentRequest.objects.exists()


def test_a_session_login_is_recognised_too(staff):
    """Through the configured authentication classes, not the test client's forced user."""
    client, same, sent = APIClient(), key(), report()
    client.force_login(staff)

    first = post(client, INCIDENTS_URL, sent, same)
    second = post(client, INCIDENTS_URL, sent, same)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 1


def test_logging_in_is_not_covered(api, staff):
    api.post("/api/auth/token/", {"username": "staff", "password": "wrong"}, HTTP_IDEMPOTENCY_KEY=key())
    assert not IdempotentRequest.objects.exists()


# ---------------------------------------------------------------------------
# Expiry


def test_a_key_is_kept_for_24_hours_then_the_request_is_a_new_one(api_as, staff):
    client, same, start, sent = api_as(staff), key(), timezone.now(), report()
    with time_machine.travel(start, tick=False) as traveller:
        assert post(client, INCIDENTS_URL, sent, same).status_code == 201

        traveller.shift(dt.timedelta(hours=23, minutes=59))
        assert post(client, INCIDENTS_URL, sent, same)["Idempotent-Replayed"] == "true"
        assert Incident.objects.count() == 1

        traveller.shift(dt.timedelta(minutes=2))
        again = post(client, INCIDENTS_URL, sent, same)
        assert again.status_code == 201
        assert "Idempotent-Replayed" not in again
        assert Incident.objects.count() == 2
        assert IdempotentRequest.objects.get().created_at == timezone.now()


def test_the_lifetime_is_a_setting(api_as, staff, settings):
    settings.IDEMPOTENCY_KEY_HOURS = 1
    client, same, start, sent = api_as(staff), key(), timezone.now(), report()
    with time_machine.travel(start, tick=False) as traveller:
        post(client, INCIDENTS_URL, sent, same)
        traveller.shift(dt.timedelta(minutes=59))
        assert post(client, INCIDENTS_URL, sent, same)["Idempotent-Replayed"] == "true"
        traveller.shift(dt.timedelta(minutes=2))
        assert "Idempotent-Replayed" not in post(client, INCIDENTS_URL, sent, same)
    assert Incident.objects.count() == 2


def test_the_purge_command_deletes_expired_keys_only(api_as, staff, capsys):
    client, start = api_as(staff), timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        post(client, INCIDENTS_URL, report(), key())
        traveller.shift(dt.timedelta(hours=20))
        recent = key()
        post(client, INCIDENTS_URL, report(title="二件目"), recent)
        traveller.shift(dt.timedelta(hours=5))
        call_command("purge_idempotency_keys")

    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == [recent]
    assert " 1 " in f" {capsys.readouterr().out} "  # "1 expired … deleted", in the active language


# ---------------------------------------------------------------------------
# Transitions and other POSTs


def test_a_replayed_transition_is_taken_once(api_as, manager, staff):
    incident = reported_incident(staff)
    client, same, step = api_as(manager), key(), {"severity": "L2", "comment": "初動対応を開始"}

    first = post(client, transition_url(incident, "triage"), step, same)
    second = post(client, transition_url(incident, "triage"), step, same)

    assert first.status_code == second.status_code == 200, first.content
    assert second.content == first.content  # not the 409 that taking it again would be
    assert second["Idempotent-Replayed"] == "true"
    assert StateLog.objects.for_(incident).filter(transition="triage").count() == 1
    incident.refresh_from_db()
    assert (incident.state, incident.version) == ("triaged", first.json()["version"])


def test_a_refused_transition_can_be_retried_with_the_same_key(api_as, manager, staff):
    incident = reported_incident(staff)
    client, same = api_as(manager), key()

    assert post(client, transition_url(incident, "triage"), {}, same).status_code == 400
    assert post(client, transition_url(incident, "triage"), {"severity": "L1"}, same).status_code == 200
    assert Incident.objects.get(pk=incident.pk).state == "triaged"


def test_an_uploaded_file_is_stored_once(api_as, staff, media):
    incident = reported_incident(staff)
    client, same, url = api_as(staff), key(), f"/api/incidents/{incident.pk}/attachments/"
    data = pdf_bytes()

    first = post(client, url, {"file": upload("通知文.pdf", data), "description": "控え"}, same, format="multipart")
    second = post(client, url, {"file": upload("通知文.pdf", data), "description": "控え"}, same, format="multipart")
    other = post(client, url, {"file": upload("通知文.pdf", data + b"\n"), "description": "控え"}, same,
                 format="multipart")

    assert (first.status_code, second.status_code, other.status_code) == (201, 201, 422), first.content
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert Attachment.objects.count() == 1


# ---------------------------------------------------------------------------
# Clients sending at the same moment, each with its own database connection


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_sends_with_the_same_key_create_one_record(staff):
    same, sent = key(), report()

    def send():
        client = APIClient()
        client.force_authenticate(user=staff)
        response = post(client, INCIDENTS_URL, sent, same)
        return response.status_code, response.get("Idempotent-Replayed"), response.content

    outcomes = race(*[send] * 4)

    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert [status for status, _replayed, _body in outcomes] == [201] * 4
    assert sorted(str(replayed) for _status, replayed, _body in outcomes) == ["None", "true", "true", "true"]
    assert len({body for _status, _replayed, body in outcomes}) == 1
    assert Incident.objects.count() == 1
    assert IdempotentRequest.objects.count() == 1


# ---------------------------------------------------------------------------
# The API's schema


def test_the_schema_documents_the_header_on_every_post_but_logging_in():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    posts = {path: operations["post"] for path, operations in schema["paths"].items() if "post" in operations}

    for path, operation in posts.items():
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        if path.startswith("/api/auth/"):
            assert "Idempotency-Key" not in headers, path
            continue
        assert headers.count("Idempotency-Key") == 1, path
        assert {"400", "422"} <= set(operation["responses"]), path
    assert "/api/incidents/" in posts and "/api/findings/" in posts
    created = posts["/api/incidents/"]["responses"]["201"]
    assert "Idempotent-Replayed" in created["headers"]
    assert schema["components"]["schemas"]["IdempotencyKeyReused"]["required"] == ["code", "detail"]
