"""Evidence files of audits and findings, through the registry of incidents.attachments:
audits registers who may see and add them, incidents stores and serves them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from audits import services
from audits.attachments import audit_may_add, finding_may_add
from audits.models import Audit, Finding
from incidents import attachments
from incidents.attachments import ClosedReason, attachment_add, attachment_for_download
from incidents.exceptions import NotPermitted, RecordClosed
from incidents.models import Attachment
from tests.incidents.test_attachments import HTML, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def audit(fieldwork):
    """The sales audit in fieldwork (tests/audits/conftest.py)."""
    return fieldwork


@pytest.fixture
def finding(audit, lead_auditor, clauses, sales):
    return services.finding_raise(audit=audit, by=lead_auditor, requirement=clauses[0], department=sales,
                                  grade="minor", description="個人情報管理台帳が3か月更新されていない",
                                  evidence="台帳の更新履歴")


def test_audits_and_findings_are_registered_by_the_audits_app():
    # No import of audits.attachments here: loading the audits app registers them.
    assert {Audit, Finding} <= set(attachments.registered_models())


def test_the_audit_team_attaches_to_an_audit_and_those_who_see_it_download(
    client, audit, lead_auditor, head, other_staff
):
    attachment = attachment_add(record=audit, by=lead_auditor, file=upload("監査計画書.pdf", pdf_bytes()))
    assert attachment.record == audit
    assert list(attachments.attachments_of(audit)) == [attachment]
    client.force_login(head)  # the head of the audited department sees the audit
    response = client.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    client.force_login(other_staff)
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 404


def test_an_outsider_may_not_attach_to_an_audit(audit, other_staff):
    with pytest.raises(NotPermitted):
        attachment_add(record=audit, by=other_staff, file=upload("a.pdf", pdf_bytes()))


def test_the_department_head_attaches_evidence_to_a_finding_from_its_page(client, finding, head, lead_auditor,
                                                                           other_staff):
    client.force_login(head)
    url = reverse("attachment_upload", args=["audits.finding", finding.pk])
    response = client.post(url, {"file": upload("台帳_更新後.png", png_bytes()), "description": "更新後の台帳"})
    assert response.status_code == 302
    assert response["Location"] == reverse("finding_detail", args=[finding.pk]) + "#attachments"
    attachment = Attachment.objects.get()
    assert attachment.record == finding
    assert attachment_for_download(pk=attachment.pk, user=lead_auditor) == attachment
    client.force_login(other_staff)
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 404
    assert client.post(url, {"file": upload("a.pdf", pdf_bytes())}).status_code == 404


def test_a_disguised_file_is_refused_on_a_finding_too(client, finding, head):
    client.force_login(head)
    url = reverse("attachment_upload", args=["audits.finding", finding.pk])
    assert client.post(url, {"file": upload("evidence.pdf", HTML)}).status_code == 400
    assert not Attachment.objects.exists()


def test_no_files_are_added_to_a_closed_finding_except_by_the_audit_lead(finding, head, audit_lead, lead_auditor):
    Finding.objects.filter(pk=finding.pk).update(state="closed")
    finding.refresh_from_db()
    with pytest.raises(RecordClosed):
        attachment_add(record=finding, by=head, file=upload("a.pdf", pdf_bytes()))
    with pytest.raises(RecordClosed):
        attachment_add(record=finding, by=lead_auditor, file=upload("a.pdf", pdf_bytes()))
    assert attachment_add(record=finding, by=audit_lead, file=upload("a.pdf", pdf_bytes())).record == finding


def test_the_panel_renders_for_any_registered_record(rf, finding, head):
    from django.template.loader import render_to_string

    attachment_add(record=finding, by=head, file=upload("是正報告.pdf", pdf_bytes()))
    request = rf.get("/")
    request.user = head
    html = render_to_string("incidents/_attachments.html", {"record": finding, "user": head}, request=request)
    assert "是正報告.pdf" in html
    assert f'action="/attachments/upload/audits.finding/{finding.pk}/"' in html
    custom = render_to_string("incidents/_attachments.html",
                              {"record": finding, "user": head, "upload_url": "/somewhere/"}, request=request)
    assert 'action="/somewhere/"' in custom


EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
AUDIT_RULE = ("Only the audit team, the audit lead and the heads of the audited departments may add files to "
              "an audit.")
FINDING_RULE = ("Only the audit team, the audit lead and the head of the audited department may add files to "
                "a finding.")


def api_upload(client, path, **headers):
    return client.post(path, {"file": upload("証跡.pdf", pdf_bytes())}, format="multipart", **headers)


def web_upload(client, record_key, record):
    return client.post(reverse("attachment_upload", args=[record_key, record.pk]),
                       {"file": upload("証跡.pdf", pdf_bytes())}, **EN)


# ---------------------------------------------------------------------------
# Who may add files (issue 11): the rules, with their reasons


@pytest.mark.parametrize("who", ["executive", "auditor", "manager"])
def test_only_the_team_the_lead_and_the_heads_attach_to_an_audit(request, api_as, client, audit, who):
    user = request.getfixturevalue(who)
    with translation.override("en"):
        assert audit_may_add(audit, user) == AUDIT_RULE
    response = api_upload(api_as(user), f"/api/audits/{audit.pk}/attachments/", **EN)
    assert (response.status_code, response.json()["detail"]) == (403, AUDIT_RULE)
    client.force_login(user)
    response = web_upload(client, "audits.audit", audit)
    assert response.status_code == 403
    assert AUDIT_RULE in response.content.decode()


def test_the_team_and_the_head_attach_to_an_audit(audit, lead_auditor, second_auditor, head):
    assert [audit_may_add(audit, user) for user in (lead_auditor, second_auditor, head)] == [None] * 3


@pytest.mark.parametrize("who", ["executive", "auditor", "manager"])
def test_only_the_team_the_lead_and_the_head_attach_to_a_finding(request, api_as, finding, who):
    user = request.getfixturevalue(who)
    with translation.override("en"):
        assert finding_may_add(finding, user) == FINDING_RULE
    response = api_upload(api_as(user), f"/api/findings/{finding.pk}/attachments/", **EN)
    assert (response.status_code, response.json()["detail"]) == (403, FINDING_RULE)
    assert not Attachment.objects.exists()


def test_the_head_attaches_to_the_finding_until_it_is_closed(api_as, finding, head):
    assert finding_may_add(finding, head) is None
    assert api_upload(api_as(head), f"/api/findings/{finding.pk}/attachments/").status_code == 201
    type(finding).objects.filter(pk=finding.pk).update(state="closed")
    finding.refresh_from_db()
    assert isinstance(finding_may_add(finding, head), ClosedReason)
    response = api_upload(api_as(head), f"/api/findings/{finding.pk}/attachments/", **EN)
    assert (response.status_code, response.json()["detail"]) == (
        409, "Files can no longer be added: the finding is closed.",
    )
