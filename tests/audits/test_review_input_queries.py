"""The review's inputs computed in few queries (audits.review_inputs): recurrence in one
window pass and each pair of percentiles from one sort give the same figures as the
definitions they replace (kept here as the reference: a correlated subquery per incident,
and a count then two OFFSET reads per percentile), at the edges: ties at the same moment,
exactly twelve months, a microsecond either side, incidents before the period, dismissed
ones, a department now of another company; even and odd counts, one row, none. The number
of queries does not grow with the records; the review PDF and the review page show the
first rows of a long list and say how many more there are."""

from __future__ import annotations

import datetime as dt
import statistics
from io import BytesIO

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, DateTimeField, DurationField, Exists, ExpressionWrapper, F, OuterRef
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from audits.models import Audit, AuditState, Finding, Grade, Requirement, Review
from audits.pdf.review_report import render_review_report
from audits.review_inputs import RECURRENCE_WINDOW, assemble, incident_figures, period_incidents
from incidents.clocks import JAPAN
from incidents.models import ActionState, CauseCategory, Company, Incident, IncidentKind, IncidentState
from incidents.services import next_reference
from tests.incidents.factories import ActionFactory, DepartmentFactory, IncidentFactory, UserFactory

NOW = dt.datetime(2026, 4, 15, 10, 0, tzinfo=JAPAN)
FY2025 = (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
MICROSECOND = dt.timedelta(microseconds=1)
HOUR = dt.timedelta(hours=1)


def jst(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=JAPAN)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def reporter(db):
    return UserFactory(username="reporter")


@pytest.fixture
def causes(db):
    return list(CauseCategory.objects.order_by("position", "pk")[:3])


@pytest.fixture
def make(reporter):
    """make(department, discovered, cause=…, …) -> an incident (one reporter for all: fast)."""

    def make(department, discovered, *, cause=None, state=IncidentState.CORRECTING, contained_after=None,
             closed_after=None, kind=IncidentKind.LEAK):
        return IncidentFactory(
            reporter=reporter, department=department, discovered_at=discovered, occurred_at=discovered - HOUR,
            cause=cause, kind=kind, state=IncidentState.CLOSED if closed_after is not None else state,
            contained_at=discovered + contained_after if contained_after is not None else None,
            closed_at=discovered + closed_after if closed_after is not None else None,
        )

    return make


# ---------------------------------------------------------------------------
# The definitions as they were (the reference)


def recurrence_as_it_was(incidents) -> dict:
    """A correlated subquery per incident: an earlier one (not dismissed), same cause and
    department, discovered in the twelve months before it."""
    earlier = Incident.objects.exclude(state=IncidentState.DISMISSED).filter(
        cause_id=OuterRef("cause_id"), department_id=OuterRef("department_id"),
        discovered_at__lt=OuterRef("discovered_at"),
        discovered_at__gte=ExpressionWrapper(OuterRef("discovered_at") - RECURRENCE_WINDOW,
                                             output_field=DateTimeField()),
    )
    analysed = incidents.filter(cause__isnull=False)
    pairs = list(
        analysed.filter(Exists(earlier)).order_by()
        .values("department__name", "cause__code", "cause__name_ja", "cause__name_en")
        .annotate(n=Count("pk")).order_by("-n", "department__name", "cause__code")
    )
    recurring = sum(row["n"] for row in pairs)
    count = analysed.count()
    return {"analysed": count, "recurring": recurring,
            "rate": round(100 * recurring / count, 1) if count else None,
            "pairs": [{"department": row["department__name"], "cause_ja": row["cause__name_ja"],
                       "cause_en": row["cause__name_en"], "count": row["n"]} for row in pairs]}


def durations_as_it_was(incidents, end_field: str, unit: dt.timedelta) -> dict:
    """Count, then the one or two rows around each rank read by LIMIT/OFFSET."""
    span = ExpressionWrapper(F(end_field) - F("discovered_at"), output_field=DurationField())
    ordered = (incidents.filter(**{f"{end_field}__isnull": False}).annotate(span=span)
               .order_by("span", "pk").values_list("span", flat=True))
    count = ordered.count()
    if not count:
        return {"count": 0, "median": None, "p90": None}

    def quantile(q):
        position = (count - 1) * q
        lower = int(position)
        values = list(ordered[lower:lower + 2])
        low, high = values[0], values[-1]
        return round((low + (high - low) * (position - lower)) / unit, 1)

    return {"count": count, "median": quantile(0.5), "p90": quantile(0.9)}


def percentile(spans: list[dt.timedelta], q: float, unit: dt.timedelta) -> float:
    """Linear interpolation between the closest ranks (percentile_cont), in plain Python."""
    values = sorted(span / dt.timedelta(microseconds=1) for span in spans)
    if len(values) == 1:
        return round(values[0] * dt.timedelta(microseconds=1) / unit, 1)
    return round(statistics.quantiles(values, n=10 if q == 0.9 else 2, method="inclusive")[-1]
                 * dt.timedelta(microseconds=1) / unit, 1)


# ---------------------------------------------------------------------------
# Recurrence


def test_recurrence_is_the_same_at_the_edges(make, sales, it_dept, causes):
    c1, c2, c3 = causes
    other_company = Company.objects.create(code="SOL", name="株式会社ソル")
    rnd, ops, hr = (DepartmentFactory(code=code) for code in ("RND", "OPS", "HR"))
    # An incident before the period makes the first one of the period a recurrence; itself it is not counted.
    make(sales, jst(2025, 3, 1, 9), cause=c1)
    make(sales, jst(2025, 4, 20, 9), cause=c1)
    # Two at the same moment with nothing before: neither is earlier than the other.
    make(it_dept, jst(2025, 7, 1, 9), cause=c2)
    make(it_dept, jst(2025, 7, 1, 9), cause=c2)
    # Three at the same moment after an earlier one: all three recur.
    make(sales, jst(2025, 8, 1, 9), cause=c2)
    for _ in range(3):
        make(sales, jst(2025, 9, 1, 9, 30), cause=c2)
    # Exactly twelve months (365 days) before, to the microsecond: a recurrence ...
    earlier = jst(2024, 10, 1, 12, 0, 0, 250_001)
    make(rnd, earlier, cause=c1)
    make(rnd, earlier + RECURRENCE_WINDOW, cause=c1)
    # ... one microsecond more: not.
    make(rnd, earlier, cause=c2)
    make(rnd, earlier + RECURRENCE_WINDOW + MICROSECOND, cause=c2)
    # One microsecond after: a recurrence (and the first is not).
    make(ops, jst(2025, 11, 3, 10), cause=c3)
    make(ops, jst(2025, 11, 3, 10) + MICROSECOND, cause=c3)
    # A dismissed report is no earlier incident; nor is an incident without a cause analysed.
    make(hr, jst(2025, 5, 1, 9), cause=c1, state=IncidentState.DISMISSED)
    make(hr, jst(2025, 5, 2, 9), cause=c1)
    make(hr, jst(2025, 5, 3, 9))
    make(hr, jst(2025, 5, 4, 9))
    # Another department, another cause: no recurrence.
    make(it_dept, jst(2025, 10, 1, 9), cause=c1)
    make(hr, jst(2025, 10, 2, 9), cause=c3)
    # After the period: not counted, whatever came before.
    make(sales, jst(2026, 4, 1, 0), cause=c1)
    # A department since moved to another company: its incidents keep their company, and an
    # earlier incident of the department counts whatever company it was recorded for.
    moved = DepartmentFactory(code="MOVED")
    make(moved, jst(2025, 6, 1, 9), cause=c1)
    kept = make(moved, jst(2025, 6, 2, 9), cause=c1)
    Incident.objects.filter(department=moved).exclude(pk=kept.pk).update(company=other_company)

    company = sales.company_id
    for whose in (company, other_company.pk, None):
        new = incident_figures(*FY2025, whose)["recurrence"]
        assert new == recurrence_as_it_was(period_incidents(*FY2025, whose)), whose
    group = incident_figures(*FY2025, None)["recurrence"]
    assert group["recurring"] == 1 + 3 + 1 + 1 + 1  # the first of April, the three, 365 days, 1 µs, moved
    assert group["analysed"] == 16
    company_figures = incident_figures(*FY2025, company)["recurrence"]
    assert (company_figures["recurring"], company_figures["analysed"]) == (7, 15)  # one "moved" is the other's
    assert incident_figures(*FY2025, other_company.pk)["recurrence"] == {
        "analysed": 1, "recurring": 0, "rate": 0.0, "pairs": []}


def test_recurrence_of_a_period_with_no_analysed_incident_reads_nothing(make, sales):
    make(sales, jst(2025, 6, 1, 9))
    figures = incident_figures(*FY2025, sales.company_id)
    assert figures["recurrence"] == {"analysed": 0, "recurring": 0, "rate": None, "pairs": []}
    assert figures["recurrence"] == recurrence_as_it_was(period_incidents(*FY2025, sales.company_id))


# ---------------------------------------------------------------------------
# Percentiles


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 5, 10, 11])
def test_median_and_90th_percentile_as_before(make, sales, count):
    # Spans with ties and microseconds: 1 h, 1 h, 2 h + 1 µs, 3.5 h, 7 h, …
    spans = [HOUR * [1, 1, 2, 3.5, 7, 7, 11, 20, 20.25, 48, 100][n] + MICROSECOND * (n % 3) for n in range(count)]
    for n, span in enumerate(spans):
        make(sales, jst(2025, 5, 1 + n, 9, 15, 30, 500), contained_after=span,
             closed_after=span * 24 if n % 2 else None)
    make(sales, jst(2025, 6, 1, 9), state=IncidentState.DISMISSED, contained_after=HOUR * 1000)  # not counted

    with CaptureQueriesContext(connection) as queries:
        figures = incident_figures(*FY2025, sales.company_id)
    incidents = period_incidents(*FY2025, sales.company_id)
    assert figures["containment_hours"] == durations_as_it_was(incidents, "contained_at", HOUR)
    closed = incidents.filter(state=IncidentState.CLOSED)
    assert figures["close_days"] == durations_as_it_was(closed, "closed_at", dt.timedelta(days=1))
    if count:
        assert figures["containment_hours"]["median"] == percentile(spans, 0.5, HOUR)
        assert figures["containment_hours"]["p90"] == percentile(spans, 0.9, HOUR)
    # One sort per measure with anything to measure, none without: in one query on
    # PostgreSQL, one query per measure on SQLite.
    span_queries = [q for q in queries.captured_queries if "ROW_NUMBER" in q["sql"] or "percentile_disc" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(span_queries) == (count > 0)
    else:
        assert len(span_queries) == (count > 0) + (count > 1)


# ---------------------------------------------------------------------------
# The number of queries


def grow(make, departments, causes, n: int, owner, verifier) -> None:
    """`n` incidents (contained, some closed, causes analysed) in FY2025 and in FY2024, with
    actions and findings: every measure has something to measure at every size."""
    clause = Requirement.objects.filter(standard="jis_q_15001").first()
    audit = Audit.objects.create(reference=next_reference("AUD", 2), title="監査", lead_auditor=owner,
                                 planned_start=dt.date(2025, 10, 1), planned_end=dt.date(2025, 10, 2),
                                 created_by=owner, state=AuditState.CLOSED)
    audit.departments.set(departments)
    for i in range(n):
        department = departments[i % len(departments)]
        for year in (2024, 2025):
            make(department, jst(year, 5 + i % 7, 1 + i % 27, 9), cause=causes[i % 2],
                 contained_after=HOUR * (i + 1), closed_after=dt.timedelta(days=i + 3) if i % 2 else None,
                 kind=IncidentKind.values[i % len(IncidentKind.values)])
            ActionFactory(department=department, owner=owner, verifier=verifier, due_date=dt.date(year, 6, 1 + i % 27),
                          state=ActionState.values[i % len(ActionState.values)])
        Finding.objects.create(reference=next_reference("FND", 4), audit=audit, requirement=clause,
                               department=department, grade=Grade.values[i % 4], description="指摘",
                               raised_by=owner)


def queries_of(review: Review) -> int:
    with CaptureQueriesContext(connection) as context:
        assemble(review)
    return len(context.captured_queries)


def test_the_number_of_queries_is_the_same_at_every_size(make, sales, it_dept, causes, manager, reporter):
    """A company's review (of the company responsible for jointly used data) and the group's."""
    Company.objects.filter(pk=sales.company_id).update(joint_use_manager=True)
    second = Company.objects.create(code="SOL", name="株式会社ソル")
    their = DepartmentFactory(code="SOLOPS", company=second)
    company = Review.objects.create(reference="MR-1", company_id=sales.company_id, period_start=FY2025[0],
                                    period_end=FY2025[1], created_by=manager)
    group = Review.objects.create(reference="MR-G", period_start=FY2025[0], period_end=FY2025[1],
                                  created_by=manager)
    departments = [sales, it_dept, their]

    grow(make, departments, causes, 3, manager, reporter)
    small = {review.reference: queries_of(review) for review in (company, group)}
    grow(make, departments, causes, 24, manager, reporter)
    large = {review.reference: queries_of(review) for review in (company, group)}

    assert assemble(group)["incidents"]["total"] == 27
    assert large == small


# ---------------------------------------------------------------------------
# The PDF and the page: the first rows of a long list, and how many more


def submitted_with_opportunities(manager, count: int) -> Review:
    review = Review.objects.create(reference="MR-FY2025", period_start=FY2025[0], period_end=FY2025[1],
                                   created_by=manager)
    snapshot = assemble(review)
    snapshot["opportunities"] = [
        {"reference": f"FND-2025-{n:04d}", "clause": "6.1", "department": "営業部",
         "description": f"改善の機会 {n}: 手順書の記載が古い。", "state": "open"}
        for n in range(1, count + 1)
    ]
    Review.objects.filter(pk=review.pk).update(snapshot=snapshot, state="submitted")
    review.refresh_from_db()
    return review


def test_the_pdf_lists_the_first_opportunities_and_how_many_more(manager):
    review = submitted_with_opportunities(manager, 20)
    pdf = render_review_report(review, language="en")
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)

    assert "FND-2025-0015" in text and "FND-2025-0016" not in text
    assert "5 more rows are not shown." in text


def test_the_pdf_is_as_long_with_two_thousand_opportunities_as_with_twenty(manager):
    def length(count: int) -> int:
        Review.objects.all().delete()
        return len(PdfReader(BytesIO(render_review_report(submitted_with_opportunities(manager, count)))).pages)

    assert length(2000) == length(20)


def test_the_review_page_lists_the_first_opportunities_and_links_to_the_register(client, manager):
    review = submitted_with_opportunities(manager, 40)
    client.force_login(manager)

    page = client.get(reverse("review_detail", args=[review.pk])).content.decode()

    assert "FND-2025-0015" in page and "FND-2025-0016" not in page
    assert "ほか25件" in page
    assert f'href="{reverse("finding_list")}?grade=opportunity' in page


def test_the_review_page_lists_the_first_joint_use_incidents_and_links_to_the_period(client, manager, sales):
    review = Review.objects.create(reference="MR-INE-FY2025", company_id=sales.company_id, period_start=FY2025[0],
                                   period_end=FY2025[1], created_by=manager)
    snapshot = assemble(review)
    snapshot["joint_use"] = [
        {"reference": f"INC-2025-{n:04d}", "title": f"誤送信 {n}", "kind": "leak", "severity": "L2",
         "state": "closed", "discovered_at": jst(2025, 5, 1, 9).isoformat(), "affected_count": 1,
         "company_code": "SOL", "company": "株式会社ソル", "department": "営業部"}
        for n in range(1, 21)
    ]
    Review.objects.filter(pk=review.pk).update(snapshot=snapshot, state="submitted")
    client.force_login(manager)

    page = client.get(reverse("review_detail", args=[review.pk])).content.decode()

    assert "INC-2025-0015" in page and "INC-2025-0016" not in page
    assert "ほか5件" in page
    assert f'href="{reverse("incident_list")}?discovered_from=2025-04-01&amp;discovered_to=2026-03-31' in page
