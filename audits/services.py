"""Every write to audits and findings. Transitions go through incidents.services.transition_record
(one service for every state machine), with the audits' transitions registered below.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition

from incidents import services as incident_services
from incidents.exceptions import (
    ConcurrentChange,
    ConditionsNotMet,
    NotPermitted,
    RecordClosed,
    TransitionNotAvailable,
)
from incidents.models import Action, ActionKind, department_of, headed_department_ids
from incidents.roles import Role, has_role
from incidents.services import TransitionSpec, action_insert, log_creation, next_reference, transition_record

from . import attachments  # noqa: F401  (registers audits and findings for evidence files)
from .fiscal import fiscal_year_bounds, fiscal_year_of
from .independence import independence_problems
from .models import (
    Audit,
    AuditKind,
    AuditState,
    ChecklistItem,
    ChecklistResult,
    Finding,
    FindingState,
    Grade,
    Review,
    ReviewDecision,
    ReviewState,
)
from .models.review import TEXT_INPUTS, approval_problem

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

REVIEW_TRANSITIONS = {
    spec.name: spec
    for spec in [
        TransitionSpec("submit", _("Submit to top management")),
        TransitionSpec("return_for_revision", _("Return for revision"), comment_required=True, danger=True),
        # Its decisions come with it: take it through review_approve.
        TransitionSpec("approve", _("Approve with decisions"), ("conclusion", "held_on", "attendees")),
    ]
}

incident_services.TRANSITIONS[Audit] = AUDIT_TRANSITIONS
incident_services.TRANSITIONS[Finding] = FINDING_TRANSITIONS
incident_services.TRANSITIONS[Review] = REVIEW_TRANSITIONS
incident_services.SYSTEM_TRAIL_LABELS.update({
    "plan": _("Audit planned"), "raise": _("Finding raised"), "prepare": _("Review prepared"),
})

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


# ---------------------------------------------------------------------------
# Management reviews

REVIEW_FIELDS = frozenset({"period_start", "period_end", "held_on", "attendees", *TEXT_INPUTS, "improvement_notes"})


def review_can_prepare(user) -> bool:
    return has_role(user, Role.PMS_MANAGER)


def _review_reference(period_start, *, exclude_pk=None) -> str:
    """MR-FY2026 for the review of fiscal year 2026; MR-FY2026-2 for a second one."""
    base = f"MR-FY{fiscal_year_of(period_start)}"
    taken = set(Review.objects.filter(reference__startswith=base).exclude(pk=exclude_pk)
                .values_list("reference", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def review_create(*, by, **data) -> Review:
    """The PMS manager opens the review of a period (by default the current fiscal year)."""
    unknown = set(data) - REVIEW_FIELDS
    if unknown:
        raise ValueError(f"review_create does not set {sorted(unknown)}")
    if not review_can_prepare(by):
        raise NotPermitted(_("Only the PMS manager prepares the review."))
    # By default the fiscal year of today, or of the first day given.
    first, last = fiscal_year_bounds(fiscal_year_of(data.get("period_start") or timezone.localdate()))
    data["period_start"] = data.get("period_start") or first
    data["period_end"] = data.get("period_end") or last
    try:
        with transaction.atomic():
            review = Review(created_by=by, **data)
            review.reference = _review_reference(review.period_start)
            review.full_clean()
            review.save()
            log_creation(review, by=by, transition_name="prepare")
    except IntegrityError:  # someone took the same reference a moment before
        raise ConcurrentChange() from None
    return review


def review_check_edit(review: Review, user) -> None:
    """Raise RecordClosed or NotPermitted unless `user` may edit the review now."""
    if review.state != ReviewState.DRAFT:
        raise RecordClosed(_("Only a draft review can be edited: ask top management to return it for revision."))
    if not review_can_prepare(user):
        raise NotPermitted(_("Only the PMS manager prepares the review."))


def review_can_edit(review: Review, user) -> bool:
    try:
        review_check_edit(review, user)
    except (RecordClosed, NotPermitted):
        return False
    return True


def review_update(*, review: Review, by, **data) -> Review:
    """The PMS manager writes the inputs only people know, while the review is a draft."""
    unknown = set(data) - REVIEW_FIELDS
    if unknown:
        raise ValueError(f"review_update does not change {sorted(unknown)}")
    review_check_edit(review, by)
    try:
        with transaction.atomic():
            for name, value in data.items():
                setattr(review, name, value)
            if "period_start" in data:
                review.reference = _review_reference(review.period_start, exclude_pk=review.pk)
            review.full_clean()
            review.save()
    # Someone took the same reference a moment before, or moved the review on (submitted it).
    except (IntegrityError, ConcurrentTransition):
        raise ConcurrentChange() from None
    return review


DECISION_FIELDS = frozenset({"kind", "title", "detail", "owner", "department", "due_date", "verifier"})


class DecisionsInvalid(ConditionsNotMet):
    """Some decisions cannot become actions. `problems` names each decision by its number
    (for the API); `by_decision` keeps the bare messages per number (for a form's rows)."""

    def __init__(self, by_decision: dict[int, list[str]]):
        self.by_decision = by_decision
        super().__init__(problems=[
            _("Decision %(number)d: %(problem)s") % {"number": number, "problem": problem}
            for number, problems in by_decision.items() for problem in problems
        ])


def _decision_problems(data: dict, *, by) -> list[str]:
    """What is wrong with one decision."""
    problems = []
    owner, verifier = data.get("owner"), data.get("verifier") or by
    if not (data.get("title") or "").strip():
        problems.append(_("Write what was decided."))
    if owner is None or not owner.is_active:
        problems.append(_("Name an active user as the owner."))
    elif owner.pk == verifier.pk:
        problems.append(_("The owner cannot verify their own action: name another verifier."))
    elif data.get("department") is None and department_of(owner) is None:
        problems.append(_("Name the department: the owner belongs to none."))
    if data.get("due_date") is None:
        problems.append(_("Set the due date."))
    elif data["due_date"] < timezone.localdate():
        problems.append(_("The due date cannot be in the past."))
    return problems


def review_approve(*, review: Review, by, decisions: list[dict], conclusion: str, held_on=None,
                   attendees: str | None = None, comment: str = "") -> Review:
    """Top management approves the submitted review and records its decisions.

    Each decision (what, owner, due date; optionally kind, detail, department, verifier)
    becomes an improvement action that the next review reports on as input (a). The
    approving executive verifies its effectiveness unless another verifier is named.
    The decisions, the approval, its trail entry and the actions commit together.
    """
    if review.state != ReviewState.SUBMITTED:
        raise TransitionNotAvailable()
    problem = approval_problem(review, by)
    if problem:
        raise NotPermitted(problem)
    for data in decisions:
        unknown = set(data) - DECISION_FIELDS
        if unknown:
            raise ValueError(f"a decision does not take {sorted(unknown)}")
    by_decision = {number: problems for number, data in enumerate(decisions, start=1)
                   if (problems := _decision_problems(data, by=by))}
    if by_decision:
        raise DecisionsInvalid(by_decision)
    changes = {"conclusion": conclusion, "held_on": held_on or review.held_on or timezone.localdate()}
    if attendees is not None:
        changes["attendees"] = attendees
    with transaction.atomic():
        for number, data in enumerate(decisions, start=1):
            ReviewDecision.objects.create(
                review=review, position=number, kind=data.get("kind") or ReviewDecision.kind.field.default,
                title=data["title"].strip(), detail=(data.get("detail") or "").strip(), owner=data["owner"],
                department=data.get("department") or department_of(data["owner"]), due_date=data["due_date"],
            )
        review = transition_record(review, "approve", by=by, comment=comment, changes=changes)
        for decision, data in zip(review.decisions.order_by("position"), decisions, strict=True):
            decision.action = action_insert(
                by=by, kind=ActionKind.IMPROVEMENT, title=decision.title,
                description=decision.detail, department=decision.department, owner=decision.owner,
                verifier=data.get("verifier") or by, due_date=decision.due_date,
            )
            decision.save(update_fields=["action"])
    return review
