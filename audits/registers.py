"""The audits' and the findings' registers: their lists as spreadsheets (incidents.registers)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from incidents.models import Action
from incidents.registers import Column, Register, field, person, references

from .models import NONCONFORMITIES, Audit, Finding


def _names(records) -> str:
    return " / ".join(record.name for record in records)


def _people(users) -> str:
    return " / ".join(person(user) for user in users)


def _clauses(requirements) -> str:
    return " / ".join(requirement.clause for requirement in requirements)


def _prepare_audits(queryset: QuerySet, user) -> QuerySet:
    # Only the findings the reader may see are counted (a department head: their department's).
    return queryset.prefetch_related(
        "departments", "clauses", "auditors",
        Prefetch("findings", queryset=Finding.objects.visible_to(user).only("pk", "audit_id", "grade", "state"),
                 to_attr="visible_findings"),
    )


AUDIT_REGISTER = Register(_("Audit register"), [
    Column(_("Reference"), lambda a: a.reference, 16),
    Column(_("Company"), lambda a: a.company.name, 20, company=True),
    Column(field(Audit, "fiscal_year"), lambda a: a.fiscal_year, 8),
    Column(_("Kind"), lambda a: a.get_kind_display(), 14),
    Column(_("Title"), lambda a: a.title, 30),
    Column(field(Audit, "departments"), lambda a: _names(a.departments.all()), 24),
    Column(field(Audit, "clauses"), lambda a: _clauses(a.clauses.all()), 24),
    Column(_("Lead auditor"), lambda a: person(a.lead_auditor), 14),
    Column(field(Audit, "auditors"), lambda a: _people(a.auditors.all()), 20),
    Column(field(Audit, "planned_start"), lambda a: a.planned_start, 12),
    Column(field(Audit, "planned_end"), lambda a: a.planned_end, 12),
    Column(_("State"), lambda a: a.get_state_display(), 12),
    Column(field(Audit, "started_at"), lambda a: a.started_at, 17),
    Column(field(Audit, "reported_at"), lambda a: a.reported_at, 17),
    Column(field(Audit, "closed_at"), lambda a: a.closed_at, 17),
    Column(_("Number of findings"), lambda a: len(a.visible_findings), 8),
    Column(_("Number of nonconformities"), lambda a: sum(1 for f in a.visible_findings if f.grade in NONCONFORMITIES), 8),
    Column(field(Audit, "conclusion"), lambda a: a.conclusion, 40),
    Column(field(Audit, "cancel_reason"), lambda a: a.cancel_reason, 30),
], prepare=_prepare_audits)


def _prepare_findings(queryset: QuerySet, user) -> QuerySet:
    # The list page joins only what its rows show.
    return queryset.select_related(
        "company", "audit", "requirement", "department", "raised_by", "responded_by",
    ).prefetch_related(
        Prefetch("actions", queryset=Action.objects.only("pk", "reference", "state").order_by("reference")),
    )


FINDING_REGISTER = Register(_("Register of audit findings"), [
    Column(_("Reference"), lambda f: f.reference, 16),
    Column(_("Company"), lambda f: f.company.name, 20, company=True),
    Column(_("Audit"), lambda f: f.audit.reference, 16),
    Column(_("Grade"), lambda f: f.get_grade_display(), 18),
    Column(_("Clause"), lambda f: f.requirement.clause, 10),
    Column(_("Requirement"), lambda f: f.requirement.title, 30),
    Column(_("Department"), lambda f: f.department.name, 16),
    Column(_("Finding"), lambda f: f.description, 40),
    Column(field(Finding, "evidence"), lambda f: f.evidence, 40),
    Column(field(Finding, "created_at"), lambda f: f.created_at, 17),
    Column(field(Finding, "raised_by"), lambda f: person(f.raised_by), 14),
    Column(_("State"), lambda f: f.get_state_display(), 12),
    Column(_("Response due"), lambda f: f.response_due, 12),
    Column(_("Response overdue"), lambda f: f.response_overdue, 8),
    Column(_("Answered late"), lambda f: f.responded_late, 8),
    Column(field(Finding, "responded_at"), lambda f: f.responded_at, 17),
    Column(field(Finding, "responded_by"), lambda f: person(f.responded_by), 14),
    Column(field(Finding, "cause"), lambda f: f.cause, 40),
    Column(field(Finding, "plan"), lambda f: f.plan, 40),
    Column(_("Actions"), lambda f: references(f.actions.all(), with_state=True), 30),
    Column(field(Finding, "closed_at"), lambda f: f.closed_at, 17),
], prepare=_prepare_findings)
