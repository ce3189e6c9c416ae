"""Finding response deadlines (回答期限): reminded before, escalated when overdue (issue 14).

Run by the worker's periodic job (settings.PERIODIC_JOBS "finding_reminders"):

- due within FINDING_NOTICE_DAYS (3) days: the head(s) of the audited department;
- past the deadline and still unanswered: the heads again, and, as an escalation, the
  audit team and the audit lead(s) of the finding's company.

Keys name the finding, the stage and the deadline: each is told once per stage; a
deadline the auditor moves is a new reminder.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.events import heads_of, holders
from incidents.roles import Role
from notifications.kinds import Kind
from notifications.services import Message, notify

from . import selectors

FINDING_NOTICE_DAYS = 3


def send_reminders(*, now: dt.datetime | None = None) -> str:
    today = timezone.localdate(now or timezone.now())
    soon = overdue = 0
    for finding in selectors.findings_response_due_soon(today, FINDING_NOTICE_DAYS):
        days = (finding.response_due - today).days
        soon += len(notify(
            kind=Kind.FINDING_DEADLINE, key=f"finding:{finding.pk}:due_soon:{finding.response_due:%Y%m%d}",
            recipients=heads_of(finding.department_id),
            message=Message(
                subject=_("[%(days)s days left] Answer the finding %(finding)s by %(due)s"),
                params={"days": days, "finding": finding.__str__, "due": finding.response_due},
                lines=_lines(finding), url=finding.get_absolute_url(),
            ),
        ))
    for finding in selectors.findings_response_overdue(today):
        days = (today - finding.response_due).days
        audit = finding.audit
        escalated = [audit.lead_auditor, *audit.auditors.all(), *holders(Role.AUDIT_LEAD, finding.company_id)]
        overdue += len(notify(
            kind=Kind.FINDING_DEADLINE, key=f"finding:{finding.pk}:overdue:{finding.response_due:%Y%m%d}",
            recipients=[*heads_of(finding.department_id), *escalated],
            message=Message(
                subject=_("[Overdue] The finding %(finding)s of %(department)s is unanswered, %(days)s days past "
                          "its deadline"),
                params={"days": days, "finding": finding.__str__, "department": finding.department.name},
                lines=_lines(finding), url=finding.get_absolute_url(),
            ),
        ))
    return f"{soon} reminders, {overdue} escalations"


def _lines(finding) -> list[tuple]:
    return [
        (_("Finding"), finding.__str__),
        (_("Audit"), f"{finding.audit.reference} {finding.audit.title}"),
        (_("Department"), finding.department.name),
        (_("Response due"), finding.response_due),
    ]
