"""Evidence files of audits and findings, through the registry of incidents.attachments:
audits registers who may see and add them, incidents stores and serves them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits import services
from audits.models import Audit, Finding
from incidents import attachments
from incidents.attachments import attachment_add, attachment_for_download
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
