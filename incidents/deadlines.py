"""A record's next deadline, for the steps bar at the top of its page (_steps_bar.html).

What is due, by when, and how urgent, in the words and colours the rest of the page uses:
the clocks' classes (overdue red, soon amber) and their "time left" text. A record with
nothing due has none; each record type says what its deadline is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .models import ACTION_WORK_STATES, TrackState
from .templatetags.pms import local_datetime, time_left_text
from .todo import ACTIONS_DUE_SOON_DAYS, REQUEST_DUE_SOON_DAYS


@dataclass(frozen=True)
class Deadline:
    label: str  # what is due: a report's name, "Answer due"
    when: str  # the day or the time (Japan time), as the page shows dates
    urgency: str  # "overdue", "soon" or "open": the clock classes
    note: str = ""  # time left or overdue, or why the clock stands still
    anchor: str = ""  # the part of the page that explains it


def on_day(label, day: dt.date | None, *, soon_days: int, anchor: str = "",
           today: dt.date | None = None) -> Deadline | None:
    """A deadline that is a day (Asia/Tokyo): overdue the day after, due soon `soon_days` ahead."""
    if day is None:
        return None
    today = today or timezone.localdate()
    if day < today:
        urgency, note = "overdue", _("Overdue")
    elif day <= today + dt.timedelta(days=soon_days):
        urgency, note = "soon", ""
    else:
        urgency, note = "open", ""
    return Deadline(label=str(label), when=formats.date_format(day, "Y-m-d"), urgency=urgency, note=note,
                    anchor=anchor)


def incident_deadline(tracks, now: dt.datetime | None = None) -> Deadline | None:
    """The limit of the incident's next pending report (its reporting clocks)."""
    pending = [track for track in tracks if track.state == TrackState.PENDING]
    if not pending:
        return None
    now = now or timezone.now()
    track = min(pending, key=lambda track: (track.limit_at, track.due_at, track.pk))
    return Deadline(label=track.get_kind_display(), when=local_datetime(track.limit_at),
                    urgency=track.urgency(now), note=time_left_text(track.limit_at, now), anchor="reporting")


def action_deadline(action) -> Deadline | None:
    """An action's due date while it is being worked on (not once implemented)."""
    if action.state not in ACTION_WORK_STATES:
        return None
    return on_day(type(action)._meta.get_field("due_date").verbose_name, action.due_date,
                  soon_days=ACTIONS_DUE_SOON_DAYS)


def request_deadline(case) -> Deadline | None:
    """An open request's answer day, moved by a pause; a paused clock is neither late nor soon."""
    if not case.is_open:
        return None
    deadline = on_day(_("Answer due"), case.effective_due_on(), soon_days=REQUEST_DUE_SOON_DAYS, anchor="clock")
    if deadline is not None and case.paused_since:
        return Deadline(label=deadline.label, when=deadline.when, urgency="open", note=_("Clock paused"),
                        anchor="clock")
    return deadline
