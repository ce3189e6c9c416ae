"""Who may audit what (domain.md §2.4): the rules, with the reason for every refusal.

- Nobody audits their own department (internal audits; an operational check, 運用の確認,
  is by definition the department checking itself): neither a member of an audited
  department (their profile's department) nor the head of one (Department.head, or a
  department head's own department) is on the team, as lead auditor or auditor.
- The audit lead (個人情報保護監査責任者) is never the PMS manager (個人情報保護管理者), and
  a PMS manager does not lead an audit of their company: the manager runs what is being
  audited.
- The audited company's personal information protection manager (Company.privacy_officer)
  is not on the team at all.
- Companies are otherwise no bar: an auditor of one group company may audit another (a
  cross-audit between group companies is the usual way for a small company to be
  independent), and a PMS manager of one company may lead the audit of another.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from incidents.models import department_of, headed_department_ids, person_name
from incidents.roles import Role, has_role

from .models.audit import AuditKind


def _name(user) -> str:
    return person_name(user) or user.get_username()


def independence_problems(*, kind: str, departments: list, team: list, company=None) -> list[str]:
    """Why `team` may not audit `departments` of `company`. Companies are otherwise no bar:
    an auditor of one group company may audit another (a cross-audit is the usual way to
    be independent in a small group)."""
    problems = []
    officer = getattr(company, "privacy_officer_id", None)
    if officer is not None:
        for member in team:
            if member.pk == officer:
                # JIS Q 15001 A.3.7.2 / A.3.3.4: the audit is independent of the 個人情報保護管理者.
                problems.append(_(
                    "%(person)s is the personal information protection manager of %(company)s and cannot audit it."
                ) % {"person": _name(member), "company": company.name})
    if kind == AuditKind.INTERNAL:
        scope = {department.pk: department for department in departments}
        for member in team:
            own = department_of(member)
            if own is not None and own.pk in scope:
                problems.append(_(
                    "%(person)s belongs to %(department)s, which this audit covers: "
                    "nobody audits their own department."
                ) % {"person": _name(member), "department": own.name})
            headed = set(headed_department_ids(member))
            for department in departments:
                if own is not None and department.pk == own.pk:
                    continue  # already refused as their own department
                if department.head_id == member.pk or department.pk in headed:
                    problems.append(_(
                        "%(person)s heads %(department)s, which this audit covers: nobody audits the "
                        "department they head."
                    ) % {"person": _name(member), "department": department.name})
    if team and has_role(team[0], Role.PMS_MANAGER, company=company):
        problems.append(_(
            "%(person)s is a PMS manager and cannot lead an audit of the system they run."
        ) % {"person": _name(team[0])})
    return problems

