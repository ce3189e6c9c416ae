"""Reminders of the answers owed to requests from individuals (issue 15).

The worker runs `send_reminders` every five minutes (settings.PERIODIC_JOBS
"request_reminders"). Who is told what:

- stage ``due_soon``: the answer is due within REQUEST_NOTICE_DAYS (3) days, today
  included (``RightsRequestQuerySet.due_soon``): the case's handler, or, while it has none,
  the PMS office of the request's company;
- stage ``overdue``: still unanswered after the due date (``RightsRequestQuerySet.overdue``):
  the handler and, as an escalation, the PMS office of the company and its personal
  information protection manager (Company.privacy_officer, 個人情報保護管理者). A late
  answer may be taken as a refusal, and a wrongful refusal is a PrivacyMark 事故等 (kind ⑧).

A case paused while the company waits for the requester is not reminded: its clock is
stopped, and its due date moves by the days waited when it resumes. The keys name the
request, the stage and the due date (``request:12:due_soon:20261116``): each person is told
once per stage, and a due date moved by a pause is a new reminder.

Each reminder is a notification of kind REQUEST_DEADLINE, mailed as its reader chose, with
no personal data of the requester in it (the reference, what is asked, the dates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from notifications.kinds import Kind
from notifications.services import Message

from .clocks import JAPAN
from .models import RightsRequest
from .reminders import OVERDUE_STAGE, Holders, Outcome, Reminder, _link, deliver, month_day
from .roles import Role

REQUEST_NOTICE_DAYS = 3
DUE_SOON_STAGE = "due_soon"


def send_reminders(*, now: dt.datetime | None = None, base_url: str | None = None) -> Outcome:
    """Notify what is due at `now` and was not told before; what happened (the job logs it)."""
    return deliver(list(due_reminders(now=now or timezone.now(), base_url=base_url)))


def due_reminders(*, now: dt.datetime, base_url: str | None = None) -> Iterator[Reminder]:
    """Every reminder that applies at `now`, told before or not."""
    today = timezone.localdate(now, JAPAN)
    holders = Holders()
    requests = (RightsRequest.objects.select_related("company__privacy_officer", "handler")
                .prefetch_related("items").order_by("due_on", "pk"))
    for request in requests.due_soon(today, REQUEST_NOTICE_DAYS):
        recipients = [request.handler] if request.handler_id else holders(Role.PMS_MANAGER, request.company_id)
        if recipients:
            yield _reminder(request, recipients, today=today, base_url=base_url, overdue=False)
    for request in requests.overdue(today):
        officer = request.company.privacy_officer
        recipients = _unique([request.handler, *holders(Role.PMS_MANAGER, request.company_id), officer])
        if recipients:
            yield _reminder(request, recipients, today=today, base_url=base_url, overdue=True)


def _unique(users) -> tuple:
    seen, unique = set(), []
    for user in users:
        if user is not None and user.is_active and user.pk not in seen:
            seen.add(user.pk)
            unique.append(user)
    return tuple(unique)


def _reminder(request: RightsRequest, users, *, today: dt.date, base_url, overdue: bool) -> Reminder:
    due = request.due_on
    days = (today - due).days if overdue else (due - today).days
    kinds = "、".join(str(item.get_kind_display()) for item in request.item_list())
    params = {"reference": request.reference, "days": days, "due": month_day(due)}
    if overdue:
        stage = OVERDUE_STAGE
        subject = ngettext_lazy(
            "[Overdue] The answer to the request %(reference)s was due %(due)s (%(days)s day ago)",
            "[Overdue] The answer to the request %(reference)s was due %(due)s (%(days)s days ago)", days)
        intro = _("The answer to this request from an individual is late. Answer without delay, or record why "
                  "it cannot be answered yet; if the company waits for the requester, pause the clock on the "
                  "case. A late answer may be taken as a refusal, and a wrongful refusal is a PrivacyMark 事故等 "
                  "(kind ⑧). The PMS office and the personal information protection manager are told.")
    elif days == 0:
        stage = DUE_SOON_STAGE
        subject = _("[Due today] The answer to the request %(reference)s is due today (%(due)s)")
        intro = _("The answer to this request from an individual is due today. Once it is sent, record the "
                  "answer on the case.")
    else:
        stage = DUE_SOON_STAGE
        subject = ngettext_lazy("[%(days)s day left] The answer to the request %(reference)s is due %(due)s",
                                "[%(days)s days left] The answer to the request %(reference)s is due %(due)s", days)
        intro = _("The answer to this request from an individual is due soon. Once it is sent, record the "
                  "answer on the case.")
    lines = [
        (_("Request"), request.reference),
        (_("Asked for"), kinds),
        (_("State"), request.get_state_display),
        (_("Received on"), request.received_on),
        (_("Answer due"), due),
        (_("Art. 39 mark (the person may sue from)"), request.lawsuit_mark_on),
        (_("Days paused"), request.paused_days or ""),
    ]
    return Reminder(
        kind=Kind.REQUEST_DEADLINE,
        key=f"request:{request.pk}:{stage}:{due:%Y%m%d}",
        recipients=tuple(users),
        message=Message(subject=subject, params=params, intro=intro, lines=lines,
                        url=_link(request.get_absolute_url(), base_url)),
        # The due date's last minute, in Japan: the answer is late from the next day.
        deadline=dt.datetime.combine(due, dt.time(23, 59), tzinfo=JAPAN),
    )
