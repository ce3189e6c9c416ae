"""The notice to the company responsible for jointly used data (共同利用の管理責任者).

The group's companies use some customers' personal data jointly, one company being
responsible for it (privacy-policy.ja.txt §3; Company.joint_use_manager). When an incident
of another company involves that data, the incident owes the JOINT_USE report (tracks.py),
and the responsible company's PMS office is told at once: when sync_tracks makes the duty
owed (or owed again), each of its PMS managers (holding the role for that company or for
the whole group) gets a notification (kind REPORTING_DUTY, always mailed), written in the
transaction that recorded the incident and in each manager's language. The worker mails
it, retrying while the mail server is down.

The notification's key is ``joint_use:<incident>``, unique with its recipient: the notice
reaches each manager once per incident, whatever is ticked, unticked and ticked again.
(Before issue 14 the notice was a mail recorded as a SentReminder keyed
``joint_use:<incident>:user:<user>``; those managers are not told again, and the page
still lists them.)

The duty itself stays the reporting company's: its PMS office records the notice as made
(when, how, to whom) on the incident page, which shows whom the system told and whether
the mail went out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from notifications.kinds import Kind
from notifications.models import MailState, Notification
from notifications.services import Message, notify

from .events import holders
from .models import Incident, SentReminder
from .reminders import choice_label, interpolate
from .roles import Role

KEY_PREFIX = "joint_use"


def notice_key(incident_id: int) -> str:
    return f"{KEY_PREFIX}:{incident_id}"


def _legacy_prefix(incident_id: int) -> str:
    return f"{KEY_PREFIX}:{incident_id}:user:"


def tell_responsible_office(incident: Incident) -> list[Notification]:
    """Tell the responsible company's PMS office, in the current transaction.

    Called by sync_tracks when the JOINT_USE duty is created or reinstated; those told
    before (now or by the mails of before issue 14) are not told again.
    """
    responsible = incident.joint_use_company
    if responsible is None or responsible.pk == incident.company_id:
        return []
    mailed_before = {
        int(key.rsplit(":", 1)[1])
        for key in SentReminder.objects.filter(key__startswith=_legacy_prefix(incident.pk)).values_list("key", flat=True)
    }
    managers = [user for user in holders(Role.PMS_MANAGER, responsible.pk) if user.pk not in mailed_before]
    return notify(kind=Kind.REPORTING_DUTY, key=notice_key(incident.pk), recipients=managers,
                  message=notice_message(incident))


def notice_message(incident: Incident) -> Message:
    company, responsible = incident.company, incident.joint_use_company
    reporter = company.name
    if company.corporate_number:
        reporter = interpolate(_("%(company)s (corporate number %(number)s)"),
                               {"company": company.name, "number": company.corporate_number})
    return Message(
        subject=_("[Joint use] %(reference)s %(title)s (%(company)s)"),
        params={"reference": incident.reference, "title": incident.title, "company": company.name,
                "responsible": responsible.name},
        intro=_(
            "%(company)s reported an incident that involves personal data used jointly, for which %(responsible)s "
            "is responsible. As the PMS office of the responsible company, please review it. %(company)s's PMS "
            "office handles the incident and its reports; the page below shows how it progresses."
        ),
        lines=[
            (_("Incident"), f"{incident.reference} {incident.title}"),
            (_("Reported by (company)"), reporter),
            (_("Kind"), choice_label(incident, "kind")),
            (_("Discovered (Japan time)"), incident.discovered_at),
            (_("State"), choice_label(incident, "state")),
        ],
        url=incident.get_absolute_url(),
    )


@dataclass(frozen=True)
class Notice:
    """One manager told of the incident, for its page: whether and when the mail went out."""

    recipient: object  # a User
    told_at: dt.datetime
    mail_state: str
    mail_state_label: str
    mailed_at: dt.datetime | None


def sent_notices(incident: Incident) -> list[Notice]:
    """The managers told of the incident (and how), first told first, for its page."""
    notes = (
        Notification.objects.filter(key=notice_key(incident.pk)).select_related("recipient")
        .defer("body").order_by("created_at", "pk")
    )
    legacy = (
        SentReminder.objects.filter(key__startswith=_legacy_prefix(incident.pk))
        .select_related("recipient").order_by("sent_at", "pk")
    )
    notices = [Notice(recipient=sent.recipient, told_at=sent.sent_at, mail_state=MailState.SENT,
                      mail_state_label=str(MailState.SENT.label), mailed_at=sent.sent_at) for sent in legacy]
    notices += [Notice(recipient=note.recipient, told_at=note.created_at, mail_state=note.mail_state,
                       mail_state_label=note.get_mail_state_display(), mailed_at=note.mailed_at) for note in notes]
    return notices
