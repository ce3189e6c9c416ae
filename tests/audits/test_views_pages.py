"""Audits web UI: who sees which page (200 or 404), the programme's gaps, the navigation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audits import services
from audits.fiscal import fiscal_year_of
from audits.models import Finding
from incidents.services import transition_record
from tests.incidents.factories import UserFactory, reported_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_with_finding(plan_audit, lead_auditor):
    audit = transition_record(plan_audit(), "start", by=lead_auditor)
    services.checklist_record(item=audit.checklist.first(), by=lead_auditor, result="nonconforming",
                              evidence="台帳の更新記録が3か月分ない", note="個人情報管理台帳が更新されていない")
    return audit, Finding.objects.get(audit=audit)


def pages(audit, finding) -> list[str]:
    return [
        reverse("audit_programme"),
        reverse("audit_programme_year", args=[audit.fiscal_year]),
        reverse("audit_list"),
        reverse("audit_detail", args=[audit.pk]),
        reverse("finding_list"),
        reverse("finding_detail", args=[finding.pk]),
    ]


@pytest.mark.parametrize("who", ["audit_lead", "lead_auditor", "second_auditor", "head", "manager", "executive"])
def test_the_pages_render_for_the_audit_roles_and_the_audited_head(request, client, audit_with_finding, who):
    audit, finding = audit_with_finding
    client.force_login(request.getfixturevalue(who))
    for url in pages(audit, finding):
        response = client.get(url)
        assert response.status_code == 200, url
    if who == "head":
        assert client.get(reverse("finding_mine")).status_code == 200


def test_staff_gets_404_on_every_audit_page(client, audit_with_finding, staff):
    audit, finding = audit_with_finding
    client.force_login(staff)
    for url in [
        *pages(audit, finding),
        reverse("finding_mine"),
        reverse("audit_edit", args=[audit.pk]),
        reverse("audit_transition", args=[audit.pk, "report"]),
        reverse("finding_transition", args=[finding.pk, "respond"]),
    ]:
        assert client.get(url).status_code == 404, url
    item = audit.checklist.last()
    response = client.post(reverse("audit_checklist_record", args=[audit.pk, item.pk]),
                           {f"item-{item.pk}-result": "conforming"})
    assert response.status_code == 404
    assert client.post(reverse("finding_action_create", args=[finding.pk]), {}).status_code == 404


def test_the_head_of_another_department_does_not_see_the_audit(client, audit_with_finding, it_dept):
    audit, finding = audit_with_finding
    it_head = UserFactory(username="ithead", roles=["staff", "department_head"], department=it_dept)
    client.force_login(it_head)
    assert client.get(reverse("audit_detail", args=[audit.pk])).status_code == 404
    assert client.get(reverse("finding_detail", args=[finding.pk])).status_code == 404
    response = client.get(reverse("finding_list"))
    assert response.status_code == 200
    assert finding.reference not in response.content.decode()


def test_the_programme_flags_the_unaudited_departments_as_gaps(client, plan_audit, audit_lead, sales, it_dept, ga):
    audit = plan_audit()
    client.force_login(audit_lead)
    response = client.get(reverse("audit_programme"))
    assert response.context["year"] == fiscal_year_of(audit.planned_start)
    status = {row["department"].code: row["status"] for row in response.context["rows"]}
    assert status == {"SALES": "planned", "IT": "none", "GA": "none"}
    html = response.content.decode()
    gap_rows = html.count("is-gap")
    assert gap_rows == 2
    assert audit.reference in html and reverse("audit_plan") in html
    # The neighbouring years are one click away.
    assert reverse("audit_programme_year", args=[audit.fiscal_year - 1]) in html
    assert reverse("audit_programme_year", args=[audit.fiscal_year + 1]) in html


def test_a_reported_audit_counts_as_done(client, plan_audit, lead_auditor, audit_lead):
    audit = transition_record(plan_audit(), "start", by=lead_auditor)
    for item in audit.checklist.all():
        services.checklist_record(item=item, by=lead_auditor, result="conforming", evidence="記録を確認")
    transition_record(audit, "report", by=lead_auditor, changes={"conclusion": "適合"})
    client.force_login(audit_lead)
    rows = client.get(reverse("audit_programme")).context["rows"]
    assert {row["department"].code: row["status"] for row in rows}["SALES"] == "done"


def test_the_plan_button_shows_only_to_those_who_may_plan(client, plan_audit, audit_lead, lead_auditor):
    plan_audit()
    client.force_login(audit_lead)
    assert reverse("audit_plan") in client.get(reverse("audit_programme")).content.decode()
    client.force_login(lead_auditor)
    assert reverse("audit_plan") not in client.get(reverse("audit_programme")).content.decode()
    assert client.get(reverse("audit_plan")).status_code == 403


def test_the_navigation_links_the_audit_pages_for_the_audit_roles_only(client, audit_lead, staff):
    client.force_login(audit_lead)
    html = client.get(reverse("home")).content.decode()
    assert reverse("audit_programme") in html and reverse("finding_list") in html
    client.force_login(staff)
    html = client.get(reverse("home")).content.decode()
    assert reverse("audit_programme") not in html


def test_the_finding_page_links_the_related_incidents_the_user_may_see(client, audit_with_finding, manager, head,
                                                                        staff, other_staff):
    _audit, finding = audit_with_finding
    ours = reported_incident(staff, title="名簿の誤送信")
    theirs = reported_incident(other_staff, title="サーバ設定の誤り")
    finding.incidents.add(ours, theirs)
    client.force_login(manager)
    html = client.get(reverse("finding_detail", args=[finding.pk])).content.decode()
    assert reverse("incident_detail", args=[ours.pk]) in html
    assert reverse("incident_detail", args=[theirs.pk]) in html
    client.force_login(head)  # heads sales: sees the sales incident, not the IT one
    html = client.get(reverse("finding_detail", args=[finding.pk])).content.decode()
    assert reverse("incident_detail", args=[ours.pk]) in html
    assert theirs.reference in html and reverse("incident_detail", args=[theirs.pk]) not in html
