"""Edits that never lose data, on the audits side (issue 9).

Every audit, checklist item, finding and review shows its `version`; an edit carries the
version its editor read and is refused when someone saved since (409, naming the fields
changed and who changed them, nothing saved); a field the editor may not write is a 400
naming it. The same on the web pages, where a stale save shows the conflict panel and
keeps what was typed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from audits import services
from audits.models import Audit, ChecklistItem, Finding, Review
from incidents.exceptions import FieldsNotWritable, NotPermitted, RecordClosed, StaleEdit
from incidents.services import transition_record
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DUE = (timezone.localdate() + dt.timedelta(days=30)).isoformat()


def api_url(kind: str, name: str, *args) -> str:
    return reverse(f"audits_api:{kind}-{name}", args=args)


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    """A request in English leaves English active in the thread: the next test module of this
    worker (the services' messages are checked in Japanese) must not inherit it."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def other_lead(ga):
    """A second audit lead, who re-plans the same audit at the same time."""
    return UserFactory(username="auditlead2", roles=["staff", "audit_lead", "auditor"], department=ga)


@pytest.fixture
def fieldwork(plan_audit, lead_auditor):
    return transition_record(plan_audit(), "start", by=lead_auditor)


@pytest.fixture
def finding(fieldwork, lead_auditor):
    """An open minor nonconformity of sales, raised from the checklist."""
    services.checklist_record(item=fieldwork.checklist.first(), by=lead_auditor, result="nonconforming",
                              evidence="更新記録なし", note="個人情報管理台帳が更新されていない")
    return Finding.objects.get(audit=fieldwork)


def responded(finding, head, verifier):
    services.finding_add_action(finding=finding, by=head, kind="corrective", title="手順の制定", owner=head,
                                verifier=verifier, due_date=DUE)
    return transition_record(finding, "respond", by=head, changes={"cause": "手順がない", "plan": "手順を定める"})


@pytest.fixture
def draft(manager):
    return services.review_create(by=manager)


def changed(response) -> dict[str, str]:
    """{field: username of who changed it} from a 409's `changed_fields`."""
    return {change["field"]: change["changed_by"]["username"] for change in response.json()["changed_fields"]}


# ---------------------------------------------------------------------------
# Every record shows its version


def test_every_record_shows_its_version(api_as, manager, finding, draft):
    client = api_as(manager)
    audit = client.get(api_url("audit", "detail", finding.audit_id)).json()
    assert audit["version"] == Audit.objects.get(pk=finding.audit_id).version
    assert all(item["version"] == ChecklistItem.objects.get(pk=item["id"]).version for item in audit["checklist"])
    assert client.get(api_url("audit", "list")).json()["results"][0]["version"] == audit["version"]
    assert client.get(api_url("finding", "detail", finding.pk)).json()["version"] == finding.version
    assert client.get(api_url("finding", "list")).json()["results"][0]["version"] == finding.version
    assert client.get(api_url("review", "detail", draft.pk)).json()["version"] == draft.version
    assert client.get(api_url("review", "list")).json()["results"][0]["version"] == draft.version


@pytest.mark.parametrize("kind", ["audit", "finding", "review"])
def test_an_edit_without_a_version_is_a_400_and_saves_nothing(request, api_as, kind):
    who, record, field = {
        "audit": ("audit_lead", lambda: request.getfixturevalue("plan_audit")(), "title"),
        "finding": ("lead_auditor", lambda: request.getfixturevalue("finding"), "description"),
        "review": ("manager", lambda: request.getfixturevalue("draft"), "feedback"),
    }[kind]
    record = record()
    response = api_as(request.getfixturevalue(who)).patch(api_url(kind, "detail", record.pk), {field: "変更"},
                                                          format="json", **EN)
    assert response.status_code == 400
    assert list(response.json()) == ["version"]
    fresh = type(record).objects.get(pk=record.pk)
    assert (getattr(fresh, field), fresh.version) == (getattr(record, field), record.version)


# ---------------------------------------------------------------------------
# Audits


def test_a_stale_re_plan_is_a_409_naming_the_field_and_who_changed_it(api_as, plan_audit, audit_lead, other_lead):
    audit = plan_audit()
    seen = audit.version
    first = api_as(audit_lead).patch(api_url("audit", "detail", audit.pk), {"version": seen, "title": "監査A"},
                                     format="json")
    assert first.status_code == 200, first.content
    assert first.json()["version"] == seen + 1

    response = api_as(other_lead).patch(api_url("audit", "detail", audit.pk),
                                        {"version": seen, "title": "監査B", "planned_end": audit.planned_start.isoformat()},
                                        format="json", **EN)
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "stale_edit"
    assert (data["seen_version"], data["current_version"]) == (seen, seen + 1)
    assert changed(response) == {"title": "auditlead"}
    title = next(change for change in data["changed_fields"] if change["field"] == "title")
    assert (title["seen"], title["current"]) == ("営業部 内部監査", "監査A")
    assert data["current"]["title"] == "監査A" and data["current"]["version"] == seen + 1
    audit.refresh_from_db()
    assert (audit.title, audit.planned_end, audit.version) == ("監査A", audit.planned_end, seen + 1)

    # Saving again from the current version is a decision taken knowingly.
    response = api_as(other_lead).patch(api_url("audit", "detail", audit.pk),
                                        {"version": seen + 1, "title": "監査B"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "監査B"


def test_the_scope_and_the_team_compare_as_sets(plan_audit, audit_lead, lead_auditor, second_auditor, clauses,
                                                sales):
    audit = plan_audit()
    # Sent back unchanged, in another order and naming the lead again: nothing is written.
    same = services.audit_update(audit=audit, by=audit_lead, version=audit.version, departments=[sales],
                                 clauses=list(reversed(clauses)), auditors=[second_auditor, lead_auditor])
    assert same.version == audit.version
    # A change to the clauses alone is a new version of the audit, and rebuilds the checklist.
    fewer = services.audit_update(audit=audit, by=audit_lead, version=audit.version, clauses=clauses[:1])
    assert fewer.version == audit.version + 1
    assert Audit.objects.get(pk=audit.pk).version == audit.version + 1
    assert [item.requirement for item in fewer.checklist.all()] == clauses[:1]
    assert list(fewer.history.order_by("-history_id").values_list("version", flat=True))[:1] == [fewer.version]
    # So is a change to the team alone; a stale copy of it is refused.
    smaller = services.audit_update(audit=fewer, by=audit_lead, version=fewer.version, auditors=[])
    assert smaller.version == fewer.version + 1 and not smaller.auditors.exists()
    with pytest.raises(StaleEdit):
        services.audit_update(audit=fewer, by=audit_lead, version=fewer.version, auditors=[second_auditor])
    assert not Audit.objects.get(pk=audit.pk).auditors.exists()


def test_a_stale_re_plan_names_the_scope_and_team_changed_meanwhile(plan_audit, audit_lead, other_lead, clauses,
                                                                 second_auditor):
    audit = plan_audit()
    seen = audit.version
    services.audit_update(audit=audit, by=audit_lead, version=seen, clauses=clauses[:1], auditors=[])

    with pytest.raises(StaleEdit) as stale:
        services.audit_update(audit=audit, by=other_lead, version=seen, title="再計画")

    changes = {change.field: change for change in stale.value.changes}
    assert set(changes) == {"clauses", "auditors"}
    assert changes["clauses"].seen == sorted(c.pk for c in clauses)
    assert changes["clauses"].current == [clauses[0].pk]
    assert (changes["auditors"].seen, changes["auditors"].current) == ([second_auditor.pk], [])
    assert {change.changed_by for change in changes.values()} == {audit_lead}


def test_a_new_lead_leaves_the_auditors(plan_audit, audit_lead, second_auditor):
    audit = plan_audit()
    audit = services.audit_update(audit=audit, by=audit_lead, version=audit.version, lead_auditor=second_auditor)
    assert audit.lead_auditor == second_auditor and not audit.auditors.exists()


def test_fields_written_by_a_step_are_a_400_naming_them(api_as, plan_audit, audit_lead):
    audit = plan_audit()
    response = api_as(audit_lead).patch(api_url("audit", "detail", audit.pk),
                                        {"version": audit.version, "conclusion": "適合", "title": "x"},
                                        format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {
        "conclusion": ["This field is written by the step “Submit the audit report”, not by an edit."]
    }
    assert Audit.objects.get(pk=audit.pk).title == audit.title


def test_a_department_head_re_plans_their_own_operational_check(api_as, plan_audit, head, sales, clauses):
    check = plan_audit(by=head, kind="operational_check", lead_auditor=head, auditors=[], clauses=clauses)
    response = api_as(head).patch(api_url("audit", "detail", check.pk), {"version": check.version, "title": "点検"},
                                  format="json")
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "点検"


# ---------------------------------------------------------------------------
# The checklist


def test_a_stale_checklist_result_is_a_409_and_saves_nothing(api_as, fieldwork, lead_auditor, second_auditor):
    item = fieldwork.checklist.first()
    seen = item.version
    first = api_as(second_auditor).post(api_url("audit", "checklist", fieldwork.pk, item.pk),
                                        {"result": "conforming", "evidence": "規程を確認", "version": seen},
                                        format="json")
    assert first.status_code == 200, first.content
    assert first.json()["version"] == seen + 1

    response = api_as(lead_auditor).post(api_url("audit", "checklist", fieldwork.pk, item.pk),
                                         {"result": "nonconforming", "note": "記録なし", "version": seen},
                                         format="json", **EN)
    assert response.status_code == 409
    assert {"result": "auditor2", "evidence": "auditor2"}.items() <= changed(response).items()
    assert response.json()["current"]["result"] == "conforming"
    assert response.json()["current"]["version"] == seen + 1
    item.refresh_from_db()
    assert (item.result, item.evidence, item.recorded_by) == ("conforming", "規程を確認", second_auditor)
    assert not Finding.objects.exists()


def test_the_service_refuses_a_stale_result_too(fieldwork, lead_auditor, second_auditor):
    item = fieldwork.checklist.first()
    services.checklist_record(item=item, by=second_auditor, result="conforming", version=item.version)
    with pytest.raises(StaleEdit) as error:
        services.checklist_record(item=item, by=lead_auditor, result="nonconforming", version=item.version)
    assert {change.field for change in error.value.changes} >= {"result", "recorded_by"}
    assert ChecklistItem.objects.get(pk=item.pk).result == "conforming"
    assert not Finding.objects.exists()


# ---------------------------------------------------------------------------
# Findings: who edits what, when


def test_the_audit_team_rewords_an_open_finding(api_as, finding, second_auditor, sales):
    response = api_as(second_auditor).patch(api_url("finding", "detail", finding.pk),
                                            {"version": finding.version, "description": "台帳が半年更新されていない",
                                             "grade": "major"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["description"], data["grade"], data["version"]) == (
        "台帳が半年更新されていない", "major", finding.version + 1)


def test_the_head_drafts_the_cause_and_plan_but_not_the_wording(api_as, finding, head):
    client = api_as(head)
    response = client.patch(api_url("finding", "detail", finding.pk),
                            {"version": finding.version, "description": "軽微", "cause": "手順がない"},
                            format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {"description": ["Only the audit team raises and rewords findings."]}

    response = client.patch(api_url("finding", "detail", finding.pk),
                            {"version": finding.version, "cause": "手順がない", "plan": "手順を定める"}, format="json")
    assert response.status_code == 200, response.content
    finding.refresh_from_db()
    assert (finding.cause, finding.plan, finding.state) == ("手順がない", "手順を定める", "open")


def test_the_team_may_not_write_the_cause(api_as, finding, lead_auditor):
    response = api_as(lead_auditor).patch(api_url("finding", "detail", finding.pk),
                                          {"version": finding.version, "cause": "推測"}, format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {"cause": ["Only the head of the audited department may answer the finding."]}


def test_state_and_unknown_fields_are_a_400(api_as, finding, lead_auditor):
    response = api_as(lead_auditor).patch(api_url("finding", "detail", finding.pk),
                                          {"version": finding.version, "audit": 1, "responded_by": 1},
                                          format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {"audit": ["This field is read-only."], "responded_by": ["This field is read-only."]}


def test_a_stale_finding_edit_is_a_409_naming_the_field_and_who_changed_it(api_as, finding, head, second_auditor):
    seen = finding.version
    assert api_as(second_auditor).patch(api_url("finding", "detail", finding.pk),
                                        {"version": seen, "description": "台帳が半年更新されていない"},
                                        format="json").status_code == 200
    response = api_as(head).put(api_url("finding", "detail", finding.pk), {
        "version": seen, "requirement": finding.requirement_id, "department": finding.department_id,
        "grade": finding.grade, "description": finding.description, "cause": "手順がない", "plan": "手順を定める",
    }, format="json", **EN)
    assert response.status_code == 409
    assert changed(response) == {"description": "auditor2"}
    assert response.json()["current"]["description"] == "台帳が半年更新されていない"
    finding.refresh_from_db()
    assert (finding.cause, finding.version) == ("", seen + 1)


def test_finding_update_follows_the_roles_and_the_states(finding, head, lead_auditor, second_auditor, audit_lead,
                                                         auditor, it_dept):
    # The audit lead rewords a finding of an audit they are not on.
    finding = services.finding_update(finding=finding, by=audit_lead, version=finding.version, evidence="台帳")
    # Another department is outside the audit's scope.
    with pytest.raises(ValidationError) as error:
        services.finding_update(finding=finding, by=lead_auditor, version=finding.version, department=it_dept)
    assert "department" in error.value.message_dict
    # Someone else entirely may edit nothing; the head may not reword it.
    with pytest.raises(NotPermitted):
        services.finding_update(finding=finding, by=auditor, version=finding.version, description="x")
    with pytest.raises(FieldsNotWritable) as error:
        services.finding_update(finding=finding, by=head, version=finding.version, description="x", cause="c")
    assert list(error.value.fields) == ["description"]
    # The wording stays once the department responded; the head still refines the response.
    finding = responded(finding, head, second_auditor)
    with pytest.raises(NotPermitted):
        services.finding_update(finding=finding, by=lead_auditor, version=finding.version, description="x")
    finding = services.finding_update(finding=finding, by=head, version=finding.version, plan="手順を定め周知する")
    assert finding.plan == "手順を定め周知する"
    # Once the team accepts it, the response is settled.
    finding = transition_record(finding, "accept", by=lead_auditor)
    with pytest.raises(NotPermitted):
        services.finding_update(finding=finding, by=head, version=finding.version, plan="別案")
    assert Finding.objects.get(pk=finding.pk).plan == "手順を定め周知する"


def test_a_closed_finding_is_not_edited(finding, lead_auditor, second_auditor, head):
    finding.grade = "observation"
    finding.save()
    closed = transition_record(finding, "close", by=second_auditor)
    with pytest.raises(RecordClosed):
        services.finding_update(finding=closed, by=lead_auditor, version=closed.version, description="x")


# ---------------------------------------------------------------------------
# Reviews


def test_a_stale_review_edit_is_a_409_naming_the_field_and_who_changed_it(api_as, draft, manager, office):
    seen = draft.version
    assert api_as(manager).patch(api_url("review", "detail", draft.pk), {"version": seen, "feedback": "苦情 2 件"},
                                 format="json").status_code == 200
    response = api_as(office).patch(api_url("review", "detail", draft.pk),
                                    {"version": seen, "feedback": "苦情なし", "attendees": "社長"},
                                    format="json", **EN)
    assert response.status_code == 409
    assert changed(response) == {"feedback": "manager"}
    assert response.json()["current"]["feedback"] == "苦情 2 件"
    draft.refresh_from_db()
    assert (draft.feedback, draft.attendees, draft.version) == ("苦情 2 件", "", seen + 1)


def test_moving_the_period_renames_the_review_in_one_version(draft, manager):
    start = draft.period_start.replace(year=draft.period_start.year - 1)
    end = draft.period_end.replace(year=draft.period_end.year - 1)
    moved = services.review_update(review=draft, by=manager, version=draft.version, period_start=start,
                                   period_end=end)
    assert moved.reference == f"MR-FY{start.year}" and moved.version == draft.version + 1
    assert Review.objects.get(pk=draft.pk).reference == moved.reference


# ---------------------------------------------------------------------------
# The web pages: a stale save shows the conflict and keeps what was typed


def audit_form_data(audit: Audit, **overrides) -> dict:
    return {
        "title": audit.title, "kind": audit.kind,
        "departments": [d.pk for d in audit.departments.all()], "clauses": [c.pk for c in audit.clauses.all()],
        "lead_auditor": audit.lead_auditor_id, "auditors": [a.pk for a in audit.auditors.all()],
        "planned_start": audit.planned_start.isoformat(), "planned_end": audit.planned_end.isoformat(),
        "version": audit.version, **overrides,
    }


def test_a_stale_re_plan_on_the_web_shows_the_conflict(client, plan_audit, audit_lead, other_lead):
    audit = plan_audit()
    client.force_login(other_lead)
    page = client.get(reverse("audit_edit", args=[audit.pk]))
    assert f'name="version" value="{audit.version}"' in page.content.decode()
    services.audit_update(audit=audit, by=audit_lead, version=audit.version, title="監査A")

    response = client.post(reverse("audit_edit", args=[audit.pk]), audit_form_data(audit, title="私の題名"))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="conflict"' in html and "監査A" in html and "私の題名" in html
    assert response.context["form"].conflict[0]["by"] == audit_lead
    assert f'name="version" value="{audit.version + 1}"' in html
    assert Audit.objects.get(pk=audit.pk).title == "監査A"

    # Saving again from the page now is taken knowingly.
    response = client.post(reverse("audit_edit", args=[audit.pk]),
                           audit_form_data(audit, title="私の題名", version=audit.version + 1))
    assert response.status_code == 302
    assert Audit.objects.get(pk=audit.pk).title == "私の題名"


def test_a_stale_review_edit_on_the_web_shows_the_conflict(client, draft, manager, office):
    services.review_update(review=draft, by=manager, version=draft.version, feedback="苦情 2 件")
    client.force_login(office)
    response = client.post(reverse("review_edit", args=[draft.pk]), {
        "period_start": draft.period_start.isoformat(), "period_end": draft.period_end.isoformat(),
        "feedback": "苦情なし", "risk_status": "再評価済み", "version": draft.version,
    })
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="conflict"' in html and "苦情 2 件" in html and "苦情なし" in html and "再評価済み" in html
    draft.refresh_from_db()
    assert (draft.feedback, draft.risk_status) == ("苦情 2 件", "")


def test_the_finding_edit_page_offers_each_their_fields(client, finding, head, lead_auditor, staff):
    url = reverse("finding_edit", args=[finding.pk])
    client.force_login(lead_auditor)
    assert client.get(reverse("finding_detail", args=[finding.pk])).context["can_edit"] is True
    form = client.get(url).context["form"]
    assert set(form.fields) == {"requirement", "department", "grade", "description", "evidence", "response_due",
                                "version"}
    response = client.post(url, {"requirement": finding.requirement_id, "department": finding.department_id,
                                 "grade": "major", "description": "台帳が半年更新されていない", "evidence": "",
                                 "version": finding.version})
    assert response.status_code == 302 and response.url == reverse("finding_detail", args=[finding.pk])
    finding.refresh_from_db()
    assert (finding.grade, finding.description) == ("major", "台帳が半年更新されていない")

    client.force_login(head)
    form = client.get(url).context["form"]
    assert set(form.fields) == {"cause", "plan", "version"}
    response = client.post(url, {"cause": "手順がない", "plan": "", "description": "書き換え",
                                 "version": finding.version})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.cause, finding.description) == ("手順がない", "台帳が半年更新されていない")

    client.force_login(staff)
    assert client.get(url).status_code == 404


def test_a_stale_finding_edit_on_the_web_shows_the_conflict(client, finding, head, lead_auditor):
    seen = finding.version
    services.finding_update(finding=finding, by=lead_auditor, version=seen, description="台帳が半年更新されていない")
    client.force_login(head)
    response = client.post(reverse("finding_edit", args=[finding.pk]),
                           {"cause": "手順がない", "plan": "手順を定める", "version": seen})
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="conflict"' in html and "台帳が半年更新されていない" in html and "手順を定める" in html
    assert Finding.objects.get(pk=finding.pk).cause == ""


def test_a_stale_checklist_result_on_the_web_shows_the_conflict(client, fieldwork, lead_auditor, second_auditor):
    item = fieldwork.checklist.first()
    seen = item.version
    services.checklist_record(item=item, by=second_auditor, result="conforming", evidence="規程を確認", version=seen)
    client.force_login(lead_auditor)
    response = client.post(reverse("audit_checklist_record", args=[fieldwork.pk, item.pk]), {
        f"item-{item.pk}-result": "nonconforming", f"item-{item.pk}-note": "記録が見当たらない",
        f"item-{item.pk}-version": seen,
    })
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="conflict"' in html and "規程を確認" in html and "記録が見当たらない" in html
    assert f'name="item-{item.pk}-version" value="{seen + 1}"' in html
    assert ChecklistItem.objects.get(pk=item.pk).result == "conforming"
    assert not Finding.objects.exists()


def test_the_checklist_page_posts_each_items_version(client, fieldwork, lead_auditor):
    client.force_login(lead_auditor)
    html = client.get(reverse("audit_detail", args=[fieldwork.pk])).content.decode()
    for item in fieldwork.checklist.all():
        assert f'name="item-{item.pk}-version" value="{item.version}"' in html


@pytest.mark.parametrize("kind", ["audit", "review"])
def test_a_new_record_takes_no_version(api_as, audit_lead, manager, lead_auditor, clauses, sales, kind):
    if kind == "audit":
        today = timezone.localdate()
        client, payload = api_as(audit_lead), {
            "title": "監査", "departments": [sales.pk], "clauses": [c.pk for c in clauses],
            "lead_auditor": lead_auditor.pk, "planned_start": today.isoformat(), "planned_end": today.isoformat(),
        }
    else:
        client, payload = api_as(manager), {}
    response = client.post(api_url(kind, "list"), {**payload, "version": 3}, format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {"version": ["This field is read-only."]}
    assert not (Audit if kind == "audit" else Review).objects.exists()
