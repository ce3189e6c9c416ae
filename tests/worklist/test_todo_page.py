"""The to-do page (マイページ) lists what waits for each role, at a cost that does not grow
with the lists."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import services as audit_services
from incidents import services
from incidents.models import ReportingTrack, TrackKind
from incidents.services import transition_record
from tests.incidents.factories import ActionFactory, reported_incident

pytestmark = pytest.mark.django_db

TEXTS = {
    "issues_changes": "改正法への対応準備。", "interested_parties": "取引先の依頼が増加。",
    "feedback": "苦情 2 件。", "risk_status": "残留リスクは許容範囲内。",
}


def page(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return response, len(queries)


def test_the_office_sees_reports_to_triage_and_the_incidents_it_handles(client, staff, manager, office):
    first = reported_incident(staff, title="一件目")
    services.incident_assign_handler(incident=first, by=manager, handler=office, version=first.version)
    response, one = page(client, office)
    assert [i.title for i in response.context["awaiting_triage"]["rows"]] == ["一件目"]
    assert [i.title for i in response.context["handled_incidents"]["rows"]] == ["一件目"]
    for n in range(4):
        incident = reported_incident(staff, title=f"追加{n}")
        services.incident_assign_handler(incident=incident, by=manager, handler=office, version=incident.version)
    response, five = page(client, office)
    assert response.context["handled_incidents"]["total"] == 5
    assert response.context["awaiting_triage"]["total"] == 5
    assert five == one


def test_actions_to_carry_out_and_to_verify(client, head, manager, sales):
    due = timezone.localdate() + dt.timedelta(days=10)
    ActionFactory(department=sales, owner=head, verifier=manager, title="実施する処置", due_date=due)
    implemented = ActionFactory(department=sales, owner=manager, verifier=head, title="検証する処置",
                                state="implemented")
    response, one = page(client, head)
    assert [a.title for a in response.context["actions_to_do"]["rows"]] == ["実施する処置"]
    assert [a.pk for a in response.context["actions_to_verify"]["rows"]] == [implemented.pk]
    for n in range(4):
        ActionFactory(department=sales, owner=head, verifier=manager, title=f"追加{n}", due_date=due)
        ActionFactory(department=sales, owner=manager, verifier=head, state="implemented")
    response, five = page(client, head)
    assert response.context["actions_to_do"]["total"] == 5
    assert response.context["actions_to_verify"]["total"] == 5
    assert five == one


def test_the_head_answers_findings_and_the_team_accepts_and_verifies(client, fieldwork, lead_auditor,
                                                                    second_auditor, head, clauses, sales):
    finding = audit_services.finding_raise(audit=fieldwork, by=lead_auditor, requirement=clauses[0],
                                           department=sales, grade="minor", description="台帳が古い")
    response, _ = page(client, head)
    assert [f.pk for f in response.context["findings_to_answer"]["rows"]] == [finding.pk]
    assert "台帳が古い" in response.content.decode()
    audit_services.finding_add_action(finding=finding, by=head, kind="corrective", title="手順の制定", owner=head,
                                      verifier=second_auditor, due_date=timezone.localdate() + dt.timedelta(30))
    transition_record(finding, "respond", by=head, changes={"cause": "手順がない", "plan": "手順を定める"})
    response, _ = page(client, lead_auditor)
    assert [f.pk for f in response.context["responses_to_accept"]["rows"]] == [finding.pk]
    assert [a.pk for a in response.context["audits_to_do"]["rows"]] == [fieldwork.pk]


def test_the_audit_lead_sees_departments_not_audited(client, audit_lead, sales, it_dept):
    response, _ = page(client, audit_lead)
    names = {d.name for d in response.context["departments_not_audited"]["rows"]}
    assert {"営業部", "情報システム部"} <= names


def test_top_management_sees_the_review_to_approve(client, manager, executive, draft):
    transition_record(draft, "submit", by=manager)
    response, _ = page(client, executive)
    assert [r.pk for r in response.context["reviews_to_approve"]["rows"]] == [draft.pk]


def test_staff_see_their_own_items_only(client, staff, manager, sales):
    reported_incident(staff, title="自分の報告")
    response, _ = page(client, staff)
    assert response.context.get("awaiting_triage") is None
    assert response.context["findings_to_answer"]["total"] == 0
    assert "departments_not_audited" not in response.context


def test_rows_linked_to_other_records_are_read_with_what_they_show(client, staff, manager, head, office, sales):
    """An action shows its incident, a report its incident and company: read with the rows,
    in the columns the page shows (tests/worklist/conftest.py refuses any column read later)."""
    incident = reported_incident(staff, title="紐づくインシデント")
    services.incident_assign_handler(incident=incident, by=manager, handler=office, version=incident.version)
    today = timezone.localdate()
    ActionFactory(incident=incident, department=sales, owner=office, verifier=head, due_date=today + dt.timedelta(3))
    ActionFactory(incident=incident, department=sales, owner=head, verifier=office, state="implemented")
    ActionFactory(incident=incident, department=sales, owner=head, verifier=office, due_date=today - dt.timedelta(2))
    limit = timezone.now() + dt.timedelta(hours=30)
    ReportingTrack.objects.create(incident=incident, kind=TrackKind.PPC_PRELIMINARY, due_at=limit, limit_at=limit)
    expected = {
        office: ("actions_to_do", "actions_to_verify", "overdue_actions", "awaiting_triage", "handled_incidents"),
        head: ("actions_to_do", "department_incidents", "department_actions"),
    }
    for user, sections in expected.items():
        response, _ = page(client, user)
        for name in sections:
            assert response.context[name]["total"] >= 1, (user, name)
        assert "紐づくインシデント" in response.content.decode(), user
    response, _ = page(client, office)
    assert [entry["incident"].pk for entry in response.context["deadlines"]["incidents"]] == [incident.pk]
    assert incident.reference in response.content.decode()


def test_full_sections_take_their_totals_from_counts_the_page_reads_anyway(client, staff, manager, sales):
    """Past TODO_LIMIT a section counts its rows; the office's reports to triage take their
    total from the page's counts by state, a person's actions theirs from the due counts:
    the page full costs what it costs with one row each."""
    from incidents.todo import TODO_LIMIT

    due = timezone.localdate() + dt.timedelta(days=3)
    reported_incident(staff, title="最初")
    ActionFactory(department=sales, owner=manager, verifier=staff, due_date=due)
    _, one = page(client, manager)
    for n in range(TODO_LIMIT):
        reported_incident(staff, title=f"追加{n}")
        ActionFactory(department=sales, owner=manager, verifier=staff, due_date=due)
    response, full = page(client, manager)
    assert response.context["awaiting_triage"]["total"] == TODO_LIMIT + 1
    assert len(response.context["awaiting_triage"]["rows"]) == TODO_LIMIT
    assert response.context["actions_to_do"]["total"] == TODO_LIMIT + 1
    assert response.context["actions_to_do"]["more"] == 1
    assert full == one
