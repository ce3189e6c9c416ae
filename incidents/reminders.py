"""Deadline reminders: what is due soon or overdue, and whom to tell.

The worker runs `send_reminders` every five minutes (settings.PERIODIC_JOBS); `manage.py
send_reminders` runs it once. Who is told what (issue 3):

- reports (ReportingTrack, pending) go to the PMS managers of the incident's company:
  active users who hold the role `pms_manager` for that company (those who hold it for
  the whole group included; with one company, every PMS manager);
  - stage ``due_soon``: not overdue yet, and its target or its limit falls within the next
    24 hours (``TrackQuerySet.due_soon``: ``due_at < now + 24h`` and ``now <= limit_at``).
    The reminder is about the nearer of the two that matters: the limit when it is within
    24 hours, otherwise the target (which may already have passed);
  - stage ``overdue``: past its limit (``TrackQuerySet.overdue``: ``limit_at < now``). An
    overdue report to the PPC (速報 or 確報) also goes to top management (`executive`)
    of the incident's company, worded as an escalation;
- actions (planned or in progress) go to their owner:
  - stage ``week_before``: ``due_date - 7 days <= today < due_date`` (today in Japan);
  - stage ``overdue``: ``due_date < today``, the rule of ``Action.is_overdue``.

Each reminder is a notification (notifications.services.notify): REPORT_DEADLINE for a
report, a legal deadline that is always mailed; ACTION_DEADLINE for an action, mailed as
its owner chose. Its key names the record, the stage and the deadline it is about
(``track:42:overdue:20260611T0300``, ``action:7:week_before:20260617``), and a key reaches
each person once: a second run, even one running at the same moment, tells nobody twice,
while a re-planned deadline (an action given a new due date, a report whose clock moved
when the classification changed) is a new reminder. Everyone is told in the inbox, with
or without an e-mail address; the worker mails those who have one, retrying while the
mail server is down.

The reminders are internal, so they are written in each recipient's language. The names
of the authorities, companies and entrusting businesses are proper names and stay as
recorded (金融庁, 株式会社INE); what the report is (速報, 確報, 通知) is translated.

Until issue 14 each mail was sent from here and recorded as a SentReminder (keys ending in
``:user:<id>``); that table keeps the history, nothing writes it any more. The notice to
the company responsible for jointly used data (joint_use.py) is a notification written
when the duty arises; the worker retries its mail, so it is no longer sent again here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext, ngettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from notifications.kinds import Kind
from notifications.models import Notification
from notifications.services import Message, notify

from .clocks import JAPAN
from .events import holders
from .models import ACTION_WORK_STATES, Action, Company, LeakAuthority, ReportingTrack, TrackKind
from .models.reporting import DUE_SOON
from .roles import Role

logger = logging.getLogger(__name__)

ACTION_NOTICE = dt.timedelta(days=7)
# Overdue reports that are escalated to top management: the legal duties to the PPC.
ESCALATED_KINDS = frozenset({TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL})

DUE_SOON_STAGE = "due_soon"
OVERDUE_STAGE = "overdue"
WEEK_BEFORE_STAGE = "week_before"

# The reports to the company's leak authority, named in the reader's language with the
# authority's own name ("個人情報保護委員会への速報", "preliminary report (速報) to 金融庁").
AUTHORITY_REPORTS = {
    TrackKind.PPC_PRELIMINARY: _("preliminary report (速報) to %(authority)s"),
    TrackKind.PPC_FINAL: _("final report (確報) to %(authority)s"),
    TrackKind.PPC_SUPPLEMENT: _("supplement (追完) to %(authority)s"),
}
# Each report as it reads in a sentence of a reminder.
REPORT_PHRASES = {
    **AUTHORITY_REPORTS,
    TrackKind.PMARK_PRELIMINARY: _("preliminary report (速報) to the PrivacyMark assessment body"),
    TrackKind.PMARK_FINAL: _("final report (確報) to the PrivacyMark assessment body"),
    TrackKind.PMARK_MEASURES: _("report on the measures to prevent recurrence to the PrivacyMark assessment body"),
    TrackKind.ENTRUSTING_PARTY: _("notice to the entrusting business (委託元)"),
    TrackKind.DATA_SUBJECTS: _("notice to the data subjects (or a substitute measure)"),
    TrackKind.JOINT_USE: _("notice to the company responsible for jointly used data (共同利用)"),
}
ENTRUSTING_PARTY_NAMED = _("notice to the entrusting business %(name)s (委託元)")
JOINT_USE_NAMED = _("notice to %(company)s, responsible for jointly used data (共同利用)")


@dataclass(frozen=True)
class Reminder:
    """One reminder, told to several people at once (each of them once)."""

    kind: str
    key: str
    recipients: tuple
    message: Message
    deadline: dt.datetime


@dataclass
class Outcome:
    notified: list[Notification] = field(default_factory=list)
    skipped: int = 0  # people told before (by an earlier or a concurrent run)
    failed: list[tuple[Reminder, Exception]] = field(default_factory=list)

    def __str__(self) -> str:  # what the periodic job logs
        failed = f", {len(self.failed)} failed" if self.failed else ""
        return f"{len(self.notified)} notified, {self.skipped} told before{failed}"


# ---------------------------------------------------------------------------
# Wording: lazy, so that notify() writes each value in its reader's language


def _interpolate(template, params: dict) -> str:
    return str(template) % {name: str(value) for name, value in params.items()}


interpolate = lazy(_interpolate, str)


def span_text(delta: dt.timedelta) -> str:
    """A duration to the hour (to the minute under an hour): 2日5時間, 18時間, 40分 / 2d 5h, 18h, 40m."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        if hours:
            return gettext("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
        return gettext("%(days)dd") % {"days": days}
    if hours:
        return gettext("%(hours)dh") % {"hours": hours}
    return gettext("%(minutes)dm") % {"minutes": max(minutes, 1)}


span = lazy(span_text, str)


def _month_day(day: dt.date) -> str:
    return formats.date_format(day, "MONTH_DAY_FORMAT")


month_day = lazy(_month_day, str)


def choice_label(instance, name: str) -> Promise | str:
    """The label of a choice field's value, still lazy (get_FOO_display() translates at once)."""
    value = getattr(instance, name)
    return dict(instance._meta.get_field(name).flatchoices).get(value, value)


def authority(company: Company) -> Promise | str:
    """The addressee of the company's leak reports: the ministry the PPC delegated to, by its
    own name, or the PPC in the reader's language."""
    if company.leak_authority == LeakAuthority.DELEGATED and company.leak_authority_name.strip():
        return company.leak_authority_name.strip()
    return _("the PPC")


def report_phrase(track: ReportingTrack) -> Promise:
    incident = track.incident
    if track.kind == TrackKind.ENTRUSTING_PARTY and incident.entrusted_by.strip():
        return interpolate(ENTRUSTING_PARTY_NAMED, {"name": incident.entrusted_by.strip()})
    if track.kind in AUTHORITY_REPORTS:
        return interpolate(AUTHORITY_REPORTS[track.kind], {"authority": authority(incident.company)})
    if track.kind == TrackKind.JOINT_USE and incident.joint_use_company is not None:
        return interpolate(JOINT_USE_NAMED, {"company": incident.joint_use_company.name})
    return REPORT_PHRASES[TrackKind(track.kind)]


def _deadline_key(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M")


def _link(path: str, base_url: str | None) -> str:
    # Relative: the inbox follows it on this site and the mail makes it absolute (SITE_URL).
    return f"{base_url.rstrip('/')}{path}" if base_url else path


# ---------------------------------------------------------------------------
# Recipients


class Holders:
    """events.holders, looked up once per role and company in a run."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], list] = {}

    def __call__(self, role: str, company_id: int) -> list:
        key = (role, company_id)
        if key not in self._cache:
            self._cache[key] = holders(role, company_id)
        return self._cache[key]


# ---------------------------------------------------------------------------
# What is due


def due_reminders(*, now: dt.datetime, base_url: str | None = None) -> Iterator[Reminder]:
    """Every reminder that applies at `now`, told before or not (links relative, or to `base_url`)."""
    holders = Holders()
    tracks = (
        ReportingTrack.objects.select_related("incident__company", "incident__joint_use_company")
        .order_by("limit_at", "pk")
    )

    # A report is its incident's company's duty: that company's PMS office is reminded,
    # and its top management told of an overdue report to the PPC.
    for track in tracks.due_soon(now=now):
        managers = holders(Role.PMS_MANAGER, track.incident.company_id)
        if managers:
            yield _track_reminder(track, managers, now=now, base_url=base_url, overdue=False)
    for track in tracks.overdue(now=now):
        managers = holders(Role.PMS_MANAGER, track.incident.company_id)
        if managers:
            yield _track_reminder(track, managers, now=now, base_url=base_url, overdue=True)
        if track.kind in ESCALATED_KINDS:
            manager_ids = {user.pk for user in managers}
            executives = [user for user in holders(Role.EXECUTIVE, track.incident.company_id)
                          if user.pk not in manager_ids]
            if executives:
                yield _track_reminder(track, executives, now=now, base_url=base_url, overdue=True, escalation=True)

    today = timezone.localdate(now, JAPAN)
    actions = (
        Action.objects.filter(state__in=ACTION_WORK_STATES, owner__is_active=True)
        .select_related("owner", "incident", "department").order_by("due_date", "pk")
    )
    for action in actions.filter(due_date__gt=today, due_date__lte=today + ACTION_NOTICE):
        yield _action_reminder(action, today=today, base_url=base_url, overdue=False)
    for action in actions.filter(due_date__lt=today):
        yield _action_reminder(action, today=today, base_url=base_url, overdue=True)


# What each reminder about a report asks; the escalation speaks to top management.
TRACK_INTROS = {
    "escalation": _(
        "The report to %(authority)s is past its legal limit, so top management is told. The PMS managers "
        "were told the same. A late report may have to be explained to %(authority)s: please check how it "
        "stands."
    ),
    "overdue": _(
        "This report is past its limit: file it without delay. Once it is filed, record it as filed on the "
        "incident's page (when, and the reference received); if it is not needed, record why."
    ),
    "limit": _(
        "The limit of this report is near. Once it is filed, record it as filed on the incident's page "
        "(when, and the reference received); if it is not needed, record why."
    ),
    "target": _(
        "The target date of this report is near. Once it is filed, record it as filed on the incident's "
        "page (when, and the reference received); if it is not needed, record why."
    ),
    "target_passed": _(
        "The target date of this report has passed. Once it is filed, record it as filed on the incident's "
        "page (when, and the reference received); if it is not needed, record why."
    ),
}


def _track_reminder(track, users: list, *, now, base_url, overdue: bool, escalation: bool = False) -> Reminder:
    incident = track.incident
    limit_soon = track.limit_at - now <= DUE_SOON
    params = {
        "reference": incident.reference,
        "report": report_phrase(track),
        "authority": authority(incident.company),
        "time_left": span(track.limit_at - now),
        "target_left": span(track.due_at - now),
        "overdue_by": span(now - track.limit_at),
    }
    if overdue:
        stage, deadline = OVERDUE_STAGE, track.limit_at
        if escalation:
            subject = _("[Overdue, top management told] %(reference)s %(report)s: the limit passed %(overdue_by)s "
                        "ago")
        else:
            subject = _("[Overdue] %(reference)s %(report)s: the limit passed %(overdue_by)s ago")
        intro = TRACK_INTROS["escalation" if escalation else "overdue"]
    elif limit_soon:
        stage, deadline = DUE_SOON_STAGE, track.limit_at
        subject = _("[Action needed] %(reference)s %(report)s: %(time_left)s left to the limit")
        intro = TRACK_INTROS["limit"]
    else:
        stage, deadline = DUE_SOON_STAGE, track.due_at
        if track.due_at > now:
            subject = _("[Action needed] %(reference)s %(report)s: %(target_left)s left to the target "
                        "(%(time_left)s to the limit)")
            intro = TRACK_INTROS["target"]
        else:
            subject = _("[Action needed] %(reference)s %(report)s: the target has passed "
                        "(%(time_left)s left to the limit)")
            intro = TRACK_INTROS["target_passed"]
    lines = [
        (_("Incident"), f"{incident.reference} {incident.title}"),
        (pgettext_lazy("a report owed", "Report"), params["report"]),
    ]
    if track.due_at != track.limit_at:
        lines.append((_("Target (Japan time)"), track.due_at))
    lines.append((_("Limit (Japan time)"), track.limit_at))
    lines.append((_("Overdue by"), params["overdue_by"]) if overdue else (_("Time left"), params["time_left"]))
    return Reminder(
        kind=Kind.REPORT_DEADLINE,
        key=f"track:{track.pk}:{stage}:{_deadline_key(deadline)}",
        recipients=tuple(users),
        message=Message(subject=subject, params=params, intro=intro, lines=lines,
                        url=_link(f"{reverse('incident_detail', args=[incident.pk])}#reporting", base_url)),
        deadline=deadline,
    )


def _action_reminder(action: Action, *, today: dt.date, base_url, overdue: bool) -> Reminder:
    days = (today - action.due_date).days if overdue else (action.due_date - today).days
    params = {"reference": action.reference, "title": action.title, "days": days, "due": month_day(action.due_date)}
    if overdue:
        stage = OVERDUE_STAGE
        subject = ngettext_lazy("[Overdue] %(reference)s %(title)s (due %(due)s, %(days)s day overdue)",
                                "[Overdue] %(reference)s %(title)s (due %(due)s, %(days)s days overdue)", days)
        intro = _("The action you own is past its due date. Carry it out and record it, or talk to the PMS "
                  "manager about a new due date. Once it is done, mark it implemented on the action's page "
                  "and record what was done.")
    else:
        stage = WEEK_BEFORE_STAGE
        subject = ngettext_lazy("[%(days)s day left] %(reference)s %(title)s",
                                "[%(days)s days left] %(reference)s %(title)s", days)
        intro = ngettext_lazy(
            "The action you own is due in %(days)s day. Once it is done, mark it implemented on the action's "
            "page and record what was done.",
            "The action you own is due in %(days)s days. Once it is done, mark it implemented on the action's "
            "page and record what was done.", days)
    lines = [
        (_("Action"), f"{action.reference} {action.title}"),
        (_("Kind"), choice_label(action, "kind")),
        (_("Incident"), f"{action.incident.reference} {action.incident.title}" if action.incident_id else ""),
        (_("Department"), action.department.name if action.department_id else ""),
        (_("Due"), action.due_date),
    ]
    return Reminder(
        kind=Kind.ACTION_DEADLINE,
        key=f"action:{action.pk}:{stage}:{action.due_date:%Y%m%d}",
        recipients=(action.owner,),
        message=Message(subject=subject, params=params, intro=intro, lines=lines,
                        url=_link(reverse("action_detail", args=[action.pk]), base_url)),
        # The due date's last minute, in Japan: the action is overdue from the next day.
        deadline=dt.datetime.combine(action.due_date, dt.time(23, 59), tzinfo=JAPAN),
    )


# ---------------------------------------------------------------------------
# Telling


def send_reminders(*, now: dt.datetime | None = None, base_url: str | None = None) -> Outcome:
    """Write the notification of every reminder due at `now` not told before; what happened.

    Called with no arguments by the worker's periodic job; the worker then mails them."""
    return deliver(list(due_reminders(now=now or timezone.now(), base_url=base_url)))


def deliver(reminders: Iterable[Reminder]) -> Outcome:
    """Notify each reminder's recipients not told before, each once; return what happened."""
    reminders = list(reminders)
    outcome = Outcome()
    # Most runs find most reminders told already: look them up at once rather than render
    # each one and let its insert fail on the unique key.
    told = set(
        Notification.objects.filter(key__in={reminder.key for reminder in reminders})
        .values_list("key", "recipient_id")
    )
    for reminder in reminders:
        fresh = [user for user in reminder.recipients if (reminder.key, user.pk) not in told]
        outcome.skipped += len(reminder.recipients) - len(fresh)
        if not fresh:
            continue
        try:
            # One transaction per reminder: its notifications and their delivery tasks
            # commit together, and a reminder that fails spoils none of the others. A run
            # that overlaps this one waits on (or fails on) the unique key: notify skips it.
            with transaction.atomic():
                written = notify(kind=reminder.kind, key=reminder.key, recipients=fresh,
                                 message=reminder.message, deadline=reminder.deadline)
        except Exception as error:  # a record the wording cannot cope with: logged, retried next run
            logger.exception("Reminder %s could not be written", reminder.key)
            outcome.failed.append((reminder, error))
            continue
        outcome.notified.extend(written)
        outcome.skipped += len(fresh) - len(written)
    return outcome
