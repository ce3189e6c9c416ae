"""The checklist on the audit page: the audit team records results; a nonconformity raises a finding."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audits.models import ChecklistItem, Finding

pytestmark = pytest.mark.django_db


def record(client, audit, item, **fields):
    """Post the item's form as the page shows it: with the item's version as stored now."""
    fields.setdefault("version", ChecklistItem.objects.get(pk=item.pk).version)
    data = {f"item-{item.pk}-{name}": value for name, value in fields.items()}
    return client.post(reverse("audit_checklist_record", args=[audit.pk, item.pk]), data)


def test_the_team_sees_a_form_per_item_during_fieldwork(client, fieldwork, lead_auditor, head):
    client.force_login(lead_auditor)
    response = client.get(reverse("audit_detail", args=[fieldwork.pk]))
    assert response.context["fills_in"]
    assert all(row["form"] is not None for row in response.context["checklist"])
    client.force_login(head)  # the audited department reads the checklist, it does not fill it in
    response = client.get(reverse("audit_detail", args=[fieldwork.pk]))
    assert response.status_code == 200
    assert not response.context["fills_in"]
    assert 'name="item-' not in response.content.decode()


def test_a_nonconforming_result_raises_a_finding(client, fieldwork, lead_auditor, sales):
    item = fieldwork.checklist.first()
    client.force_login(lead_auditor)
    response = record(client, fieldwork, item, result="nonconforming", evidence="台帳の更新記録が3か月分ない",
                      note="個人情報管理台帳が更新されていない", grade="major", description="台帳が更新されていない")
    assert response.status_code == 302
    assert response.url == reverse("audit_detail", args=[fieldwork.pk]) + f"#item-{item.pk}"
    item.refresh_from_db()
    assert (item.result, item.recorded_by) == ("nonconforming", lead_auditor)
    finding = Finding.objects.get(checklist_item=item)
    assert (finding.grade, finding.department, finding.description) == ("major", sales, "台帳が更新されていない")
    page = client.get(response.url).content.decode()
    assert finding.reference in page and reverse("finding_detail", args=[finding.pk]) in page


def test_a_nonconformity_defaults_to_minor_and_an_observation_raises_nothing_without_a_grade(
    client, fieldwork, lead_auditor
):
    first, second = list(fieldwork.checklist.all())[:2]
    client.force_login(lead_auditor)
    assert record(client, fieldwork, first, result="nonconforming", note="手順書が古い").status_code == 302
    assert Finding.objects.get(checklist_item=first).grade == "minor"
    assert record(client, fieldwork, second, result="observation", note="改善の余地").status_code == 302
    assert not Finding.objects.filter(checklist_item=second).exists()


def test_a_result_is_required_and_the_grade_must_match_it(client, fieldwork, lead_auditor):
    item = fieldwork.checklist.first()
    client.force_login(lead_auditor)
    response = record(client, fieldwork, item, evidence="確認した")
    assert response.status_code == 400
    bound = [row["form"] for row in response.context["checklist"] if row["item"].pk == item.pk][0]
    assert "result" in bound.errors
    response = record(client, fieldwork, item, result="nonconforming", grade="observation")
    assert response.status_code == 400
    response = record(client, fieldwork, item, result="observation", grade="minor")
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.result == "" and not Finding.objects.exists()


def test_someone_outside_the_team_cannot_record(client, fieldwork, head, audit_lead):
    item = fieldwork.checklist.first()
    client.force_login(head)
    assert record(client, fieldwork, item, result="conforming").status_code == 403
    item.refresh_from_db()
    assert item.result == ""


def test_results_are_recorded_during_fieldwork_only(client, plan_audit, lead_auditor):
    audit = plan_audit()
    item = audit.checklist.first()
    client.force_login(lead_auditor)
    response = record(client, audit, item, result="conforming")
    assert response.status_code == 302 and response.url == reverse("audit_detail", args=[audit.pk])
    item.refresh_from_db()
    assert item.result == ""


def test_the_audit_goes_through_its_transitions_on_the_web(client, fieldwork, lead_auditor, audit_lead):
    client.force_login(lead_auditor)
    for item in fieldwork.checklist.all():
        record(client, fieldwork, item, result="conforming", evidence="規程と記録を確認")
    url = reverse("audit_transition", args=[fieldwork.pk, "report"])
    response = client.post(url, {"report-expected_state": "fieldwork", "report-conclusion": ""})
    assert response.status_code == 400
    response = client.post(url, {"report-expected_state": "fieldwork", "report-conclusion": "適合"})
    assert response.status_code == 302 and response.url == reverse("audit_detail", args=[fieldwork.pk])
    client.force_login(audit_lead)
    response = client.post(reverse("audit_transition", args=[fieldwork.pk, "close"]),
                           {"close-expected_state": "reported"})
    assert response.status_code == 302
    fieldwork.refresh_from_db()
    assert fieldwork.state == "closed"


def test_a_multi_department_audit_asks_which_department_a_nonconformity_is_about(
    client, plan_audit, lead_auditor, sales
):
    from django.urls import reverse

    from audits.models import Finding
    from incidents.services import transition_record
    from tests.incidents.factories import DepartmentFactory

    hr = DepartmentFactory(code="HR", name="人事部")
    audit = transition_record(plan_audit(departments=[sales, hr]), "start", by=lead_auditor)
    item = audit.checklist.first()
    client.force_login(lead_auditor)
    page = client.get(reverse("audit_detail", args=[audit.pk]))
    assert f'name="item-{item.pk}-department"' in page.content.decode()
    url = reverse("audit_checklist_record", args=[audit.pk, item.pk])
    data = {f"item-{item.pk}-result": "nonconforming", f"item-{item.pk}-note": "記録なし",
            f"item-{item.pk}-version": item.version}
    assert client.post(url, data).status_code == 400
    assert not Finding.objects.exists()
    client.post(url, {**data, f"item-{item.pk}-department": hr.pk})
    assert Finding.objects.get().department == hr
