"""Read queries of the audits app: lists, the programme's coverage grids (departments, and the
PrivacyMark guideline's J items), and what waits for each person (their to-do lists and the
deadline reminders, issue 14)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from incidents.models import (
    Action,
    ActionRound,
    ActionState,
    Company,
    Department,
    department_of,
    headed_department_ids,
)
from incidents.roles import Role, has_role, role_companies

from .fiscal import fiscal_year_bounds, fiscal_year_of
from .models import (
    PMARK_GUIDELINE_EDITION,
    Audit,
    AuditKind,
    AuditState,
    ChecklistItem,
    Finding,
    FindingState,
    Requirement,
    Review,
    ReviewState,
    Standard,
)


def audit_list(*, user) -> QuerySet[Audit]:
    return (Audit.objects.visible_to(user).select_related("lead_auditor", "company")
            .prefetch_related("departments", "auditors"))


def finding_list(*, user) -> QuerySet[Finding]:
    return Finding.objects.visible_to(user).select_related(
        "audit", "requirement", "department", "raised_by", "responded_by", "company"
    )


def finding_readable(*, user) -> QuerySet[Finding]:
    """finding_list, and the findings whose actions `user` owns or verifies (to read only:
    FindingQuerySet.readable_for_work)."""
    return Finding.objects.readable_for_work(user).select_related(
        "audit", "requirement", "department", "raised_by", "responded_by", "company"
    )


# ---------------------------------------------------------------------------
# What waits for whom (to-do lists and reminders). Each is a queryset in order of urgency,
# with what a list row shows already joined: a list of any length costs the same queries.


def _finding_rows(findings: QuerySet[Finding]) -> QuerySet[Finding]:
    """Findings with their department and its head, their audit with its team, clause and company."""
    return findings.select_related(
        "department", "department__head", "audit", "audit__lead_auditor", "requirement", "company", "responded_by",
    ).prefetch_related("audit__auditors")


def _on_the_team(user) -> Q:
    """Findings of the audits `user` leads or takes part in.

    The audits are read first (a handful of ids): written as a join and a subquery beside the
    rows' own joins, PostgreSQL spent 9 to 12 ms planning the to-do page's query for 0.6 ms of
    work; and for the many who are on no audit team, no query for their findings is sent.
    """
    team = Audit.objects.filter(Q(lead_auditor=user) | Q(auditors=user)).order_by().values_list("pk", flat=True)
    return Q(audit_id__in=set(team))


def findings_to_answer(user) -> QuerySet[Finding]:
    """Open findings of the departments `user` heads, the earliest response deadline first
    (those asking no answer last)."""
    departments = headed_department_ids(user)
    if not departments:
        return Finding.objects.none()
    return _finding_rows(Finding.objects.filter(state=FindingState.OPEN, department_id__in=departments)).order_by(
        F("response_due").asc(nulls_last=True), "created_at", "id")


def responses_to_accept(user) -> QuerySet[Finding]:
    """Responded findings `user` may accept or reject: of the audits they lead or take part in,
    or of the companies they are the audit lead of. The longest waiting first."""
    if not (user.is_authenticated and user.is_active):
        return Finding.objects.none()
    judges = _on_the_team(user)
    led = role_companies(user, Role.AUDIT_LEAD)
    if led is None:
        judges = Q(pk__isnull=False)  # the audit lead of the whole group judges any
    elif led:
        judges |= Q(company_id__in=led)
    return _finding_rows(Finding.objects.filter(judges, state=FindingState.RESPONDED)).order_by(
        F("responded_at").asc(nulls_last=True), "id")


def findings_to_verify(user) -> QuerySet[Finding]:
    """Findings submitted for verification that `user` may verify and close.

    Any internal auditor (or audit lead) may, among the findings they see, if independent of
    it (Finding's _verifies_independently): not of the audited department nor its head, not
    the person who responded, not an owner or implementer of its live actions. Those of the
    audits they take part in first, then the longest waiting.
    """
    if not has_role(user, Role.AUDITOR, Role.AUDIT_LEAD):
        return Finding.objects.none()
    live = Action.objects.exclude(state=ActionState.CANCELLED).filter(findings=OuterRef("pk"))
    implemented = ActionRound.objects.filter(
        implemented_by=user, action__findings=OuterRef("pk"),
    ).exclude(action__state=ActionState.CANCELLED)
    own = department_of(user)
    findings = (
        Finding.objects.visible_to(user).filter(state=FindingState.VERIFYING)
        .exclude(responded_by=user)
        .exclude(department__head=user)
        .exclude(department_id__in=headed_department_ids(user))
        .exclude(Exists(live.filter(owner=user)))
        .exclude(Exists(implemented))
    )
    if own is not None:
        findings = findings.exclude(department_id=own.pk)
    team = Audit.objects.filter(Q(lead_auditor=user) | Q(auditors=user), pk=OuterRef("audit_id"))
    return _finding_rows(findings.annotate(on_my_team=Exists(team))).order_by(
        "-on_my_team", "updated_at", "id")


def audits_to_do(user) -> QuerySet[Audit]:
    """Audits not yet closed (nor cancelled) that `user` leads or takes part in, by planned start."""
    if not (user.is_authenticated and user.is_active):
        return Audit.objects.none()
    team = Q(lead_auditor=user) | Q(pk__in=Audit.objects.filter(auditors=user).values("pk"))
    return (Audit.objects.filter(team).exclude(state__in=[AuditState.CLOSED, AuditState.CANCELLED])
            .select_related("lead_auditor", "company").prefetch_related("departments", "auditors")
            .order_by("planned_start", "id"))


def departments_not_audited(user, fiscal_year: int | None = None) -> QuerySet[Department]:
    """For an audit lead: the departments of their companies with no internal audit reported
    (or closed) in fiscal year `fiscal_year` (None: each company's current one).

    As the programme counts coverage (programme()): only internal audits count, cancelled ones
    do not. Each department carries `audit_planned` (an internal audit of the year is planned
    or under way) and `next_audit_start`; those with none at all come first.
    """
    companies = role_companies(user, Role.AUDIT_LEAD)
    if companies is not None and not companies:
        return Department.objects.none()
    departments = Department.objects.all() if companies is None else Department.objects.filter(
        company_id__in=companies)
    if fiscal_year is not None:
        of_year = Q(fiscal_year=fiscal_year)
    else:
        # Each company's own current fiscal year (their years may start in different months).
        today = timezone.localdate()
        listed = Company.objects.all() if companies is None else Company.objects.filter(pk__in=companies)
        of_year = Q(pk__in=[])
        for company in listed.only("pk", "fiscal_year_start_month"):
            of_year |= Q(company_id=company.pk, fiscal_year=fiscal_year_of(today, company))
    internal = (Audit.objects.filter(of_year, departments=OuterRef("pk"), kind=AuditKind.INTERNAL)
                .exclude(state=AuditState.CANCELLED))
    done = internal.filter(state__in=[AuditState.REPORTED, AuditState.CLOSED])
    return (
        departments.annotate(audit_done=Exists(done)).filter(audit_done=False)
        .annotate(audit_planned=Exists(internal),
                  next_audit_start=Subquery(internal.order_by("planned_start").values("planned_start")[:1]))
        .select_related("company", "head")
        .order_by("audit_planned", F("next_audit_start").asc(nulls_first=True), "company__position",
                  "company__code", "code")
    )


def reviews_to_approve(user) -> QuerySet[Review]:
    """Submitted management reviews `user` may approve as top management: their companies'
    (a group review: top management of the whole group), not one they submitted themselves."""
    companies = role_companies(user, Role.EXECUTIVE)
    if companies is not None and not companies:
        return Review.objects.none()
    reviews = Review.objects.filter(state=ReviewState.SUBMITTED).exclude(submitted_by=user)
    if companies is not None:
        reviews = reviews.filter(company_id__in=companies)
    return reviews.select_related("company", "submitted_by").order_by(
        F("submitted_at").asc(nulls_last=True), "id")


def findings_response_due_soon(today: dt.date | None = None, days: int = 3) -> QuerySet[Finding]:
    """Open findings whose response falls due from `today` to `days` days later (the reminder
    before the deadline), the earliest first, with their department's head and audit team."""
    return _finding_rows(Finding.objects.response_due_soon(today, days)).order_by("response_due", "id")


def findings_response_overdue(today: dt.date | None = None) -> QuerySet[Finding]:
    """Open findings past their response deadline (the escalation), the longest overdue first,
    with their department's head and audit team."""
    return _finding_rows(Finding.objects.response_overdue(today)).order_by("response_due", "id")


def programme(*, year: int, companies=None) -> list[dict]:
    """Every department against its audits of the fiscal year: done, planned or none.

    Only internal audits count as coverage: PrivacyMark wants every department audited
    each year, and an operational check (運用の確認) is the department checking itself.
    They are listed all the same. An audit's fiscal year is its company's (Audit.fiscal_year),
    so each department is measured against its own company's year. `companies` (ids)
    limits the rows to those companies' departments. A constant number of queries:
    departments with their company and their audits of the year prefetched.
    """
    audits = Audit.objects.filter(fiscal_year=year).exclude(state=AuditState.CANCELLED).order_by("planned_start")
    departments = Department.objects.select_related("company").order_by("company__position", "company__code", "code")
    if companies is not None:
        departments = departments.filter(company_id__in=companies)
    rows = []
    for department in departments.prefetch_related(Prefetch("audits", queryset=audits, to_attr="year_audits")):
        internal = [a for a in department.year_audits if a.kind == AuditKind.INTERNAL]
        done = [a for a in internal if a.state in (AuditState.REPORTED, AuditState.CLOSED)]
        status = "done" if done else ("planned" if internal else "none")
        rows.append({"department": department, "audits": department.year_audits, "status": status})
    return rows


STATUSES = ("done", "planned", "none")


def programme_by_company(*, year: int, companies=None) -> list[dict]:
    """The programme's coverage company by company, each over its own fiscal year `year`:
    [{"company", "first_day", "last_day", "rows", "counts"}], in the companies' order
    (a company without departments too, its gap plain). `companies` (ids) limits them."""
    listed = Company.objects.order_by("position", "code")
    if companies is not None:
        listed = listed.filter(pk__in=companies)
    sections = {company.pk: {"company": company, "rows": []} for company in listed}
    for row in programme(year=year, companies=companies):
        sections[row["department"].company_id]["rows"].append(row)
    for section in sections.values():
        section["first_day"], section["last_day"] = fiscal_year_bounds(year, section["company"])
        section["counts"] = {status: sum(1 for row in section["rows"] if row["status"] == status)
                             for status in STATUSES}
    return list(sections.values())


def guideline_coverage(*, audits, companies, edition: str = PMARK_GUIDELINE_EDITION) -> list[dict]:
    """The J items of the PrivacyMark guideline (構築・運用指針) against the checklists of
    `audits` (the year's audits the page shows, already narrowed to what the user sees),
    company by company: a PrivacyMark holder is assessed against the J items on its own.

    [{"company", "rows", "total", "covered", "counts"}] for each of `companies` (Company
    objects), in their order; [] when the catalogue has no J items. A row is one J item in
    the guideline's order: {"requirement", "depth", "leaf", "checks", "status"}, `checks` the
    audits with the item on their checklist ({"audit", "item"}, the item's result as
    recorded, empty until then), `status` "done" (a result recorded), "planned" (on a
    checklist, no result yet) or "none". A heading (an item with sub-items) also has
    "below": how many of its leaf items are covered, of how many. `total` counts the leaf
    items, the ones an audit checks item by item; `covered` those on a checklist.

    Cancelled audits check nothing and are left out. Two queries, whatever the number of
    audits and items: the catalogue, and the audits' checklist items of the guideline.
    """
    if not companies:
        return []
    requirements = list(Requirement.objects.of(Standard.PMARK_GUIDELINE, edition).order_by("position", "clause"))
    if not requirements:
        return []
    audits = [audit for audit in audits if audit.state != AuditState.CANCELLED]
    by_pk = {audit.pk: audit for audit in audits}
    items = (ChecklistItem.objects.filter(audit_id__in=list(by_pk), requirement__in=requirements)
             .order_by("audit__planned_start", "audit_id") if by_pk else [])
    checks: dict[tuple[int, int], list[dict]] = {}  # (company, requirement) -> the audits checking it
    for item in items:
        audit = by_pk[item.audit_id]
        item.audit = audit
        checks.setdefault((audit.company_id, item.requirement_id), []).append({"audit": audit, "item": item})
    parents = {requirement.parent_id for requirement in requirements}
    sections = []
    for company in companies:
        rows = []
        for requirement in requirements:
            found = checks.get((company.pk, requirement.pk), [])
            status = ("done" if any(check["item"].result for check in found)
                      else "planned" if found else "none")
            rows.append({"requirement": requirement, "depth": requirement.depth, "leaf": requirement.pk not in parents,
                         "checks": found, "status": status})
        _roll_up(rows)
        leaves = [row for row in rows if row["leaf"]]
        counts = {status: sum(1 for row in leaves if row["status"] == status) for status in STATUSES}
        sections.append({"company": company, "rows": rows, "total": len(leaves),
                         "covered": counts["done"] + counts["planned"], "counts": counts})
    return sections


def _roll_up(rows: list[dict]) -> None:
    """Give each heading row the count of its leaf items covered, of how many ("below")."""
    by_pk = {row["requirement"].pk: row for row in rows}
    for row in rows:
        if row["leaf"]:
            continue
        row["below"] = {"covered": 0, "total": 0}
    for row in rows:
        if not row["leaf"]:
            continue
        parent = by_pk.get(row["requirement"].parent_id)
        while parent is not None:
            parent["below"]["total"] += 1
            parent["below"]["covered"] += row["status"] != "none"
            parent = by_pk.get(parent["requirement"].parent_id)
