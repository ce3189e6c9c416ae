"""Read queries of the audits app: lists, the programme's coverage grids (departments, and the
PrivacyMark guideline's J items)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from incidents.models import Company, Department

from .fiscal import fiscal_year_bounds
from .models import (
    PMARK_GUIDELINE_EDITION,
    Audit,
    AuditKind,
    AuditState,
    ChecklistItem,
    Finding,
    Requirement,
    Standard,
)


def audit_list(*, user) -> QuerySet[Audit]:
    return (Audit.objects.visible_to(user).select_related("lead_auditor", "company")
            .prefetch_related("departments", "auditors"))


def finding_list(*, user) -> QuerySet[Finding]:
    return Finding.objects.visible_to(user).select_related(
        "audit", "requirement", "department", "raised_by", "responded_by", "company"
    )


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
