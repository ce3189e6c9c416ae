"""/api/audits/: planning with independence, re-planning, the checklist, every transition,
visibility, lists with filters and a constant number of queries."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from audits import services
from audits.fiscal import fiscal_year_of
from audits.models import Audit, Finding, Requirement
from incidents.models import UserProfile
from incidents.services import transition_record
from tests.incidents.factories import DepartmentFactory, UserFactory
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db

AUDITS_URL = reverse("audits_api:audit-list")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def url(name: str, *args) -> str:
    return reverse(f"audits_api:audit-{name}", args=args)


def step(record, name, by, comment="", **changes):
    return transition_record(record, name, by=by, comment=comment, changes=changes)


def take(client, audit, name, **payload):
    return client.post(url("transition", audit.pk, name), payload, format="json", **EN)


def record(client, audit, item, **payload):
    return client.post(url("checklist", audit.pk, item.pk), payload, format="json", **EN)


def plan_payload(*, departments, clauses, lead, auditors=(), **overrides) -> dict:
    today = timezone.localdate()
    return {
        "title": "営業部 内部監査", "kind": "internal", "departments": [d.pk for d in departments],
        "clauses": [c.pk for c in clauses], "lead_auditor": lead.pk, "auditors": [a.pk for a in auditors],
        "planned_start": today.isoformat(), "planned_end": (today + dt.timedelta(days=2)).isoformat(),
        **overrides,
    }


@pytest.fixture
def sales_auditor(sales):
    return UserFactory(username="salesauditor", roles=["staff", "auditor"], department=sales)


# ---------------------------------------------------------------------------
# Planning


def test_the_audit_lead_plans_an_audit(api_as, audit_lead, lead_auditor, second_auditor, clauses, sales):
    payload = plan_payload(departments=[sales], clauses=clauses, lead=lead_auditor, auditors=[second_auditor])
    response = api_as(audit_lead).post(AUDITS_URL, payload, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reference"].startswith(f"AUD-{timezone.localdate().year}-") and len(data["reference"]) == 11
    assert data["state"] == "planned" and data["kind"] == "internal"
    assert data["fiscal_year"] == fiscal_year_of(timezone.localdate())
    assert [d["code"] for d in data["departments"]] == ["SALES"]
    assert sorted(c["clause"] for c in data["clauses"]) == sorted(c.clause for c in clauses)
    assert data["lead_auditor"]["username"] == "leadauditor"
    assert [a["username"] for a in data["auditors"]] == ["auditor2"]
    assert data["created_by"]["username"] == "auditlead"
    assert len(data["checklist"]) == len(clauses)
    assert all(item["result"] == "" and item["finding"] is None for item in data["checklist"])
    assert data["findings"] == []
    audit = Audit.objects.get(pk=data["id"])
    assert StateLog.objects.for_(audit).get().transition == "plan"


def test_an_auditor_from_an_audited_department_is_refused_with_the_reason(
    api_as, audit_lead, lead_auditor, second_auditor, clauses, sales, it_dept
):
    payload = plan_payload(departments=[sales, it_dept], clauses=clauses, lead=lead_auditor,
                           auditors=[second_auditor])
    response = api_as(audit_lead).post(AUDITS_URL, payload, format="json", **EN)

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "auditor2 belongs to 情報システム部, which this audit covers: nobody audits their own department."
    )
    assert not Audit.objects.exists()


def test_a_lead_auditor_from_an_audited_department_is_refused(api_as, audit_lead, lead_auditor, clauses, ga):
    payload = plan_payload(departments=[ga], clauses=clauses, lead=lead_auditor)
    response = api_as(audit_lead).post(AUDITS_URL, payload, format="json", **EN)

    assert response.status_code == 403
    assert "leadauditor belongs to 総務部" in response.json()["detail"]


def test_a_pms_manager_as_lead_auditor_is_refused_with_the_reason(api_as, audit_lead, manager, clauses, sales):
    payload = plan_payload(departments=[sales], clauses=clauses, lead=manager)
    response = api_as(audit_lead).post(AUDITS_URL, payload, format="json", **EN)

    assert response.status_code == 403
    assert response.json()["detail"] == "manager is a PMS manager and cannot lead an audit of the system they run."


@pytest.mark.parametrize("who", ["auditor", "manager", "head", "staff", "executive"])
def test_only_the_audit_lead_plans_internal_audits(request, api_as, who, lead_auditor, clauses, sales):
    payload = plan_payload(departments=[sales], clauses=clauses, lead=lead_auditor)
    response = api_as(request.getfixturevalue(who)).post(AUDITS_URL, payload, format="json", **EN)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Only the audit lead plans audits")


def test_a_department_head_plans_their_own_operational_check(api_as, head, clauses, sales, it_dept):
    client = api_as(head)
    payload = plan_payload(departments=[sales], clauses=clauses, lead=head, kind="operational_check",
                           title="営業部 運用の確認")
    response = client.post(AUDITS_URL, payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "operational_check"

    other = plan_payload(departments=[it_dept], clauses=clauses, lead=head, kind="operational_check")
    assert client.post(AUDITS_URL, other, format="json").status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"state": "closed"}, "state"),
        ({"reference": "AUD-2020-01"}, "reference"),
        ({"colour": "red"}, "colour"),
        ({"departments": []}, "departments"),
        ({"departments": [999999]}, "departments"),
        ({"clauses": [999999]}, "clauses"),
        ({"lead_auditor": None}, "lead_auditor"),
        ({"kind": "external"}, "kind"),
        ({"title": ""}, "title"),
        ({"planned_start": "2026-13-01"}, "planned_start"),
        ({"planned_start": "2026-05-10", "planned_end": "2026-05-01"}, "planned_end"),
    ],
)
def test_invalid_plans_are_400_per_field(api_as, audit_lead, lead_auditor, clauses, sales, overrides, field):
    payload = {**plan_payload(departments=[sales], clauses=clauses, lead=lead_auditor), **overrides}
    response = api_as(audit_lead).post(AUDITS_URL, payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Audit.objects.exists()


def test_a_missing_payload_names_the_required_fields(api_as, audit_lead):
    response = api_as(audit_lead).post(AUDITS_URL, {}, format="json")

    assert response.status_code == 400
    assert {"title", "departments", "lead_auditor", "planned_start", "planned_end"} <= response.json().keys()


# ---------------------------------------------------------------------------
# Re-planning


def test_a_planned_audit_is_re_planned(api_as, audit_lead, plan_audit, clauses):
    audit = plan_audit()
    response = api_as(audit_lead).patch(url("detail", audit.pk), {"version": audit.version, "title": "再計画", "clauses": [clauses[0].pk]},
                                        format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["title"] == "再計画"
    assert [item["requirement"]["id"] for item in data["checklist"]] == [clauses[0].pk]
    assert [a["username"] for a in data["auditors"]] == ["auditor2"]  # untouched


def test_a_full_put_re_plans_the_audit(api_as, audit_lead, plan_audit, clauses, sales, lead_auditor):
    audit = plan_audit()
    payload = plan_payload(departments=[sales], clauses=clauses[:2], lead=lead_auditor, title="全面再計画")
    response = api_as(audit_lead).put(url("detail", audit.pk), {"version": audit.version, **payload}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["auditors"] == []
    assert len(response.json()["checklist"]) == 2


def test_re_planning_keeps_the_independence_rules(api_as, audit_lead, plan_audit, sales_auditor):
    audit = plan_audit()
    response = api_as(audit_lead).patch(url("detail", audit.pk), {"version": audit.version, "auditors": [sales_auditor.pk]}, format="json",
                                        **EN)

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "salesauditor belongs to 営業部, which this audit covers: nobody audits their own department."
    )
    assert list(audit.auditors.values_list("username", flat=True)) == ["auditor2"]


def test_only_a_planned_audit_is_re_planned(api_as, audit_lead, fieldwork):
    response = api_as(audit_lead).patch(url("detail", fieldwork.pk), {"version": fieldwork.version, "title": "遅すぎる"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "record_closed"


def test_re_planning_is_the_audit_leads(api_as, head, staff, plan_audit):
    audit = plan_audit()
    assert api_as(head).patch(url("detail", audit.pk), {"version": audit.version, "title": "x"}, format="json").status_code == 403
    assert api_as(staff).patch(url("detail", audit.pk), {"version": audit.version, "title": "x"}, format="json").status_code == 404


def test_writing_the_state_is_a_400(api_as, audit_lead, plan_audit):
    audit = plan_audit()
    response = api_as(audit_lead).patch(url("detail", audit.pk), {"state": "closed"}, format="json")

    assert response.status_code == 400
    assert "state" in response.json()
    audit.refresh_from_db()
    assert audit.state == "planned"


# ---------------------------------------------------------------------------
# Transitions


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [option["name"] for option in response.json()]


def test_the_transitions_offered_depend_on_the_role(api_as, plan_audit, audit_lead, lead_auditor, second_auditor,
                                                    head):
    audit = plan_audit()
    assert names(api_as(lead_auditor).get(url("transitions", audit.pk))) == ["start"]
    assert names(api_as(audit_lead).get(url("transitions", audit.pk))) == ["start", "cancel"]
    assert names(api_as(second_auditor).get(url("transitions", audit.pk))) == []
    assert names(api_as(head).get(url("transitions", audit.pk))) == []


def test_start(api_as, plan_audit, lead_auditor, second_auditor, head):
    audit = plan_audit()
    assert take(api_as(second_auditor), audit, "start").status_code == 403
    assert take(api_as(head), audit, "start").status_code == 403

    response = take(api_as(lead_auditor), audit, "start", comment="キックオフ")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "fieldwork" and response.json()["started_at"]

    again = take(api_as(lead_auditor), audit, "start")
    assert again.status_code == 409
    assert again.json()["code"] == "transition_not_available"


def test_start_needs_a_checklist(api_as, plan_audit, lead_auditor):
    audit = plan_audit(clauses=[])
    response = take(api_as(lead_auditor), audit, "start")

    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == ["Choose the clauses to check: the checklist is empty."]


def test_start_needs_an_independent_team(api_as, plan_audit, lead_auditor, second_auditor, sales):
    audit = plan_audit()
    UserProfile.objects.filter(user=second_auditor).update(department=sales)  # moved since the planning

    response = take(api_as(lead_auditor), audit, "start")
    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == [
        "auditor2 belongs to 営業部, which this audit covers: nobody audits their own department."
    ]


def test_report(api_as, fieldwork, lead_auditor, second_auditor):
    client = api_as(lead_auditor)
    response = take(client, fieldwork, "report")
    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == [
        "3 checklist items have no result yet.", "Write the audit's conclusion.",
    ]

    for item in fieldwork.checklist.all():
        assert record(client, fieldwork, item, result="conforming", evidence="規程と記録").status_code == 200
    assert take(api_as(second_auditor), fieldwork, "report", conclusion="適合").status_code == 403
    response = take(api_as(lead_auditor), fieldwork, "report", conclusion="適合。指摘なし。")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "reported"
    assert response.json()["conclusion"] == "適合。指摘なし。"


def test_close_is_the_audit_leads(api_as, fieldwork, audit_lead, lead_auditor):
    for item in fieldwork.checklist.all():
        services.checklist_record(item=item, by=lead_auditor, result="not_applicable")
    audit = step(fieldwork, "report", lead_auditor, conclusion="対象外のみ")

    response = take(api_as(lead_auditor), audit, "close")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the audit lead may do this."
    response = take(api_as(audit_lead), audit, "close")
    assert response.status_code == 200
    assert response.json()["state"] == "closed" and response.json()["closed_at"]
    assert take(api_as(audit_lead), audit, "close").status_code == 409


def test_cancel(api_as, plan_audit, audit_lead, lead_auditor):
    audit = plan_audit()
    assert take(api_as(lead_auditor), audit, "cancel", cancel_reason="延期").status_code == 403
    response = take(api_as(audit_lead), audit, "cancel")
    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == ["Give the reason for cancelling the audit."]

    response = take(api_as(audit_lead), audit, "cancel", cancel_reason="組織変更のため翌期に実施")
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert response.json()["cancel_reason"] == "組織変更のため翌期に実施"


def test_a_started_audit_cannot_be_cancelled(api_as, fieldwork, audit_lead):
    response = take(api_as(audit_lead), fieldwork, "cancel", cancel_reason="x")
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("name", "payload", "status", "key"),
    [
        ("start", {"state": "closed"}, 400, "state"),
        ("start", {"conclusion": "x"}, 400, "conclusion"),  # start does not take it
        ("report", {"conclusion": "x" * 10, "title": "y"}, 400, "title"),
        ("explode", {}, 404, "detail"),
    ],
)
def test_transition_payload_errors(api_as, plan_audit, lead_auditor, name, payload, status, key):
    audit = plan_audit()
    response = take(api_as(lead_auditor), audit, name, **payload)

    assert response.status_code == status
    assert key in response.json()
    audit.refresh_from_db()
    assert audit.state == "planned"


def test_history_is_the_trail(api_as, fieldwork, lead_auditor, audit_lead, executive):
    for item in fieldwork.checklist.all():
        services.checklist_record(item=item, by=lead_auditor, result="conforming")
    audit = step(step(fieldwork, "report", lead_auditor, conclusion="適合"), "close", audit_lead, comment="承認")

    response = api_as(executive).get(url("history", audit.pk), **EN)
    assert response.status_code == 200
    trail = response.json()
    assert {e["kind"] for e in trail} == {"step"}  # the scope set at planning is part of the plan
    assert [(e["transition"], e["from_state"], e["to_state"], e["by"]["username"]) for e in trail] == [
        ("plan", None, "planned", "auditlead"),
        ("start", "planned", "fieldwork", "leadauditor"),
        ("report", "fieldwork", "reported", "leadauditor"),
        ("close", "reported", "closed", "auditlead"),
    ]
    assert trail[0]["transition_label"] == "Audit planned"
    assert trail[-1]["comment"] == "承認"


# ---------------------------------------------------------------------------
# The checklist


def test_a_nonconforming_result_raises_a_finding(api_as, fieldwork, lead_auditor, sales):
    item = fieldwork.checklist.first()
    response = record(api_as(lead_auditor), fieldwork, item, result="nonconforming",
                      evidence="台帳の更新記録が3か月分ない", note="個人情報管理台帳が更新されていない")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["result"] == "nonconforming" and data["recorded_by"]["username"] == "leadauditor"
    assert data["evidence"] == "台帳の更新記録が3か月分ない" and data["recorded_at"]
    finding = Finding.objects.get(audit=fieldwork)
    assert data["finding"] == {
        "id": finding.pk, "reference": finding.reference, "grade": "minor", "grade_display": "Minor nonconformity",
        "state": "open", "state_display": "Open",
    }
    assert (finding.department, finding.requirement_id) == (sales, item.requirement_id)
    assert finding.description == "個人情報管理台帳が更新されていない"

    detail = api_as(lead_auditor).get(url("detail", fieldwork.pk)).json()
    assert [f["reference"] for f in detail["findings"]] == [finding.reference]
    assert [i["finding"]["reference"] for i in detail["checklist"] if i["finding"]] == [finding.reference]


def test_a_major_nonconformity_with_its_own_description(api_as, fieldwork, second_auditor):
    item = fieldwork.checklist.last()
    response = record(api_as(second_auditor), fieldwork, item, result="nonconforming", grade="major",
                      description="監査プログラムが存在しない", evidence="年間計画なし")

    assert response.status_code == 200, response.content
    assert response.json()["finding"]["grade"] == "major"
    assert Finding.objects.get().description == "監査プログラムが存在しない"


def test_an_observation_raises_a_finding_only_with_a_grade(api_as, fieldwork, lead_auditor):
    first, second = list(fieldwork.checklist.all())[:2]
    client = api_as(lead_auditor)
    assert record(client, fieldwork, first, result="observation", note="軽微").json()["finding"] is None
    response = record(client, fieldwork, second, result="observation", grade="opportunity", note="改善の余地")
    assert response.json()["finding"]["grade"] == "opportunity"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "result"),
        ({"result": ""}, "result"),
        ({"result": "fine"}, "result"),
        ({"result": "conforming", "grade": "minor"}, "grade"),
        ({"result": "nonconforming", "grade": "observation"}, "grade"),
        ({"result": "observation", "grade": "major"}, "grade"),
        ({"result": "nonconforming", "grade": "catastrophic"}, "grade"),
        ({"result": "conforming", "state": "closed"}, "state"),
        ({"result": "conforming", "recorded_by": 1}, "recorded_by"),
    ],
)
def test_invalid_checklist_results_are_400(api_as, fieldwork, lead_auditor, payload, field):
    item = fieldwork.checklist.first()
    response = record(api_as(lead_auditor), fieldwork, item, **payload)

    assert response.status_code == 400
    assert field in response.json()
    assert not Finding.objects.exists()


def test_results_are_recorded_during_fieldwork_only(api_as, plan_audit, lead_auditor):
    audit = plan_audit()
    response = record(api_as(lead_auditor), audit, audit.checklist.first(), result="conforming")

    assert response.status_code == 409
    assert response.json()["detail"] == "Results are recorded during fieldwork only."


def test_results_are_recorded_by_the_audit_team_only(api_as, fieldwork, head, audit_lead, staff):
    item = fieldwork.checklist.first()
    response = record(api_as(head), fieldwork, item, result="conforming")  # head sees the audit
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the audit team records results."
    assert record(api_as(audit_lead), fieldwork, item, result="conforming").status_code == 403
    assert record(api_as(staff), fieldwork, item, result="conforming").status_code == 404


def test_an_item_of_another_audit_is_404(api_as, fieldwork, plan_audit, lead_auditor, it_dept):
    other = plan_audit(departments=[it_dept], auditors=[])
    response = record(api_as(lead_auditor), fieldwork, other.checklist.first(), result="conforming")
    assert response.status_code == 404
    assert api_as(lead_auditor).post(f"{url('detail', fieldwork.pk)}checklist/abc/", {}).status_code == 404


# ---------------------------------------------------------------------------
# Visibility


@pytest.fixture
def two_audits(plan_audit, it_dept):
    """A sales audit and an IT audit (the IT auditor stays off the IT one)."""
    return plan_audit(), plan_audit(departments=[it_dept], auditors=[], title="情報システム部 内部監査")


def test_staff_see_no_audit(api_as, staff, two_audits):
    sales_audit, _ = two_audits
    client = api_as(staff)
    assert client.get(AUDITS_URL).json()["count"] == 0
    for name in ("detail", "transitions", "history"):
        assert client.get(url(name, sales_audit.pk)).status_code == 404
    assert take(client, sales_audit, "start").status_code == 404


def test_a_department_head_sees_their_departments_audits_only(api_as, head, two_audits):
    sales_audit, it_audit = two_audits
    client = api_as(head)
    assert [row["reference"] for row in client.get(AUDITS_URL).json()["results"]] == [sales_audit.reference]
    assert client.get(url("detail", sales_audit.pk)).status_code == 200
    assert client.get(url("detail", it_audit.pk)).status_code == 404
    assert client.get(url("history", it_audit.pk)).status_code == 404


def test_the_team_sees_its_audits_and_the_pms_roles_all(api_as, two_audits, second_auditor, manager, executive):
    sales_audit, it_audit = two_audits
    for user in (second_auditor, manager, executive):  # auditors see every audit (their job)
        assert api_as(user).get(AUDITS_URL).json()["count"] == 2


def test_a_head_sees_only_their_departments_findings_of_a_shared_audit(
    api_as, plan_audit, lead_auditor, head, sales, it_dept, clauses
):
    audit = step(plan_audit(departments=[sales, it_dept], auditors=[]), "start", lead_auditor)
    items = list(audit.checklist.all())
    sales_finding = services.finding_raise(audit=audit, by=lead_auditor, department=sales, checklist_item=items[0],
                                           requirement=items[0].requirement, grade="minor", description="営業部の指摘")
    services.finding_raise(audit=audit, by=lead_auditor, department=it_dept, checklist_item=items[1],
                           requirement=items[1].requirement, grade="observation", description="情報システム部の指摘")

    detail = api_as(head).get(url("detail", audit.pk)).json()
    assert [f["reference"] for f in detail["findings"]] == [sales_finding.reference]
    assert [i["finding"]["reference"] for i in detail["checklist"] if i["finding"]] == [sales_finding.reference]
    assert len(api_as(lead_auditor).get(url("detail", audit.pk)).json()["findings"]) == 2


# ---------------------------------------------------------------------------
# Lists


@pytest.fixture
def listed(plan_audit, it_dept, lead_auditor, second_auditor):
    today = timezone.localdate()
    a = plan_audit(title="営業部 定期監査")
    b = step(plan_audit(departments=[it_dept], auditors=[], title="情報システム部 監査",
                        planned_start=today + dt.timedelta(days=10), planned_end=today + dt.timedelta(days=11)),
             "start", lead_auditor)
    last_year = today - dt.timedelta(days=400)
    c = plan_audit(kind="operational_check", departments=[it_dept], lead_auditor=second_auditor, auditors=[],
                   title="情報システム部 点検", planned_start=last_year, planned_end=last_year)
    return a, b, c


def refs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def test_audit_filters_search_and_ordering(api_as, manager, listed, sales, it_dept):
    a, b, c = listed
    client = api_as(manager)
    get = lambda **query: set(refs(client.get(AUDITS_URL, query)))  # noqa: E731
    assert get(state="fieldwork") == {b.reference}
    assert get(state=["planned", "fieldwork"]) == {a.reference, b.reference, c.reference}
    assert get(kind="operational_check") == {c.reference}
    assert get(fiscal_year=fiscal_year_of(timezone.localdate())) == {a.reference, b.reference}
    assert get(department=sales.pk) == {a.reference}
    assert get(department=it_dept.pk) == {b.reference, c.reference}
    assert get(search="点検") == {c.reference}
    assert get(search=a.reference) == {a.reference}
    assert refs(client.get(AUDITS_URL, {"ordering": "planned_start"})) == [c.reference, a.reference, b.reference]
    assert refs(client.get(AUDITS_URL)) == [b.reference, a.reference, c.reference]  # latest first
    assert client.get(AUDITS_URL, {"state": "exploded"}).status_code == 400
    assert client.get(AUDITS_URL, {"department": 999999}).status_code == 400


def test_audit_rows_have_the_documented_fields(api_as, manager, listed):
    row = api_as(manager).get(AUDITS_URL, {"search": listed[0].reference}).json()["results"][0]
    assert row.keys() == {
        "id", "reference", "title", "kind", "kind_display", "company", "company_name", "fiscal_year", "state",
        "state_display", "departments", "clauses", "lead_auditor", "auditors", "planned_start", "planned_end",
        "created_at", "updated_at", "version",
    }
    assert row["company"] == listed[0].company_id and row["company_name"] == listed[0].company.name
    assert row["departments"][0].keys() == {"id", "code", "name"}
    assert row["lead_auditor"].keys() == {"id", "username", "name"}


def test_the_audit_list_is_paginated(api_as, manager, listed):
    data = api_as(manager).get(AUDITS_URL, {"page_size": 2}).json()
    assert data["count"] == 3 and len(data["results"]) == 2 and data["next"]


def token_client(user) -> APIClient:
    """A client that authenticates like a real one, loading the user on every request."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"page_size": 100})
    assert response.status_code == 200
    return len(queries)


def make_audits(count, *, by, departments, clauses):
    today = timezone.localdate()
    for n in range(count):
        lead = UserFactory(roles=["staff", "auditor"], department=DepartmentFactory())
        auditors = [UserFactory(roles=["staff", "auditor"], department=DepartmentFactory()) for _ in range(2)]
        services.audit_plan(
            by=by, title=f"監査 {n}", departments=[*departments, DepartmentFactory()], clauses=clauses,
            lead_auditor=lead, auditors=auditors, planned_start=today, planned_end=today,
        )


@pytest.mark.parametrize("who", ["audit_lead", "head"])
def test_audit_list_queries_do_not_grow_with_rows(request, who, audit_lead, sales, clauses):
    client = token_client(request.getfixturevalue(who))
    make_audits(5, by=audit_lead, departments=[sales], clauses=clauses)
    few = count_queries(client, AUDITS_URL)
    make_audits(15, by=audit_lead, departments=[sales], clauses=clauses)
    assert client.get(AUDITS_URL).json()["count"] == 20
    assert count_queries(client, AUDITS_URL) == few


def test_audit_detail_queries_do_not_grow_with_the_checklist(audit_lead, lead_auditor, sales):
    client = token_client(audit_lead)
    few = services.audit_plan(by=audit_lead, title="少", departments=[sales], lead_auditor=lead_auditor,
                              clauses=list(Requirement.objects.filter(edition="2023")[:2]),
                              planned_start=timezone.localdate(), planned_end=timezone.localdate())
    many = services.audit_plan(by=audit_lead, title="多", departments=[sales], lead_auditor=lead_auditor,
                               clauses=list(Requirement.objects.filter(edition="2023")[:12]),
                               planned_start=timezone.localdate(), planned_end=timezone.localdate())
    client.get(url("detail", few.pk))
    assert count_queries(client, url("detail", few.pk)) == count_queries(client, url("detail", many.pk))


# ---------------------------------------------------------------------------
# Evidence files (the rules are audits.attachments'; here, that the endpoint is there)


def test_the_team_attaches_evidence_to_an_audit_and_outsiders_get_404(api_as, settings, tmp_path, fieldwork,
                                                                      second_auditor, head, staff):
    settings.MEDIA_ROOT = tmp_path
    attachments_url = url("attachments", fieldwork.pk)
    upload = SimpleUploadedFile("監査メモ.txt", "面談記録: 台帳の更新手順なし\n".encode(), content_type="text/plain")
    response = api_as(second_auditor).post(attachments_url, {"file": upload, "description": "面談記録"},
                                           format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["mime_type"].startswith("text/plain")
    assert [row["original_name"] for row in api_as(head).get(attachments_url).json()] == ["監査メモ.txt"]
    assert api_as(staff).get(attachments_url).status_code == 404


def test_a_nonconformity_in_a_multi_department_audit_names_its_department(
    api_as, plan_audit, lead_auditor, sales, clauses
):
    from tests.incidents.factories import DepartmentFactory

    hr = DepartmentFactory(code="HR", name="人事部")
    audit = step(plan_audit(departments=[sales, hr]), "start", lead_auditor)
    item = audit.checklist.first()
    client = api_as(lead_auditor)
    response = record(client, audit, item, result="nonconforming", note="記録なし")
    assert response.status_code == 400
    assert "department" in response.json()
    response = record(client, audit, item, result="nonconforming", note="記録なし", department=hr.pk)
    assert response.status_code == 200
    assert audit.findings.get().department == hr
