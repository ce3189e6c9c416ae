"""/api/findings/: raising findings, corrective actions, every transition with its conditions
and roles, visibility, lists, and the whole walk from planning an audit to a verified close."""

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
from audits.models import Finding, Requirement
from incidents.models import Action
from incidents.services import transition_record
from tests.incidents.factories import DepartmentFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

FINDINGS_URL = reverse("audits_api:finding-list")
AUDITS_URL = reverse("audits_api:audit-list")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DUE = (timezone.localdate() + dt.timedelta(days=30)).isoformat()


def url(name: str, *args) -> str:
    return reverse(f"audits_api:finding-{name}", args=args)


def step(record, name, by, comment="", **changes):
    return transition_record(record, name, by=by, comment=comment, changes=changes)


def take(client, finding, name, **payload):
    return client.post(url("transition", finding.pk, name), payload, format="json", **EN)


def add_action(client, finding, **overrides):
    payload = {"kind": "corrective", "title": "台帳の月次更新手順の制定", "description": "手順書を定める",
               "due_date": DUE, **overrides}
    return client.post(url("actions", finding.pk), payload, format="json", **EN)


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [option["name"] for option in response.json()]


@pytest.fixture
def nc(fieldwork, lead_auditor):
    """An open minor nonconformity of sales, raised by the checklist."""
    services.checklist_record(item=fieldwork.checklist.first(), by=lead_auditor, result="nonconforming",
                              evidence="更新記録なし", note="個人情報管理台帳が更新されていない")
    return Finding.objects.get(audit=fieldwork)


@pytest.fixture
def observation(fieldwork, lead_auditor):
    services.checklist_record(item=fieldwork.checklist.last(), by=lead_auditor, result="observation",
                              grade="observation", note="掲示が古い")
    return Finding.objects.get(audit=fieldwork, grade="observation")


def planned_action(finding, head, verifier, owner=None):
    return services.finding_add_action(finding=finding, by=head, kind="corrective", title="手順の制定",
                                       owner=owner or head, verifier=verifier, due_date=DUE)


def responded(finding, head, verifier, owner=None):
    action = planned_action(finding, head, verifier, owner)
    return step(finding, "respond", head, cause="手順がない", plan="手順を定める"), action


def implement(action, by):
    return step(step(action, "start", by), "implement", by, implementation_note="手順書を制定し周知")


# ---------------------------------------------------------------------------
# Raising findings


def finding_payload(audit, department, **overrides) -> dict:
    requirement = Requirement.objects.get(standard="jis_q_15001", edition="2023", clause="7")
    return {"audit": audit.pk, "requirement": requirement.pk, "department": department.pk, "grade": "major",
            "description": "教育が1年以上実施されていない", "evidence": "受講記録", "incidents": [], **overrides}


def test_the_audit_team_raises_a_finding(api_as, fieldwork, second_auditor, sales, staff):
    incident = IncidentFactory(department=sales, reporter=staff, title="顧客名簿の誤送信")
    response = api_as(second_auditor).post(
        FINDINGS_URL, finding_payload(fieldwork, sales, incidents=[incident.pk]), format="json"
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reference"].startswith(f"FND-{timezone.localdate().year}-") and len(data["reference"]) == 13
    assert data["state"] == "open" and data["grade"] == "major"
    assert data["audit"] == {"id": fieldwork.pk, "reference": fieldwork.reference, "title": fieldwork.title}
    assert data["requirement"]["clause"] == "7" and data["department"]["code"] == "SALES"
    assert data["incidents"] == [{"id": incident.pk, "reference": incident.reference, "title": "顧客名簿の誤送信"}]
    assert data["actions"] == [] and data["raised_by"]["username"] == "auditor2"
    assert data["responded_by"] is None and data["cause"] == "" and data["checklist_item"] is None


def test_the_department_defaults_to_the_audits(api_as, fieldwork, lead_auditor, sales):
    payload = finding_payload(fieldwork, sales)
    del payload["department"]
    response = api_as(lead_auditor).post(FINDINGS_URL, payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["department"]["code"] == "SALES"


def test_findings_are_raised_by_the_audit_team_only(api_as, fieldwork, head, staff, sales):
    response = api_as(head).post(FINDINGS_URL, finding_payload(fieldwork, sales), format="json", **EN)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the audit team raises findings."
    # The audit does not exist for someone who may not see it.
    response = api_as(staff).post(FINDINGS_URL, finding_payload(fieldwork, sales), format="json")
    assert response.status_code == 400 and "audit" in response.json()
    assert not Finding.objects.exists()


def test_findings_are_raised_during_fieldwork_or_reporting(api_as, plan_audit, lead_auditor, sales):
    audit = plan_audit()
    response = api_as(lead_auditor).post(FINDINGS_URL, finding_payload(audit, sales), format="json", **EN)
    assert response.status_code == 409
    assert response.json()["code"] == "record_closed"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"state": "closed"}, "state"),
        ({"reference": "FND-2020-0001"}, "reference"),
        ({"responded_by": 1}, "responded_by"),
        ({"grade": "catastrophic"}, "grade"),
        ({"description": ""}, "description"),
        ({"requirement": None}, "requirement"),
        ({"requirement": 999999}, "requirement"),
        ({"incidents": [999999]}, "incidents"),
        ({"audit": None}, "audit"),
    ],
)
def test_invalid_findings_are_400_per_field(api_as, fieldwork, lead_auditor, sales, overrides, field):
    response = api_as(lead_auditor).post(FINDINGS_URL, {**finding_payload(fieldwork, sales), **overrides},
                                         format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Finding.objects.exists()


def test_a_finding_is_against_a_department_of_the_audit(api_as, fieldwork, lead_auditor, it_dept):
    response = api_as(lead_auditor).post(FINDINGS_URL, finding_payload(fieldwork, it_dept), format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {"department": ["The department is not in the audit's scope."]}


# ---------------------------------------------------------------------------
# Corrective actions of a finding


def test_the_department_head_plans_a_corrective_action(api_as, nc, head, second_auditor, sales):
    response = add_action(api_as(head), nc, owner=head.pk, verifier=second_auditor.pk)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reference"].startswith("ACT-") and data["state"] == "planned" and data["kind"] == "corrective"
    assert data["department"] == sales.pk and data["owner"]["username"] == "head"
    assert list(nc.actions.values_list("reference", flat=True)) == [data["reference"]]
    detail = api_as(head).get(url("detail", nc.pk)).json()
    assert detail["actions"] == [{
        "id": data["id"], "reference": data["reference"], "kind": "corrective", "state": "planned",
        "state_display": "計画", "title": "台帳の月次更新手順の制定",
    }]


def test_the_pms_manager_may_plan_a_findings_action(api_as, nc, manager, head, second_auditor):
    assert add_action(api_as(manager), nc, owner=head.pk, verifier=second_auditor.pk).status_code == 201


def test_auditors_do_not_plan_the_departments_actions(api_as, nc, lead_auditor, head, second_auditor):
    response = add_action(api_as(lead_auditor), nc, owner=head.pk, verifier=second_auditor.pk)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the head of the audited department may plan its actions."
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"kind": "magic"}, "kind"),
        ({"due_date": "soon"}, "due_date"),
        ({"owner": 999999}, "owner"),
        ({"state": "effective"}, "state"),
        ({"incident": 1}, "incident"),
        ({"department": 1}, "department"),
    ],
)
def test_invalid_actions_are_400_per_field(api_as, nc, head, second_auditor, overrides, field):
    response = add_action(api_as(head), nc, **{"owner": head.pk, "verifier": second_auditor.pk, **overrides})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Action.objects.exists()


def test_the_owner_cannot_verify_their_own_action(api_as, nc, head):
    response = add_action(api_as(head), nc, owner=head.pk, verifier=head.pk)
    assert response.status_code == 400
    assert not Action.objects.exists()


def test_no_actions_on_a_closed_finding_nor_an_invisible_one(api_as, observation, head, audit_lead, staff,
                                                             second_auditor):
    assert add_action(api_as(staff), observation, owner=head.pk, verifier=second_auditor.pk).status_code == 404
    step(observation, "close", audit_lead)
    response = add_action(api_as(head), observation, owner=head.pk, verifier=second_auditor.pk)
    assert response.status_code == 409


# ---------------------------------------------------------------------------
# Transitions


def test_the_transitions_offered_depend_on_the_role(api_as, nc, head, lead_auditor, manager):
    assert names(api_as(head).get(url("transitions", nc.pk))) == ["respond"]
    offered = api_as(lead_auditor).get(url("transitions", nc.pk), **EN).json()
    assert [(o["name"], o["unmet_conditions"]) for o in offered] == [
        ("close", ["A nonconformity closes only after its actions have been submitted for verification."]),
    ]
    assert names(api_as(manager).get(url("transitions", nc.pk))) == []


def test_respond(api_as, nc, head, manager, second_auditor):
    response = take(api_as(manager), nc, "respond", cause="x", plan="y")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the head of the audited department may answer the finding."

    response = take(api_as(head), nc, "respond")
    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == [
        "Write the cause / the plan.", "A nonconformity needs at least one corrective action.",
    ]
    response = take(api_as(head), nc, "respond", cause="手順がない", plan="手順を定める")
    assert response.json()["unmet_conditions"] == ["A nonconformity needs at least one corrective action."]
    nc.refresh_from_db()
    assert nc.cause == ""  # nothing of a refused step is kept

    planned_action(nc, head, second_auditor)
    response = take(api_as(head), nc, "respond", cause="手順がない", plan="手順を定める", comment="回答します")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "responded" and data["cause"] == "手順がない" and data["plan"] == "手順を定める"
    assert data["responded_by"]["username"] == "head" and data["responded_at"]
    assert take(api_as(head), nc, "respond", cause="a", plan="b").status_code == 409


def test_an_observation_is_answered_without_actions(api_as, observation, head):
    response = take(api_as(head), observation, "respond", cause="掲示の更新漏れ", plan="次回の改訂で差し替える")
    assert response.status_code == 200
    assert response.json()["state"] == "responded"


def test_accept(api_as, nc, head, second_auditor, staff):
    assert take(api_as(second_auditor), nc, "accept").status_code == 409  # not responded yet
    finding, _ = responded(nc, head, second_auditor)
    response = take(api_as(head), finding, "accept")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the audit team or the audit lead may judge the response."
    assert take(api_as(staff), finding, "accept").status_code == 404
    response = take(api_as(second_auditor), finding, "accept", comment="計画を承認")
    assert response.status_code == 200
    assert response.json()["state"] == "accepted"


def test_reject_needs_the_reason(api_as, nc, head, lead_auditor, audit_lead, second_auditor):
    finding, _ = responded(nc, head, second_auditor)
    assert take(api_as(head), finding, "reject", comment="x").status_code == 403
    response = take(api_as(lead_auditor), finding, "reject")
    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == ["Add a comment explaining this step."]

    response = take(api_as(audit_lead), finding, "reject", comment="原因が表面的です")
    assert response.status_code == 200
    assert response.json()["state"] == "open"
    trail = api_as(head).get(url("history", finding.pk)).json()
    assert [(e["transition"], e["comment"]) for e in trail][-1] == ("reject", "原因が表面的です")


def test_submit_for_verification_needs_the_actions_implemented(api_as, nc, head, lead_auditor, second_auditor):
    finding, action = responded(nc, head, second_auditor)
    finding = step(finding, "accept", lead_auditor)

    response = take(api_as(head), finding, "submit_for_verification")
    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == [f"These actions are not implemented yet: {action.reference}."]
    action = implement(action, head)
    assert take(api_as(lead_auditor), finding, "submit_for_verification").status_code == 403
    response = take(api_as(head), finding, "submit_for_verification")
    assert response.status_code == 200
    assert response.json()["state"] == "verifying"


def test_close_needs_effective_actions_and_an_auditor(api_as, nc, head, lead_auditor, second_auditor):
    finding, action = responded(nc, head, second_auditor)
    action = implement(action, head)
    finding = step(step(finding, "accept", lead_auditor), "submit_for_verification", head)

    response = take(api_as(head), finding, "close")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only an internal auditor may verify and close a finding."
    response = take(api_as(lead_auditor), finding, "close")
    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == [
        f"These actions have not been verified effective: {action.reference}.",
    ]
    step(action, "verify_effective", second_auditor, effectiveness_note="翌月の記録を確認")
    response = take(api_as(lead_auditor), finding, "close", comment="有効性を確認")
    assert response.status_code == 200
    assert response.json()["state"] == "closed" and response.json()["closed_at"]
    assert take(api_as(lead_auditor), finding, "close").status_code == 409


def test_a_nonconformity_does_not_close_before_verification(api_as, nc, lead_auditor):
    response = take(api_as(lead_auditor), nc, "close")
    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == [
        "A nonconformity closes only after its actions have been submitted for verification.",
    ]


def test_an_observation_closes_without_actions(api_as, observation, head, lead_auditor):
    assert take(api_as(head), observation, "close").status_code == 403
    response = take(api_as(lead_auditor), observation, "close", comment="検討済")
    assert response.status_code == 200
    assert response.json()["state"] == "closed" and response.json()["actions"] == []


def test_the_responder_does_not_verify_their_own_finding(api_as, nc, sales, lead_auditor, second_auditor):
    both = UserFactory(username="headauditor", roles=["staff", "department_head", "auditor"], department=sales)
    sales.head = both
    sales.save()
    finding, action = responded(nc, both, second_auditor)
    action = implement(action, both)
    finding = step(step(finding, "accept", lead_auditor), "submit_for_verification", both)
    step(action, "verify_effective", second_auditor, effectiveness_note="確認")

    response = take(api_as(both), finding, "close")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "The finding must be verified by an auditor other than the person who responded to it."
    )
    assert take(api_as(lead_auditor), finding, "close").status_code == 200


def test_who_implemented_the_actions_does_not_verify_the_finding(api_as, nc, head, auditor, lead_auditor,
                                                                 second_auditor):
    finding, action = responded(nc, head, second_auditor, owner=auditor)
    action = implement(action, auditor)
    finding = step(step(finding, "accept", lead_auditor), "submit_for_verification", head)
    step(action, "verify_effective", second_auditor, effectiveness_note="確認")

    response = take(api_as(auditor), finding, "close")
    assert response.status_code == 403
    assert response.json()["detail"] == "The finding must be verified by someone who did not implement its actions."


@pytest.mark.parametrize(
    ("name", "payload", "status", "key"),
    [
        ("respond", {"cause": "a", "plan": "b", "state": "closed"}, 400, "state"),
        ("respond", {"cause": "a", "plan": "b", "grade": "observation"}, 400, "grade"),
        ("accept", {"cause": "x"}, 400, "cause"),
        ("explode", {}, 404, "detail"),
    ],
)
def test_transition_payload_errors(api_as, observation, head, name, payload, status, key):
    response = take(api_as(head), observation, name, **payload)
    assert response.status_code == status
    assert key in response.json()
    observation.refresh_from_db()
    assert (observation.state, observation.grade) == ("open", "observation")


def test_writing_the_state_is_a_400_and_a_finding_is_not_deleted(api_as, nc, lead_auditor):
    client = api_as(lead_auditor)
    response = client.patch(url("detail", nc.pk), {"version": nc.version, "state": "closed"}, format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {
        "state": ["The state cannot be written. It changes only through a transition: POST …/transitions/<name>/."]
    }
    assert client.delete(url("detail", nc.pk)).status_code == 405
    nc.refresh_from_db()
    assert nc.state == "open"


# ---------------------------------------------------------------------------
# Visibility


@pytest.fixture
def it_finding(plan_audit, lead_auditor, it_dept):
    audit = step(plan_audit(departments=[it_dept], auditors=[], title="情報システム部 内部監査"), "start",
                 lead_auditor)
    services.checklist_record(item=audit.checklist.first(), by=lead_auditor, result="nonconforming", note="IT")
    return Finding.objects.get(audit=audit)


def test_staff_see_no_finding(api_as, staff, nc):
    client = api_as(staff)
    assert client.get(FINDINGS_URL).json()["count"] == 0
    for name in ("detail", "transitions", "history"):
        assert client.get(url(name, nc.pk)).status_code == 404
    assert take(client, nc, "respond", cause="a", plan="b").status_code == 404


def test_a_department_head_sees_their_departments_findings_only(api_as, head, nc, it_finding):
    client = api_as(head)
    assert [row["reference"] for row in client.get(FINDINGS_URL).json()["results"]] == [nc.reference]
    assert client.get(url("detail", nc.pk)).status_code == 200
    assert client.get(url("detail", it_finding.pk)).status_code == 404
    assert take(client, it_finding, "respond", cause="a", plan="b").status_code == 404


def test_findings_awaiting_my_response(api_as, head, nc, observation, it_finding, second_auditor):
    client = api_as(head)
    mine = lambda value: {r["reference"] for r in client.get(FINDINGS_URL, {"awaiting_my_response": value})  # noqa: E731
                          .json()["results"]}
    assert mine("true") == {nc.reference, observation.reference}
    responded(nc, head, second_auditor)
    assert mine("true") == {observation.reference}
    assert mine("false") == {nc.reference}
    assert api_as(second_auditor).get(FINDINGS_URL, {"awaiting_my_response": "true"}).json()["count"] == 0


# ---------------------------------------------------------------------------
# Lists


def refs(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def test_finding_filters_search_and_ordering(api_as, manager, nc, observation, it_finding, head, second_auditor,
                                             sales, it_dept):
    responded(nc, head, second_auditor)
    client = api_as(manager)
    get = lambda **query: refs(client.get(FINDINGS_URL, query))  # noqa: E731
    assert get(state="responded") == {nc.reference}
    assert get(state=["open", "responded"]) == {nc.reference, observation.reference, it_finding.reference}
    assert get(grade="observation") == {observation.reference}
    assert get(grade=["minor", "major"]) == {nc.reference, it_finding.reference}
    assert get(department=it_dept.pk) == {it_finding.reference}
    assert get(audit=nc.audit_id) == {nc.reference, observation.reference}
    assert get(search="台帳") == {nc.reference}
    assert get(search=it_finding.reference) == {it_finding.reference}
    ordered = [r["reference"] for r in client.get(FINDINGS_URL, {"ordering": "reference"}).json()["results"]]
    assert ordered == sorted(ordered) and len(ordered) == 3
    assert client.get(FINDINGS_URL, {"grade": "fatal"}).status_code == 400


def test_finding_rows_have_the_documented_fields(api_as, manager, nc):
    row = api_as(manager).get(FINDINGS_URL).json()["results"][0]
    assert row.keys() == {
        "id", "reference", "audit", "company", "company_name", "requirement", "department", "grade",
        "grade_display", "state", "state_display", "description", "response_due", "response_overdue",
        "responded_late", "raised_by", "created_at", "updated_at", "closed_at", "version",
    }
    assert row["company"] == nc.audit.company_id and row["company_name"] == nc.audit.company.name
    detail = api_as(manager).get(url("detail", nc.pk)).json()
    assert {"evidence", "incidents", "actions", "cause", "plan", "responded_by", "checklist_item"} <= detail.keys()
    assert detail["checklist_item"] == nc.checklist_item_id


def token_client(user) -> APIClient:
    """A client that authenticates like a real one, loading the user on every request."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(FINDINGS_URL, {"page_size": 100})
    assert response.status_code == 200
    return len(queries)


def make_findings(count, *, plan_audit, department):
    """Findings of different audits, clauses and auditors, all against `department`."""
    requirements = list(Requirement.objects.filter(edition="2023"))
    for n in range(count):
        lead = UserFactory(roles=["staff", "auditor"], department=DepartmentFactory())
        audit = step(plan_audit(departments=[department], lead_auditor=lead, auditors=[]), "start", lead)
        services.finding_raise(audit=audit, by=lead, department=department, requirement=requirements[n],
                               grade=["major", "minor", "observation", "opportunity"][n % 4], description=f"指摘 {n}")


@pytest.mark.parametrize("who", ["audit_lead", "head"])
def test_finding_list_queries_do_not_grow_with_rows(request, who, plan_audit, sales):
    client = token_client(request.getfixturevalue(who))
    make_findings(5, plan_audit=plan_audit, department=sales)
    few = count_queries(client)
    make_findings(15, plan_audit=plan_audit, department=sales)
    assert client.get(FINDINGS_URL).json()["count"] == 20
    assert count_queries(client) == few


# ---------------------------------------------------------------------------
# The whole walk, as a new user would try it (issue 4, "Done means")


def test_from_planning_to_a_finding_closed_by_another_auditor(
    api_as, audit_lead, lead_auditor, second_auditor, clauses, sales, it_dept, head
):
    today = timezone.localdate()
    third_auditor = UserFactory(username="auditor3", roles=["staff", "auditor"], department=DepartmentFactory(
        code="HR", name="人事部"))
    plan = {
        "title": "営業部・情報システム部 内部監査", "kind": "internal", "departments": [sales.pk, it_dept.pk],
        "clauses": [c.pk for c in clauses], "lead_auditor": lead_auditor.pk, "auditors": [second_auditor.pk],
        "planned_start": today.isoformat(), "planned_end": (today + dt.timedelta(days=3)).isoformat(),
    }

    # The audit lead plans an audit of two departments with an auditor from one of them: refused.
    client = api_as(audit_lead)
    response = client.post(AUDITS_URL, plan, format="json", **EN)
    assert response.status_code == 403
    assert "auditor2 belongs to 情報システム部" in response.json()["detail"]
    response = client.post(AUDITS_URL, {**plan, "auditors": [third_auditor.pk]}, format="json")
    assert response.status_code == 201, response.content
    audit = response.json()

    # The lead auditor starts the fieldwork; the team runs the checklist.
    client = api_as(lead_auditor)
    assert client.post(reverse("audits_api:audit-transition", args=[audit["id"], "start"]), {},
                       format="json").json()["state"] == "fieldwork"
    checklist = audit["checklist"]
    for item in checklist[1:]:
        response = client.post(reverse("audits_api:audit-checklist", args=[audit["id"], item["id"]]),
                               {"result": "conforming", "evidence": "規程・記録を確認"}, format="json")
        assert response.status_code == 200
    client = api_as(third_auditor)
    response = client.post(reverse("audits_api:audit-checklist", args=[audit["id"], checklist[0]["id"]]),
                           {"result": "observation", "evidence": "営業部の台帳に更新記録がない"}, format="json")
    assert response.json()["finding"] is None
    # ... and raises a minor nonconformity against sales.
    response = client.post(FINDINGS_URL, {
        "audit": audit["id"], "requirement": checklist[0]["requirement"]["id"], "department": sales.pk,
        "grade": "minor", "description": "個人情報管理台帳が3か月更新されていない", "evidence": "台帳の更新履歴",
    }, format="json")
    assert response.status_code == 201, response.content
    finding = Finding.objects.get(pk=response.json()["id"])

    client = api_as(lead_auditor)
    response = client.post(reverse("audits_api:audit-transition", args=[audit["id"], "report"]),
                           {"conclusion": "おおむね適合。軽微な不適合1件。"}, format="json")
    assert response.json()["state"] == "reported"
    assert [f["reference"] for f in response.json()["findings"]] == [finding.reference]
    response = api_as(audit_lead).post(reverse("audits_api:audit-transition", args=[audit["id"], "close"]), {},
                                       format="json")
    assert response.json()["state"] == "closed"

    # The department head finds it waiting, plans a corrective action and responds.
    client = api_as(head)
    waiting = client.get(FINDINGS_URL, {"awaiting_my_response": "true"}).json()["results"]
    assert [row["reference"] for row in waiting] == [finding.reference]
    response = add_action(client, finding, owner=head.pk, verifier=second_auditor.pk)
    assert response.status_code == 201
    action_id = response.json()["id"]
    response = take(client, finding, "respond", cause="更新手順が定められていない", plan="手順を定め、月次で更新する")
    assert response.json()["state"] == "responded"

    # The lead auditor accepts the plan.
    assert take(api_as(lead_auditor), finding, "accept").json()["state"] == "accepted"

    # The head carries the action out and submits the finding for verification.
    client = api_as(head)
    action_step = lambda name, **payload: client.post(  # noqa: E731
        reverse("api:action-transition", args=[action_id, name]), payload, format="json")
    assert action_step("start").json()["state"] == "in_progress"
    assert action_step("implement", implementation_note="月次更新手順を制定し周知した").json()["state"] == "implemented"
    assert take(client, finding, "submit_for_verification").json()["state"] == "verifying"

    # The action's verifier checks its effectiveness; another auditor verifies and closes the finding.
    response = api_as(second_auditor).post(reverse("api:action-transition", args=[action_id, "verify_effective"]),
                                           {"effectiveness_note": "翌月の更新記録を確認"}, format="json")
    assert response.json()["state"] == "effective"
    response = take(api_as(third_auditor), finding, "close", comment="是正を確認")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"

    trail = api_as(audit_lead).get(url("history", finding.pk)).json()
    assert [(e["transition"], e["by"]["username"]) for e in trail] == [
        ("raise", "auditor3"), ("respond", "head"), ("accept", "leadauditor"),
        ("submit_for_verification", "head"), ("close", "auditor3"),
    ]


# ---------------------------------------------------------------------------
# Evidence files (the rules are audits.attachments'; here, that the endpoint is there)


def test_the_department_head_attaches_evidence_to_a_finding(api_as, settings, tmp_path, nc, head, staff, audit_lead):
    settings.MEDIA_ROOT = tmp_path
    attachments_url = url("attachments", nc.pk)
    upload = SimpleUploadedFile("更新記録.csv", "月,更新者\n4月,営業部\n".encode(), content_type="text/csv")
    response = api_as(head).post(attachments_url, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert [row["id"] for row in api_as(audit_lead).get(attachments_url).json()] == [response.json()["id"]]
    assert api_as(staff).get(attachments_url).status_code == 404
