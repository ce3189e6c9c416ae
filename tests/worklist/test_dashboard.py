"""The status dashboard (状況ダッシュボード): each chart's figures against records made for
it, whose records each reader counts, a cost that does not grow with the records, and
charts that say what they show in words too."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits.models import Audit
from audits.review_inputs import incident_figures, track_figures
from incidents.clocks import JAPAN
from incidents.models import Action, IncidentKind, ReportingTrack
from incidents.switcher import SESSION_KEY
from tests.incidents.factories import (
    ActionFactory,
    CompanyFactory,
    DepartmentFactory,
    IncidentFactory,
    UserFactory,
    scope_role,
)
from worklist import charts

pytestmark = pytest.mark.django_db

# Sunday 15 November 2026, 10:00 in Tokyo: fiscal year 2026 runs 2026-04-01 to 2027-03-31.
NOW = dt.datetime(2026, 11, 15, 10, 0, tzinfo=JAPAN)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=JAPAN)


def dashboard(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response


def incident(department, day: str, time: str = "10:00", **fields):
    return IncidentFactory(department=department, discovered_at=at(day, time), **fields)


# ---------------------------------------------------------------------------
# Incidents per month by kind


def test_incidents_per_month_by_kind_over_the_fiscal_year(client, frozen, manager, sales, it_dept):
    incident(sales, "2026-04-01", "00:10")  # the first minutes of the year, Japan time
    incident(sales, "2026-03-31", "23:50")  # the last minutes of the year before
    incident(sales, "2026-06-03", kind=IncidentKind.LOSS)
    incident(it_dept, "2026-06-20", kind=IncidentKind.NEAR_MISS)
    incident(it_dept, "2026-11-15", "09:00")
    incident(sales, "2026-07-01", state="dismissed")  # not an incident
    incident(sales, "2025-06-10")  # the same period last year
    incident(sales, "2025-11-15", "23:00")  # the same day a year before: still the same period
    incident(sales, "2025-11-16", "00:30")  # a year before tomorrow: not yet

    figures = dashboard(client, manager).context["incidents"]

    months = {month["month"]: month for month in figures["months"]}
    assert [m.isoformat() for m in months] == [f"2026-{n:02d}-01" for n in range(4, 13)] + [
        f"2027-{n:02d}-01" for n in range(1, 4)]
    assert months[dt.date(2026, 4, 1)]["counts"] == {"leak": 1}
    assert months[dt.date(2026, 6, 1)]["counts"] == {"loss": 1, "near_miss": 1}
    assert months[dt.date(2026, 7, 1)]["total"] == 0
    assert months[dt.date(2026, 11, 1)]["total"] == 1
    assert (figures["total"], figures["near_misses"]) == (4, 1)
    # Each month beside the same month a year before; the year so far beside the same period.
    assert months[dt.date(2026, 6, 1)]["previous"] == 1
    assert months[dt.date(2026, 11, 1)]["previous"] == 2
    assert figures["previous_to_date"] == 2
    assert figures["previous_total"] == 4


def test_the_incident_figures_agree_with_the_management_review(client, frozen, manager, sales):
    for day in ("2026-04-03", "2026-05-09", "2026-10-30"):
        incident(sales, day)
    incident(sales, "2026-08-08", kind=IncidentKind.NEAR_MISS)
    review = incident_figures(dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    figures = dashboard(client, manager).context["incidents"]
    assert figures["total"] == review["total"] == 4
    assert [m["total"] for m in figures["months"]] == [m["count"] for m in review["by_month"]]


# ---------------------------------------------------------------------------
# Open actions by age


def action(department, *, opened_days_ago: int, due_in_days: int, state: str = "planned") -> Action:
    made = ActionFactory(department=department, state=state,
                         due_date=NOW.date() + dt.timedelta(days=due_in_days))
    Action.objects.filter(pk=made.pk).update(created_at=NOW - dt.timedelta(days=opened_days_ago))
    return made


def test_open_actions_by_age_with_the_overdue_apart(client, frozen, manager, sales):
    action(sales, opened_days_ago=3, due_in_days=10)
    action(sales, opened_days_ago=29, due_in_days=-1, state="in_progress")  # under 30 days, overdue
    action(sales, opened_days_ago=30, due_in_days=5)  # 30 to 89
    action(sales, opened_days_ago=89, due_in_days=-20)  # 30 to 89, overdue
    action(sales, opened_days_ago=90, due_in_days=-40, state="implemented")  # waits for its check: not overdue
    action(sales, opened_days_ago=200, due_in_days=-100)  # 90 or more, overdue
    action(sales, opened_days_ago=200, due_in_days=-100, state="effective")  # closed
    action(sales, opened_days_ago=200, due_in_days=-100, state="cancelled")  # closed

    figures = dashboard(client, manager).context["actions"]

    assert {b["age"].value: (b["overdue"], b["other"]) for b in figures["buckets"]} == {
        "recent": (1, 1), "months": (1, 1), "old": (1, 1)}
    assert (figures["open"], figures["overdue"], figures["old"]) == (6, 3, 2)


# ---------------------------------------------------------------------------
# Reporting duties by status


def track(incident, kind: str, limit: dt.datetime, *, filed: dt.datetime | None = None,
          state: str = "pending") -> ReportingTrack:
    made = ReportingTrack.objects.create(incident=incident, kind=kind, due_at=limit, limit_at=limit)
    if filed is not None:
        state = "filed"
    ReportingTrack.objects.filter(pk=made.pk).update(state=state, filed_at=filed)
    return made


def test_reporting_duties_by_status(client, frozen, manager, sales):
    this_year = incident(sales, "2026-10-01")
    track(this_year, "ppc_preliminary", at("2026-10-04"), filed=at("2026-10-03"))  # filed on time
    track(this_year, "pmark_preliminary", at("2026-10-04"), filed=at("2026-10-06"))  # filed late
    track(this_year, "ppc_final", at("2026-11-14"))  # overdue, not filed
    track(this_year, "pmark_final", at("2026-12-01"))  # not yet due
    track(this_year, "data_subjects", at("2026-10-10"), state="not_required")  # not owed
    last_year = incident(sales, "2026-02-01")
    track(last_year, "ppc_final", at("2026-03-03"))  # an earlier incident's report still overdue
    track(last_year, "ppc_preliminary", at("2026-02-04"), filed=at("2026-02-03"))  # last year's business

    reports = dashboard(client, manager).context["reports"]

    assert {key: reports[key] for key in ("on_time", "late", "overdue", "not_yet_due", "total", "earlier_overdue")} == {
        "on_time": 1, "late": 1, "overdue": 1, "not_yet_due": 1, "total": 4, "earlier_overdue": 1}
    # The same four figures as the management review's, for the same incidents.
    review = track_figures(dt.date(2026, 4, 1), dt.date(2027, 3, 31))["totals"]
    assert (review["on_time"], review["late"], review["overdue"], review["pending"]) == (1, 1, 1, 1)


# ---------------------------------------------------------------------------
# Audit coverage


def test_audit_coverage_counts_as_the_programme_does(client, frozen, manager, plan_audit, sales, it_dept, ga):
    hr = DepartmentFactory(code="HR", name="人事部")
    cs = DepartmentFactory(code="CS", name="カスタマーサポート部")
    done = plan_audit(departments=[sales], planned_start=dt.date(2026, 6, 1), planned_end=dt.date(2026, 6, 2))
    Audit.objects.filter(pk=done.pk).update(state="reported")
    plan_audit(departments=[hr], planned_start=dt.date(2027, 2, 1), planned_end=dt.date(2027, 2, 2))
    plan_audit(departments=[it_dept], planned_start=dt.date(2027, 4, 5), planned_end=dt.date(2027, 4, 6),
               auditors=[])  # next year's
    cancelled = plan_audit(departments=[cs], planned_start=dt.date(2026, 7, 1), planned_end=dt.date(2026, 7, 2))
    Audit.objects.filter(pk=cancelled.pk).update(state="cancelled")

    response = dashboard(client, manager)
    coverage = response.context["coverage"]

    assert {key: coverage[key] for key in ("done", "planned", "none", "departments")} == {
        "done": 1, "planned": 1, "none": 3, "departments": 5}
    # Those with no audit planned first: the gaps to act on.
    assert [(department.name, status) for department, status in coverage["not_audited"]] == [
        ("カスタマーサポート部", "none"), ("総務部", "none"), ("情報システム部", "none"), ("人事部", "planned")]
    assert "Departments audited this fiscal year: 1 of 5." in response.context["readings"]["coverage"]


# ---------------------------------------------------------------------------
# Whose records


def test_a_department_head_sees_their_departments_figures(client, frozen, head, manager, sales, it_dept, plan_audit):
    incident(sales, "2026-05-01")
    incident(it_dept, "2026-05-02")
    incident(it_dept, "2026-05-03", reporter=head)  # they reported it, but it is not their department's
    action(sales, opened_days_ago=5, due_in_days=5)
    action(it_dept, opened_days_ago=5, due_in_days=-5)
    done = plan_audit(departments=[DepartmentFactory()], planned_start=dt.date(2026, 6, 1),
                      planned_end=dt.date(2026, 6, 2))
    Audit.objects.filter(pk=done.pk).update(state="reported")

    context = dashboard(client, head).context
    assert context["department_scope"] is True
    assert context["incidents"]["total"] == 1
    assert (context["actions"]["open"], context["actions"]["overdue"]) == (1, 0)
    assert context["coverage"]["departments"] == 1
    assert [department.pk for department, _status in context["coverage"]["not_audited"]] == [sales.pk]

    everything = dashboard(client, manager).context
    assert everything["department_scope"] is False
    assert everything["incidents"]["total"] == 3


@pytest.mark.parametrize("fixture", ["staff", "other_staff"])
def test_staff_have_no_dashboard(client, request, fixture):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(reverse("dashboard")).status_code == 403
    assert client.get(reverse("home")).context["reads_dashboard"] is False


@pytest.mark.parametrize("fixture", ["manager", "auditor", "executive", "head"])
def test_the_pms_roles_and_heads_reach_it_from_the_home_page(client, request, fixture):
    user = request.getfixturevalue(fixture)
    client.force_login(user)
    home = client.get(reverse("home"))
    assert home.context["reads_dashboard"] is True
    assert f'href="{reverse("dashboard")}"' in home.content.decode()
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_company_scoped_reader_and_the_switcher(client, frozen, manager):
    other = CompanyFactory(code="INS", name="株式会社INE保険サービス")
    own_dept = DepartmentFactory(code="SALES2", name="営業二部")
    other_dept = DepartmentFactory(code="INS-SALES", name="保険営業部", company=other)
    incident(own_dept, "2026-05-01")
    incident(other_dept, "2026-05-02")
    incident(other_dept, "2026-05-03")
    ins_manager = UserFactory(username="ins_manager", roles=["staff", "pms_manager"], department=other_dept)
    scope_role(manager, "pms_manager", None)  # the group's PMS office

    # A PMS manager of one company counts that company's records only.
    assert dashboard(client, ins_manager).context["incidents"]["total"] == 2
    context = dashboard(client, manager).context
    assert context["incidents"]["total"] == 3
    # The group's office narrows the page to one company with the header's switcher.
    session = client.session
    session[SESSION_KEY] = other.pk
    session.save()
    context = client.get(reverse("dashboard")).context
    assert context["incidents"]["total"] == 2
    assert {department.company_id for department, _status in context["coverage"]["not_audited"]} == {other.pk}


# ---------------------------------------------------------------------------
# Cost and form


def make_records(n: int, departments) -> None:
    for index in range(n):
        department = departments[index % len(departments)]
        made = incident(department, f"2026-{4 + index % 8:02d}-{1 + index % 27:02d}",
                        kind=IncidentKind.values[index % len(IncidentKind.values)])
        track(made, "ppc_preliminary", at("2026-11-20"), filed=at("2026-11-01") if index % 2 else None)
        action(department, opened_days_ago=index * 7, due_in_days=index - 5)


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return len(queries)


def test_the_queries_do_not_grow_with_the_records(client, frozen, manager, sales, it_dept, plan_audit):
    client.force_login(manager)
    make_records(3, [sales, it_dept])
    plan_audit(departments=[sales], planned_start=dt.date(2026, 6, 1), planned_end=dt.date(2026, 6, 2))
    few = count_queries(client)
    more_departments = [DepartmentFactory() for _ in range(6)]
    make_records(40, [sales, it_dept, *more_departments])
    for department in more_departments:
        plan_audit(departments=[department], planned_start=dt.date(2026, 9, 1), planned_end=dt.date(2026, 9, 2))
    many = count_queries(client)
    assert client.get(reverse("dashboard")).context["incidents"]["total"] == 43
    assert few == many
    assert many <= 20


def test_each_chart_is_an_svg_with_its_reading_and_a_table(client, frozen, manager, sales):
    make_records(4, [sales])
    response = dashboard(client, manager)
    content = response.content.decode()
    readings = response.context["readings"]

    svgs = re.findall(r"<svg class=\"chart__svg\"[^>]*>.*?</svg>", content, flags=re.S)
    assert len(svgs) == 4
    for svg, key in zip(svgs, ["incidents", "actions", "reports", "coverage"], strict=True):
        assert 'role="img"' in svg
        labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        for element_id in labelled:
            assert f'id="{element_id}"' in svg
        desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg, flags=re.S).group(1)
        assert desc == readings[key].replace("'", "&#x27;")
        assert f'<p class="chart-reading">{desc}</p>' in content
    # The numbers as tables too (under "Show the figures as a table").
    assert content.count("<details class=\"chart-table\">") == 3
    assert "Incidents and near misses this fiscal year: 4" in readings["incidents"]
    # No id is used twice on the page.
    ids = re.findall(r'\sid="([^"]+)"', content)
    assert len(ids) == len(set(ids))
    # The four words of a report's status, as everywhere.
    for label in ("Filed on time", "Filed late", "Overdue, not filed", "Not yet due, not filed"):
        assert label in readings["reports"]


def test_the_chart_geometry():
    assert charts.nice_top(0) == (1, 1)
    assert charts.nice_top(7) == (8, 2)
    assert charts.nice_top(16) == (20, 5)
    series = [charts.Series("a", "A", "#000"), charts.Series("b", "B", "#111")]
    chart = charts.column_chart([("4月", {"a": 2, "b": 2}), ("5月", {"a": 1})], series, markers=[1, 0])
    first, second = chart["columns"]
    assert first.total == 4 and second.total == 1
    # The stack starts at the axis and the taller column reaches higher.
    assert first.segments[0].y + first.segments[0].height <= chart["base"]
    assert first.segments[-1].y < second.segments[0].y
    assert [tick["value"] for tick in chart["ticks"]] == [0, 1, 2, 3, 4]
    bars = charts.bar_chart([("x", {"a": 3}), ("y", {"a": 0})], series)
    assert bars["rows"][1].segments == [] and bars["rows"][1].total == 0
    assert charts.share_bar({"a": 0, "b": 0}, series)["segments"] == []


def test_the_readings_join_their_sentences_as_each_language_does():
    from worklist.dashboard import sentences

    assert sentences("Four.", "Two more.") == "Four. Two more."
    assert sentences("今年度は4件。", "前年同期より2件多い。") == "今年度は4件。前年同期より2件多い。"


def test_the_fiscal_year_is_that_of_the_readers_company(client, frozen):
    calendar_year = CompanyFactory(code="CAL", name="株式会社カレンダー", fiscal_year_start_month=1)
    department = DepartmentFactory(code="CAL-1", name="業務部", company=calendar_year)
    reader = UserFactory(username="cal_manager", roles=["staff", "pms_manager"], department=department)
    incident(department, "2026-02-10")  # January to December: this year's
    incident(department, "2025-12-10")  # last year's
    context = dashboard(client, reader).context
    assert (context["period_start"], context["period_end"]) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert context["incidents"]["total"] == 1
    assert [month["month"].month for month in context["incidents"]["months"]][:2] == [1, 2]
