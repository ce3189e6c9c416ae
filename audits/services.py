"""Every write to audits and findings. Transitions go through incidents.services.transition_record
(one service for every state machine), with the audits' transitions registered below.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents import services as incident_services
from incidents.exceptions import NotPermitted, RecordClosed
from incidents.models import Action, headed_department_ids
from incidents.roles import Role, has_role
from incidents.services import TransitionSpec, log_creation, next_reference

from . import attachments  # noqa: F401  (registers audits and findings for evidence files)
from .independence import independence_problems
from .models import Audit, AuditKind, AuditState, ChecklistItem, ChecklistResult, Finding, FindingState, Grade

AUDIT_TRANSITIONS = {
    spec.name: spec
    for spec in [
        TransitionSpec("start", _("Start fieldwork")),
        TransitionSpec("report", _("Submit the audit report"), ("conclusion",)),
        TransitionSpec("close", _("Close the audit")),
        TransitionSpec("cancel", _("Cancel the audit"), ("cancel_reason",), danger=True),
    ]
}

FINDING_TRANSITIONS = {
    spec.name: spec
    for spec in [
        TransitionSpec("respond", _("Respond with cause and plan"), ("cause", "plan")),
        TransitionSpec("accept", _("Accept the response")),
        TransitionSpec("reject", _("Reject the response"), comment_required=True, danger=True),
        TransitionSpec("submit_for_verification", _("Submit for verification")),
        TransitionSpec("close", _("Verify and close")),
    ]
}

incident_services.TRANSITIONS[Audit] = AUDIT_TRANSITIONS
incident_services.TRANSITIONS[Finding] = FINDING_TRANSITIONS
incident_services.SYSTEM_TRAIL_LABELS.update({"plan": _("Audit planned"), "raise": _("Finding raised")})

AUDIT_FIELDS = frozenset({"title", "kind", "planned_start", "planned_end", "lead_auditor"})
FINDING_FIELDS = frozenset({"requirement", "department", "grade", "description", "evidence"})


# ---------------------------------------------------------------------------
# Audits


def audit_can_plan(user, *, kind: str = AuditKind.INTERNAL, departments=()) -> bool:
    """The audit lead plans audits; a department head may plan its own operational check."""
    if has_role(user, Role.AUDIT_LEAD):
        return True
    return kind == AuditKind.OPERATIONAL_CHECK and bool(departments) and all(
        department.pk in headed_department_ids(user) for department in departments
    )


def _check_team(*, kind, departments, lead, auditors) -> None:
    problems = independence_problems(kind=kind, departments=list(departments), team=[lead, *auditors])
    if problems:
        raise NotPermitted(" ".join(problems))


def audit_plan(*, by, departments, clauses, auditors=(), **data) -> Audit:
    """Plan an audit: its scope (departments, clauses), its team and its dates.

    Raises NotPermitted, with the reason, when the team is not independent of the scope.
    """
    unknown = set(data) - AUDIT_FIELDS
    if unknown:
        raise ValueError(f"audit_plan does not set {sorted(unknown)}")
    kind = data.get("kind", AuditKind.INTERNAL)
    if not audit_can_plan(by, kind=kind, departments=departments):
        raise NotPermitted(_("Only the audit lead plans audits (a department head may plan its own operational check)."))
    auditors = [a for a in auditors if a.pk != data["lead_auditor"].pk]
    _check_team(kind=kind, departments=departments, lead=data["lead_auditor"], auditors=auditors)
    with transaction.atomic():
        audit = Audit(created_by=by, **data)
        audit.reference = next_reference("AUD", 2)
        audit.full_clean()
        audit.save()
        audit.departments.set(departments)
        audit.auditors.set(auditors)
        audit.clauses.set(clauses)
        _build_checklist(audit)
        log_creation(audit, by=by, transition_name="plan")
    return audit


def audit_update(*, audit: Audit, by, departments=None, clauses=None, auditors=None, **data) -> Audit:
    """Re-plan an audit before its fieldwork starts (scope, team, dates)."""
    unknown = set(data) - AUDIT_FIELDS
    if unknown:
        raise ValueError(f"audit_update does not change {sorted(unknown)}")
    if audit.state != AuditState.PLANNED:
        raise RecordClosed(_("Only a planned audit can be re-planned."))
    departments = list(departments if departments is not None else audit.departments.all())
    if not audit_can_plan(by, kind=data.get("kind", audit.kind), departments=departments):
        raise NotPermitted(_("Only the audit lead plans audits (a department head may plan its own operational check)."))
    lead = data.get("lead_auditor", audit.lead_auditor)
    auditors = [a for a in (auditors if auditors is not None else audit.auditors.all()) if a.pk != lead.pk]
    _check_team(kind=data.get("kind", audit.kind), departments=departments, lead=lead, auditors=auditors)
    with transaction.atomic():
        for name, value in data.items():
            setattr(audit, name, value)
        audit.full_clean()
        audit.save()
        audit.departments.set(departments)
        audit.auditors.set(auditors)
        if clauses is not None:
            audit.clauses.set(clauses)
            _build_checklist(audit)
    return audit


def _build_checklist(audit: Audit) -> None:
    """One checklist item per chosen clause, in catalogue order; items of removed clauses go."""
    clauses = list(audit.clauses.order_by("standard", "position", "clause"))
    audit.checklist.exclude(requirement__in=clauses).delete()
    existing = set(audit.checklist.values_list("requirement_id", flat=True))
    ChecklistItem.objects.bulk_create([
        ChecklistItem(audit=audit, requirement=clause, position=position)
        for position, clause in enumerate(clauses, start=1) if clause.pk not in existing
    ])


def audit_team_ids(audit: Audit) -> set[int]:
    return {audit.lead_auditor_id, *audit.auditors.values_list("pk", flat=True)}


def checklist_record(*, item: ChecklistItem, by, result: str, evidence: str = "", note: str = "",
                     grade: str | None = None, description: str = "", department=None) -> ChecklistItem:
    """Record the result of one checklist item during fieldwork.

    A nonconforming result raises a finding (grade minor unless given; the description
    defaults to the note) against `department`, which an audit of several departments
    must name; an observation may raise one when a grade is given.
    """
    audit = item.audit
    if audit.state != AuditState.FIELDWORK:
        raise RecordClosed(_("Results are recorded during fieldwork only."))
    if by.pk not in audit_team_ids(audit):
        raise NotPermitted(_("Only the audit team records results."))
    with transaction.atomic():
        item.result, item.evidence, item.note = result, evidence, note
        item.recorded_by, item.recorded_at = by, timezone.now()
        item.full_clean()
        item.save()
        raises = result == ChecklistResult.NONCONFORMING or (result == ChecklistResult.OBSERVATION and grade)
        if raises and not hasattr(item, "finding"):
            finding_raise(
                audit=audit, by=by, checklist_item=item, requirement=item.requirement, department=department,
                grade=grade or (Grade.MINOR if result == ChecklistResult.NONCONFORMING else Grade.OBSERVATION),
                description=description or note or evidence, evidence=evidence,
            )
    return item


# ---------------------------------------------------------------------------
# Findings


def finding_raise(*, audit: Audit, by, department=None, checklist_item=None, incidents=(), **data) -> Finding:
    """An auditor raises a finding against one clause and one department of the audit."""
    if by.pk not in audit_team_ids(audit) and not has_role(by, Role.AUDIT_LEAD):
        raise NotPermitted(_("Only the audit team raises findings."))
    if audit.state not in (AuditState.FIELDWORK, AuditState.REPORTED):
        raise RecordClosed(_("Findings are raised during fieldwork or while the report is written."))
    scope = list(audit.departments.all())
    if department is None and len(scope) == 1:
        department = scope[0]
    if department is None:
        raise ValidationError({"department": _("Name the department the finding is about.")})
    if department not in scope:
        raise ValidationError({"department": _("The finding must be about a department this audit covers.")})
    with transaction.atomic():
        finding = Finding(audit=audit, raised_by=by, department=department, checklist_item=checklist_item, **data)
        finding.reference = next_reference("FND", 4)
        finding.full_clean()
        finding.save()
        finding.incidents.set(incidents)
        log_creation(finding, by=by, transition_name="raise")
    return finding


def finding_can_respond(finding: Finding, user) -> bool:
    return finding.department_id in headed_department_ids(user)


def finding_add_action(*, finding: Finding, by, **action_data) -> Action:
    """The department head plans a corrective action for the finding (the same CAPA model)."""
    if finding.state not in (FindingState.OPEN, FindingState.RESPONDED, FindingState.ACCEPTED):
        raise RecordClosed(_("Actions are added while the finding is open or its plan is being agreed."))
    if not (finding_can_respond(finding, by) or has_role(by, Role.PMS_MANAGER)):
        raise NotPermitted(_("Only the head of the audited department may plan its actions."))
    action_data.setdefault("department", finding.department)
    with transaction.atomic():
        action = incident_services.action_create(by=by, **action_data)
        finding.actions.add(action)
    return action
