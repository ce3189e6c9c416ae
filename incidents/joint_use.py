"""The notice to the company responsible for jointly used data (共同利用の管理責任者).

The group's companies use some customers' personal data jointly, one company being
responsible for it (privacy-policy.ja.txt §3; Company.joint_use_manager). When an incident
of another company involves that data, the incident owes the JOINT_USE report (tracks.py),
and the responsible company's PMS office is told at once: when sync_tracks makes the duty
owed (or owed again), each of its PMS managers (holding the role for that company or for
the whole group) gets an e-mail in Japanese, once the transaction that recorded the
incident commits.

Each mail is recorded as a SentReminder keyed ``joint_use:<incident>:user:<user>``, inserted
in the transaction that sends it (reminders.deliver): the notice reaches each manager once
per incident, whatever is ticked, unticked and ticked again. A mail that could not be sent
records nothing; send_reminders tries it again while the duty is pending.

The duty itself stays the reporting company's: its PMS office records the notice as made
(when, how, to whom) on the incident page, where the mails sent are shown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import transaction
from django.urls import reverse
from django.utils import translation

from .models import Incident, ReportingTrack, SentReminder, TrackKind, TrackState
from .reminders import (
    Holders,
    Outcome,
    Reminder,
    deliver,
    japan_time,
    mail_text,
    one_line,
    person,
    site_url,
)
from .roles import Role

logger = logging.getLogger(__name__)

KEY_PREFIX = "joint_use"


def notice_key(incident_id: int, user_id: int) -> str:
    return f"{KEY_PREFIX}:{incident_id}:user:{user_id}"


def notify_on_commit(incident: Incident) -> None:
    """Tell the responsible company's PMS office once the current transaction commits.

    Called by sync_tracks when the JOINT_USE duty is created or reinstated. A failure to
    send never undoes the report that was just recorded: it is logged, and the next
    send_reminders run tries again.
    """
    incident_id = incident.pk
    transaction.on_commit(lambda: _notify_logged(incident_id))


def _notify_logged(incident_id: int) -> None:
    try:
        outcome = send_notices(incident_id)
    except Exception:  # the database or the templates: the report itself is already saved
        logger.exception("The joint-use notice of incident %s could not be prepared", incident_id)
        return
    for reminder, error in outcome.failed:
        logger.error("Joint-use notice %s to %s not sent: %s", reminder.key, reminder.recipient.email, error)


def send_notices(incident_id: int, *, base: str | None = None) -> Outcome:
    """Send the notices of the incident not sent yet, if it owes the notice now."""
    track = (
        ReportingTrack.objects.select_related("incident__company", "incident__joint_use_company")
        .filter(incident_id=incident_id, kind=TrackKind.JOINT_USE, state=TrackState.PENDING).first()
    )
    if track is None:  # no longer owed (withdrawn in the same transaction) or never
        return Outcome()
    return deliver(notices(track.incident, base=base or site_url(), holders=Holders()))


def pending_notices(*, base_url: str, holders: Holders) -> Iterator[Reminder]:
    """The notices of every incident whose JOINT_USE duty is pending (send_reminders sends
    those that were not sent: their keys are already recorded otherwise)."""
    tracks = (
        ReportingTrack.objects.filter(kind=TrackKind.JOINT_USE, state=TrackState.PENDING)
        .select_related("incident__company", "incident__joint_use_company").order_by("pk")
    )
    for track in tracks:
        yield from notices(track.incident, base=base_url, holders=holders)


def notices(incident: Incident, *, base: str, holders: Holders) -> list[Reminder]:
    """One mail to each PMS manager of the responsible company."""
    responsible = incident.joint_use_company
    if responsible is None or responsible.pk == incident.company_id:
        return []
    url = f"{base.rstrip('/')}{reverse('incident_detail', args=[incident.pk])}"
    subject = one_line(f"【共同利用】{incident.reference} {incident.title}（{incident.company.name}）")
    reminders = []
    for user in holders(Role.PMS_MANAGER, responsible.pk):
        with translation.override("ja"):
            body = mail_text("incidents/email/joint_use_notice.txt", {
                "recipient": person(user),
                "incident": incident,
                "company": incident.company,
                "responsible": responsible,
                "discovered": japan_time(incident.discovered_at),
                "url": url,
            })
        reminders.append(Reminder(key=notice_key(incident.pk, user.pk), recipient=user, subject=subject, body=body))
    return reminders


def sent_notices(incident: Incident):
    """The notices sent for the incident (whom, when), oldest first, for its page."""
    return (
        SentReminder.objects.filter(key__startswith=f"{KEY_PREFIX}:{incident.pk}:user:")
        .select_related("recipient").order_by("sent_at", "pk")
    )
