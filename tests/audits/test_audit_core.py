"""Audits: planning with independence, the checklist, transitions, findings to a verified close."""

import pytest

from audits import services
from audits.models import Finding
from incidents.exceptions import ConditionsNotMet, NotPermitted
from incidents.services import transition_record
from tests.incidents.factories import UserFactory
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db


def step(record, name, by, comment="", **changes):
    return transition_record(record, name, by=by, comment=comment, changes=changes)


def test_planning_numbers_the_audit_and_builds_the_checklist(plan_audit, clauses):
    audit = plan_audit()
    assert audit.reference.startswith("AUD-") and len(audit.reference.rsplit("-", 1)[1]) == 2
    assert audit.checklist.count() == len(clauses)
    assert audit.state == "planned"


def test_an_auditor_never_audits_their_own_department(plan_audit, sales, it_dept, second_auditor):
    with pytest.raises(NotPermitted) as error:
        plan_audit(departments=[sales, it_dept])
    assert "auditor2" in error.value.message and "情報システム部" in error.value.message


def test_an_operational_check_is_the_department_checking_itself(plan_audit, it_dept, second_auditor, lead_auditor):
    audit = plan_audit(kind="operational_check", departments=[it_dept], lead_auditor=second_auditor, auditors=[])
    assert audit.kind == "operational_check"


def test_a_pms_manager_does_not_lead_an_audit(plan_audit, manager):
    with pytest.raises(NotPermitted):
        plan_audit(lead_auditor=manager)


def test_only_the_audit_lead_plans(plan_audit, manager):
    with pytest.raises(NotPermitted):
        plan_audit(by=manager)


def test_an_audit_runs_to_closed_and_a_finding_to_a_verified_close(
    plan_audit, audit_lead, lead_auditor, second_auditor, head, manager, sales
):
    audit = step(plan_audit(), "start", lead_auditor)
    items = list(audit.checklist.all())
    services.checklist_record(item=items[0], by=lead_auditor, result="nonconforming",
                              evidence="台帳の更新記録が3か月分ない", note="個人情報管理台帳が更新されていない")
    for item in items[1:]:
        services.checklist_record(item=item, by=second_auditor, result="conforming", evidence="規程と記録を確認")
    finding = Finding.objects.get(audit=audit)
    assert (finding.grade, finding.department, finding.requirement) == ("minor", sales, items[0].requirement)
    assert finding.reference.startswith("FND-")

    with pytest.raises(ConditionsNotMet):
        step(audit, "report", lead_auditor)
    audit = step(audit, "report", lead_auditor, conclusion="おおむね適合。軽微な不適合1件。")
    audit = step(audit, "close", audit_lead)
    assert audit.state == "closed"

    with pytest.raises(ConditionsNotMet) as error:  # a nonconformity needs an action
        step(finding, "respond", head, cause="更新手順が定められていない", plan="手順を定め、月次で更新する")
    assert "corrective action" in " ".join(error.value.problems) or "是正処置" in " ".join(error.value.problems)
    with pytest.raises(NotPermitted):
        step(finding, "respond", manager, cause="x", plan="y")
    action = services.finding_add_action(
        finding=finding, by=head, kind="corrective", title="台帳の月次更新手順の制定", owner=head,
        verifier=second_auditor, due_date="2026-12-31",
    )
    finding = step(finding, "respond", head, cause="更新手順が定められていない", plan="手順を定め、月次で更新する")
    with pytest.raises(NotPermitted):
        step(finding, "accept", head)
    finding = step(finding, "accept", lead_auditor)
    with pytest.raises(ConditionsNotMet):
        step(finding, "submit_for_verification", head)
    action = step(step(action, "start", head), "implement", head, implementation_note="手順書を制定")
    finding = step(finding, "submit_for_verification", head)
    action = step(action, "verify_effective", second_auditor, effectiveness_note="翌月の更新記録を確認")
    finding = step(finding, "close", lead_auditor)
    assert finding.state == "closed"
    assert StateLog.objects.filter(object_id=finding.pk, transition="close").exists()


def test_the_responder_cannot_verify_their_own_finding(plan_audit, lead_auditor, sales, audit_lead):
    audit = step(plan_audit(), "start", lead_auditor)
    item = audit.checklist.first()
    services.checklist_record(item=item, by=lead_auditor, result="observation", evidence="x", grade="observation")
    finding = Finding.objects.get(audit=audit)
    both = UserFactory(roles=["department_head", "auditor"], department=sales)
    sales.head = both
    sales.save()
    finding = step(finding, "respond", both, cause="確認", plan="検討する")
    with pytest.raises(NotPermitted) as error:
        step(finding, "close", both)
    assert "other than the person who responded" in error.value.message or "回答" in error.value.message
    assert step(finding, "close", audit_lead).state == "closed"  # an observation closes without actions


def test_a_rejected_response_goes_back_to_the_department(plan_audit, lead_auditor, head, second_auditor):
    audit = step(plan_audit(), "start", lead_auditor)
    services.checklist_record(item=audit.checklist.first(), by=lead_auditor, result="nonconforming", note="記録なし")
    finding = Finding.objects.get(audit=audit)
    services.finding_add_action(finding=finding, by=head, kind="corrective", title="記録の作成", owner=head,
                                verifier=second_auditor, due_date="2026-12-31")
    finding = step(finding, "respond", head, cause="担当不在", plan="担当を決める")
    with pytest.raises(ConditionsNotMet):
        step(finding, "reject", lead_auditor)
    assert step(finding, "reject", lead_auditor, comment="原因が表面的です").state == "open"


def test_a_finding_of_a_multi_department_audit_names_its_department(
    audit_lead, lead_auditor, clauses, sales, head
):
    import datetime as dt

    from django.core.exceptions import ValidationError

    from tests.incidents.factories import DepartmentFactory

    hr = DepartmentFactory(code="HR", name="人事部")
    audit = services.audit_plan(
        by=audit_lead, title="営業部・人事部", departments=[sales, hr], clauses=clauses, lead_auditor=lead_auditor,
        planned_start=dt.date(2026, 11, 24), planned_end=dt.date(2026, 11, 25),
    )
    audit = step(audit, "start", lead_auditor)
    item = audit.checklist.first()
    with pytest.raises(ValidationError) as error:
        services.checklist_record(item=item, by=lead_auditor, result="nonconforming", note="記録なし")
    assert "department" in error.value.message_dict
    item.refresh_from_db()
    assert item.result == ""  # nothing half-saved
    services.checklist_record(item=item, by=lead_auditor, result="nonconforming", note="記録なし", department=sales)
    assert Finding.objects.get(audit=audit).department == sales
