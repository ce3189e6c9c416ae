"""The figures of the status dashboard (状況ダッシュボード, worklist.views.dashboard).

Four pictures of how the management system is doing in the current fiscal year (April to
March by default; Company.fiscal_year_start_month), each counted by the database in one or
two grouped queries whatever the number of records:

- incidents per month by kind, with the same month of the previous year beside each, and the
  year so far against the same period of the year before;
- open actions by age (days since they were opened), the overdue ones apart;
- the reports owed for the year's incidents by status: filed on time, filed late, overdue
  and not filed, not yet due (ReportStatus: the same four names wherever they are shown);
- the audit coverage: departments audited in the year, planned, or with no audit planned
  (audits.selectors.programme, the programme page's own rule).

Whose records: what the reader may see (the models' visible_to), narrowed by the header's
company switcher; a department head who does not read every record sees their departments'.
The periods follow the management review's (audits.review_inputs): incidents discovered in
the period, dismissed reports not counted, and a report counted with its incident.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, TextChoices
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from audits.fiscal import fiscal_year_bounds, fiscal_year_of
from audits.selectors import programme
from incidents.clocks import JAPAN
from incidents.models import (
    ACTION_WORK_STATES,
    Action,
    Company,
    Incident,
    IncidentKind,
    IncidentState,
    ReportingTrack,
    TrackState,
    headed_department_ids,
)
from incidents.roles import seen_companies, sees_everything
from incidents.switcher import current_company, narrow


class ReportStatus(TextChoices):
    """Where a report owed to an authority, a client or the data subjects stands: the four
    names the management review and its PDF use too (the same msgids, one translation)."""

    ON_TIME = "on_time", gettext_lazy("Filed on time")
    LATE = "late", gettext_lazy("Filed late")
    OVERDUE = "overdue", gettext_lazy("Overdue, not filed")
    NOT_YET_DUE = "not_yet_due", gettext_lazy("Not yet due, not filed")


class ActionAge(TextChoices):
    """How long an open action has been open."""

    RECENT = "recent", pgettext_lazy("action age", "Under 30 days")
    MONTHS = "months", pgettext_lazy("action age", "30–89 days")
    OLD = "old", pgettext_lazy("action age", "90 days or more")


@dataclass(frozen=True)
class Scope:
    """Whose records the dashboard counts, and for which fiscal year."""

    incidents: QuerySet[Incident]
    actions: QuerySet[Action]
    # The companies whose departments the coverage lists (None: every company).
    companies: frozenset[int] | None
    # The departments a head reads (None: every department of the companies).
    departments: list[int] | None
    fiscal_year: int
    start: dt.date
    end: dt.date


def reads_dashboard(user) -> bool:
    """The dashboard is for those who read every record of their companies (the PMS office,
    auditors, top management) and for department heads (their departments')."""
    return sees_everything(user) or bool(headed_department_ids(user))


def scope_of(request) -> Scope | None:
    """The dashboard's scope for the signed-in user; None if it is not theirs to read."""
    user = request.user
    departments = None
    if not sees_everything(user):
        departments = headed_department_ids(user)
        if not departments:
            return None
    incidents = narrow(Incident.objects.visible_to(user), request)
    actions = narrow(Action.objects.visible_to(user), request)
    if departments is not None:
        incidents = incidents.filter(department_id__in=departments)
        actions = actions.filter(department_id__in=departments)
    company = current_company(request)
    if company is not None:
        companies = frozenset({company.pk})
    elif departments is not None:
        companies = None  # the departments they head, of whichever company (audit_coverage)
    else:
        companies = seen_companies(user)
    # The fiscal year of the company shown, or of the one company the reader's records are
    # of; else the default company's (a group's companies may start their years in other months).
    if company is None and companies is not None and len(companies) == 1:
        company = Company.objects.filter(pk=next(iter(companies))).first()
    today = timezone.localdate()
    year = fiscal_year_of(today, company)
    start, end = fiscal_year_bounds(year, company)
    return Scope(incidents=incidents, actions=actions, companies=companies, departments=departments,
                 fiscal_year=year, start=start, end=end)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=JAPAN)


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _months(start: dt.date, count: int = 12) -> list[dt.date]:
    months, year, month = [], start.year, start.month
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def incidents_by_month(scope: Scope, today: dt.date | None = None) -> dict:
    """The incidents discovered in each month of the fiscal year by kind, each month's count a
    year before, and the year so far against the same period of the previous year (one query).

    {"months": [{"month": date, "counts": {kind: n}, "total": n, "previous": n}], "total": n,
    "near_misses": n, "previous_to_date": n, "previous_total": n}
    """
    today = today or timezone.localdate()
    previous_start = _year_before(scope.start)
    # The same period a year before: from the start of that year to the same day (included).
    cutoff = _midnight(_year_before(today) + dt.timedelta(days=1))
    rows = (
        scope.incidents.exclude(state=IncidentState.DISMISSED)
        .filter(discovered_at__gte=_midnight(previous_start),
                discovered_at__lt=_midnight(scope.end + dt.timedelta(days=1)))
        .annotate(month=TruncMonth("discovered_at", tzinfo=JAPAN)).order_by()
        .values("month", "kind").annotate(n=Count("pk"), to_date=Count("pk", filter=Q(discovered_at__lt=cutoff)))
    )
    current: dict[dt.date, dict[str, int]] = {}
    previous: dict[dt.date, int] = {}
    previous_to_date = 0
    for row in rows:
        month = timezone.localtime(row["month"], JAPAN).date()
        if month >= scope.start:
            current.setdefault(month, {})[row["kind"]] = row["n"]
        else:
            previous[month] = previous.get(month, 0) + row["n"]
            previous_to_date += row["to_date"]
    months = [
        {"month": month, "counts": current.get(month, {}), "total": sum(current.get(month, {}).values()),
         "previous": previous.get(_year_before(month), 0)}
        for month in _months(scope.start)
    ]
    return {
        "months": months,
        "total": sum(month["total"] for month in months),
        "near_misses": sum(month["counts"].get(IncidentKind.NEAR_MISS, 0) for month in months),
        "previous_to_date": previous_to_date,
        "previous_total": sum(previous.values()),
    }


def open_actions_by_age(scope: Scope, today: dt.date | None = None) -> dict:
    """The open actions (not yet proved effective nor cancelled) by how long they have been
    open, each split into overdue (still to carry out, past their due date) and the others
    (one query). {"buckets": [{"age": ActionAge, "overdue": n, "other": n}], "open": n, "overdue": n}"""
    today = today or timezone.localdate()
    thirty, ninety = _midnight(today - dt.timedelta(days=29)), _midnight(today - dt.timedelta(days=89))
    ages = {
        ActionAge.RECENT: Q(created_at__gte=thirty),
        ActionAge.MONTHS: Q(created_at__gte=ninety, created_at__lt=thirty),
        ActionAge.OLD: Q(created_at__lt=ninety),
    }
    overdue = Q(state__in=ACTION_WORK_STATES, due_date__lt=today)
    counts = scope.actions.open().order_by().aggregate(**{
        f"{age}_{part}": Count("pk", filter=condition & (overdue if part == "overdue" else ~overdue))
        for age, condition in ages.items() for part in ("overdue", "other")
    })
    buckets = [{"age": age, "overdue": counts[f"{age}_overdue"], "other": counts[f"{age}_other"]}
               for age in ActionAge]
    return {
        "buckets": buckets,
        "open": sum(b["overdue"] + b["other"] for b in buckets),
        "overdue": sum(b["overdue"] for b in buckets),
        "old": next(b["overdue"] + b["other"] for b in buckets if b["age"] == ActionAge.OLD),
    }


def reports_by_status(scope: Scope, now: dt.datetime | None = None) -> dict:
    """The reports owed for the incidents discovered in the fiscal year by ReportStatus (those
    found not required are not owed), and the reports of earlier incidents still overdue and
    not filed (one query). {status: n, ..., "total": n, "earlier_overdue": n}"""
    now = now or timezone.now()
    in_year = Q(incident__discovered_at__gte=_midnight(scope.start),
                incident__discovered_at__lt=_midnight(scope.end + dt.timedelta(days=1)))
    filed, pending = Q(state=TrackState.FILED), Q(state=TrackState.PENDING)
    overdue = pending & Q(limit_at__lt=now)
    tracks = ReportingTrack.objects.filter(
        incident__in=scope.incidents.exclude(state=IncidentState.DISMISSED)).filter(in_year | overdue)
    counts = tracks.order_by().aggregate(**{
        ReportStatus.ON_TIME: Count("pk", filter=in_year & filed & Q(filed_at__lte=F("limit_at"))),
        ReportStatus.LATE: Count("pk", filter=in_year & filed & Q(filed_at__gt=F("limit_at"))),
        ReportStatus.OVERDUE: Count("pk", filter=in_year & overdue),
        ReportStatus.NOT_YET_DUE: Count("pk", filter=in_year & pending & Q(limit_at__gte=now)),
        "earlier_overdue": Count("pk", filter=~in_year & overdue),
    })
    counts["total"] = sum(counts[status] for status in ReportStatus.values)
    return counts


def audit_coverage(scope: Scope) -> dict:
    """The departments against the fiscal year's internal audits, as the programme page counts
    them: audited (reported or closed), planned or under way, no audit planned.
    {"done": n, "planned": n, "none": n, "departments": n, "not_audited": [Department…]}"""
    rows = programme(year=scope.fiscal_year, companies=scope.companies)
    if scope.departments is not None:
        rows = [row for row in rows if row["department"].pk in scope.departments]
    counts = {status: sum(1 for row in rows if row["status"] == status) for status in ("done", "planned", "none")}
    not_audited = sorted((row for row in rows if row["status"] != "done"), key=lambda row: row["status"] == "planned")
    return {**counts, "departments": len(rows),
            "rate": round(100 * counts["done"] / len(rows)) if rows else None,
            "not_audited": [(row["department"], row["status"]) for row in not_audited]}
