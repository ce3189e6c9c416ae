"""Read queries of the audits app: lists, the programme's coverage grid."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from incidents.models import Company, Department

from .fiscal import fiscal_year_bounds
from .models import Audit, AuditKind, AuditState, Finding


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
