"""The hand-written limit of the management review's inputs: the same figures as
audits.review_inputs.assemble(), computed by SQL written by hand, and a check that they
are equal.

    .venv/bin/python bench/review_sql.py                 # the newest review of DATABASE_URL's database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pms_bench_review .venv/bin/python bench/review_sql.py

bench/review_scale.py builds the records and prints this limit beside the project's time in
the same run; run alone, this reads the newest review of an existing database, checks the
figures and times both (median of --runs).

What it computes by hand, for the period and the company of the review (or the group):
(d) the incidents (totals, by kind, severity, department and month, still open, dismissed,
the median and 90th percentile of the time to contain and to close, recurrence with its
department × cause table), the regulatory reports (by recipient: filed on time or late,
overdue, not yet due, not required), the actions (by kind and by state, completed on time,
overdue, effective, effective at the first check, checked), the audits and findings (by
grade with the previous year's, answered late, unanswered past the deadline, by clause, by
department, coverage of the departments); (g) the opportunities for improvement; the same
headline figures a year earlier; the other companies' incidents of jointly used data.

What it leaves to the project's own code, called the same way on both sides of the
comparison so that the two do the same work: (a) the previous review's decisions, (e) the
requests and complaints (incidents.case_figures) and the previous year's requests on time,
and the list of companies: a few queries over a few rows, whatever the number of incidents.

Written the way one would by hand: one grouped pass over the period's incidents for every
count (by department × kind × month, severities and states as conditional counts), the
percentiles by percentile_cont on PostgreSQL (on SQLite, which has none, the two rows around
each rank by ROW_NUMBER), recurrence as a count over a window frame of the twelve months
before each incident, one pass over the actions with the failed checks joined once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

SEVERITIES = ("L0", "L1", "L2", "L3", "L4")
WORK_STATES = ("planned", "in_progress")
WINDOW_DAYS = 365  # audits.review_inputs.RECURRENCE_WINDOW


# ---------------------------------------------------------------------------
# The SQL that differs by database


def _dialect(vendor: str) -> dict[str, str]:
    """Expressions written once per database: Japan's month and day of a moment (Japan has
    kept +9 hours since 1951), the microseconds of a moment (SQLite keeps text)."""
    if vendor == "postgresql":
        return {
            "month": "to_char({0} AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM')",
            "day": "({0} AT TIME ZONE 'Asia/Tokyo')::date",
            "order_moment": "{0}",
            "frame": f"RANGE BETWEEN INTERVAL '{WINDOW_DAYS} days' PRECEDING AND INTERVAL '1 microsecond' PRECEDING",
        }
    micro = "(CAST(strftime('%%s', {0}) AS INTEGER) * 1000000 + CAST(substr({0} || '.000000', 21, 6) AS INTEGER))"
    return {
        "month": "strftime('%%Y-%%m', {0}, '+9 hours')",
        "day": "date({0}, '+9 hours')",
        "order_moment": micro,
        "micro": micro,
        "frame": f"RANGE BETWEEN {WINDOW_DAYS * 86_400_000_000} PRECEDING AND 1 PRECEDING",
    }


def _company(column: str, company: int | None) -> tuple[str, list]:
    return ("", []) if company is None else (f" AND {column} = %s", [company])


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _rows(sql: str, params: list) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class Hand:
    """The figures of one period (and company) by hand-written SQL."""

    def __init__(self, start: dt.date, end: dt.date, company: int | None):
        from django.db import connection
        from django.utils import timezone

        from incidents.clocks import JAPAN

        self.vendor = connection.vendor
        self.sql = _dialect(self.vendor)
        self.ops = connection.ops
        self.start, self.end, self.company = start, end, company
        after = end + dt.timedelta(days=1)
        self.first = dt.datetime.combine(start, dt.time.min, tzinfo=JAPAN)
        self.after = dt.datetime.combine(after, dt.time.min, tzinfo=JAPAN)
        self.now = timezone.now()
        self.today = timezone.localdate()

    def moment(self, value: dt.datetime):
        return self.ops.adapt_datetimefield_value(value)

    def day(self, value: dt.date):
        return self.ops.adapt_datefield_value(value)

    # -- incidents -------------------------------------------------------------------

    def incident_counts(self) -> dict:
        """Every count of the period's incidents in one grouped pass."""
        month = self.sql["month"].format("i.discovered_at")
        where, params = _company("i.company_id", self.company)
        live = "i.state <> 'dismissed'"
        severities = ", ".join(f"COUNT(*) FILTER (WHERE {live} AND i.severity = '{s}')" for s in (*SEVERITIES, ""))
        rows = _rows(
            f"""SELECT d.code, d.name, i.kind, {month},
                       COUNT(*) FILTER (WHERE {live}),
                       COUNT(*) FILTER (WHERE i.state = 'dismissed'),
                       COUNT(*) FILTER (WHERE i.state NOT IN ('closed', 'dismissed')),
                       COUNT(*) FILTER (WHERE {live} AND i.cause_id IS NOT NULL),
                       COUNT(i.contained_at) FILTER (WHERE {live}),
                       COUNT(i.closed_at) FILTER (WHERE i.state = 'closed'),
                       {severities}
                FROM incidents_incident i JOIN incidents_department d ON d.id = i.department_id
                WHERE i.discovered_at >= %s AND i.discovered_at < %s{where}
                GROUP BY 1, 2, 3, 4""",
            [self.moment(self.first), self.moment(self.after), *params],
        )
        counts = {"total": 0, "near_misses": 0, "dismissed": 0, "open": 0, "analysed": 0, "contained": 0,
                  "closed": 0, "by_kind": {}, "by_severity": dict.fromkeys((*SEVERITIES, ""), 0),
                  "by_month": {}, "by_department": {}}
        for code, name, kind, month_key, n, dismissed, still_open, analysed, contained, closed, *severity in rows:
            near = n if kind == "near_miss" else 0
            counts["total"] += n
            counts["near_misses"] += near
            counts["dismissed"] += dismissed
            counts["open"] += still_open
            counts["analysed"] += analysed
            counts["contained"] += contained
            counts["closed"] += closed
            if n:
                counts["by_kind"][kind] = counts["by_kind"].get(kind, 0) + n
                for level, number in zip((*SEVERITIES, ""), severity, strict=True):
                    counts["by_severity"][level] += number
                row = counts["by_month"].setdefault(month_key, [0, 0])
                row[0] += n
                row[1] += near
                row = counts["by_department"].setdefault((code, name), [0, 0])
                row[0] += n
                row[1] += near
        return counts

    def percentiles(self, counts: dict) -> dict:
        """{"contained": (median, p90), "closed": (median, p90)} as timedeltas."""
        where, params = _company("company_id", self.company)
        base = [self.moment(self.first), self.moment(self.after), *params]
        if self.vendor == "postgresql":
            contained, closed = _rows(
                f"""SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY contained_at - discovered_at)
                               FILTER (WHERE contained_at IS NOT NULL),
                           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY closed_at - discovered_at)
                               FILTER (WHERE state = 'closed' AND closed_at IS NOT NULL)
                    FROM incidents_incident
                    WHERE discovered_at >= %s AND discovered_at < %s AND state <> 'dismissed'{where}""",
                base,
            )[0]
            return {"contained": tuple(contained or (None, None)), "closed": tuple(closed or (None, None))}
        micro = self.sql["micro"]
        found = {}
        for name, end, extra in (("contained", "contained_at", ""), ("closed", "closed_at", " AND state = 'closed'")):
            count = counts[name]
            if not count:
                found[name] = (None, None)
                continue
            ranks = [int((count - 1) * q) + step for q in (0.5, 0.9) for step in (1, 2)]
            span = f"{micro.format(end)} - {micro.format('discovered_at')}"
            values = dict(_rows(
                f"""SELECT rn, span FROM (
                        SELECT {span} AS span, ROW_NUMBER() OVER (ORDER BY {span}) AS rn
                        FROM incidents_incident
                        WHERE discovered_at >= %s AND discovered_at < %s AND state <> 'dismissed'
                          AND {end} IS NOT NULL{extra}{where}
                    ) WHERE rn IN (%s, %s, %s, %s)""",
                [*base, *ranks],
            ))
            found[name] = tuple(_interpolate(values, count, q) for q in (0.5, 0.9))
        return found

    def recurrence(self, analysed: int) -> dict:
        """Each incident of the period counted when the window frame of the twelve months
        before it (to the microsecond before: not its ties) holds one of its department and cause."""
        order = self.sql["order_moment"].format("discovered_at")
        departments, params = "", []
        if self.company is not None:
            departments, params = " AND department_id IN (SELECT id FROM incidents_department WHERE company_id = %s)", [
                self.company]
        where, company = _company("w.company_id", self.company)
        rows = _rows(
            f"""SELECT d.name, c.code, c.name_ja, c.name_en, COUNT(*) FROM (
                    SELECT department_id, cause_id, company_id, discovered_at,
                           COUNT(*) OVER (PARTITION BY department_id, cause_id ORDER BY {order}
                                          {self.sql['frame']}) AS earlier
                    FROM incidents_incident
                    WHERE state <> 'dismissed' AND cause_id IS NOT NULL
                      AND discovered_at >= %s AND discovered_at < %s{departments}
                ) w
                JOIN incidents_department d ON d.id = w.department_id
                JOIN incidents_causecategory c ON c.id = w.cause_id
                WHERE w.earlier > 0 AND w.discovered_at >= %s{where}
                GROUP BY 1, 2, 3, 4""",
            [self.moment(self.first - dt.timedelta(days=WINDOW_DAYS)), self.moment(self.after), *params,
             self.moment(self.first), *company],
        )
        pairs = sorted(rows, key=lambda row: (-row[4], row[0], row[1]))
        recurring = sum(row[4] for row in pairs)
        return {
            "analysed": analysed, "recurring": recurring, "rate": _rate(recurring, analysed),
            "pairs": [{"department": name, "cause_ja": ja, "cause_en": en, "count": n}
                      for name, _code, ja, en, n in pairs],
        }

    def incidents(self) -> dict:
        from incidents.models import IncidentKind

        counts = self.incident_counts()
        spans = self.percentiles(counts)
        total, near = counts["total"], counts["near_misses"]
        hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
        return {
            "total": total, "near_misses": near, "accidents": total - near, "dismissed": counts["dismissed"],
            "open": counts["open"],
            "by_kind": [{"kind": kind, "count": counts["by_kind"].get(kind, 0)} for kind in IncidentKind.values],
            "by_severity": [{"severity": level, "count": counts["by_severity"][level]}
                            for level in (*SEVERITIES, "") if level or counts["by_severity"][""]],
            "by_department": [
                {"code": code, "name": name, "count": n, "near_misses": near_n}
                for (code, name), (n, near_n) in sorted(counts["by_department"].items(),
                                                        key=lambda item: (-item[1][0], item[0][0]))
            ],
            "by_month": [{"month": month, "count": counts["by_month"].get(month, [0, 0])[0],
                          "near_misses": counts["by_month"].get(month, [0, 0])[1]} for month in self.months()],
            "containment_hours": _durations(counts["contained"], spans["contained"], hour),
            "close_days": _durations(counts["closed"], spans["closed"], day),
            "recurrence": self.recurrence(counts["analysed"]),
        }

    def months(self) -> list[str]:
        months, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    # -- reports and actions -----------------------------------------------------------

    def tracks(self) -> dict:
        from incidents.models import TrackKind

        keys = ("total", "filed", "on_time", "late", "overdue", "pending", "not_required")
        where, params = _company("i.company_id", self.company)
        rows = _rows(
            f"""SELECT t.kind, COUNT(*),
                       COUNT(*) FILTER (WHERE t.state = 'filed'),
                       COUNT(*) FILTER (WHERE t.state = 'filed' AND t.filed_at <= t.limit_at),
                       COUNT(*) FILTER (WHERE t.state = 'filed' AND t.filed_at > t.limit_at),
                       COUNT(*) FILTER (WHERE t.state = 'pending' AND t.limit_at < %s),
                       COUNT(*) FILTER (WHERE t.state = 'pending' AND t.limit_at >= %s),
                       COUNT(*) FILTER (WHERE t.state = 'not_required')
                FROM incidents_reportingtrack t JOIN incidents_incident i ON i.id = t.incident_id
                WHERE i.discovered_at >= %s AND i.discovered_at < %s AND i.state <> 'dismissed'{where}
                GROUP BY 1""",
            [self.moment(self.now), self.moment(self.now), self.moment(self.first), self.moment(self.after), *params],
        )
        found = {kind: dict(zip(keys, numbers, strict=True)) for kind, *numbers in rows}
        by_kind = [{"kind": kind, **{key: found.get(kind, {}).get(key, 0) for key in keys}}
                   for kind in TrackKind.values]
        totals = {key: sum(row[key] for row in by_kind) for key in keys}
        return {"by_kind": [row for row in by_kind if row["total"]], "totals": totals,
                "on_time_rate": _rate(totals["on_time"], totals["filed"] + totals["overdue"])}

    def actions(self) -> dict:
        from incidents.models import ActionKind, ActionState

        where, params = _company("a.company_id", self.company)
        done_on = self.sql["day"].format("a.implemented_at")
        work = ", ".join(f"'{state}'" for state in WORK_STATES)
        rows = _rows(
            f"""SELECT a.kind, a.state, COUNT(*),
                       COUNT(a.implemented_at),
                       COUNT(*) FILTER (WHERE a.implemented_at IS NOT NULL AND {done_on} <= a.due_date),
                       COUNT(*) FILTER (WHERE a.state IN ({work}) AND a.due_date < %s),
                       COUNT(*) FILTER (WHERE a.state IN ({work}) AND a.due_date >= %s),
                       COUNT(f.action_id)
                FROM incidents_action a
                LEFT JOIN (SELECT DISTINCT action_id FROM incidents_actionround WHERE outcome = 'ineffective') f
                       ON f.action_id = a.id
                WHERE a.due_date >= %s AND a.due_date <= %s{where}
                GROUP BY 1, 2""",
            [self.day(self.today), self.day(self.today), self.day(self.start), self.day(self.end), *params],
        )
        keys = ("total", "completed", "on_time", "overdue", "not_yet_due", "effective", "effective_first_time",
                "checked")
        kinds = {kind: dict.fromkeys(keys, 0) for kind in ActionKind.values}
        states: dict[str, int] = {}
        for kind, state, total, completed, on_time, overdue, not_yet_due, failed in rows:
            states[state] = states.get(state, 0) + total
            if state == ActionState.CANCELLED or kind not in kinds:
                continue
            row = kinds[kind]
            effective = total if state == ActionState.EFFECTIVE else 0
            failed_effective = failed if state == ActionState.EFFECTIVE else 0
            for key, value in (("total", total), ("completed", completed), ("on_time", on_time),
                               ("overdue", overdue), ("not_yet_due", not_yet_due), ("effective", effective),
                               ("effective_first_time", effective - failed_effective),
                               ("checked", effective + failed - failed_effective)):
                row[key] += value
        by_kind = [{"kind": kind, **row} for kind, row in kinds.items()]
        totals = {key: sum(row[key] for row in by_kind) for key in keys}
        totals["late"] = totals["completed"] - totals["on_time"]
        return {
            "by_kind": by_kind, "totals": totals,
            "by_state": [{"state": state, "count": states.get(state, 0)} for state in ActionState.values],
            "on_time_rate": _rate(totals["on_time"], totals["completed"] + totals["overdue"]),
            "effective_rate": _rate(totals["effective"], totals["checked"]),
        }

    # -- audits and findings -------------------------------------------------------------

    def coverage(self) -> list[tuple]:
        """(code, name, covered, planned) of each department, in code order."""
        where, params = _company("d.company_id", self.company)
        audits = """SELECT 1 FROM audits_audit a JOIN audits_audit_departments ad ON ad.audit_id = a.id
                    WHERE ad.department_id = d.id AND a.kind = 'internal'
                      AND a.planned_start >= %s AND a.planned_start <= %s"""
        period = [self.day(self.start), self.day(self.end)]
        return _rows(
            f"""SELECT d.code, d.name,
                       EXISTS({audits} AND a.state IN ('reported', 'closed')),
                       EXISTS({audits} AND a.state <> 'cancelled')
                FROM incidents_department d WHERE 1 = 1{where} ORDER BY d.code""",
            [*period, *period, *params],
        )

    def audits(self, previous_start: dt.date, previous_end: dt.date) -> dict:
        from audits.models import Grade

        where, params = _company("company_id", self.company)
        period = [self.day(self.start), self.day(self.end)]
        total, internal, checks, reported = _rows(
            f"""SELECT COUNT(*), COUNT(*) FILTER (WHERE kind = 'internal'),
                       COUNT(*) FILTER (WHERE kind = 'operational_check'),
                       COUNT(*) FILTER (WHERE state IN ('reported', 'closed'))
                FROM audits_audit WHERE planned_start >= %s AND planned_start <= %s AND state <> 'cancelled'{where}""",
            [*period, *params],
        )[0]
        fwhere, fparams = _company("f.company_id", self.company)
        answered_on = self.sql["day"].format("COALESCE(f.responded_at, f.closed_at)")
        this_year = "a.planned_start >= %s AND a.planned_start <= %s"
        grades = {}
        for grade, current, n, still_open, late, overdue in _rows(
            f"""SELECT f.grade, {this_year}, COUNT(*),
                       COUNT(*) FILTER (WHERE f.state <> 'closed'),
                       COUNT(*) FILTER (WHERE f.state <> 'open' AND f.response_due IS NOT NULL
                                          AND {answered_on} > f.response_due),
                       COUNT(*) FILTER (WHERE f.state = 'open' AND f.response_due < %s)
                FROM audits_finding f JOIN audits_audit a ON a.id = f.audit_id
                WHERE (({this_year}) OR (a.planned_start >= %s AND a.planned_start <= %s)){fwhere}
                GROUP BY 1, 2""",
            [*period, self.day(self.today), *period, self.day(previous_start), self.day(previous_end), *fparams],
        ):
            row = grades.setdefault(grade, {"n": 0, "open": 0, "late": 0, "overdue": 0, "previous": 0})
            if current:
                row.update(n=n, open=still_open, late=late, overdue=overdue)
            else:
                row["previous"] = n
        if self.start <= previous_end and previous_start <= self.end:  # overlapping years: count apart
            grades = self._previous_grades(grades, previous_start, previous_end)
        in_period = f"FROM audits_finding f JOIN audits_audit a ON a.id = f.audit_id WHERE {this_year}{fwhere}"
        nonconformity = "f.grade IN ('major', 'minor')"
        clauses = _rows(
            f"""SELECT r.standard, r.edition, r.clause, r.title_ja, r.title_en, COUNT(*),
                       COUNT(*) FILTER (WHERE {nonconformity})
                {in_period.replace('WHERE', 'LEFT JOIN audits_requirement r ON r.id = f.requirement_id WHERE')}
                GROUP BY 1, 2, 3, 4, 5""",
            [*period, *fparams],
        )
        departments = _rows(
            f"""SELECT d.code, d.name, COUNT(*), COUNT(*) FILTER (WHERE {nonconformity}),
                       COUNT(*) FILTER (WHERE f.state <> 'closed')
                {in_period.replace('WHERE', 'LEFT JOIN incidents_department d ON d.id = f.department_id WHERE')}
                GROUP BY 1, 2""",
            [*period, *fparams],
        )
        coverage = self.coverage()
        covered = sum(bool(row[2]) for row in coverage)
        return {
            "audits": {"total": total, "internal": internal, "operational_checks": checks, "reported": reported},
            "by_grade": [
                {"grade": grade, "count": grades.get(grade, {}).get("n", 0),
                 "open": grades.get(grade, {}).get("open", 0), "previous": grades.get(grade, {}).get("previous", 0),
                 "answered_late": grades.get(grade, {}).get("late", 0),
                 "response_overdue": grades.get(grade, {}).get("overdue", 0)}
                for grade in Grade.values
            ],
            "findings_total": sum(row["n"] for row in grades.values()),
            "findings_open": sum(row["open"] for row in grades.values()),
            "findings_answered_late": sum(row["late"] for row in grades.values()),
            "findings_response_overdue": sum(row["overdue"] for row in grades.values()),
            "by_clause": [
                {"standard": standard, "edition": edition, "clause": clause, "title_ja": ja, "title_en": en,
                 "count": n, "nonconformities": nc}
                for standard, edition, clause, ja, en, n, nc in sorted(clauses, key=lambda r: (-r[5], r[0], r[2]))
            ],
            "by_department": [
                {"code": code, "name": name, "count": n, "nonconformities": nc, "open": still_open}
                for code, name, n, nc, still_open in sorted(departments, key=lambda r: (-r[2], r[0]))
            ],
            "coverage": {
                "departments": len(coverage), "covered": covered, "rate": _rate(covered, len(coverage)),
                "not_covered": [{"code": code, "name": name, "planned": bool(planned)}
                                for code, name, is_covered, planned in coverage if not is_covered],
            },
        }

    def _previous_grades(self, grades: dict, previous_start: dt.date, previous_end: dt.date) -> dict:
        """A period of more than a year overlaps the year before it: its findings count in both."""
        fwhere, fparams = _company("f.company_id", self.company)
        for row in grades.values():
            row["previous"] = 0
        for grade, n in _rows(
            f"""SELECT f.grade, COUNT(*) FROM audits_finding f JOIN audits_audit a ON a.id = f.audit_id
                WHERE a.planned_start >= %s AND a.planned_start <= %s{fwhere} GROUP BY f.grade""",
            [self.day(previous_start), self.day(previous_end), *fparams],
        ):
            grades.setdefault(grade, {"n": 0, "open": 0, "late": 0, "overdue": 0, "previous": 0})["previous"] = n
        return grades

    def opportunities(self) -> list[dict]:
        fwhere, fparams = _company("f.company_id", self.company)
        return [
            {"reference": reference, "clause": clause, "department": department, "description": description,
             "state": state}
            for reference, clause, department, description, state in _rows(
                f"""SELECT f.reference, r.clause, d.name, f.description, f.state
                    FROM audits_finding f JOIN audits_audit a ON a.id = f.audit_id
                    LEFT JOIN audits_requirement r ON r.id = f.requirement_id
                    LEFT JOIN incidents_department d ON d.id = f.department_id
                    WHERE f.grade = 'opportunity' AND a.planned_start >= %s AND a.planned_start <= %s{fwhere}
                    ORDER BY f.reference""",
                [self.day(self.start), self.day(self.end), *fparams],
            )
        ]

    def joint_use(self) -> list[dict]:
        from django.utils import timezone

        rows = _rows(
            """SELECT i.reference, i.title, i.kind, i.severity, i.state, i.discovered_at, i.affected_count,
                      c.code, c.name, d.name
               FROM incidents_incident i JOIN incidents_company c ON c.id = i.company_id
               JOIN incidents_department d ON d.id = i.department_id
               WHERE i.discovered_at >= %s AND i.discovered_at < %s AND i.state <> 'dismissed'
                 AND i.joint_use_company_id = %s AND i.company_id <> %s
               ORDER BY i.discovered_at, i.id""",
            [self.moment(self.first), self.moment(self.after), self.company, self.company],
        )

        def moment(value) -> str:
            if isinstance(value, str):  # SQLite: UTC text
                value = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
            return timezone.localtime(value, dt.UTC).isoformat()

        return [
            {"reference": reference, "title": title, "kind": kind, "severity": severity, "state": state,
             "discovered_at": moment(discovered), "affected_count": affected, "company_code": code,
             "company": company, "department": department}
            for reference, title, kind, severity, state, discovered, affected, code, company, department in rows
        ]


def _interpolate(values: dict[int, int], count: int, q: float) -> dt.timedelta:
    """The q-quantile from the spans (microseconds) at the ranks around it, as percentile_cont."""
    position = (count - 1) * q
    lower = int(position)
    low = values[lower + 1]
    high = values.get(lower + 2, low)
    return dt.timedelta(microseconds=low + (high - low) * (position - lower))


def _durations(count: int, quantiles: tuple, unit: dt.timedelta) -> dict:
    if not count:
        return {"count": 0, "median": None, "p90": None}
    median, p90 = quantiles
    return {"count": count, "median": round(median / unit, 1), "p90": round(p90 / unit, 1)}


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


# ---------------------------------------------------------------------------
# The whole


def figures(review) -> dict:
    """The inputs of `review` (its period and company) as assemble() shapes them."""
    from audits.review_inputs import _request_timeliness, previous_review
    from incidents.case_figures import case_figures
    from incidents.models import Company

    start, end, company = review.period_start, review.period_end, review.company_id
    hand = Hand(start, end, company)
    previous_start, previous_end = _year_before(start), _year_before(end)
    before = Hand(previous_start, previous_end, company)

    incidents = hand.incidents()
    audits = hand.audits(previous_start, previous_end)
    # The previous year's headline figures, by the same queries.
    counts = before.incident_counts()
    spans = before.percentiles({**counts, "closed": 0})
    tracks = before.tracks()["totals"]
    actions = before.actions()["totals"]
    del actions["late"]
    repeated = before.recurrence(counts["analysed"])
    coverage = before.coverage()
    covered = sum(bool(row[2]) for row in coverage)
    requests = _request_timeliness(previous_start, previous_end, company)  # the project's: see the docstring
    joint_manager = company is not None and Company.objects.filter(pk=company, joint_use_manager=True).exists() \
        and Company.objects.count() > 1
    return {
        "previous_review": previous_review(review),  # the project's (a)
        "incidents": incidents,
        "tracks": hand.tracks(),
        "actions": hand.actions(),
        "audits": audits,
        "opportunities": hand.opportunities(),
        "cases": case_figures(start, end, company),  # the project's (e)
        "previous_year": {
            "period": {"start": previous_start.isoformat(), "end": previous_end.isoformat()},
            "empty": not (counts["total"] or tracks["total"] or actions["total"] or covered or requests["total"]),
            "incidents": {"total": counts["total"], "near_misses": counts["near_misses"],
                          "accidents": counts["total"] - counts["near_misses"]},
            "containment_hours": _durations(counts["contained"], spans["contained"], dt.timedelta(hours=1)),
            "tracks": {**tracks, "on_time_rate": _rate(tracks["on_time"], tracks["filed"] + tracks["overdue"])},
            "actions": {**actions, "on_time_rate": _rate(actions["on_time"], actions["completed"] + actions["overdue"]),
                        "effective_rate": _rate(actions["effective"], actions["checked"])},
            "recurrence": {key: repeated[key] for key in ("analysed", "recurring", "rate")},
            "coverage": {"departments": len(coverage), "covered": covered, "rate": _rate(covered, len(coverage))},
            "requests": requests,
        },
        "joint_use": hand.joint_use() if joint_manager else None,
    }


# Lists whose order among equal counts is the database's (its collation, its ties): compared as sets.
UNORDERED = {"by_clause", "by_department", "pairs"}


def differences(hand: dict, inputs: dict, path: str = "") -> list[str]:
    """Where the hand-written figures differ from assemble()'s (only the keys computed here)."""
    found = []
    if isinstance(hand, dict) and isinstance(inputs, dict):
        for key, value in hand.items():
            if key not in inputs:
                found.append(f"{path}.{key}: missing from the inputs")
            else:
                found += differences(value, inputs[key], f"{path}.{key}")
    elif isinstance(hand, list) and isinstance(inputs, list):
        if path.rsplit(".", 1)[-1] in UNORDERED:
            hand, inputs = sorted(hand, key=repr), sorted(inputs, key=repr)
        if len(hand) != len(inputs):
            found.append(f"{path}: {len(hand)} rows by hand, {len(inputs)} assembled")
        for n, (one, other) in enumerate(zip(hand, inputs, strict=False)):
            found += differences(one, other, f"{path}[{n}]")
    elif hand != inputs:
        found.append(f"{path}: {hand!r} by hand, {inputs!r} assembled")
    return found


def count_figures(hand: dict) -> int:
    """How many figures the hand-written SQL computed (every number and row compared)."""
    if isinstance(hand, dict):
        return sum(count_figures(value) for value in hand.values())
    if isinstance(hand, list):
        return sum(count_figures(value) for value in hand)
    return 1


def timed(calls: dict, runs: int) -> dict[str, tuple[float, int]]:
    """{name: (median seconds, queries of one call)} of each of `calls`, run in turn (the
    first, the second, the first…) so that a machine busy with something else slows them
    alike. The queries are counted by an execute wrapper: Django's debug log stops at 9,000
    entries and would read 0 after a large build."""
    from django.db import connection

    queries: list[str] = []

    def counter(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    for call in calls.values():
        call()  # warm: the first call pays for imports, the connection and the plan cache
    times: dict[str, list[float]] = {name: [] for name in calls}
    counts: dict[str, int] = {}
    for _ in range(runs):
        for name, call in calls.items():
            queries.clear()
            with connection.execute_wrapper(counter):
                began = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - began)
            counts[name] = len(queries)
    return {name: (statistics.median(times[name]), counts[name]) for name in calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs to take the median of (default 5)")
    parser.add_argument("--review", type=int, help="the review's id (default: the newest)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from audits.models import Review
    from audits.review_inputs import assemble

    review = Review.objects.get(pk=args.review) if args.review else Review.objects.order_by("-pk").first()
    hand = figures(review)
    problems = differences(hand, assemble(review))
    print(f"{connection.vendor}: review {review.reference} (company {review.company_id or 'the group'}), "
          f"{count_figures(hand):,} figures compared: "
          + ("equal" if not problems else f"{len(problems)} DIFFER"))
    for problem in problems[:20]:
        print("  ", problem)
    results = timed({"hand": lambda: figures(review), "orm": lambda: assemble(review)}, args.runs)
    (hand_seconds, hand_queries), (orm_seconds, orm_queries) = results["hand"], results["orm"]
    print(f"hand-written SQL: {hand_seconds * 1000:,.0f} ms, {hand_queries} queries; "
          f"assemble(): {orm_seconds * 1000:,.0f} ms, {orm_queries} queries; "
          f"ratio {orm_seconds / hand_seconds:.2f}× (median of {args.runs})")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
