"""Evidence files of audits and findings, through the generic attachments of incidents.

incidents.attachments keeps the one Attachment model, the checks of the files and the
upload and download views; it cannot import audits, so the audits app registers here
who may see and add files to its records. Imported by audits.services (and so loaded
by AuditsConfig.ready()).

Who may attach evidence (issue 11), each rule a function returning the reason of a
refusal (403, or 409 when it is the record's state), None when the user may:

- Audits (`audit_may_add`): whoever may see the audit downloads its files; the audit
  team (lead auditor and auditors), the audit lead and the heads of the audited
  departments (the documents they show the auditors) add files until the audit is closed
  or cancelled; the audit lead also afterwards (a signed report, say). Nobody else: top
  management, the PMS office and auditors not on the team only read.
- Findings (`finding_may_add`): whoever may see the finding downloads its files; the
  audit team, the audit lead and the head of the finding's department (its response and
  the evidence of its corrective actions) add files until it is closed; the audit lead
  also afterwards. Nobody else.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from incidents.attachments import ClosedReason
from incidents.models import headed_department_ids
from incidents.roles import Role, has_role

from .models import Audit, AuditState, Finding, FindingState


def _team_ids(audit: Audit) -> set[int]:
    return {audit.lead_auditor_id, *audit.auditors.values_list("pk", flat=True)}


def audit_may_add(audit: Audit, user) -> str | None:
    """Who may attach evidence to an audit (the module's docstring): the reason they may not, or None."""
    if has_role(user, Role.AUDIT_LEAD, company=audit.company_id):
        return None
    departments = set(headed_department_ids(user))
    if not (user.pk in _team_ids(audit) or (
        departments and audit.departments.filter(pk__in=departments).exists()
    )):
        return _("Only the audit team, the audit lead and the heads of the audited departments may add "
                 "files to an audit.")
    if audit.state in (AuditState.CLOSED, AuditState.CANCELLED):
        return ClosedReason(_("Files can no longer be added: the audit is closed or cancelled."))
    return None


def finding_may_add(finding: Finding, user) -> str | None:
    """Who may attach evidence to a finding (the module's docstring): the reason they may not, or None."""
    if has_role(user, Role.AUDIT_LEAD, company=finding.company_id):
        return None
    if not (user.pk in _team_ids(finding.audit) or finding.department_id in headed_department_ids(user)):
        return _("Only the audit team, the audit lead and the head of the audited department may add "
                 "files to a finding.")
    if finding.state == FindingState.CLOSED:
        return ClosedReason(_("Files can no longer be added: the finding is closed."))
    return None


# Registered with the evidence-file machinery by AuditsConfig.ready().
ATTACHMENT_RULES = [
    {"model": Audit, "visible_to": lambda user: Audit.objects.visible_to(user), "may_add": audit_may_add,
     "detail_url": lambda audit: audit.get_absolute_url()},
    {"model": Finding, "visible_to": lambda user: Finding.objects.visible_to(user), "may_add": finding_may_add,
     "detail_url": lambda finding: finding.get_absolute_url()},
]
