"""What waits for a person among incidents, actions and reports: the incidents half of the
to-do page (worklist.views; the audits half is audits.todo).

Each list is the most urgent few (TODO_LIMIT) with its total, so the page costs the same
whatever the data; "show all" links lead to the filtered, paginated lists.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, DateField, DurationField, ExpressionWrapper, F, Min, Q, Value, When
from django.utils import timezone

from .models import (
    ACTION_WORK_STATES,
    Action,
    ActionState,
    Complaint,
    Incident,
    IncidentState,
    ReportingTrack,
    RightsRequest,
    TrackKind,
    headed_department_ids,
)
from .models.reporting import DUE_SOON
from .roles import Role, has_role, role_companies
from .rows import TODO_ACTION, TODO_INCIDENT, TODO_TRACK, only_shown
from .switcher import narrow
from .templatetags.pms import urgency

TODO_LIMIT = 20

# The user's own actions due within this many days (and those overdue) are listed first.
ACTIONS_DUE_SOON_DAYS = 7
# The reports an overdue track of which is escalated to the executives.
PPC_TRACKS = (TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL)


def held_for(user, role: str, field: str = "company") -> Q:
    """A Q for the records of the companies for which `user` holds `role` (all of them: an empty Q)."""
    companies = role_companies(user, role)
    return Q() if companies is None else Q(**{f"{field}__in": companies})


def section(queryset, limit: int = TODO_LIMIT, total: int | None = None) -> dict:
    """The first `limit` rows of an ordered queryset and how many there are in all (`total`
    when the page has counted them already, else counted here when the rows reach the limit)."""
    rows = list(queryset[:limit])
    if total is None:
        total = len(rows) if len(rows) < limit else queryset.count()
    return {"rows": rows, "total": total, "more": total - len(rows)}


def context(request) -> dict:
    """The incidents app's part of the to-do page, for the signed-in user."""
    user = request.user
    # The header's company switcher narrows every list of the page (never widens it).
    # Only the columns and relations the rows show (incidents/rows.py): every join more costs
    # PostgreSQL planning time on each query (bench/query_plans.md), and the page runs about
    # thirty.
    incidents = narrow(only_shown(Incident.objects.visible_to(user), TODO_INCIDENT), request)
    actions = narrow(only_shown(Action.objects.visible_to(user), TODO_ACTION), request)
    today = timezone.localdate()
    due_by = today + dt.timedelta(days=ACTIONS_DUE_SOON_DAYS)
    mine = actions.filter(owner=user, state__in=ACTION_WORK_STATES)
    # The card's counts are of the list under it: an overdue action is due, and counted as
    # overdue (counted in the database: the list shows the first TODO_LIMIT only).
    due = mine.aggregate(overdue=Count("pk", filter=Q(due_date__lt=today)),
                         soon=Count("pk", filter=Q(due_date__gte=today, due_date__lte=due_by)), total=Count("pk"))
    context = {
        "my_incidents": list(incidents.filter(reporter=user)[:10]),
        "my_overdue_count": due["overdue"],
        "my_due_soon_count": due["soon"],
        "actions_to_do": section(mine.order_by("due_date", "id"), total=due["total"]),
        "actions_to_verify": section(
            actions.filter(verifier=user, state=ActionState.IMPLEMENTED).order_by("due_date", "id")),
        "due_days": ACTIONS_DUE_SOON_DAYS,
        "today": today,
    }
    tracks = narrow(ReportingTrack.objects.visible_to(user), request, field="incident__company")
    now = timezone.now()
    if has_role(user, Role.PMS_MANAGER):
        # Every report still owed by the companies whose office the user runs, the incident
        # with the least time left first (another company's incident they see for its jointly
        # used data is not theirs to report).
        runs = held_for(user, Role.PMS_MANAGER)
        counts = dict(incidents.open().order_by().values_list("state").annotate(n=Count("id")))
        context.update({
            "deadlines": deadline_section(tracks.pending().filter(held_for(user, Role.PMS_MANAGER, "incident__company")),
                                          now),
            # An office that runs every company it sees: the state counts hold the total.
            "awaiting_triage": section(
                incidents.filter(runs, state=IncidentState.REPORTED).order_by("created_at", "id"),
                total=None if runs else counts.get(IncidentState.REPORTED, 0)),
            "open_by_state": [
                (value, label, counts.get(value, 0))
                for value, label in IncidentState.choices
                if value not in (IncidentState.CLOSED, IncidentState.DISMISSED)
            ],
            "overdue_actions": section(actions.overdue().filter(runs)),
        })
    elif has_role(user, Role.EXECUTIVE):
        # Escalation: an overdue report to the PPC is top management's business too (of
        # the companies they manage).
        overdue_ppc = deadline_section(
            tracks.overdue(now).filter(held_for(user, Role.EXECUTIVE, "incident__company"), kind__in=PPC_TRACKS), now)
        if overdue_ppc["reports"]:
            context["overdue_ppc"] = overdue_ppc
    handled = incidents.open().filter(handler=user).order_by("created_at", "id")
    context["handled_incidents"] = section(handled)
    departments = headed_department_ids(user)
    context.update(case_sections(user, request, today=today, departments=departments))
    if departments:
        context.update({
            "department_incidents": section(incidents.open().filter(department_id__in=departments)),
            "department_actions": section(actions.open().filter(department_id__in=departments)),
        })
    return context


URGENCY_ORDER = ("overdue", "soon", "open", "settled")


def deadline_section(pending, now: dt.datetime, limit: int = TODO_LIMIT) -> dict:
    """The reports still owed in `pending` (a TrackQuerySet of pending reports), grouped by
    incident: the `limit` incidents with the least time left, each with all its pending
    reports, and the totals of the whole set, in three queries whatever its size.

    {"incidents": by_incident entries (each its reports, the nearest limit first), "reports":
    reports owed, "incident_total": incidents owing them, "overdue": reports past their limit,
    "due_soon": reports due within DUE_SOON (as ReportingTrack.urgency says), "more":
    incidents not shown}.
    """
    totals = pending.order_by().aggregate(
        reports=Count("pk"), incident_total=Count("incident", distinct=True),
        overdue=Count("pk", filter=Q(limit_at__lt=now)),
        due_soon=Count("pk", filter=Q(limit_at__gte=now, due_at__lt=now + DUE_SOON)),
    )
    first = list(pending.order_by().values("incident").annotate(first=Min("limit_at"))
                 .order_by("first", "incident").values_list("incident", flat=True)[:limit])
    tracks = only_shown(pending.filter(incident_id__in=first), TODO_TRACK).order_by("limit_at", "due_at", "id")
    rows = by_incident(tracks, now)
    return {**totals, "incidents": [rows[pk] for pk in first if pk in rows],
            "more": totals["incident_total"] - len(first)}


def by_incident(tracks, now: dt.datetime) -> dict[int, dict]:
    """Reports grouped by their incident's id: {"incident", "tracks" (in the order of
    `tracks`), "urgency" (that of its most urgent report)}."""
    grouped: dict[int, dict] = {}
    for track in tracks:
        entry = grouped.setdefault(track.incident_id, {"incident": track.incident, "tracks": [], "urgency": "settled"})
        entry["tracks"].append(track)
        level = urgency(track, now)
        if URGENCY_ORDER.index(level) < URGENCY_ORDER.index(entry["urgency"]):
            entry["urgency"] = level
    return grouped


# ---------------------------------------------------------------------------
# Requests from individuals and complaints (issue 15)

# A request's answer is marked due soon this many days ahead (the reminders' notice too).
REQUEST_DUE_SOON_DAYS = 3


def by_effective_due(requests, today: dt.date):
    """Requests ordered by the day their answer is due, counting a pause still running up to
    today (RightsRequest.effective_due_on, in the database): the least time left first."""
    waited = ExpressionWrapper(Value(today, output_field=DateField()) - F("paused_since"),
                               output_field=DurationField())
    return requests.alias(
        effective_due=Case(
            When(paused_since__isnull=False, then=ExpressionWrapper(F("due_on") + waited, output_field=DateField())),
            default=F("due_on"), output_field=DateField(),
        ),
    ).order_by("effective_due", "received_on", "id")


def case_sections(user, request, *, today: dt.date, departments) -> dict:
    """The requests the user must see answered and the complaints they must see handled.

    Requests: those of the companies whose PMS office the user runs, and those they handle.
    Complaints: the same, and those about a department the user heads. Staff who neither
    run the office nor handle a case see none (a case carries the requester's personal data).
    """
    office = role_companies(user, Role.PMS_MANAGER)
    if office is None:  # the office of the whole group
        mine = headed = Q()
    else:
        mine = Q(handler=user) | Q(company_id__in=office) if office else Q(handler=user)
        headed = mine | Q(department_id__in=departments) if departments else mine
    requests = narrow(RightsRequest.objects.visible_to(user).open().filter(mine), request)
    requests = by_effective_due(requests.select_related("handler", "company").prefetch_related("items"), today)
    complaints = narrow(Complaint.objects.visible_to(user).open().filter(headed), request)
    complaints = complaints.select_related("handler", "department", "company").order_by("received_on", "id")
    return {
        "requests_to_answer": section(requests, TODO_LIMIT),
        "complaints_to_handle": section(complaints, TODO_LIMIT),
        "request_soon_days": REQUEST_DUE_SOON_DAYS,
        "request_soon_by": today + dt.timedelta(days=REQUEST_DUE_SOON_DAYS),
    }
