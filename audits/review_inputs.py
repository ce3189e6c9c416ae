"""The inputs of a management review, assembled from the records (ISO/IEC 27001 9.3.2 a–g).

Every figure is aggregated by the database: assembling a review takes the same number of
queries for a hundred records as for ten thousand (the tests count them, bench/ measures
the time). The result is plain JSON (codes rather than translated labels, names as they
are today) because submitting a review stores it as the snapshot that executives approve
and the PDF prints, in Japanese or in English.

What "in the period" means for each record:
- incidents and their reports: discovered in the period;
- actions: due in the period (what the company committed to finish then);
- audits and findings: audits planned to start in the period.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from incidents.clocks import JAPAN
from incidents.models import (
    ACTION_WORK_STATES,
    Action,
    ActionKind,
    ActionRound,
    ActionState,
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

from .models import NONCONFORMITIES, Audit, AuditKind, AuditState, Finding, FindingState, Grade
from .models.review import TEXT_INPUTS, Review, ReviewDecision, ReviewState

SNAPSHOT_VERSION = 1

# "Recurrence": an incident of the same cause category in the same department within the
# twelve months before (domain.md §5.3).
RECURRENCE_WINDOW = dt.timedelta(days=365)


def assemble(review: Review) -> dict:
    """Every input of `review`, as JSON-ready data."""
    start, end = review.period_start, review.period_end
    return {
        "version": SNAPSHOT_VERSION,
        "reference": review.reference,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "assembled_at": timezone.now().isoformat(),
        "previous_review": previous_review(review),
        "incidents": incident_figures(start, end),
        "tracks": track_figures(start, end),
        "actions": action_figures(start, end),
        "audits": audit_figures(start, end),
        "opportunities": opportunities(start, end),
        "texts": {name: getattr(review, name) for name in (*TEXT_INPUTS, "improvement_notes")},
    }


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
        Review.objects.filter(state=ReviewState.APPROVED, period_end__lt=review.period_start)
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


def period_incidents(start: dt.date, end: dt.date) -> QuerySet[Incident]:
    """Incidents and near misses discovered in the period (dismissed reports are not incidents)."""
    first, after = _bounds(start, end)
    return Incident.objects.filter(discovered_at__gte=first, discovered_at__lt=after).exclude(
        state=IncidentState.DISMISSED
    )


def _months(start: dt.date, end: dt.date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _counts(queryset: QuerySet, field: str) -> dict[str, int]:
    return {row[field]: row["n"] for row in queryset.order_by().values(field).annotate(n=Count("pk"))}


def incident_figures(start: dt.date, end: dt.date) -> dict:
    incidents = period_incidents(start, end)
    first, after = _bounds(start, end)
    dismissed = Incident.objects.filter(
        discovered_at__gte=first, discovered_at__lt=after, state=IncidentState.DISMISSED
    ).count()

    by_kind = _counts(incidents, "kind")
    by_severity = _counts(incidents, "severity")
    total = sum(by_kind.values())
    near_misses = by_kind.get(IncidentKind.NEAR_MISS, 0)

    by_month = {
        timezone.localtime(row["month"], JAPAN).strftime("%Y-%m"): row
        for row in incidents.order_by().annotate(month=TruncMonth("discovered_at", tzinfo=JAPAN))
        .values("month").annotate(n=Count("pk"), near_misses=Count("pk", filter=Q(kind=IncidentKind.NEAR_MISS)))
    }
    by_department = list(
        incidents.order_by().values("department__code", "department__name")
        .annotate(n=Count("pk"), near_misses=Count("pk", filter=Q(kind=IncidentKind.NEAR_MISS)))
        .order_by("-n", "department__code")
    )
    return {
        "total": total,
        "near_misses": near_misses,
        "accidents": total - near_misses,
        "dismissed": dismissed,
        "open": incidents.open().count(),
        "by_kind": [{"kind": kind, "count": by_kind.get(kind, 0)} for kind in IncidentKind.values],
        "by_severity": [{"severity": severity, "count": by_severity.get(severity, 0)}
                        for severity in [*Severity.values, ""] if severity or by_severity.get("")],
        "by_department": [
            {"code": row["department__code"], "name": row["department__name"], "count": row["n"],
             "near_misses": row["near_misses"]}
            for row in by_department
        ],
        "by_month": [
            {"month": month, "count": by_month[month]["n"] if month in by_month else 0,
             "near_misses": by_month[month]["near_misses"] if month in by_month else 0}
            for month in _months(start, end)
        ],
        "containment_hours": durations(incidents, "contained_at", unit=dt.timedelta(hours=1)),
        "close_days": durations(incidents.filter(state=IncidentState.CLOSED), "closed_at",
                                unit=dt.timedelta(days=1)),
        "recurrence": recurrence(incidents),
    }


def durations(incidents: QuerySet[Incident], end_field: str, *, unit: dt.timedelta) -> dict:
    """Median and 90th percentile of discovery → `end_field`, in `unit`s (3 queries).

    Portable percentiles: count the rows, then read the one or two values around each rank
    from the database in order (LIMIT/OFFSET), interpolating linearly between them like
    PostgreSQL's percentile_cont, so SQLite gives the same figures.
    """
    span = ExpressionWrapper(F(end_field) - F("discovered_at"), output_field=DurationField())
    ordered = (incidents.filter(**{f"{end_field}__isnull": False}).annotate(span=span)
               .order_by("span", "pk").values_list("span", flat=True))
    count = ordered.count()
    if not count:
        return {"count": 0, "median": None, "p90": None}
    return {"count": count, "median": _quantile(ordered, count, 0.5, unit),
            "p90": _quantile(ordered, count, 0.9, unit)}


def _quantile(ordered: QuerySet, count: int, q: float, unit: dt.timedelta) -> float:
    position = (count - 1) * q
    lower = int(position)
    values = list(ordered[lower:lower + 2])
    low, high = values[0], values[-1]
    return round((low + (high - low) * (position - lower)) / unit, 1)


def recurrence(incidents: QuerySet[Incident]) -> dict:
    """Incidents with an earlier one of the same cause category in the same department
    within twelve months; only incidents whose cause has been analysed can count."""
    earlier = Incident.objects.exclude(state=IncidentState.DISMISSED).filter(
        cause_id=OuterRef("cause_id"),
        department_id=OuterRef("department_id"),
        discovered_at__lt=OuterRef("discovered_at"),
        discovered_at__gte=ExpressionWrapper(OuterRef("discovered_at") - RECURRENCE_WINDOW,
                                             output_field=DateTimeField()),
    )
    analysed = incidents.filter(cause__isnull=False)
    # The correlated subquery runs once per incident in the WHERE clause (an index on
    # department, cause and discovery time serves it); the grouped rows add up to the total.
    pairs = list(
        analysed.filter(Exists(earlier)).order_by()
        .values("department__name", "cause__code", "cause__name_ja", "cause__name_en")
        .annotate(n=Count("pk")).order_by("-n", "department__name", "cause__code")
    )
    totals = {"analysed": analysed.count(), "recurring": sum(row["n"] for row in pairs)}
    return {
        "analysed": totals["analysed"],
        "recurring": totals["recurring"],
        "rate": _rate(totals["recurring"], totals["analysed"]),
        "pairs": [
            {"department": row["department__name"], "cause_ja": row["cause__name_ja"],
             "cause_en": row["cause__name_en"], "count": row["n"]}
            for row in pairs
        ],
    }


# ---------------------------------------------------------------------------
# (d) performance: the regulatory reports


def track_figures(start: dt.date, end: dt.date) -> dict:
    """The reports owed for the period's incidents, per recipient: filed on time or late,
    overdue, still within their limit, or not required."""
    now = timezone.now()
    filed = Q(state=TrackState.FILED)
    rows = {
        row["kind"]: row
        for row in ReportingTrack.objects.filter(incident__in=period_incidents(start, end)).order_by()
        .values("kind").annotate(
            total=Count("pk"),
            filed=Count("pk", filter=filed),
            on_time=Count("pk", filter=filed & Q(filed_at__lte=F("limit_at"))),
            late=Count("pk", filter=filed & Q(filed_at__gt=F("limit_at"))),
            overdue=Count("pk", filter=Q(state=TrackState.PENDING, limit_at__lt=now)),
            pending=Count("pk", filter=Q(state=TrackState.PENDING, limit_at__gte=now)),
            not_required=Count("pk", filter=Q(state=TrackState.NOT_REQUIRED)),
        )
    }
    keys = ("total", "filed", "on_time", "late", "overdue", "pending", "not_required")
    by_kind = [{"kind": kind, **{key: rows.get(kind, {}).get(key, 0) for key in keys}}
               for kind in TrackKind.values]
    totals = {key: sum(row[key] for row in by_kind) for key in keys}
    # The reports whose limit has been put to the test: filed (on time or late) or overdue.
    tested = totals["filed"] + totals["overdue"]
    return {"by_kind": [row for row in by_kind if row["total"]], "totals": totals,
            "on_time_rate": _rate(totals["on_time"], tested)}


# ---------------------------------------------------------------------------
# (d) performance: corrective and other actions


def action_figures(start: dt.date, end: dt.date) -> dict:
    """Actions due in the period: done on time, late, overdue, and verified effective."""
    today = timezone.localdate()
    due = Action.objects.filter(due_date__gte=start, due_date__lte=end)
    live = due.exclude(state=ActionState.CANCELLED).annotate(done_on=TruncDate("implemented_at", tzinfo=JAPAN))
    completed = Q(implemented_at__isnull=False)
    rows = {
        row["kind"]: row
        for row in live.order_by().values("kind").annotate(
            total=Count("pk"),
            completed=Count("pk", filter=completed),
            on_time=Count("pk", filter=completed & Q(done_on__lte=F("due_date"))),
            overdue=Count("pk", filter=Q(state__in=ACTION_WORK_STATES, due_date__lt=today)),
            not_yet_due=Count("pk", filter=Q(state__in=ACTION_WORK_STATES, due_date__gte=today)),
            effective=Count("pk", filter=Q(state=ActionState.EFFECTIVE)),
        )
    }
    # Actions an effectiveness check once found ineffective (their rounds remember), in a
    # query of their own: an uncorrelated IN runs once, not once per action.
    failed_checks = ActionRound.objects.filter(outcome=RoundOutcome.INEFFECTIVE).values("action_id")
    failed = {
        row["kind"]: row
        for row in live.filter(pk__in=failed_checks).order_by().values("kind").annotate(
            failed=Count("pk"), effective_since=Count("pk", filter=Q(state=ActionState.EFFECTIVE)),
        )
    }
    for kind, row in rows.items():
        failed_row = failed.get(kind, {"failed": 0, "effective_since": 0})
        row["effective_first_time"] = row["effective"] - failed_row["effective_since"]
        # checked at least once: verified effective now, or found ineffective before
        row["checked"] = row["effective"] + failed_row["failed"] - failed_row["effective_since"]
    keys = ("total", "completed", "on_time", "overdue", "not_yet_due", "effective", "effective_first_time",
            "checked")
    by_kind = [{"kind": kind, **{key: rows.get(kind, {}).get(key, 0) for key in keys}}
               for kind in ActionKind.values]
    totals = {key: sum(row[key] for row in by_kind) for key in keys}
    totals["late"] = totals["completed"] - totals["on_time"]
    by_state = _counts(due, "state")
    return {
        "by_kind": by_kind,
        "totals": totals,
        "by_state": [{"state": state, "count": by_state.get(state, 0)} for state in ActionState.values],
        "on_time_rate": _rate(totals["on_time"], totals["completed"] + totals["overdue"]),
        "effective_rate": _rate(totals["effective"], totals["checked"]),
    }


# ---------------------------------------------------------------------------
# (d) performance: audits, and (g) opportunities for improvement


def period_findings(start: dt.date, end: dt.date) -> QuerySet[Finding]:
    return Finding.objects.filter(audit__planned_start__gte=start, audit__planned_start__lte=end)


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def audit_figures(start: dt.date, end: dt.date) -> dict:
    audits = Audit.objects.filter(planned_start__gte=start, planned_start__lte=end).exclude(
        state=AuditState.CANCELLED
    )
    audit_counts = audits.order_by().aggregate(
        total=Count("pk"),
        internal=Count("pk", filter=Q(kind=AuditKind.INTERNAL)),
        operational_checks=Count("pk", filter=Q(kind=AuditKind.OPERATIONAL_CHECK)),
        reported=Count("pk", filter=Q(state__in=[AuditState.REPORTED, AuditState.CLOSED])),
    )
    findings = period_findings(start, end)
    is_open = ~Q(state=FindingState.CLOSED)
    grades = {row["grade"]: row for row in findings.order_by().values("grade").annotate(
        n=Count("pk"), open=Count("pk", filter=is_open))}
    previous = _counts(period_findings(_year_before(start), _year_before(end)), "grade")
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
    covered = Audit.objects.filter(
        departments=OuterRef("pk"), kind=AuditKind.INTERNAL, planned_start__gte=start, planned_start__lte=end,
        state__in=[AuditState.REPORTED, AuditState.CLOSED],
    )
    planned = Audit.objects.filter(
        departments=OuterRef("pk"), kind=AuditKind.INTERNAL, planned_start__gte=start, planned_start__lte=end,
    ).exclude(state=AuditState.CANCELLED)
    departments = list(
        Department.objects.annotate(covered=Exists(covered), planned=Exists(planned))
        .values("code", "name", "covered", "planned").order_by("code")
    )
    return {
        "audits": audit_counts,
        "by_grade": [
            {"grade": grade, "count": grades.get(grade, {}).get("n", 0), "open": grades.get(grade, {}).get("open", 0),
             "previous": previous.get(grade, 0)}
            for grade in Grade.values
        ],
        "findings_total": sum(row["n"] for row in grades.values()),
        "findings_open": sum(row["open"] for row in grades.values()),
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


def opportunities(start: dt.date, end: dt.date) -> list[dict]:
    """(g) The findings graded as opportunities for improvement."""
    return [
        {"reference": row["reference"], "clause": row["requirement__clause"], "department": row["department__name"],
         "description": row["description"], "state": row["state"]}
        for row in period_findings(start, end).filter(grade=Grade.OPPORTUNITY).order_by("reference")
        .values("reference", "requirement__clause", "department__name", "description", "state")
    ]
