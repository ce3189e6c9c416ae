"""Read queries of the audits app: lists, the programme's coverage grid."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from incidents.models import Department

from .fiscal import fiscal_year_bounds
from .models import Audit, AuditKind, AuditState, Finding


def audit_list(*, user) -> QuerySet[Audit]:
    return Audit.objects.visible_to(user).select_related("lead_auditor").prefetch_related("departments", "auditors")


def finding_list(*, user) -> QuerySet[Finding]:
    return Finding.objects.visible_to(user).select_related(
        "audit", "requirement", "department", "raised_by", "responded_by"
    )


def programme(*, year: int) -> list[dict]:
    """Every department against its audits of the fiscal year: done, planned or none.

    Only internal audits count as coverage: PrivacyMark wants every department audited
    each year, and an operational check (運用の確認) is the department checking itself.
    They are listed all the same. A constant number of queries: departments with their
    audits of the year prefetched.
    """
    first, last = fiscal_year_bounds(year)
    audits = Audit.objects.filter(fiscal_year=year).exclude(state=AuditState.CANCELLED).order_by("planned_start")
    rows = []
    for department in Department.objects.prefetch_related(Prefetch("audits", queryset=audits, to_attr="year_audits")):
        internal = [a for a in department.year_audits if a.kind == AuditKind.INTERNAL]
        done = [a for a in internal if a.state in (AuditState.REPORTED, AuditState.CLOSED)]
        status = "done" if done else ("planned" if internal else "none")
        rows.append({"department": department, "audits": department.year_audits, "status": status})
    return rows
