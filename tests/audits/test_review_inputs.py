"""The review's inputs, computed on a small data set worked out by hand (fiscal year 2025)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import Audit, AuditKind, AuditState, Finding, Grade, Requirement, Review, ReviewDecision
from audits.models.review import ReviewState
from audits.review_inputs import PREVIOUS_YEAR_QUERIES, assemble, previous_year_figures
from incidents.clocks import JAPAN
from incidents.models import (
    ActionKind,
    ActionRound,
    ActionState,
    CauseCategory,
    IncidentKind,
    IncidentState,
    ReportingTrack,
    RoundOutcome,
    TrackKind,
    TrackState,
)
from incidents.services import next_reference
from tests.incidents.factories import ActionFactory, IncidentFactory

NOW = dt.datetime(2026, 4, 15, 10, 0, tzinfo=JAPAN)
FY2025 = (dt.date(2025, 4, 1), dt.date(2026, 3, 31))


def jst(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=JAPAN)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def causes(db):
    first, second = CauseCategory.objects.order_by("position", "pk")[:2]
    return first, second


@pytest.fixture
def review(manager):
    return Review.objects.create(reference="MR-FY2025", period_start=FY2025[0], period_end=FY2025[1],
                                 created_by=manager)


def incident(department, discovered, *, kind=IncidentKind.LEAK, cause=None, contained_after=None,
             closed_after=None, state=IncidentState.CORRECTING, severity="L2"):
    return IncidentFactory(
        department=department, kind=kind, cause=cause, severity=severity, discovered_at=discovered,
        occurred_at=discovered - dt.timedelta(hours=1),
        contained_at=discovered + contained_after if contained_after else None,
        closed_at=discovered + closed_after if closed_after else None,
        state=IncidentState.CLOSED if closed_after else state,
    )


@pytest.fixture
def incidents(sales, it_dept, causes):
    c1, c2 = causes
    hours, days = dt.timedelta(hours=1), dt.timedelta(days=1)
    return {
        # before the period, but it makes #1 a recurrence (same cause, same department, 10 days earlier)
        "before": incident(sales, jst(2025, 3, 31, 23, 59), cause=c1),
        "1": incident(sales, jst(2025, 4, 10, 9), cause=c1, contained_after=10 * hours, closed_after=20 * days),
        # recurs after #1
        "2": incident(sales, jst(2025, 6, 5, 9), kind=IncidentKind.LOSS, cause=c1, contained_after=30 * hours,
                      closed_after=40 * days, severity="L1"),
        # same cause in another department: no recurrence
        "3": incident(it_dept, jst(2025, 6, 20, 9), kind=IncidentKind.NEAR_MISS, cause=c1,
                      contained_after=2 * hours, severity="L0"),
        # 1 March 08:00 in Tokyo is still 28 February in UTC: counted in March
        "4": incident(it_dept, jst(2026, 3, 1, 8), cause=c2, contained_after=50 * hours, severity="L3"),
        "dismissed": incident(sales, jst(2025, 5, 1, 9), state=IncidentState.DISMISSED),
        # midnight in Tokyo on 1 April: the next fiscal year
        "after": incident(sales, jst(2026, 4, 1, 0), cause=c1),
    }


def test_incident_counts_by_kind_severity_department_and_month(review, incidents, sales, it_dept):
    figures = assemble(review)["incidents"]

    assert (figures["total"], figures["accidents"], figures["near_misses"], figures["dismissed"]) == (4, 3, 1, 1)
    kinds = {row["kind"]: row["count"] for row in figures["by_kind"]}
    assert kinds == {"leak": 2, "loss": 1, "damage": 0, "misuse": 0, "violation": 0, "weakness": 0,
                     "near_miss": 1, "other": 0}
    assert {row["severity"]: row["count"] for row in figures["by_severity"]} == {
        "L0": 1, "L1": 1, "L2": 1, "L3": 1, "L4": 0}
    # most incidents first, then by department code (IT before SALES)
    assert [(row["name"], row["count"], row["near_misses"]) for row in figures["by_department"]] == [
        (it_dept.name, 2, 1), (sales.name, 2, 0)]
    months = {row["month"]: (row["count"], row["near_misses"]) for row in figures["by_month"]}
    assert list(months) == [f"2025-{m:02d}" for m in range(4, 13)] + ["2026-01", "2026-02", "2026-03"]
    assert months["2025-04"] == (1, 0)
    assert months["2025-06"] == (2, 1)
    assert months["2026-02"] == (0, 0)
    assert months["2026-03"] == (1, 0)
    assert sum(count for count, _ in months.values()) == 4


def test_times_to_contain_and_close_are_median_and_90th_percentile(review, incidents):
    figures = assemble(review)["incidents"]

    # containment 2, 10, 30, 50 hours: median (10+30)/2, p90 at rank 2.7 → 30 + 0.7 × 20
    assert figures["containment_hours"] == {"count": 4, "median": 20.0, "p90": 44.0}
    # closed after 20 and 40 days: p90 at rank 0.9 → 20 + 0.9 × 20
    assert figures["close_days"] == {"count": 2, "median": 30.0, "p90": 38.0}


def test_times_without_data_are_none(review):
    figures = assemble(review)["incidents"]

    assert figures["containment_hours"] == {"count": 0, "median": None, "p90": None}
    assert figures["recurrence"]["rate"] is None


def test_recurrence_is_same_cause_and_department_within_twelve_months(review, incidents, sales, causes):
    recurrence = assemble(review)["incidents"]["recurrence"]

    # #1 (after "before") and #2 (after #1); #3 is in another department, #4 another cause
    assert (recurrence["analysed"], recurrence["recurring"], recurrence["rate"]) == (4, 2, 50.0)
    assert recurrence["pairs"] == [
        {"department": sales.name, "cause_ja": causes[0].name_ja, "cause_en": causes[0].name_en, "count": 2}
    ]


def test_an_incident_more_than_twelve_months_later_is_not_a_recurrence(review, sales, causes):
    incident(sales, jst(2024, 4, 1, 9), cause=causes[1])
    incident(sales, jst(2025, 4, 5, 9), cause=causes[1])

    assert assemble(review)["incidents"]["recurrence"]["recurring"] == 0


def track(incident_, kind, *, limit, state=TrackState.PENDING, filed=None):
    return ReportingTrack.objects.create(incident=incident_, kind=kind, due_at=limit, limit_at=limit, state=state,
                                         filed_at=filed)


def test_reports_filed_on_time(review, incidents):
    leak = incidents["4"]
    track(leak, TrackKind.PPC_PRELIMINARY, limit=jst(2026, 3, 6, 23, 59), state=TrackState.FILED,
          filed=jst(2026, 3, 2, 15))
    track(leak, TrackKind.PPC_FINAL, limit=jst(2026, 3, 31, 23, 59), state=TrackState.FILED,
          filed=jst(2026, 4, 2, 10))  # late
    track(leak, TrackKind.PMARK_FINAL, limit=jst(2026, 3, 31, 23, 59))  # overdue
    track(leak, TrackKind.DATA_SUBJECTS, limit=jst(2026, 4, 30, 23, 59))  # still within its limit
    track(incidents["1"], TrackKind.PMARK_FINAL, limit=jst(2025, 5, 9, 23, 59), state=TrackState.NOT_REQUIRED)
    track(incidents["after"], TrackKind.PMARK_FINAL, limit=jst(2026, 5, 1, 23, 59))  # another period

    figures = assemble(review)["tracks"]

    assert figures["totals"] == {"total": 5, "filed": 2, "on_time": 1, "late": 1, "overdue": 1, "pending": 1,
                                 "not_required": 1}
    assert figures["on_time_rate"] == 33.3  # 1 on time out of 2 filed + 1 overdue
    assert {row["kind"]: (row["on_time"], row["late"], row["overdue"]) for row in figures["by_kind"]} == {
        "ppc_preliminary": (1, 0, 0), "ppc_final": (0, 1, 0), "pmark_final": (0, 0, 1), "data_subjects": (0, 0, 0),
    }


def _failed_check(action):
    """A first round of the action that its effectiveness check found ineffective."""
    ActionRound.objects.create(action=action, number=1, implemented_by=action.owner, checked_by=action.verifier,
                               checked_at=jst(2025, 6, 1, 9), outcome=RoundOutcome.INEFFECTIVE)


def test_actions_done_on_time_and_found_effective(review, sales):
    def action(due, state, implemented=None, kind=ActionKind.CORRECTIVE):
        return ActionFactory(department=sales, kind=kind, due_date=due, state=state, implemented_at=implemented)

    # done 00:30 on 1 June in Tokyo (still 31 May in UTC): one day late
    action(dt.date(2025, 5, 31), ActionState.EFFECTIVE, jst(2025, 6, 1, 0, 30))
    on_time_after_failed_check = action(dt.date(2025, 7, 31), ActionState.EFFECTIVE, jst(2025, 7, 20, 9))
    _failed_check(on_time_after_failed_check)
    action(dt.date(2025, 9, 30), ActionState.IN_PROGRESS, kind=ActionKind.PREVENTIVE)  # overdue
    failed = action(dt.date(2025, 8, 31), ActionState.IN_PROGRESS)  # overdue, found ineffective once
    _failed_check(failed)
    action(dt.date(2026, 3, 31), ActionState.IMPLEMENTED, jst(2026, 3, 30, 9), kind=ActionKind.IMPROVEMENT)
    action(dt.date(2025, 10, 1), ActionState.CANCELLED)
    action(dt.date(2026, 4, 30), ActionState.PLANNED)  # due in the next period

    figures = assemble(review)["actions"]

    assert figures["totals"] == {"total": 5, "completed": 3, "on_time": 2, "late": 1, "overdue": 2,
                                 "not_yet_due": 0, "effective": 2, "effective_first_time": 1, "checked": 3}
    assert figures["on_time_rate"] == 40.0  # 2 on time of 3 done + 2 overdue
    assert figures["effective_rate"] == 66.7  # 2 effective of 3 checked
    states = {row["state"]: row["count"] for row in figures["by_state"]}
    assert states == {"planned": 0, "in_progress": 2, "implemented": 1, "effective": 2, "cancelled": 1}
    assert {row["kind"]: row["total"] for row in figures["by_kind"]} == {
        "correction": 0, "corrective": 3, "preventive": 1, "improvement": 1}


@pytest.fixture
def audit_setup(sales, it_dept, lead_auditor, audit_lead):
    clause_61, clause_92 = (Requirement.objects.get(standard="jis_q_15001", edition="2023", clause=c)
                            for c in ("6.1", "9.2"))

    def audit(start, departments, *, state, kind=AuditKind.INTERNAL):
        record = Audit.objects.create(reference=next_reference("AUD", 2), title="監査", kind=kind,
                                      lead_auditor=lead_auditor, planned_start=start,
                                      planned_end=start + dt.timedelta(days=1), state=state, created_by=audit_lead)
        record.departments.set(departments)
        return record

    def finding(audit_, grade, clause, department, state="open"):
        reference = next_reference("FND", 4)
        return Finding.objects.create(reference=reference, audit=audit_, requirement=clause, department=department,
                                      grade=grade, description=f"指摘 {reference}", raised_by=lead_auditor,
                                      state=state)

    done = audit(dt.date(2025, 10, 1), [sales], state=AuditState.CLOSED)
    audit(dt.date(2025, 11, 1), [it_dept], state=AuditState.PLANNED)
    audit(dt.date(2025, 12, 1), [it_dept], state=AuditState.REPORTED, kind=AuditKind.OPERATIONAL_CHECK)
    last_year = audit(dt.date(2024, 10, 1), [sales], state=AuditState.CLOSED)
    finding(done, Grade.MINOR, clause_61, sales)
    finding(done, Grade.MAJOR, clause_61, sales, state="closed")
    finding(done, Grade.OPPORTUNITY, clause_92, sales)
    finding(last_year, Grade.MINOR, clause_61, sales)
    return clause_61, clause_92


def test_audit_results_by_grade_clause_department_and_coverage(review, audit_setup, sales, it_dept):
    figures = assemble(review)["audits"]

    assert figures["audits"] == {"total": 3, "internal": 2, "operational_checks": 1, "reported": 2}
    assert {row["grade"]: (row["count"], row["open"], row["previous"]) for row in figures["by_grade"]} == {
        "major": (1, 0, 0), "minor": (1, 1, 1), "observation": (0, 0, 0), "opportunity": (1, 1, 0)}
    assert (figures["findings_total"], figures["findings_open"]) == (3, 2)
    assert [(row["clause"], row["count"], row["nonconformities"]) for row in figures["by_clause"]] == [
        ("6.1", 2, 2), ("9.2", 1, 0)]
    assert [(row["name"], row["count"], row["nonconformities"], row["open"]) for row in figures["by_department"]] == [
        (sales.name, 3, 2, 2)]
    coverage = figures["coverage"]
    not_covered = {row["name"]: row["planned"] for row in coverage["not_covered"]}
    # sales had a reported internal audit; IT only a planned one and its own operational check
    assert sales.name not in not_covered
    assert not_covered[it_dept.name] is True
    assert coverage["covered"] == 1
    assert coverage["departments"] == coverage["covered"] + len(coverage["not_covered"])


def test_opportunities_for_improvement_come_from_findings(review, audit_setup, sales):
    review.improvement_notes = "RPA の導入"

    inputs = assemble(review)

    opportunity = Finding.objects.get(grade=Grade.OPPORTUNITY).reference
    assert inputs["opportunities"] == [{"reference": opportunity, "clause": "9.2", "department": sales.name,
                                        "description": f"指摘 {opportunity}", "state": "open"}]
    assert inputs["texts"]["improvement_notes"] == "RPA の導入"


def test_previous_review_reports_where_its_decisions_stand(review, manager, executive, sales):
    previous = Review.objects.create(reference="MR-FY2024", period_start=dt.date(2024, 4, 1),
                                     period_end=dt.date(2025, 3, 31), created_by=manager,
                                     state=ReviewState.APPROVED, approved_at=jst(2025, 5, 20, 10))
    done = ActionFactory(kind=ActionKind.IMPROVEMENT, department=sales, state=ActionState.EFFECTIVE,
                         due_date=dt.date(2025, 12, 31))
    late = ActionFactory(kind=ActionKind.IMPROVEMENT, department=sales, state=ActionState.IN_PROGRESS,
                         due_date=dt.date(2026, 3, 31))
    for position, action in enumerate([done, late], start=1):
        ReviewDecision.objects.create(review=previous, position=position, title=f"決定 {position}",
                                      owner=action.owner, department=sales, due_date=action.due_date, action=action)
    # an older approved review is not "the previous" one
    Review.objects.create(reference="MR-FY2023", period_start=dt.date(2023, 4, 1), period_end=dt.date(2024, 3, 31),
                          created_by=manager, state=ReviewState.APPROVED)

    previous_input = assemble(review)["previous_review"]

    assert previous_input["reference"] == "MR-FY2024"
    assert [(d["position"], d["action"], d["state"], d["overdue"]) for d in previous_input["decisions"]] == [
        (1, done.reference, "effective", False), (2, late.reference, "in_progress", True)]
    assert previous_input["summary"] == {"total": 2, "effective": 1, "implemented": 0, "open": 1, "overdue": 1,
                                         "cancelled": 0}


def test_the_first_review_has_no_previous_one(review):
    assert assemble(review)["previous_review"] is None


def _grow(sales, it_dept, causes, n: int) -> None:
    """n incidents, 2n actions, n findings and n tracks in the period, of every kind."""
    clause = Requirement.objects.get(standard="jis_q_15001", edition="2023", clause="6.1")
    for i in range(n):
        department = (sales, it_dept)[i % 2]
        item = incident(department, jst(2025, 4 + i % 9, 1 + i % 28, 9), cause=causes[i % 2],
                        contained_after=dt.timedelta(hours=i + 1),
                        closed_after=dt.timedelta(days=i + 1) if i % 3 else None,
                        kind=IncidentKind.values[i % len(IncidentKind.values)])
        track(item, TrackKind.values[i % len(TrackKind.values)], limit=jst(2025, 12, 1, 23, 59))
        for k in range(2):
            ActionFactory(department=department, due_date=dt.date(2025, 4 + i % 9, 1), kind=ActionKind.values[k],
                          state=ActionState.values[(i + k) % len(ActionState.values)])
    audit = Audit.objects.create(reference=next_reference("AUD", 2), title="監査", lead_auditor=ActionFactory().owner,
                                 planned_start=dt.date(2025, 10, 1), planned_end=dt.date(2025, 10, 2),
                                 created_by=ActionFactory().owner, state=AuditState.CLOSED)
    audit.departments.set([sales, it_dept])
    for i in range(n):
        Finding.objects.create(reference=next_reference("FND", 4), audit=audit, requirement=clause,
                               department=(sales, it_dept)[i % 2], grade=Grade.values[i % 4], description="x",
                               raised_by=audit.lead_auditor)


def test_the_number_of_queries_does_not_grow_with_the_records(review, sales, it_dept, causes):
    _grow(sales, it_dept, causes, 3)
    with CaptureQueriesContext(connection) as small:
        assemble(review)
    _grow(sales, it_dept, causes, 30)
    with CaptureQueriesContext(connection) as large:
        figures = assemble(review)

    assert figures["incidents"]["total"] == 33
    assert figures["audits"]["findings_total"] == 33
    assert len(large.captured_queries) == len(small.captured_queries)


# ---------------------------------------------------------------------------
# The same period a year earlier, for the headline figures' trends


def test_the_previous_year_is_counted_as_this_year_is(review, sales, causes):
    c1 = causes[0]
    hours = dt.timedelta(hours=1)
    # FY2024: two accidents (one a recurrence of the other) and a near miss, contained in 4, 6 and 8 hours
    first = incident(sales, jst(2024, 5, 1, 9), cause=c1, contained_after=4 * hours)
    incident(sales, jst(2024, 9, 1, 9), cause=c1, contained_after=6 * hours)
    incident(sales, jst(2025, 2, 1, 9), kind=IncidentKind.NEAR_MISS, contained_after=8 * hours)
    track(first, TrackKind.PPC_PRELIMINARY, limit=jst(2024, 5, 4, 23, 59), state=TrackState.FILED,
          filed=jst(2024, 5, 6, 10))
    ActionFactory(department=sales, due_date=dt.date(2024, 10, 1), state=ActionState.IMPLEMENTED,
                  implemented_at=jst(2024, 9, 20, 10))
    ActionFactory(department=sales, due_date=dt.date(2024, 11, 1))  # still open: overdue
    incident(sales, jst(2025, 4, 10, 9))  # FY2025: not the year before

    with CaptureQueriesContext(connection) as queries:
        before = previous_year_figures(*FY2025, review.company_id)
    assert len(queries.captured_queries) <= PREVIOUS_YEAR_QUERIES

    assert before["period"] == {"start": "2024-04-01", "end": "2025-03-31"}
    assert before["empty"] is False
    assert before["incidents"] == {"total": 3, "near_misses": 1, "accidents": 2}
    assert before["containment_hours"]["median"] == 6.0
    assert (before["tracks"]["late"], before["tracks"]["on_time_rate"]) == (1, 0.0)
    assert (before["actions"]["on_time"], before["actions"]["overdue"], before["actions"]["on_time_rate"]) == (1, 1, 50.0)
    assert (before["recurrence"]["recurring"], before["recurrence"]["analysed"]) == (1, 2)
    assert before["requests"]["total"] == 0 and before["requests"]["on_time_rate"] is None
    # the review's inputs carry it
    assert assemble(review)["previous_year"]["incidents"]["accidents"] == 2


def test_a_year_with_nothing_recorded_is_no_year_to_compare_with(review, sales):
    incident(sales, jst(2025, 6, 1, 9))
    before = assemble(review)["previous_year"]
    assert before["empty"] is True
    assert before["incidents"]["total"] == 0
