"""The audit report PDF (audits/pdf/audit_report.py), its API endpoint and its web download:
what it says in Japanese and English, the embedded font, hostile user text, visibility,
and a number of queries that does not grow with the checklist."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audits import services
from audits.models import Finding, Requirement
from audits.pdf.audit_report import render_audit_report, report_filename
from audits.pdf.base import FONT_NAME
from incidents.services import transition_record
from tests.incidents.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

HOSTILE = ['<img src="/etc/passwd">', "<unclosed", "R&D", "<font name=x>"]
CONCLUSION = "営業部で軽微な不適合1件を検出した。その他の項目は規程どおり運用されている。"


def step(record, name, by, **changes):
    return transition_record(record, name, by=by, changes=changes)


def read(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in read(pdf).pages]


def squash(text: str) -> str:
    """Text without whitespace: wrapped lines come back with line breaks inside."""
    return "".join(text.split())


def record_all(audit, by, *, note: str = "台帳に未記載の名簿がある", description: str = ""):
    """Conforming for every item but the second, which is nonconforming (and raises a finding)."""
    items = list(audit.checklist.select_related("requirement").order_by("position", "id"))
    for number, item in enumerate(items):
        item.audit = audit
        if number == 1:
            services.checklist_record(item=item, by=by, result="nonconforming", evidence="個人情報管理台帳（2025-10-02版）",
                                      note=note, description=description)
        else:
            services.checklist_record(item=item, by=by, result="conforming", evidence="規程と記録を確認")
    return items


@pytest.fixture
def reported_audit(plan_audit, lead_auditor, second_auditor, head):
    """A reported audit of sales: three clauses, one finding with a corrective action."""
    lead_auditor.last_name, lead_auditor.first_name = "小林", "大輔"
    lead_auditor.save()
    audit = step(plan_audit(title="営業部 内部監査（上期）"), "start", lead_auditor)
    record_all(audit, lead_auditor)
    finding = Finding.objects.get(audit=audit)
    services.finding_add_action(
        finding=finding, by=head, kind="corrective", title="台帳の月次更新手順の制定",
        description="更新の担当と手順を定める", owner=head, verifier=second_auditor,
        due_date=timezone.localdate() + dt.timedelta(days=30),
    )
    return step(audit, "report", lead_auditor, conclusion=CONCLUSION)


# ---------------------------------------------------------------------------
# What the report says


def test_the_report_in_japanese(reported_audit, clauses):
    audit = reported_audit
    finding = audit.findings.get()
    action = finding.actions.get()
    texts = page_texts(render_audit_report(audit, language="ja"))
    text = squash("".join(texts))
    for expected in (audit.reference, "営業部内部監査（上期）", "内部監査", "報告済", "営業部", "小林大輔",
                     finding.reference, "軽微な不適合", action.reference, "台帳の月次更新手順の制定", "適合", "不適合",
                     "個人情報管理台帳（2025-10-02版）", "台帳に未記載の名簿がある", squash(CONCLUSION)):
        assert expected in text, expected
    for requirement in clauses:
        assert requirement.clause in text
        assert squash(requirement.title_ja) in text
    total = len(texts)
    for number, page in enumerate(texts, start=1):
        assert f"{number} / {total}" in page


def test_the_report_in_english(reported_audit, clauses):
    audit = reported_audit
    texts = page_texts(render_audit_report(audit, language="en"))
    text = squash("".join(texts))
    for expected in ("Internal audit report", "Internal audit", "Reported", "Conforming", "Nonconforming",
                     "Minor nonconformity", "Findings", "Conclusion", "Confidential", audit.reference,
                     audit.findings.get().reference, "営業部", squash(CONCLUSION)):
        assert squash(expected) in text, expected
    for requirement in clauses:
        assert squash(requirement.title_en) in text
    assert f"1 / {len(texts)}" in texts[0]


def test_metadata_and_filename(reported_audit):
    reader = read(render_audit_report(reported_audit, language="en"))
    assert [entry.title for entry in reader.outline] == [
        "1. Audit scope", "2. Audit team", "3. Checklist", "4. Findings", "5. Conclusion",
    ]
    assert reader.metadata.title == f"Internal audit report {reported_audit.reference}"
    assert reader.metadata.subject == "営業部 内部監査（上期）"
    assert reader.metadata.author == "PMS workflow"
    assert report_filename(reported_audit, "ja") == f"{reported_audit.reference}_report_ja.pdf"


def test_a_planned_audit_renders_too(plan_audit):
    audit = plan_audit()
    text = squash("".join(page_texts(render_audit_report(audit, language="en"))))
    assert "Notrecorded" in text and "Nofindingshavebeenraised." in text


def test_an_unknown_language_is_refused(reported_audit):
    with pytest.raises(ValueError):
        render_audit_report(reported_audit, language="fr")


def test_the_font_is_embedded(reported_audit):
    reader = read(render_audit_report(reported_audit, language="ja"))
    fonts = [font.get_object() for page in reader.pages
             for font in (page["/Resources"].get("/Font") or {}).values()]
    assert fonts
    for font in fonts:
        assert font["/BaseFont"].endswith(f"+{FONT_NAME}")
        assert "/FontFile2" in font["/FontDescriptor"]
    assert not any("Helvetica" in font["/BaseFont"] for font in fonts)


def test_hostile_text_is_printed_literally(plan_audit, lead_auditor):
    hostile = " ".join(HOSTILE)
    audit = step(plan_audit(title=f"監査 {hostile}"), "start", lead_auditor)
    record_all(audit, lead_auditor, note=f"メモ {hostile}", description=f"指摘 {hostile}")
    audit = step(audit, "report", lead_auditor, conclusion=f"結論 {hostile}\n二行目 {hostile}")
    for language in ("ja", "en"):
        pdf = render_audit_report(audit, language=language)
        text = squash("".join(page_texts(pdf)))
        for label in ("監査", "メモ", "指摘", "結論", "二行目"):
            assert squash(f"{label} {hostile}") in text, (language, label)
        reader = read(pdf)
        assert all("/XObject" not in page["/Resources"] for page in reader.pages)  # no image came in


def test_queries_do_not_grow_with_the_checklist(plan_audit, lead_auditor):
    jis = Requirement.objects.filter(standard="jis_q_15001", edition="2023").order_by("position")
    small = step(plan_audit(clauses=list(jis[:3])), "start", lead_auditor)
    large = step(plan_audit(clauses=list(jis[:15])), "start", lead_auditor)
    counts = []
    for audit in (small, large):
        record_all(audit, lead_auditor)
        with CaptureQueriesContext(connection) as queries:
            render_audit_report(audit, language="ja")
        counts.append(len(queries))
    assert small.checklist.count() == 3 and large.checklist.count() == 15
    assert counts[0] == counts[1]
    assert counts[0] <= 8


def test_a_department_head_sees_only_the_findings_of_their_department(
        plan_audit, lead_auditor, sales, head, manager):
    hr = DepartmentFactory(code="HR", name="人事部")
    audit = step(plan_audit(departments=[sales, hr]), "start", lead_auditor)
    items = list(audit.checklist.select_related("requirement").order_by("position", "id"))
    for item, department in zip(items[:2], (sales, hr), strict=True):
        item.audit = audit
        services.checklist_record(item=item, by=lead_auditor, result="nonconforming", note="台帳を確認",
                                  description=f"{department.name}の不適合", department=department)
    sales_finding, hr_finding = (Finding.objects.get(audit=audit, department=d) for d in (sales, hr))

    # The checklist is the audit's, shown whole as on the audit's page; the findings are the user's.
    text = squash("".join(page_texts(render_audit_report(audit, language="en", user=head))))
    assert "営業部の不適合" in text
    assert "人事部の不適合" not in text
    assert "1findingofthisauditisnotlisted" in text

    text = squash("".join(page_texts(render_audit_report(audit, language="en", user=manager))))
    assert "営業部の不適合" in text and "人事部の不適合" in text
    assert "notlisted" not in text


# ---------------------------------------------------------------------------
# The API


def api_url(audit) -> str:
    return reverse("audits_api:audit-pdf", args=[audit.pk])


def test_api_download(api_as, reported_audit, lead_auditor):
    response = api_as(lead_auditor).get(api_url(reported_audit), {"lang": "en"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{reported_audit.reference}_report_en.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert "Internal audit report" in page_texts(response.content)[0]


def test_api_language_defaults_to_the_request(api_as, reported_audit, manager):
    client = api_as(manager)
    response = client.get(api_url(reported_audit), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('_report_en.pdf"')
    response = client.get(api_url(reported_audit))
    assert response.status_code == 200 and response["Content-Disposition"].endswith('_report_ja.pdf"')


def test_api_accepts_a_client_asking_for_pdf(api_as, reported_audit, manager):
    response = api_as(manager).get(api_url(reported_audit), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_api_unknown_language_is_400(api_as, reported_audit, manager):
    response = api_as(manager).get(api_url(reported_audit), {"lang": "fr"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "fr" in response.json()["lang"][0]
    response = api_as(manager).get(api_url(reported_audit), {"lang": "fr"}, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 400 and response.json()["lang"]  # JSON even when PDF was asked for


def test_api_someone_who_may_not_see_the_audit_gets_404(api_as, api, reported_audit, other_staff):
    assert api_as(other_staff).get(api_url(reported_audit)).status_code == 404
    assert api_as(other_staff).get(api_url(reported_audit), {"lang": "fr"}).status_code == 404
    response = api_as(other_staff).get(api_url(reported_audit), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    api.force_authenticate(user=None)
    assert api.get(api_url(reported_audit)).status_code == 401


# ---------------------------------------------------------------------------
# The web


def test_web_detail_page_links_the_pdf_in_both_languages(client, reported_audit, head):
    client.force_login(head)
    html = client.get(reverse("audit_detail", args=[reported_audit.pk])).content.decode()
    url = reverse("audit_pdf", args=[reported_audit.pk])
    assert f'href="{url}?lang=ja"' in html and f'href="{url}?lang=en"' in html
    assert "日本語" in html and "English" in html


def test_web_download(client, reported_audit, head):
    client.force_login(head)
    url = reverse("audit_pdf", args=[reported_audit.pk])
    response = client.get(url, {"lang": "ja"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{reported_audit.reference}_report_ja.pdf"'
    assert reported_audit.reference in page_texts(response.content)[0]
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")  # no ?lang=: the page's language
    assert response.status_code == 200 and response["Content-Disposition"].endswith('_report_en.pdf"')


def test_web_unknown_language_and_visibility(client, reported_audit, other_staff, head):
    url = reverse("audit_pdf", args=[reported_audit.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(other_staff)
    assert client.get(url).status_code == 404
    client.force_login(head)
    response = client.get(url, {"lang": "fr"})
    assert response.status_code == 400 and "fr" in response.content.decode()
    assert client.post(url).status_code == 405
