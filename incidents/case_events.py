"""Who is told when a request from an individual or a complaint arrives or moves (issue 15).

Called by the case services and the models' announce_transition, inside the event's
transaction, like incidents.events for incidents and actions.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.kinds import Kind
from notifications.services import Message, notify

from .events import _name, channels_for, holders
from .roles import Role


def _end_of(day):
    """A due date as the notice's deadline: the end of that day in Tokyo."""
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))


def _request_lines(request) -> list[tuple]:
    return [
        (_("Request"), request.reference),
        (_("Asked for"), lambda: "、".join(str(item.get_kind_display()) for item in request.items.all())),
        (_("Channel"), request.get_channel_display),
        (_("Received on"), request.received_on),
        (_("Answer due"), request.due_on),
    ]


def _complaint_lines(complaint) -> list[tuple]:
    return [
        (_("Complaint"), complaint.reference),
        (_("Classification"), complaint.get_classification_display),
        (_("Channel"), complaint.get_channel_display),
        (_("Received on"), complaint.received_on),
        (_("What the person says"), complaint.summary[:300]),
    ]


def request_received(request, *, by) -> None:
    """A new request: the PMS office of its company takes it up (the answer's clock runs)."""
    notify(
        kind=Kind.REQUEST_RECEIVED, key=f"request:{request.pk}:received",
        recipients=holders(Role.PMS_MANAGER, request.company_id), actor=by, deadline=_end_of(request.due_on),
        message=Message(
            subject=_("New request from an individual %(reference)s (answer due %(due)s)"),
            params={"reference": request.reference, "due": request.due_on},
            intro=_("A request to disclose etc. was received. The answer is due without delay; the person may "
                    "sue two weeks after it arrived (art. 39)."),
            lines=[*_request_lines(request), (_("Recorded by"), _name(by) or _("the public form"))],
            url=request.get_absolute_url(),
        ),
        channels=channels_for(company_id=request.company_id, office=True),
    )


def complaint_received(complaint, *, by) -> None:
    notify(
        kind=Kind.COMPLAINT_RECEIVED, key=f"complaint:{complaint.pk}:received",
        recipients=holders(Role.PMS_MANAGER, complaint.company_id), actor=by,
        message=Message(
            subject=_("New complaint or consultation %(reference)s"),
            params={"reference": complaint.reference},
            intro=_("A complaint or consultation was received and waits for the PMS office."),
            lines=[*_complaint_lines(complaint), (_("Recorded by"), _name(by) or _("the public form"))],
            url=complaint.get_absolute_url(),
        ),
        channels=channels_for(company_id=complaint.company_id, office=True),
    )


def case_handler_assigned(record, *, by) -> None:
    """The PMS office made someone the handler of a request or a complaint."""
    if record.handler_id is None:
        return
    notify(
        kind=Kind.CASE_ASSIGNED,
        key=f"{record._meta.model_name}:{record.pk}:handler:{record.handler_id}:{record.version}",
        recipients=[record.handler], actor=by, deadline=_end_of(getattr(record, "due_on", None)),
        message=Message(
            subject=_("You handle %(reference)s"),
            params={"reference": record.reference, "by": _name(by)},
            intro=_("%(by)s made you the handler of this case: you own it until it is closed."),
            lines=_request_lines(record) if hasattr(record, "due_on") else _complaint_lines(record),
            url=record.get_absolute_url(),
        ),
    )


def request_transition(request, name: str, *, by) -> None:
    """A step taken by someone else than the handler: the handler follows the case."""
    if request.handler_id is None:
        return
    notify(
        kind=Kind.CASE_ASSIGNED, key=f"request:{request.pk}:{name}:{request.version}",
        recipients=[request.handler], actor=by,
        message=Message(
            subject=_("%(reference)s: %(state)s"),
            params={"reference": request.reference, "state": request.get_state_display},
            lines=_request_lines(request),
            url=request.get_absolute_url(),
        ),
    )


def complaint_transition(complaint, name: str, *, by) -> None:
    if complaint.handler_id is None:
        return
    notify(
        kind=Kind.CASE_ASSIGNED, key=f"complaint:{complaint.pk}:{name}:{complaint.version}",
        recipients=[complaint.handler], actor=by,
        message=Message(
            subject=_("%(reference)s: %(state)s"),
            params={"reference": complaint.reference, "state": complaint.get_state_display},
            lines=_complaint_lines(complaint),
            url=complaint.get_absolute_url(),
        ),
    )
