"""Evidence files of audits and findings, through the generic attachments of incidents.

incidents.attachments keeps the one Attachment model, the checks of the files and the
upload and download views; it cannot import audits, so the audits app registers here
who may see and add files to its records. Imported by audits.services (and so loaded
by AuditsConfig.ready()).

- Audits: whoever may see the audit downloads its files; the audit team, the audit lead
  and the heads of the audited departments (the documents they show the auditors) add
  files until the audit is closed or cancelled; the audit lead also afterwards (a signed
  report, say).
- Findings: whoever may see the finding downloads its files; the audit team, the audit
  lead and the head of the finding's department (evidence of the corrective action) add
  files until it is closed; the audit lead also afterwards.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from incidents.exceptions import NotPermitted, RecordClosed
from incidents.models import headed_department_ids
from incidents.roles import Role, has_role

from .models import Audit, AuditState, Finding, FindingState


def _team_ids(audit: Audit) -> set[int]:
    return {audit.lead_auditor_id, *audit.auditors.values_list("pk", flat=True)}


def _audit_check_add(audit: Audit, user) -> None:
    if has_role(user, Role.AUDIT_LEAD):
        return
    if audit.state in (AuditState.CLOSED, AuditState.CANCELLED):
        raise RecordClosed(_("Files can no longer be added: the audit is closed or cancelled."))
    departments = set(headed_department_ids(user))
    if user.pk in _team_ids(audit) or (
        departments and audit.departments.filter(pk__in=departments).exists()
    ):
        return
    raise NotPermitted(_("Only the audit team, the audit lead and the heads of the audited departments may add "
                         "files to an audit."))


def _finding_check_add(finding: Finding, user) -> None:
    if has_role(user, Role.AUDIT_LEAD):
        return
    if finding.state == FindingState.CLOSED:
        raise RecordClosed(_("Files can no longer be added: the finding is closed."))
    if user.pk in _team_ids(finding.audit) or finding.department_id in headed_department_ids(user):
        return
    raise NotPermitted(_("Only the audit team, the audit lead and the head of the audited department may add "
                         "files to a finding."))


# Registered with the evidence-file machinery by AuditsConfig.ready().
ATTACHMENT_RULES = [
    {"model": Audit, "visible_to": lambda user: Audit.objects.visible_to(user), "check_add": _audit_check_add,
     "detail_url": lambda audit: audit.get_absolute_url()},
    {"model": Finding, "visible_to": lambda user: Finding.objects.visible_to(user), "check_add": _finding_check_add,
     "detail_url": lambda finding: finding.get_absolute_url()},
]
