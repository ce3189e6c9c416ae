"""The inputs of a management review, assembled from the records (ISO/IEC 27001 9.3.2 a–g).

Every figure is aggregated by the database: assembling a review takes the same number of
queries for a hundred records as for a hundred thousand (the tests count them), and reads
the period's incidents, actions and reports once each (every breakdown from one grouped
query, recurrence from one window, each pair of percentiles from one sort), close to the
same figures written in SQL by hand (bench/review_sql.py; bench/review_scale.py prints
both). The result is plain JSON (codes rather than translated labels, names as they
are today) because submitting a review stores it as the snapshot that executives approve
and the PDF prints, in Japanese or in English.

What "in the period" means for each record:
- incidents and their reports: discovered in the period;
- actions: due in the period (what the company committed to finish then);
- audits and findings: audits planned to start in the period (a finding's response
  deadline: answered late, or still unanswered past it on the day the inputs are assembled);
- requests from individuals and complaints, input (e) (incidents.case_figures): received in
  the period.

"previous_year" holds the headline figures (audits.review_headlines) of the same period a
year earlier, counted the same way, so each can say whether it got better or worse: a fixed
number of queries more (PREVIOUS_YEAR_QUERIES), whatever the data.

Whose records: a company's review reads that company's (its incidents and their reports,
its actions, audits and findings, its departments' coverage, its previous review); a review
of the whole group (no company) reads every company's, and adds a breakdown by company in
which each record counts for its own company only, so that the group's figures are the sum
of the companies'. The review of the company responsible for jointly used data (共同利用の
管理責任者) also lists, on their own, the other companies' incidents that involve that data:
they are the other companies' incidents, not added to its figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from incidents.case_figures import case_figures, period_requests
from incidents.clocks import JAPAN
from incidents.models import (
    ACTION_WORK_STATES,
    Action,
    ActionKind,
    ActionRound,
    ActionState,
    CauseCategory,
    Company,
    Department,
    Incident,
    IncidentKind,
    IncidentState,
    ReportingTrack,
    RoundOutcome,
    Severity,
    TrackKind,
    TrackState,
    person_name,
)
from incidents.models.requests import REQUEST_OPEN_STATES, RequestState

from .models import NONCONFORMITIES, Audit, AuditKind, AuditState, Finding, FindingState, Grade
from .models.review import TEXT_INPUTS, Review, ReviewDecision, ReviewState
from .review_expressions import Before, Elapsed, Instant, JapanDay, JapanMonth, ValuesAtRanks

# 2: the company reviewed (or the group) with its breakdown by company, and the incidents
# of jointly used data. A version-1 snapshot (one company) still renders. The figures of
# requests and complaints ("cases", input (e)) were added without a new version: a snapshot
# without them renders as before, saying they were not part of it.
SNAPSHOT_VERSION = 2

# "Recurrence": an incident of the same cause category in the same department within the
# twelve months before (domain.md §5.3).
RECURRENCE_WINDOW = dt.timedelta(days=365)


def assemble(review: Review) -> dict:
    """Every input of `review`, as JSON-ready data."""
    start, end = review.period_start, review.period_end
    company = review.company_id  # None: the whole group
    companies = [
        {"id": row["pk"], "code": row["code"], "name": row["name"], "corporate_number": row["corporate_number"],
         "joint_use_manager": row["joint_use_manager"]}
        for row in Company.objects.order_by("position", "code").values(
            "pk", "code", "name", "corporate_number", "joint_use_manager")
    ]
    several = len(companies) > 1
    reviewed = next((row for row in companies if row["id"] == company), None)
    return {
        "version": SNAPSHOT_VERSION,
        "reference": review.reference,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "assembled_at": timezone.now().isoformat(),
        # The company reviewed as it was named then (None for the group, whose companies follow).
        "company": _company_entry(reviewed) if reviewed else None,
        "companies": [_company_entry(row) for row in companies] if company is None else [],
        "previous_review": previous_review(review),
        "incidents": incident_figures(start, end, company),
        "tracks": track_figures(start, end, company),
        "actions": action_figures(start, end, company),
        "audits": audit_figures(start, end, company),
        "opportunities": opportunities(start, end, company),
        # (e) feedback from interested parties: requests from individuals and complaints.
        "cases": case_figures(start, end, company),
        # The headline figures of the same period a year earlier, to compare with.
        "previous_year": previous_year_figures(start, end, company),
        "by_company": company_breakdown(start, end, companies) if company is None and several else None,
        "joint_use": (joint_use_incidents(start, end, company)
                      if several and reviewed and reviewed["joint_use_manager"] else None),
        "texts": {name: getattr(review, name) for name in (*TEXT_INPUTS, "improvement_notes")},
    }


def _company_entry(row: dict) -> dict:
    return {"code": row["code"], "name": row["name"], "corporate_number": row["corporate_number"]}


def _of(queryset: QuerySet, company: int | None, field: str = "company_id") -> QuerySet:
    """`queryset` limited to the records of `company` (all of them for the group, None)."""
    return queryset if company is None else queryset.filter(**{field: company})


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as [first day 00:00, day after the last 00:00) in Japan time."""
    # A period stored before its dates were bounded may end on the calendar's last day:
    # reading it must still work.
    after = end + dt.timedelta(days=1) if end < dt.date.max else end
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=JAPAN),
        dt.datetime.combine(after, dt.time.min, tzinfo=JAPAN),
    )


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# ---------------------------------------------------------------------------
# (a) the decisions of the previous review


def previous_review(review: Review) -> dict | None:
    """The last approved review before this period, and where its decisions' actions stand."""
    previous = (
        Review.objects.filter(state=ReviewState.APPROVED, period_end__lt=review.period_start,
                              company_id=review.company_id)  # the same company's, or the group's
        .exclude(pk=review.pk).order_by("-period_end").first()
    )
    if previous is None:
        return None
    today = timezone.localdate()
    decisions = []
    for decision in ReviewDecision.objects.filter(review=previous).select_related(
        "owner", "department", "action"
    ):
        action = decision.action
        decisions.append({
            "position": decision.position,
            "kind": decision.kind,
            "title": decision.title,
            "owner": person_name(decision.owner) or decision.owner.get_username(),
            "department": decision.department.name,
            "due_date": decision.due_date.isoformat(),
            "action": action.reference if action else "",
            "state": action.state if action else "",
            "overdue": bool(action and action.state in ACTION_WORK_STATES and action.due_date < today),
        })
    states = [d["state"] for d in decisions]
    return {
        "reference": previous.reference,
        "period": {"start": previous.period_start.isoformat(), "end": previous.period_end.isoformat()},
        "approved_at": previous.approved_at.isoformat() if previous.approved_at else None,
        "decisions": decisions,
        "summary": {
            "total": len(decisions),
            "effective": states.count(ActionState.EFFECTIVE),
            "implemented": states.count(ActionState.IMPLEMENTED),
            "open": sum(state in ACTION_WORK_STATES for state in states),
            "overdue": sum(d["overdue"] for d in decisions),
            "cancelled": states.count(ActionState.CANCELLED),
        },
    }


# ---------------------------------------------------------------------------
# (d) performance: incidents


def period_incidents(start: dt.date, end: dt.date, company: int | None = None) -> QuerySet[Incident]:
    """Incidents and near misses discovered in the period (dismissed reports are not
    incidents), of `company` (None: of every company)."""
    first, after = _bounds(start, end)
    return _of(Incident.objects, company).filter(discovered_at__gte=first, discovered_at__lt=after).exclude(
        state=IncidentState.DISMISSED
    )


def _months(start: dt.date, end: dt.date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


SEVERITY_LEVELS = (*Severity.values, "")  # "": not classified yet


def _incident_counts(start: dt.date, end: dt.date, company: int | None) -> dict:
    """Every count of the period's incidents from one grouped query (by department, kind and
    month in Japan, the states and severities counted in each group), added up here: one
    pass over the incidents instead of one per breakdown. The dismissed reports are read in
    the same pass and counted apart."""
    first, after = _bounds(start, end)
    live = ~Q(state=IncidentState.DISMISSED)
    rows = (
        _of(Incident.objects, company).filter(discovered_at__gte=first, discovered_at__lt=after)
        .annotate(month=JapanMonth("discovered_at")).order_by()
        .values("department_id", "department__code", "department__name", "kind", "month").annotate(
            n=Count("pk", filter=live),
            dismissed=Count("pk", filter=Q(state=IncidentState.DISMISSED)),
            open=Count("pk", filter=~Q(state__in=[IncidentState.CLOSED, IncidentState.DISMISSED])),
            analysed=Count("pk", filter=live & Q(cause__isnull=False)),
            contained=Count("contained_at", filter=live),
            closed=Count("closed_at", filter=Q(state=IncidentState.CLOSED)),
            **{f"severity_{n}": Count("pk", filter=live & Q(severity=level))
               for n, level in enumerate(SEVERITY_LEVELS)},
        )
    )
    counts = {key: 0 for key in ("total", "near_misses", "dismissed", "open", "analysed", "contained", "closed")}
    by_kind: dict[str, int] = {}
    by_severity = dict.fromkeys(SEVERITY_LEVELS, 0)
    by_month: dict[str, dict] = {}
    by_department: dict[str, dict] = {}
    departments: set[int] = set()
    for row in rows:
        for key in ("dismissed", "open", "analysed", "contained", "closed"):
            counts[key] += row[key]
        if not row["n"]:
            continue
        near = row["n"] if row["kind"] == IncidentKind.NEAR_MISS else 0
        departments.add(row["department_id"])
        counts["total"] += row["n"]
        counts["near_misses"] += near
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["n"]
        for n, level in enumerate(SEVERITY_LEVELS):
            by_severity[level] += row[f"severity_{n}"]
        month = by_month.setdefault(row["month"], {"count": 0, "near_misses": 0})
        department = by_department.setdefault(row["department__code"],
                                              {"name": row["department__name"], "count": 0, "near_misses": 0})
        for entry in (month, department):
            entry["count"] += row["n"]
            entry["near_misses"] += near
    return {**counts, "by_kind": by_kind, "by_severity": by_severity, "by_month": by_month,
            "by_department": by_department, "departments": departments}


def incident_figures(start: dt.date, end: dt.date, company: int | None = None) -> dict:
    counts = _incident_counts(start, end, company)
    incidents = period_incidents(start, end, company)
    by_kind, by_severity, by_month = counts["by_kind"], counts["by_severity"], counts["by_month"]
    # Most incidents first, then by code (sorted here: an ORDER BY would make the database
    # group by sorting every incident instead of hashing them).
    departments = sorted(counts["by_department"].items(), key=lambda item: (-item[1]["count"], item[0]))
    return {
        "total": counts["total"],
        "near_misses": counts["near_misses"],
        "accidents": counts["total"] - counts["near_misses"],
        "dismissed": counts["dismissed"],
        "open": counts["open"],
        "by_kind": [{"kind": kind, "count": by_kind.get(kind, 0)} for kind in IncidentKind.values],
        "by_severity": [{"severity": severity, "count": by_severity[severity]}
                        for severity in SEVERITY_LEVELS if severity or by_severity[""]],
        "by_department": [
            {"code": code, "name": row["name"], "count": row["count"], "near_misses": row["near_misses"]}
            for code, row in departments
        ],
        "by_month": [
            {"month": month, "count": by_month.get(month, {}).get("count", 0),
             "near_misses": by_month.get(month, {}).get("near_misses", 0)}
            for month in _months(start, end)
        ],
        **durations(incidents, {"containment_hours": counts["contained"], "close_days": counts["closed"]}),
        "recurrence": recurrence(start, end, company, analysed=counts["analysed"],
                                 departments=counts["departments"]),
    }


# The times the review measures: discovery → `end field`, over the period's incidents that
# have it (and match the condition), in a unit.
SPANS = {
    "containment_hours": ("contained_at", Q(), dt.timedelta(hours=1)),
    "close_days": ("closed_at", Q(state=IncidentState.CLOSED), dt.timedelta(days=1)),
}


def durations(incidents: QuerySet[Incident], counts: dict[str, int]) -> dict[str, dict]:
    """{measure of SPANS: count, median and 90th percentile} over `incidents`, for the
    measures in `counts` with how many incidents have each (already counted): one query on
    PostgreSQL, one per measure on SQLite, none for a measure with nothing to measure.

    The spans are sorted once and only the one or two around each rank are read, then
    interpolated linearly here like PostgreSQL's percentile_cont, so that both databases
    give the same figures: on PostgreSQL by percentile_disc at fractions that fall on those
    ranks; on SQLite, which has no such aggregate, by numbering the sorted rows (ROW_NUMBER).
    """
    measured = {name: count for name, count in counts.items() if count}
    ranks = {name: sorted({rank for q in QUANTILES for rank in _ranks(count, q)}) for name, count in measured.items()}
    spans: dict[str, dict[int, dt.timedelta]] = {}
    if measured and connection.vendor == "postgresql":
        values = incidents.order_by().aggregate(**{
            name: ValuesAtRanks(Elapsed(SPANS[name][0], "discovered_at"), ranks[name], count,
                                filter=Q(**{f"{SPANS[name][0]}__isnull": False}) & SPANS[name][1])
            for name, count in measured.items()
        })
        spans = {name: dict(zip(ranks[name], values[name], strict=True)) for name in measured}
    else:
        for name in measured:
            end_field, among, _unit = SPANS[name]
            span = Elapsed(end_field, "discovered_at")
            spans[name] = dict(
                incidents.filter(among, **{f"{end_field}__isnull": False}).order_by()
                .annotate(span=span, rank=Window(RowNumber(), order_by=span.asc()))
                .filter(rank__in=ranks[name]).values_list("rank", "span")
            )
    return {
        name: {"count": count, "median": _quantile(spans[name], count, 0.5, SPANS[name][2]),
               "p90": _quantile(spans[name], count, 0.9, SPANS[name][2])}
        if count else {"count": 0, "median": None, "p90": None}
        for name, count in counts.items()
    }


QUANTILES = (0.5, 0.9)


def _ranks(count: int, q: float) -> tuple[int, int]:
    """The ranks (from 1) of the rows around the q-quantile of `count` sorted values."""
    lower = int((count - 1) * q)
    return lower + 1, min(lower + 2, count)


def _quantile(spans: dict[int, dt.timedelta], count: int, q: float, unit: dt.timedelta) -> float:
    position = (count - 1) * q
    low_rank, high_rank = _ranks(count, q)
    low, high = spans[low_rank], spans[high_rank]
    return round((low + (high - low) * (position - (low_rank - 1))) / unit, 1)


def recurrence(start: dt.date, end: dt.date, company: int | None = None, *, analysed: int,
               departments: Collection[int]) -> dict:
    """The period's incidents (of `company`) with an earlier one of the same cause category
    in the same department within twelve months; only incidents whose cause has been
    analysed (`analysed` of them, already counted) can count. `departments`: those of the
    period's incidents (already known), the only ones where an earlier incident matters.

    One pass (a window, not a subquery per incident): the incidents from twelve months
    before the period to its end, in order of discovery within each department and cause;
    for each, the number of incidents in the frame from twelve months before it to the
    microsecond before it: an incident discovered at the same moment is not "earlier", as
    it was not for the subquery this replaces. The earlier incident may be of any company
    (it is of the same department); an incident before the period counts only as an
    earlier one. Django cannot aggregate the result of a window, so the few lines of SQL
    around the ORM's query add up the department × cause table.
    """
    if not analysed:  # nothing that could recur: no query
        return {"analysed": 0, "recurring": 0, "rate": None, "pairs": []}
    first, after = _bounds(start, end)
    incidents = Incident.objects.exclude(state=IncidentState.DISMISSED).filter(
        cause__isnull=False, discovered_at__gte=first - RECURRENCE_WINDOW, discovered_at__lt=after)
    counted = Q(discovered_at__gte=first)
    if company is not None:
        counted &= Q(company_id=company)
        # Only the departments of the company's incidents (not "the company's departments":
        # a department may have moved to another company since).
        incidents = incidents.filter(department_id__in=sorted(departments))
    windowed = incidents.order_by().annotate(
        earlier=Window(Count("pk"), partition_by=[F("department_id"), F("cause_id")],
                       order_by=Instant("discovered_at").asc(), frame=Before(RECURRENCE_WINDOW)),
        counted=Case(When(counted, then=Value(1)), default=Value(0)),
    ).values("department_id", "cause_id", "earlier", "counted")
    sql, params = windowed.query.sql_with_params()
    department, cause = Department._meta.db_table, CauseCategory._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.name, c.code, c.name_ja, c.name_en, COUNT(*) AS n FROM ({sql}) w "
            f"JOIN {department} d ON d.id = w.department_id JOIN {cause} c ON c.id = w.cause_id "
            "WHERE w.earlier > 0 AND w.counted = 1 GROUP BY d.name, c.code, c.name_ja, c.name_en "
            "ORDER BY n DESC, d.name, c.code",
            params,
        )
        pairs = cursor.fetchall()
    recurring = sum(row[4] for row in pairs)
    return {
        "analysed": analysed,
        "recurring": recurring,
        "rate": _rate(recurring, analysed),
        "pairs": [{"department": name, "cause_ja": name_ja, "cause_en": name_en, "count": n}
                  for name, _code, name_ja, name_en, n in pairs],
    }


# ---------------------------------------------------------------------------
# (d) performance: the regulatory reports


TRACK_KEYS = ("total", "filed", "on_time", "late", "overdue", "pending", "not_required")


def _track_counts(start: dt.date, end: dt.date, company: int | None, by: str) -> dict:
    """{value of `by`: the counts of TRACK_KEYS} for the reports owed for the period's incidents."""
    now = timezone.now()
    filed = Q(state=TrackState.FILED)
    return {
        row[by]: row
        for row in ReportingTrack.objects.filter(incident__in=period_incidents(start, end, company)).order_by()
        .values(by).annotate(
            total=Count("pk"),
            filed=Count("pk", filter=filed),
            on_time=Count("pk", filter=filed & Q(filed_at__lte=F("limit_at"))),
            late=Count("pk", filter=filed & Q(filed_at__gt=F("limit_at"))),
            overdue=Count("pk", filter=Q(state=TrackState.PENDING, limit_at__lt=now)),
            pending=Count("pk", filter=Q(state=TrackState.PENDING, limit_at__gte=now)),
            not_required=Count("pk", filter=Q(state=TrackState.NOT_REQUIRED)),
        )
    }


def track_figures(start: dt.date, end: dt.date, company: int | None = None) -> dict:
    """The reports owed for the period's incidents, per recipient: filed on time or late,
    overdue, still within their limit, or not required."""
    rows = _track_counts(start, end, company, "kind")
    keys = TRACK_KEYS
    by_kind = [{"kind": kind, **{key: rows.get(kind, {}).get(key, 0) for key in keys}}
               for kind in TrackKind.values]
    totals = {key: sum(row[key] for row in by_kind) for key in keys}
    # The reports whose limit has been put to the test: filed (on time or late) or overdue.
    tested = totals["filed"] + totals["overdue"]
    return {"by_kind": [row for row in by_kind if row["total"]], "totals": totals,
            "on_time_rate": _rate(totals["on_time"], tested)}


# ---------------------------------------------------------------------------
# (d) performance: corrective and other actions


def period_actions(start: dt.date, end: dt.date, company: int | None = None) -> QuerySet[Action]:
    return _of(Action.objects, company).filter(due_date__gte=start, due_date__lte=end)


def _action_counts(due: QuerySet[Action], by: str) -> tuple[dict, dict[str, int]]:
    """({value of `by`: counts} of the actions `due` that were not cancelled: done on time,
    late, overdue, verified effective (at the first check or later), checked; {state: how
    many of all `due`}), from one grouped query."""
    today = timezone.localdate()
    completed = Q(implemented_at__isnull=False)
    # Actions an effectiveness check once found ineffective (their rounds remember): an
    # uncorrelated IN, which the database reads once (hashed), not once per action.
    failed = Q(pk__in=ActionRound.objects.filter(outcome=RoundOutcome.INEFFECTIVE).values("action_id"))
    rows: dict = {}
    states: dict[str, int] = {}
    for row in due.annotate(done_on=JapanDay("implemented_at")).order_by().values(by, "state").annotate(
        total=Count("pk"),
        completed=Count("pk", filter=completed),
        on_time=Count("pk", filter=completed & Q(done_on__lte=F("due_date"))),
        overdue=Count("pk", filter=Q(state__in=ACTION_WORK_STATES, due_date__lt=today)),
        not_yet_due=Count("pk", filter=Q(state__in=ACTION_WORK_STATES, due_date__gte=today)),
        failed=Count("pk", filter=failed),
    ):
        states[row["state"]] = states.get(row["state"], 0) + row["total"]
        if row["state"] == ActionState.CANCELLED:
            continue
        counts = rows.setdefault(row[by], dict.fromkeys(ACTION_KEYS, 0))
        is_effective = row["state"] == ActionState.EFFECTIVE
        effective_since = row["failed"] if is_effective else 0  # effective after a failed check
        for key in ("total", "completed", "on_time", "overdue", "not_yet_due"):
            counts[key] += row[key]
        counts["effective"] += row["total"] if is_effective else 0
        counts["effective_first_time"] += (row["total"] - effective_since) if is_effective else 0
        # checked at least once: verified effective now, or found ineffective before
        counts["checked"] += (row["total"] if is_effective else 0) + row["failed"] - effective_since
    return rows, states


ACTION_KEYS = ("total", "completed", "on_time", "overdue", "not_yet_due", "effective", "effective_first_time",
               "checked")


def action_figures(start: dt.date, end: dt.date, company: int | None = None) -> dict:
    """Actions due in the period: done on time, late, overdue, and verified effective."""
    rows, by_state = _action_counts(period_actions(start, end, company), "kind")
    keys = ACTION_KEYS
    by_kind = [{"kind": kind, **{key: rows.get(kind, {}).get(key, 0) for key in keys}}
               for kind in ActionKind.values]
    totals = {key: sum(row[key] for row in by_kind) for key in keys}
    totals["late"] = totals["completed"] - totals["on_time"]
    return {
        "by_kind": by_kind,
        "totals": totals,
        "by_state": [{"state": state, "count": by_state.get(state, 0)} for state in ActionState.values],
        "on_time_rate": _rate(totals["on_time"], totals["completed"] + totals["overdue"]),
        "effective_rate": _rate(totals["effective"], totals["checked"]),
    }


# ---------------------------------------------------------------------------
# (d) performance: audits, and (g) opportunities for improvement


def period_findings(start: dt.date, end: dt.date, company: int | None = None) -> QuerySet[Finding]:
    return _of(Finding.objects, company).filter(audit__planned_start__gte=start, audit__planned_start__lte=end)


def period_audits(start: dt.date, end: dt.date, company: int | None = None) -> QuerySet[Audit]:
    return _of(Audit.objects, company).filter(planned_start__gte=start, planned_start__lte=end).exclude(
        state=AuditState.CANCELLED
    )


AUDIT_COUNTS = {
    "total": Count("pk"),
    "internal": Count("pk", filter=Q(kind=AuditKind.INTERNAL)),
    "operational_checks": Count("pk", filter=Q(kind=AuditKind.OPERATIONAL_CHECK)),
    "reported": Count("pk", filter=Q(state__in=[AuditState.REPORTED, AuditState.CLOSED])),
}


def _coverage_of_departments(start: dt.date, end: dt.date, company: int | None = None) -> list[dict]:
    """Each department (of `company`) with whether a reported internal audit of the period
    covered it, and whether one is planned."""
    covered = Audit.objects.filter(
        departments=OuterRef("pk"), kind=AuditKind.INTERNAL, planned_start__gte=start, planned_start__lte=end,
        state__in=[AuditState.REPORTED, AuditState.CLOSED],
    )
    planned = Audit.objects.filter(
        departments=OuterRef("pk"), kind=AuditKind.INTERNAL, planned_start__gte=start, planned_start__lte=end,
    ).exclude(state=AuditState.CANCELLED)
    return list(
        _of(Department.objects, company).annotate(covered=Exists(covered), planned=Exists(planned))
        .values("code", "name", "company_id", "covered", "planned").order_by("code")
    )


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _response_counts(among: Q | None = None) -> dict:
    """Counts of the response deadlines (回答期限), for findings annotated by _answered()
    (those matching `among`, all by default): answered (left the open state) after the
    deadline, and still unanswered past it."""
    among = among or Q()
    return {
        "answered_late": Count("pk", filter=among & ~Q(state=FindingState.OPEN) & Q(
            response_due__isnull=False, answered_on__gt=F("response_due"))),
        "response_overdue": Count("pk", filter=among & Q(state=FindingState.OPEN,
                                                          response_due__lt=timezone.localdate())),
    }


def _answered(findings: QuerySet[Finding]) -> QuerySet[Finding]:
    """Findings with `answered_on`: the day (in Japan) of the response, or of a close without one."""
    return findings.annotate(answered_on=JapanDay(Coalesce("responded_at", "closed_at")))


def audit_figures(start: dt.date, end: dt.date, company: int | None = None) -> dict:
    audit_counts = period_audits(start, end, company).order_by().aggregate(**AUDIT_COUNTS)
    findings = period_findings(start, end, company)
    is_open = ~Q(state=FindingState.CLOSED)
    # The grades of the period and of the year before, and the response deadlines, in one
    # grouped query (a period of two years overlaps the year before: its findings count in both).
    this_period = Q(audit__planned_start__gte=start, audit__planned_start__lte=end)
    year_before = Q(audit__planned_start__gte=_year_before(start), audit__planned_start__lte=_year_before(end))
    grades = {row["grade"]: row for row in _answered(_of(Finding.objects, company).filter(this_period | year_before))
              .order_by().values("grade").annotate(
        n=Count("pk", filter=this_period), open=Count("pk", filter=this_period & is_open),
        previous=Count("pk", filter=year_before), **_response_counts(this_period))}
    nonconformity = Q(grade__in=NONCONFORMITIES)
    by_clause = (
        findings.order_by()
        .values("requirement__standard", "requirement__edition", "requirement__clause",
                "requirement__title_ja", "requirement__title_en")
        .annotate(n=Count("pk"), nonconformities=Count("pk", filter=nonconformity))
        .order_by("-n", "requirement__standard", "requirement__clause")
    )
    by_department = (
        findings.order_by().values("department__code", "department__name")
        .annotate(n=Count("pk"), nonconformities=Count("pk", filter=nonconformity), open=Count("pk", filter=is_open))
        .order_by("-n", "department__code")
    )
    departments = _coverage_of_departments(start, end, company)
    return {
        "audits": audit_counts,
        "by_grade": [
            {"grade": grade, "count": grades.get(grade, {}).get("n", 0), "open": grades.get(grade, {}).get("open", 0),
             "previous": grades.get(grade, {}).get("previous", 0),
             "answered_late": grades.get(grade, {}).get("answered_late", 0),
             "response_overdue": grades.get(grade, {}).get("response_overdue", 0)}
            for grade in Grade.values
        ],
        "findings_total": sum(row["n"] for row in grades.values()),
        "findings_open": sum(row["open"] for row in grades.values()),
        # Responses given after their deadline, and those still missing past it (today).
        "findings_answered_late": sum(row["answered_late"] for row in grades.values()),
        "findings_response_overdue": sum(row["response_overdue"] for row in grades.values()),
        "by_clause": [
            {"standard": row["requirement__standard"], "edition": row["requirement__edition"],
             "clause": row["requirement__clause"], "title_ja": row["requirement__title_ja"],
             "title_en": row["requirement__title_en"], "count": row["n"],
             "nonconformities": row["nonconformities"]}
            for row in by_clause
        ],
        "by_department": [
            {"code": row["department__code"], "name": row["department__name"], "count": row["n"],
             "nonconformities": row["nonconformities"], "open": row["open"]}
            for row in by_department
        ],
        "coverage": {
            "departments": len(departments),
            "covered": sum(d["covered"] for d in departments),
            "rate": _rate(sum(d["covered"] for d in departments), len(departments)),
            "not_covered": [{"code": d["code"], "name": d["name"], "planned": d["planned"]}
                            for d in departments if not d["covered"]],
        },
    }


def opportunities(start: dt.date, end: dt.date, company: int | None = None) -> list[dict]:
    """(g) The findings graded as opportunities for improvement."""
    return [
        {"reference": row["reference"], "clause": row["requirement__clause"], "department": row["department__name"],
         "description": row["description"], "state": row["state"]}
        for row in period_findings(start, end, company).filter(grade=Grade.OPPORTUNITY).order_by("reference")
        .values("reference", "requirement__clause", "department__name", "description", "state")
    ]


# ---------------------------------------------------------------------------
# The same period a year earlier: the headline figures only

# previous_year_figures() reads the database at most this many times, however many records there are.
PREVIOUS_YEAR_QUERIES = 7


def previous_year_figures(start: dt.date, end: dt.date, company: int | None = None) -> dict:
    """The headline figures (incidents, containment, reports and actions on time, actions
    effective, recurrence, audit coverage, requests answered on time) of the period a year
    before `start`–`end`, counted as this period's are. The findings of that year are
    already in audit_figures()' by_grade ("previous"). At most PREVIOUS_YEAR_QUERIES queries."""
    start, end = _year_before(start), _year_before(end)
    incidents = period_incidents(start, end, company)
    by_department = list(incidents.order_by().values("department_id").annotate(  # 1
        total=Count("pk"), near_misses=Count("pk", filter=Q(kind=IncidentKind.NEAR_MISS)),
        contained=Count("contained_at"), analysed=Count("pk", filter=Q(cause__isnull=False))))
    counts = {key: sum(row[key] for row in by_department) for key in ("total", "near_misses", "contained", "analysed")}
    track_rows = _track_counts(start, end, company, "kind").values()  # 1
    tracks = {key: sum(row[key] for row in track_rows) for key in TRACK_KEYS}
    action_rows = _action_counts(period_actions(start, end, company), "kind")[0].values()  # 1
    actions = {key: sum(row[key] for row in action_rows) for key in ACTION_KEYS}
    repeated = recurrence(start, end, company, analysed=counts["analysed"],  # 1
                          departments={row["department_id"] for row in by_department})
    departments = _coverage_of_departments(start, end, company)  # 1
    covered = sum(d["covered"] for d in departments)
    requests = _request_timeliness(start, end, company)  # 1
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        # Nothing at all recorded that year (before the system was in use): nothing to compare with.
        "empty": not (counts["total"] or tracks["total"] or actions["total"] or covered or requests["total"]),
        "incidents": {"total": counts["total"], "near_misses": counts["near_misses"],
                      "accidents": counts["total"] - counts["near_misses"]},
        **durations(incidents, {"containment_hours": counts["contained"]}),  # 1 (0 when none)
        "tracks": {**tracks, "on_time_rate": _rate(tracks["on_time"], tracks["filed"] + tracks["overdue"])},
        "actions": {**actions, "on_time_rate": _rate(actions["on_time"], actions["completed"] + actions["overdue"]),
                    "effective_rate": _rate(actions["effective"], actions["checked"])},
        "recurrence": {key: repeated[key] for key in ("analysed", "recurring", "rate")},
        "coverage": {"departments": len(departments), "covered": covered, "rate": _rate(covered, len(departments))},
        "requests": requests,
    }


def _request_timeliness(start: dt.date, end: dt.date, company: int | None) -> dict:
    """Requests from individuals received in the period: answered on time, late, or open
    past their due date, counted as incidents.case_figures counts them (one query)."""
    answered = Q(sent_on__isnull=False) & ~Q(state=RequestState.WITHDRAWN)
    counts = period_requests(start, end, company).order_by().aggregate(
        total=Count("pk"),
        on_time=Count("pk", filter=answered & Q(sent_on__lte=F("due_on"))),
        late=Count("pk", filter=answered & Q(sent_on__gt=F("due_on"))),
        overdue=Count("pk", filter=Q(state__in=REQUEST_OPEN_STATES, paused_since__isnull=True,
                                     due_on__lt=timezone.localdate())),
    )
    return {**counts, "on_time_rate": _rate(counts["on_time"], counts["on_time"] + counts["late"] + counts["overdue"])}


# ---------------------------------------------------------------------------
# The group: its figures company by company, and the incidents of jointly used data


def company_breakdown(start: dt.date, end: dt.date, companies: list[dict]) -> list[dict]:
    """The main figures of each company (`companies`: id, code, name, corporate number), in
    that order, each record counted for its own company only: the group's figures are their
    sum. A fixed number of grouped queries, however many companies and records."""
    first, after = _bounds(start, end)
    dismissed = Q(state=IncidentState.DISMISSED)
    incidents = {
        row["company_id"]: row
        for row in Incident.objects.filter(discovered_at__gte=first, discovered_at__lt=after).order_by()
        .values("company_id").annotate(
            total=Count("pk", filter=~dismissed),
            near_misses=Count("pk", filter=~dismissed & Q(kind=IncidentKind.NEAR_MISS)),
            open=Count("pk", filter=~Q(state__in=[IncidentState.CLOSED, IncidentState.DISMISSED])),
            dismissed=Count("pk", filter=dismissed),
        )
    }
    tracks = _track_counts(start, end, None, "incident__company_id")
    actions = _action_counts(period_actions(start, end), "company_id")[0]
    audits = {row["company_id"]: row for row in period_audits(start, end).order_by().values("company_id")
              .annotate(**AUDIT_COUNTS)}
    findings = {
        row["company_id"]: row
        for row in _answered(period_findings(start, end)).order_by().values("company_id").annotate(
            total=Count("pk"), nonconformities=Count("pk", filter=Q(grade__in=NONCONFORMITIES)),
            open=Count("pk", filter=~Q(state=FindingState.CLOSED)), **_response_counts(),
        )
    }
    departments: dict[int, list[dict]] = {}
    for department in _coverage_of_departments(start, end):
        departments.setdefault(department["company_id"], []).append(department)

    rows = []
    for company in companies:
        key = company["id"]
        incident = incidents.get(key, {})
        track = {name: tracks.get(key, {}).get(name, 0) for name in TRACK_KEYS}
        action = {name: actions.get(key, {}).get(name, 0) for name in ACTION_KEYS}
        action["late"] = action["completed"] - action["on_time"]
        own = departments.get(key, [])
        covered = sum(d["covered"] for d in own)
        rows.append({
            **_company_entry(company),
            "incidents": {
                "total": incident.get("total", 0), "near_misses": incident.get("near_misses", 0),
                "accidents": incident.get("total", 0) - incident.get("near_misses", 0),
                "open": incident.get("open", 0), "dismissed": incident.get("dismissed", 0),
            },
            "tracks": {**track, "on_time_rate": _rate(track["on_time"], track["filed"] + track["overdue"])},
            "actions": {**action,
                        "on_time_rate": _rate(action["on_time"], action["completed"] + action["overdue"]),
                        "effective_rate": _rate(action["effective"], action["checked"])},
            "audits": {name: audits.get(key, {}).get(name, 0) for name in AUDIT_COUNTS},
            "findings": {name: findings.get(key, {}).get(name, 0)
                         for name in ("total", "nonconformities", "open", "answered_late", "response_overdue")},
            "coverage": {"departments": len(own), "covered": covered, "rate": _rate(covered, len(own))},
        })
    return rows


def joint_use_incidents(start: dt.date, end: dt.date, company: int) -> list[dict]:
    """The other companies' incidents of the period that involve the personal data
    `company` is responsible for (共同利用): listed in its review, not counted in it."""
    rows = (
        period_incidents(start, end).filter(joint_use_company_id=company).exclude(company_id=company)
        .order_by("discovered_at", "pk")
        .values("reference", "title", "kind", "severity", "state", "discovered_at", "affected_count",
                "company__code", "company__name", "department__name")
    )
    return [
        {"reference": row["reference"], "title": row["title"], "kind": row["kind"], "severity": row["severity"],
         "state": row["state"], "discovered_at": row["discovered_at"].isoformat(),
         "affected_count": row["affected_count"], "company_code": row["company__code"],
         "company": row["company__name"], "department": row["department__name"]}
        for row in rows
    ]
