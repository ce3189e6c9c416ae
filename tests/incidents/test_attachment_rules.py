"""Who may attach evidence to an incident (issue 11): the rule is one function returning its
reason (incidents.attachments.incident_may_add); everyone else is refused with a 403 and
the rule, a permitted person on a closed record with a 409. The rules of audits and
findings: tests/audits/test_attachments.py."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from incidents.attachments import ClosedReason, can_add, incident_may_add
from incidents.models import Attachment, IncidentState
from tests.incidents.factories import IncidentFactory, UserFactory
from tests.incidents.test_attachments import pdf_bytes

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
INCIDENT_RULE = "Only the reporter, the head of the incident's department and the PMS office may add files to an incident."
INCIDENT_RULE_JA = ("インシデントにファイルを添付できるのは、報告者、インシデントの部門の部門責任者、"
                    "個人情報保護管理者・事務局のみです。")


@pytest.fixture(autouse=True)
def english():
    """The rules' reasons are compared in English (requests choose theirs with Accept-Language)."""
    with translation.override("en"):
        yield


def pdf():
    return SimpleUploadedFile("証跡.pdf", pdf_bytes(), content_type="application/pdf")


def api_upload(client, path, **headers):
    return client.post(path, {"file": pdf()}, format="multipart", **headers)


def incident_api(incident) -> str:
    return f"/api/incidents/{incident.pk}/attachments/"


def web_upload(client, record_key, record):
    return client.post(reverse("attachment_upload", args=[record_key, record.pk]), {"file": pdf()}, **EN)


# ---------------------------------------------------------------------------
# Incidents


@pytest.mark.parametrize("who", ["executive", "auditor"])
def test_read_only_roles_see_the_incident_but_do_not_attach(request, api_as, client, incident, who):
    user = request.getfixturevalue(who)
    assert not can_add(incident, user)
    assert incident_may_add(incident, user) == INCIDENT_RULE

    response = api_upload(api_as(user), incident_api(incident), **EN)
    assert response.status_code == 403
    assert response.json()["detail"] == INCIDENT_RULE
    response = api_upload(api_as(user), incident_api(incident))  # Japanese by default
    assert response.json()["detail"] == INCIDENT_RULE_JA

    client.force_login(user)
    response = web_upload(client, "incidents.incident", incident)
    assert response.status_code == 403
    assert INCIDENT_RULE in response.content.decode().replace("&#x27;", "'")
    assert not Attachment.objects.exists()


def test_the_audit_lead_does_not_attach_to_an_incident(api_as, incident, it_dept):
    lead = UserFactory(roles=["staff", "audit_lead", "auditor"], department=it_dept)
    response = api_upload(api_as(lead), incident_api(incident), **EN)
    assert (response.status_code, response.json()["detail"]) == (403, INCIDENT_RULE)


def test_the_reporter_the_head_and_the_office_attach_while_it_is_open(api_as, incident, staff, head, office):
    for user in (staff, head, office):
        assert incident_may_add(incident, user) is None
        assert api_upload(api_as(user), incident_api(incident)).status_code == 201
    assert Attachment.objects.count() == 3


def test_after_the_close_only_the_pms_office_attaches(api_as, staff, head, office, executive, sales):
    closed = IncidentFactory(reporter=staff, department=sales, state=IncidentState.CLOSED)
    for user in (staff, head):
        problem = incident_may_add(closed, user)
        assert isinstance(problem, ClosedReason)
        response = api_upload(api_as(user), incident_api(closed), **EN)
        assert response.status_code == 409
        assert response.json()["detail"] == "Files can no longer be added: the incident is closed or dismissed."
    response = api_upload(api_as(executive), incident_api(closed), **EN)
    assert (response.status_code, response.json()["detail"]) == (403, INCIDENT_RULE)
    assert api_upload(api_as(office), incident_api(closed)).status_code == 201
