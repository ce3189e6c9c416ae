"""Every write to audits, checklists, findings and reviews. Transitions and edits go through
the workflow engine (incidents.workflow.service), like every other record type.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from incidents import services as incident_services
from incidents.exceptions import (
    ConcurrentChange,
    ConditionsNotMet,
    FieldsNotWritable,
    NotPermitted,
    RecordClosed,
    TransitionNotAvailable,
)
from incidents.models import (
    Action,
    ActionKind,
    Company,
    department_of,
    group_has_several_companies,
    headed_department_ids,
)
from incidents.roles import Role, has_role, role_companies
from incidents.services import action_insert
from incidents.workflow.service import (
    can_edit,
    check_edit,
    edit_record,
    log_creation,
    next_reference,
    transition_record,
)

from . import events
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
    default_response_due,
)
from .models.review import approval_problem

AUDIT_TRANSITIONS = Audit.transition_specs
FINDING_TRANSITIONS = Finding.transition_specs
REVIEW_TRANSITIONS = Review.transition_specs

# What a decision of top management takes: the decision's own fields (ReviewDecision's edit
# policy) and the verifier of the improvement action it becomes.
DECISION_INPUTS = frozenset({*ReviewDecision.edit_policy.fields, "verifier"})


def _refuse_unknown(model, data: dict, *, by) -> None:
    """A 400 naming each field a new record of `model` does not take from people (read-only,
    written by a step, or not a field at all). Who may create it is each service's question."""
    policy = model.edit_policy
    unknown = [name for name in data if name not in policy.create_fields]
    if unknown:
        raise FieldsNotWritable(policy.field_problems(None, by, unknown, creating=True))


# ---------------------------------------------------------------------------
# Audits

PLANS_AUDITS = _("Only the audit lead plans audits (a department head may plan its own operational check).")


def audit_can_plan(user, *, kind: str = AuditKind.INTERNAL, departments=(), company=None) -> bool:
    """The audit lead (of the company audited) plans audits; a department head may plan its
    own operational check."""
    if has_role(user, Role.AUDIT_LEAD, company=company):
        return True
    return kind == AuditKind.OPERATIONAL_CHECK and bool(departments) and all(
        department.pk in headed_department_ids(user) for department in departments
    )


def _check_team(*, kind, departments, lead, auditors, company=None) -> None:
    problems = independence_problems(kind=kind, departments=list(departments), team=[lead, *auditors],
                                     company=company)
    if problems:
        raise NotPermitted(" ".join(problems))


def _audited_company(company, departments):
    """The company named, else the departments' own (when they share one), else the default."""
    if company is not None:
        return company
    companies = {department.company_id for department in departments}
    if len(companies) == 1:
        return Company.objects.get(pk=companies.pop())
    return Company.objects.default()


def _check_scope_company(company, departments) -> None:
    """An audit covers departments of one company: the group's audits are one per company."""
    strangers = [department.name for department in departments if department.company_id != company.pk]
    if strangers:
        raise ValidationError({"departments": _(
            "These departments do not belong to %(company)s, the company audited: %(departments)s."
        ) % {"company": company.name, "departments": ", ".join(strangers)}})


def audit_plan(*, by, departments, clauses, auditors=(), **data) -> Audit:
    """Plan an audit: its scope (departments, clauses), its team and its dates.

    Raises NotPermitted, with the reason, when the team is not independent of the scope.
    """
    _refuse_unknown(Audit, data, by=by)
    kind = data.get("kind", AuditKind.INTERNAL)
    departments = list(departments)
    company = data["company"] = _audited_company(data.get("company"), departments)
    if not audit_can_plan(by, kind=kind, departments=departments, company=company):
        raise NotPermitted(PLANS_AUDITS)
    _check_scope_company(company, departments)
    auditors = [a for a in auditors if a.pk != data["lead_auditor"].pk]
    _check_team(kind=kind, departments=departments, lead=data["lead_auditor"], auditors=auditors, company=company)
    with transaction.atomic():
        audit = Audit(created_by=by, **data)
        audit.reference = next_reference("AUD", 2, company=company)
        audit.full_clean()
        audit._history_user = by
        audit.save()
        audit.departments.set(departments)
        audit.auditors.set(auditors)
        audit.clauses.set(clauses)
        _build_checklist(audit, by=by)
        log_creation(audit, by=by, transition_name="plan")
        events.audit_team_changed(audit, by=by)
    return audit


def audit_check_edit(audit: Audit, user) -> None:
    """Raise RecordClosed or NotPermitted unless `user` may re-plan the audit now."""
    check_edit(audit, user)


def audit_can_edit(audit: Audit, user) -> bool:
    return can_edit(audit, user)


def audit_update(*, audit: Audit, by, version: int | None, departments=None, clauses=None, auditors=None,
                 **data) -> Audit:
    """Re-plan an audit before its fieldwork starts (scope, team, dates), from `version`.

    The scope and the team are compared as sets: sending them back unchanged writes
    nothing. A change to them alone still makes a new version of the audit. The plan must
    pass the checks of planning it (who plans it, the team's independence); the checklist
    follows the clauses.
    """
    changes = dict(data)
    if "company" in changes and changes["company"] is None:
        del changes["company"]  # a form that does not show the company (one company) keeps it
    lead = data.get("lead_auditor", audit.lead_auditor)
    if departments is not None:
        changes["departments"] = set(departments)
    if clauses is not None:
        changes["clauses"] = set(clauses)
    if auditors is not None:
        # The lead auditor is on the team anyway; naming them again changes nothing.
        changes["auditors"] = {a for a in auditors if a.pk != lead.pk}

    def planned_team(current: Audit, changed: dict) -> tuple[set, set]:
        scope = changed["departments"] if "departments" in changed else set(current.departments.all())
        team = changed["auditors"] if "auditors" in changed else set(current.auditors.all())
        return scope, {a for a in team if a.pk != current.lead_auditor_id}

    def validate(current: Audit, changed: dict) -> None:
        if not changed:
            return
        scope, team = planned_team(current, changed)
        if not audit_can_plan(by, kind=current.kind, departments=scope, company=current.company):
            raise NotPermitted(PLANS_AUDITS)
        _check_scope_company(current.company, scope)
        _check_team(kind=current.kind, departments=scope, lead=current.lead_auditor, auditors=team,
                    company=current.company)

    # The team as the editor saw it (the version check makes it the stored one): only those
    # added to it are told.
    team_before = {audit.lead_auditor_id, *audit.auditors.values_list("pk", flat=True)}

    def after(current: Audit, changed: dict) -> None:
        scope, team = planned_team(current, changed)
        if "departments" in changed:
            current.departments.set(scope)
        if "auditors" in changed or "lead_auditor" in changed:
            current.auditors.set(team)
            events.audit_team_changed(current, by=by, before=team_before)
        if "clauses" in changed:
            current.clauses.set(changed["clauses"])
            _build_checklist(current, by=by)

    return edit_record(audit, by=by, version=version, changes=changes, validate=validate, after=after)


def _build_checklist(audit: Audit, *, by) -> None:
    """One checklist item per chosen clause, in catalogue order; items of removed clauses go.

    Each new item starts its history (version 1, by `by`), so that a result recorded over
    another one can say what changed since.
    """
    clauses = list(audit.clauses.order_by("standard", "position", "clause"))
    audit.checklist.exclude(requirement__in=clauses).delete()
    existing = set(audit.checklist.values_list("requirement_id", flat=True))
    bulk_create_with_history([
        ChecklistItem(audit=audit, requirement=clause, position=position)
        for position, clause in enumerate(clauses, start=1) if clause.pk not in existing
    ], ChecklistItem, default_user=by)


def audit_team_ids(audit: Audit) -> set[int]:
    return {audit.lead_auditor_id, *audit.auditors.values_list("pk", flat=True)}


def checklist_record(*, item: ChecklistItem, by, result: str, evidence: str = "", note: str = "",
                     grade: str | None = None, description: str = "", department=None,
                     version: int | None = None) -> ChecklistItem:
    """Record the result of one checklist item during fieldwork, from `version` of the item.

    A nonconforming result raises a finding (grade minor unless given; the description
    defaults to the note) against `department`, which an audit of several departments
    must name; an observation may raise one when a grade is given. A result recorded from
    an older version of the item than the current one is refused (StaleEdit) and saves
    nothing; `version` None is for the system's own callers.
    """
    changes = {"result": result, "evidence": evidence, "note": note}

    def recorded(current: ChecklistItem, changed: dict) -> dict:
        # Recording a result also says who recorded it and when, even a result unchanged.
        return {"recorded_by": by, "recorded_at": timezone.now()}

    def after(current: ChecklistItem, changed: dict) -> None:
        raises = result == ChecklistResult.NONCONFORMING or (result == ChecklistResult.OBSERVATION and grade)
        if raises and not Finding.objects.filter(checklist_item=current).exists():
            finding_raise(
                audit=current.audit, by=by, checklist_item=current, requirement=current.requirement,
                department=department,
                grade=grade or (Grade.MINOR if result == ChecklistResult.NONCONFORMING else Grade.OBSERVATION),
                description=description or note or evidence, evidence=evidence,
            )

    return edit_record(item, by=by, version=version, changes=changes, after=after, stamps=recorded)


class ChecklistNotSaved(Exception):
    """Some of the checklist items saved together were refused, so none was saved.

    `errors` maps each refused item's id to what refused it: StaleEdit or ConcurrentChange
    (changed meanwhile), FieldsNotWritable or ValidationError (the finding's department, say)."""

    def __init__(self, errors: dict[int, Exception]):
        self.errors = errors
        super().__init__(errors)

    @property
    def stale(self) -> bool:
        return any(isinstance(error, ConcurrentChange) for error in self.errors.values())


ITEM_REFUSALS = (ConcurrentChange, FieldsNotWritable, ValidationError)  # StaleEdit is a ConcurrentChange


def checklist_record_all(*, by, entries: list[tuple[ChecklistItem, dict]]) -> list[ChecklistItem]:
    """Record several checklist items at once (the audit page's one checklist form): each as
    checklist_record does, from its own version, all in one transaction.

    All or nothing: if any item is refused, none is saved (nor any finding raised) and
    ChecklistNotSaved names every refused item with its reason, so the page can show
    them all at once. A refusal of the whole (NotPermitted, RecordClosed) is raised as is.
    """
    errors: dict[int, Exception] = {}
    saved = []
    with transaction.atomic():
        for item, data in entries:
            try:
                # Each item's edit is a savepoint: a refused one leaves the others to try.
                saved.append(checklist_record(item=item, by=by, **data))
            except ITEM_REFUSALS as error:
                errors[item.pk] = error
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ChecklistNotSaved(errors)
    return saved


# ---------------------------------------------------------------------------
# Findings


def finding_raise(*, audit: Audit, by, department=None, checklist_item=None, incidents=(), **data) -> Finding:
    """An auditor raises a finding against one clause and one department of the audit."""
    _refuse_unknown(Finding, data, by=by)
    if by.pk not in audit_team_ids(audit) and not has_role(by, Role.AUDIT_LEAD, company=audit.company_id):
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
    if "response_due" not in data and data.get("grade"):
        # The department's time to answer, from the grade (FindingResponsePolicy); the team
        # may move it until the department responds.
        data["response_due"] = default_response_due(data["grade"], audit.company_id, timezone.localdate())
    with transaction.atomic():
        finding = Finding(audit=audit, raised_by=by, department=department, checklist_item=checklist_item, **data)
        finding.reference = next_reference("FND", 4, company=audit.company)
        finding.full_clean()
        finding._history_user = by
        finding.save()
        finding.incidents.set(incidents)
        log_creation(finding, by=by, transition_name="raise")
        events.finding_raised(finding, by=by)
    return finding


def finding_check_edit(finding: Finding, user) -> None:
    """Raise RecordClosed or NotPermitted unless `user` may edit some of the finding now: the
    audit team its wording until the department responds, the department's head the draft
    cause and plan until the team accepts them."""
    check_edit(finding, user)


def finding_can_edit(finding: Finding, user) -> bool:
    return can_edit(finding, user)


def finding_update(*, finding: Finding, by, version: int | None, **data) -> Finding:
    """Reword a finding (the audit team, while it is open) or refine its draft cause and plan
    (the department's head, until the team accepts them), from `version`.

    Which of these `by` may write now is Finding.edit_policy's; a finding moved to another
    department stays within its audit's scope. A change of grade moves the response
    deadline to the new grade's default, unless the deadline was set by hand.
    """
    def validate(current: Finding, changed: dict) -> None:
        if "department" in changed and not current.audit.departments.filter(pk=current.department_id).exists():
            raise ValidationError({"department": _("The finding must be about a department this audit covers.")})

    def regraded(current: Finding, changed: dict) -> dict:
        # A new grade brings its own time to answer, unless the team had set the deadline by
        # hand (it differs from the old grade's default) or sets one in the same edit.
        if "grade" not in changed or "response_due" in changed:
            return {}
        raised_on = timezone.localdate(current.created_at)
        if current.response_due != default_response_due(current.grade, current.company_id, raised_on):
            return {}
        return {"response_due": default_response_due(changed["grade"], current.company_id, raised_on)}

    return edit_record(finding, by=by, version=version, changes=data, validate=validate, stamps=regraded)


def finding_can_respond(finding: Finding, user) -> bool:
    return finding.department_id in headed_department_ids(user)


def finding_add_action(*, finding: Finding, by, **action_data) -> Action:
    """The department head plans a corrective action for the finding (the same CAPA model)."""
    if finding.state not in (FindingState.OPEN, FindingState.RESPONDED, FindingState.ACCEPTED):
        raise RecordClosed(_("Actions are added while the finding is open or its plan is being agreed."))
    if not (finding_can_respond(finding, by) or has_role(by, Role.PMS_MANAGER, company=finding.company_id)):
        raise NotPermitted(_("Only the head of the audited department may plan its actions."))
    action_data.setdefault("department", finding.department)
    with transaction.atomic():
        action = incident_services.action_create(by=by, **action_data)
        finding.actions.add(action)
    return action


# ---------------------------------------------------------------------------
# Management reviews


NOT_NAMED = object()  # review_can_prepare's "no company named" (None names the group)


def review_can_prepare(user, company=NOT_NAMED) -> bool:
    """The PMS manager: of the company reviewed, or of the whole group for a group review
    (company None); with no company named, of any company."""
    if company is NOT_NAMED:
        return has_role(user, Role.PMS_MANAGER)
    if company is None:
        return role_companies(user, Role.PMS_MANAGER) is None
    return has_role(user, Role.PMS_MANAGER, company=company)


def _review_reference(period_start, *, company=None, exclude_pk=None) -> str:
    """MR-FY2026 for the review of fiscal year 2026; MR-FY2026-2 for a second one; with
    several companies, MR-INE-FY2026 for a company's and MR-GROUP-FY2026 for the group's."""
    if group_has_several_companies():
        base = f"MR-{company.code if company else 'GROUP'}-FY{fiscal_year_of(period_start, company)}"
    else:
        base = f"MR-FY{fiscal_year_of(period_start, company)}"
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
    _refuse_unknown(Review, data, by=by)
    # Not naming a company (today's clients) is a review of the default company; naming
    # none (None) is a review of the whole group.
    company = data["company"] = data["company"] if "company" in data else Company.objects.default()
    if not review_can_prepare(by, company):
        raise NotPermitted(_("Only the PMS manager prepares the review."))
    # By default the fiscal year of today, or of the first day given.
    first, last = fiscal_year_bounds(fiscal_year_of(data.get("period_start") or timezone.localdate(), company),
                                     company)
    data["period_start"] = data.get("period_start") or first
    data["period_end"] = data.get("period_end") or last
    try:
        with transaction.atomic():
            review = Review(created_by=by, **data)
            review.reference = _review_reference(review.period_start, company=company)
            review.full_clean()
            review._history_user = by
            review.save()
            log_creation(review, by=by, transition_name="prepare")
    except IntegrityError:  # someone took the same reference a moment before
        raise ConcurrentChange() from None
    return review


def review_check_edit(review: Review, user) -> None:
    """Raise RecordClosed or NotPermitted unless `user` may edit the review now."""
    check_edit(review, user)


def review_can_edit(review: Review, user) -> bool:
    return can_edit(review, user)


def review_update(*, review: Review, by, version: int | None, **data) -> Review:
    """The PMS manager writes the inputs only people know while the review is a draft, from
    `version`. Moving the period to another fiscal year renames the review."""
    def renamed(current: Review, changed: dict) -> dict:
        # The reference follows the period (MR-FY2025 once the period starts in fiscal year
        # 2025) and the company reviewed.
        if "period_start" not in changed and "company" not in changed:
            return {}
        company = changed["company"] if "company" in changed else current.company
        if not review_can_prepare(by, company):
            raise NotPermitted(_("Only the PMS manager of the group prepares a group review, and a company's "
                                 "PMS manager that company's."))
        return {"reference": _review_reference(changed.get("period_start", current.period_start), company=company,
                                               exclude_pk=current.pk)}

    try:
        return edit_record(review, by=by, version=version, changes=data, stamps=renamed)
    except IntegrityError:  # someone took the same reference a moment before
        raise ConcurrentChange() from None


class DecisionsInvalid(ConditionsNotMet):
    """Some decisions cannot become actions. `problems` names each decision by its number
    (for the API); `by_decision` keeps the bare messages per number (for a form's rows)."""

    def __init__(self, by_decision: dict[int, list[str]]):
        self.by_decision = by_decision
        super().__init__(problems=[
            _("Decision %(number)d: %(problem)s") % {"number": number, "problem": problem}
            for number, problems in by_decision.items() for problem in problems
        ])


def _decision_problems(data: dict, *, by, review: Review | None = None) -> list[str]:
    """What is wrong with one decision. A company's review decides for the company: its
    action (of the decision's department) must be one of the company's."""
    problems = []
    department = data.get("department") or (department_of(data["owner"]) if data.get("owner") else None)
    if (review is not None and review.company_id and department is not None
            and department.company_id != review.company_id):
        problems.append(_("Name a department of %(company)s, the company reviewed: %(department)s is not one "
                          "of its departments.") % {"company": review.company.name, "department": department.name})
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
        unknown = set(data) - DECISION_INPUTS
        if unknown:
            raise ValueError(f"a decision does not take {sorted(unknown)}")
    by_decision = {number: problems for number, data in enumerate(decisions, start=1)
                   if (problems := _decision_problems(data, by=by, review=review))}
    if by_decision:
        raise DecisionsInvalid(by_decision)
    changes = {"conclusion": conclusion, "held_on": held_on or review.held_on or timezone.localdate()}
    if attendees is not None:
        changes["attendees"] = attendees
    with transaction.atomic():
        for number, data in enumerate(decisions, start=1):
            decision = ReviewDecision(
                review=review, position=number, kind=data.get("kind") or ReviewDecision.kind.field.default,
                title=data["title"].strip(), detail=(data.get("detail") or "").strip(), owner=data["owner"],
                department=data.get("department") or department_of(data["owner"]), due_date=data["due_date"],
            )
            decision._history_user = by  # the decision's history says who took it
            decision.save()
        review = transition_record(review, "approve", by=by, comment=comment, changes=changes)
        for decision, data in zip(review.decisions.order_by("position"), decisions, strict=True):
            decision.action = action_insert(
                by=by, kind=ActionKind.IMPROVEMENT, title=decision.title,
                description=decision.detail, department=decision.department, owner=decision.owner,
                verifier=data.get("verifier") or by, due_date=decision.due_date,
            )
            decision._history_user = by
            decision.save(update_fields=["action"])
    return review
