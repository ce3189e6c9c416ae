"""Reminder e-mails (`manage.py send_reminders`): what is due soon or overdue, to whom.

Who gets what (issue 3):

- reports (ReportingTrack, pending) go to the PMS managers of the incident's company:
  active users with an e-mail address who hold the role `pms_manager` for that company
  (those who hold it for the whole group included; with one company, every PMS manager);
  - stage ``due_soon``: not overdue yet, and its target or its limit falls within the next
    24 hours (``TrackQuerySet.due_soon``: ``due_at < now + 24h`` and ``now <= limit_at``).
    The mail is about the nearer of the two that matters: the limit when it is within
    24 hours, otherwise the target (which may already have passed);
  - stage ``overdue``: past its limit (``TrackQuerySet.overdue``: ``limit_at < now``). An
    overdue report to the PPC (速報 or 確報) also goes to top management (`executive`)
    of the incident's company, worded as an escalation;
- actions (planned or in progress) go to their owner:
  - stage ``week_before``: ``due_date - 7 days <= today < due_date`` (today in Japan);
  - stage ``overdue``: ``due_date < today``, the rule of ``Action.is_overdue``;
- the notice to the company responsible for jointly used data (joint_use.py), sent when
  the duty arises, is sent again here while it could not be sent and the duty is pending.

Each mail is recorded as a SentReminder whose unique key names the record, the stage, the
deadline the mail is about and the recipient. The row is inserted first and the mail sent
in the same transaction: a second run, even one running at the same moment, cannot insert
the key again and skips the mail; a mail that fails to send rolls its row back, so the
next run tries again. A re-planned deadline (an action given a new due date, a report
whose clock moved when the classification changed) is a new reminder.

Mails are plain text in Japanese, whatever the interface language: the people who get
them keep Japanese reports.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .clocks import JAPAN
from .models import ACTION_WORK_STATES, Action, Company, ReportingTrack, SentReminder, TrackKind
from .models.reporting import DUE_SOON
from .roles import Role, has_role

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def site_url() -> str:
    """Where the links in the mails point: settings.SITE_URL when the site sets it."""
    return (getattr(settings, "SITE_URL", "") or DEFAULT_BASE_URL).rstrip("/")
ACTION_NOTICE = dt.timedelta(days=7)
# Overdue reports that are escalated to top management: the legal duties to the PPC.
ESCALATED_KINDS = frozenset({TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL})

DUE_SOON_STAGE = "due_soon"
OVERDUE_STAGE = "overdue"
WEEK_BEFORE_STAGE = "week_before"

# "…への速報": the report as it reads in a Japanese sentence.
REPORT_PHRASES = {
    TrackKind.PPC_PRELIMINARY: "個人情報保護委員会への速報",
    TrackKind.PPC_FINAL: "個人情報保護委員会への確報",
    TrackKind.PMARK_PRELIMINARY: "プライバシーマーク審査機関への速報",
    TrackKind.PMARK_FINAL: "プライバシーマーク審査機関への確報",
    TrackKind.ENTRUSTING_PARTY: "委託元への通知",
    TrackKind.DATA_SUBJECTS: "本人への通知（または代替措置）",
    TrackKind.JOINT_USE: "共同利用の管理責任者への通知",
    TrackKind.PPC_SUPPLEMENT: "個人情報保護委員会への追完",
    TrackKind.PMARK_MEASURES: "プライバシーマーク審査機関への再発防止策の報告",
}
# The reports to the company's leak authority: the PPC, or the minister it delegated to.
AUTHORITY_REPORTS = {TrackKind.PPC_PRELIMINARY: "速報", TrackKind.PPC_FINAL: "確報", TrackKind.PPC_SUPPLEMENT: "追完"}
WEEKDAYS = "月火水木金土日"


@dataclass(frozen=True)
class Reminder:
    key: str
    recipient: object  # a User
    subject: str
    body: str


@dataclass
class Outcome:
    sent: list[Reminder] = field(default_factory=list)
    skipped: int = 0  # sent before (by an earlier or a concurrent run)
    failed: list[tuple[Reminder, Exception]] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Wording


def japan_date(day: dt.date) -> str:
    """2026年6月1日（月）"""
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def japan_time(moment: dt.datetime) -> str:
    """2026年6月1日（月）23:59, in Japan."""
    local = moment.astimezone(JAPAN)
    return f"{japan_date(local.date())}{local:%H:%M}"


def span(delta: dt.timedelta) -> str:
    """A duration as a Japanese phrase, to the hour (to the minute under an hour): 2日5時間, 18時間, 40分."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}日{hours}時間" if hours else f"{days}日"
    if hours:
        return f"{hours}時間"
    return f"{max(minutes, 1)}分"


def person(user) -> str:
    return " ".join(part for part in (user.last_name, user.first_name) if part) or user.get_username()


def report_phrase(track: ReportingTrack) -> str:
    incident = track.incident
    if track.kind == TrackKind.ENTRUSTING_PARTY and incident.entrusted_by.strip():
        return f"委託元（{incident.entrusted_by.strip()}）への通知"
    if track.kind in AUTHORITY_REPORTS:
        return f"{incident.company.leak_authority_display}への{AUTHORITY_REPORTS[track.kind]}"
    if track.kind == TrackKind.JOINT_USE and incident.joint_use_company is not None:
        return f"共同利用の管理責任者（{incident.joint_use_company.name}）への通知"
    return REPORT_PHRASES[TrackKind(track.kind)]


def one_line(text: str) -> str:
    """A subject never holds a line break (the mail header would be refused)."""
    return " ".join(text.split())


def mail_text(template: str, context: dict) -> str:
    return render_to_string(template, context).strip() + "\n"


def _deadline_key(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M")


# ---------------------------------------------------------------------------
# Recipients


def _group_members(role: str):
    return (
        get_user_model().objects.filter(groups__name=role, is_active=True)
        .exclude(email="").distinct().order_by("pk")
    )


def role_holders(role: str, company: Company | int) -> list:
    """The active users with an e-mail address who hold `role` for `company`: scoped to it,
    to the whole group, or (without a scope) belonging to it (roles.has_role decides)."""
    return [user for user in _group_members(role) if has_role(user, role, company=company)]


class Holders:
    """role_holders, looked up once per role and company in a run."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], list] = {}

    def __call__(self, role: str, company_id: int) -> list:
        key = (role, company_id)
        if key not in self._cache:
            self._cache[key] = role_holders(role, company_id)
        return self._cache[key]


def _reachable(user) -> bool:
    return bool(user.is_active and user.email)


# ---------------------------------------------------------------------------
# What is due


def due_reminders(*, now: dt.datetime, base_url: str | None = None) -> Iterator[Reminder]:
    """Every reminder that applies at `now`, sent or not (links to `base_url`, else site_url())."""
    from .joint_use import pending_notices

    base_url = (base_url or site_url()).rstrip("/")
    holders = Holders()
    tracks = (
        ReportingTrack.objects.select_related("incident__company", "incident__joint_use_company")
        .order_by("limit_at", "pk")
    )

    # A report is its incident's company's duty: that company's PMS office is reminded,
    # and its top management told of an overdue report to the PPC.
    for track in tracks.due_soon(now=now):
        for user in holders(Role.PMS_MANAGER, track.incident.company_id):
            yield _track_reminder(track, user, now=now, base_url=base_url, overdue=False)
    for track in tracks.overdue(now=now):
        managers = holders(Role.PMS_MANAGER, track.incident.company_id)
        for user in managers:
            yield _track_reminder(track, user, now=now, base_url=base_url, overdue=True)
        if track.kind in ESCALATED_KINDS:
            manager_ids = {user.pk for user in managers}
            for user in holders(Role.EXECUTIVE, track.incident.company_id):
                if user.pk not in manager_ids:
                    yield _track_reminder(track, user, now=now, base_url=base_url, overdue=True, escalation=True)

    yield from pending_notices(base_url=base_url, holders=holders)

    today = timezone.localdate(now, JAPAN)
    actions = (
        Action.objects.filter(state__in=ACTION_WORK_STATES)
        .select_related("owner", "incident", "department").order_by("due_date", "pk")
    )
    for action in actions.filter(due_date__gt=today, due_date__lte=today + ACTION_NOTICE):
        if _reachable(action.owner):
            yield _action_reminder(action, today=today, base_url=base_url, overdue=False)
    for action in actions.filter(due_date__lt=today):
        if _reachable(action.owner):
            yield _action_reminder(action, today=today, base_url=base_url, overdue=True)


def _track_reminder(track, user, *, now, base_url, overdue: bool, escalation: bool = False) -> Reminder:
    incident = track.incident
    report = report_phrase(track)
    limit_soon = track.limit_at - now <= DUE_SOON
    if overdue:
        stage, deadline = OVERDUE_STAGE, track.limit_at
        tag = "【期限超過・経営層への報告】" if escalation else "【期限超過】"
        subject = f"{tag}{incident.reference} {report}の期限を{span(now - track.limit_at)}過ぎています"
    elif limit_soon:
        stage, deadline = DUE_SOON_STAGE, track.limit_at
        subject = f"【要対応】{incident.reference} {report}の期限まであと{span(track.limit_at - now)}"
    else:
        stage, deadline = DUE_SOON_STAGE, track.due_at
        if track.due_at > now:
            target = f"目標期限まであと{span(track.due_at - now)}"
        else:
            target = "目標期限を過ぎています"
        subject = f"【要対応】{incident.reference} {report}の{target}（期限まであと{span(track.limit_at - now)}）"
    with translation.override("ja"):
        body = mail_text("incidents/email/track_reminder.txt", {
            "recipient": person(user),
            "incident": incident,
            "report": report,
            "authority": incident.company.leak_authority_display,
            "track": track,
            "overdue": overdue,
            "escalation": escalation,
            "about_target": not overdue and not limit_soon,
            "target": japan_time(track.due_at),
            "limit": japan_time(track.limit_at),
            "target_is_limit": track.due_at == track.limit_at,
            "time_left": span(track.limit_at - now),
            "target_left": span(track.due_at - now),
            "target_passed": track.due_at <= now,
            "overdue_by": span(now - track.limit_at),
            "url": f"{base_url}{reverse('incident_detail', args=[incident.pk])}#reporting",
        })
    key = f"track:{track.pk}:{stage}:{_deadline_key(deadline)}:user:{user.pk}"
    return Reminder(key=key, recipient=user, subject=one_line(subject), body=body)


def _action_reminder(action: Action, *, today: dt.date, base_url: str, overdue: bool) -> Reminder:
    if overdue:
        stage = OVERDUE_STAGE
        subject = (f"【期限超過】{action.reference} {action.title}"
                   f"（期限 {action.due_date.month}月{action.due_date.day}日、{(today - action.due_date).days}日超過）")
    else:
        stage = WEEK_BEFORE_STAGE
        subject = f"【期限まであと{(action.due_date - today).days}日】{action.reference} {action.title}"
    with translation.override("ja"):
        body = mail_text("incidents/email/action_reminder.txt", {
            "recipient": person(action.owner),
            "action": action,
            "overdue": overdue,
            "due": japan_date(action.due_date),
            "days_left": (action.due_date - today).days,
            "days_over": (today - action.due_date).days,
            "url": f"{base_url}{reverse('action_detail', args=[action.pk])}",
        })
    key = f"action:{action.pk}:{stage}:{action.due_date:%Y%m%d}:user:{action.owner_id}"
    return Reminder(key=key, recipient=action.owner, subject=one_line(subject), body=body)


# ---------------------------------------------------------------------------
# Sending


def send_reminders(*, now: dt.datetime | None = None, base_url: str | None = None) -> Outcome:
    """Send every reminder due at `now` that has not been sent before; return what happened."""
    return deliver(list(due_reminders(now=now or timezone.now(), base_url=base_url)))


def deliver(reminders: list[Reminder]) -> Outcome:
    """Send each of `reminders` that has not been sent before, each once; return what happened."""
    outcome = Outcome()
    # Most runs find most reminders already sent: look them up at once rather than let
    # each insert fail.
    already = set(
        SentReminder.objects.filter(key__in=[r.key for r in reminders]).values_list("key", flat=True)
    )
    for reminder in reminders:
        if reminder.key in already:
            outcome.skipped += 1
            continue
        try:
            with transaction.atomic():
                # The row first: a run that overlaps this one waits on the unique key (or
                # fails on it) instead of sending the same mail.
                SentReminder.objects.create(
                    key=reminder.key, recipient=reminder.recipient, subject=reminder.subject[:255]
                )
                send_mail(reminder.subject, reminder.body, None, [reminder.recipient.email])
        except IntegrityError:
            outcome.skipped += 1
        except Exception as error:  # an SMTP or connection error: nothing recorded, retried next run
            logger.exception("Reminder %s to %s could not be sent", reminder.key, reminder.recipient.email)
            outcome.failed.append((reminder, error))
        else:
            outcome.sent.append(reminder)
    return outcome
