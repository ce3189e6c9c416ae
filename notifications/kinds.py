"""What a person may be told of, and how each kind may reach them by mail."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    INCIDENT_REPORTED = "incident_reported", _("A new incident report (PMS office)")
    HANDLER_ASSIGNED = "handler_assigned", _("You became an incident's handler")
    PROGRESS_ADDED = "progress_added", _("Progress recorded on an incident you handle")
    ACTION_ASSIGNED = "action_assigned", _("An action to carry out")
    ACTION_TO_VERIFY = "action_to_verify", _("An action to verify")
    FINDING_TO_ANSWER = "finding_to_answer", _("A finding to answer (head of the audited department)")
    RESPONSE_TO_ACCEPT = "response_to_accept", _("A response to accept (audit team)")
    FINDING_TO_VERIFY = "finding_to_verify", _("A finding to verify (audit team)")
    AUDIT_ASSIGNED = "audit_assigned", _("An audit to lead or join")
    REVIEW_TO_APPROVE = "review_to_approve", _("A management review to approve")
    REPORTING_DUTY = "reporting_duty", _("A reporting duty arises or its limit changes")
    REPORT_DEADLINE = "report_deadline", _("A report's deadline is near or past")
    ACTION_DEADLINE = "action_deadline", _("An action's due date is near or past")
    FINDING_DEADLINE = "finding_deadline", _("A finding's response deadline is near or past")
    REQUEST_RECEIVED = "request_received", _("A new request from an individual (PMS office)")
    COMPLAINT_RECEIVED = "complaint_received", _("A new complaint or consultation (PMS office)")
    CASE_ASSIGNED = "case_assigned", _("You became the handler of a request or a complaint")
    REQUEST_DEADLINE = "request_deadline", _("A request's answer is due soon or late")
    # The daily mail that gathers the notifications of the kinds a person reads once a day.
    DIGEST = "digest", _("Daily digest")


class MailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Mail each one")
    DIGEST = "digest", _("Once a day, in the daily digest")
    NONE = "none", _("No mail (inbox only)")


# Legal deadlines (APPI art. 26, the PrivacyMark and contractual reports) always mail, at
# once: a 速報 limit of 3 to 5 days cannot wait for tomorrow's digest nor be switched off.
ALWAYS_MAILED = frozenset({Kind.REPORTING_DUTY, Kind.REPORT_DEADLINE})

# The kinds a person chooses for; the digest itself is not one of them.
CHOOSABLE = [kind for kind in Kind if kind != Kind.DIGEST]


def mail_mode(kind: str, chosen: str | None) -> str:
    """How a notification of `kind` is mailed to someone who chose `chosen` (None: never chose)."""
    if kind in ALWAYS_MAILED or kind == Kind.DIGEST:
        return MailMode.IMMEDIATE
    return chosen or MailMode.IMMEDIATE
