"""The fiscal year and the programme's coverage of departments."""

import datetime as dt

import pytest

from audits import selectors, services
from audits.fiscal import fiscal_year_bounds, fiscal_year_of
from incidents.exceptions import ConditionsNotMet, RecordClosed
from incidents.models import Company
from incidents.roles import role_conflict
from incidents.services import transition_record
from tests.incidents.factories import DepartmentFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "year"), [("2026-03-31", 2025), ("2026-04-01", 2026), ("2027-01-15", 2026)],
)
def test_the_fiscal_year_runs_april_to_march(day, year):
    assert fiscal_year_of(dt.date.fromisoformat(day)) == year


@pytest.mark.django_db
def test_the_fiscal_year_start_is_the_companys():
    # The fiscal year is the company's (Company.fiscal_year_start_month); without one named,
    # the default company's.
    Company.objects.filter(is_default=True).update(fiscal_year_start_month=1)
    assert fiscal_year_of(dt.date(2026, 3, 31)) == 2026
    assert fiscal_year_bounds(2026) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.mark.django_db
def test_the_programme_shows_done_planned_and_gaps(plan_audit, lead_auditor, sales, it_dept, ga, django_assert_max_num_queries):
    hr = DepartmentFactory(code="HR", name="人事部")
    done = transition_record(plan_audit(planned_start=dt.date(2026, 5, 11), planned_end=dt.date(2026, 5, 12)),
                             "start", by=lead_auditor)
    for item in done.checklist.all():
        services.checklist_record(item=item, by=lead_auditor, result="conforming", evidence="確認")
    transition_record(done, "report", by=lead_auditor, changes={"conclusion": "適合"})
    plan_audit(departments=[hr], planned_start=dt.date(2027, 2, 1), planned_end=dt.date(2027, 2, 2))
    plan_audit(departments=[hr], planned_start=dt.date(2027, 4, 5), planned_end=dt.date(2027, 4, 6))  # next year

    with django_assert_max_num_queries(3):
        rows = {row["department"].code: row["status"] for row in selectors.programme(year=2026)}
    assert rows == {"SALES": "done", "HR": "planned", "IT": "none", "GA": "none"}


def test_the_audit_lead_and_the_pms_manager_are_never_one_person():
    assert role_conflict(["staff", "audit_lead", "pms_manager"])
    assert role_conflict(["audit_lead", "auditor"]) is None


@pytest.mark.django_db
def test_results_are_recorded_during_fieldwork_only(plan_audit, lead_auditor):
    audit = plan_audit()
    with pytest.raises(RecordClosed):
        services.checklist_record(item=audit.checklist.first(), by=lead_auditor, result="conforming")


@pytest.mark.django_db
def test_re_planning_rebuilds_the_checklist_and_rechecks_the_team(plan_audit, audit_lead, clauses, it_dept):
    from incidents.exceptions import NotPermitted

    audit = plan_audit()
    audit = services.audit_update(audit=audit, version=audit.version, by=audit_lead, clauses=clauses[:1])
    assert audit.checklist.count() == 1 and audit.version == 2
    with pytest.raises(NotPermitted):
        services.audit_update(audit=audit, version=audit.version, by=audit_lead, departments=[it_dept])


@pytest.mark.django_db
def test_cancel_needs_the_audit_lead_and_a_reason(plan_audit, audit_lead, lead_auditor):
    from incidents.exceptions import NotPermitted

    audit = plan_audit()
    with pytest.raises(NotPermitted):
        transition_record(audit, "cancel", by=lead_auditor, changes={"cancel_reason": "延期"})
    with pytest.raises(ConditionsNotMet):
        transition_record(audit, "cancel", by=audit_lead)
    assert transition_record(audit, "cancel", by=audit_lead, changes={"cancel_reason": "組織変更のため"}).state == "cancelled"


@pytest.mark.django_db
def test_an_operational_check_alone_does_not_cover_a_department(plan_audit, second_auditor, it_dept):
    plan_audit(kind="operational_check", departments=[it_dept], lead_auditor=second_auditor, auditors=[],
               planned_start=dt.date(2026, 6, 1), planned_end=dt.date(2026, 6, 1))
    rows = {row["department"].code: row for row in selectors.programme(year=2026)}
    assert rows["IT"]["status"] == "none"
    assert [audit.kind for audit in rows["IT"]["audits"]] == ["operational_check"]
