"""The audits side of a group of companies: audits planned per company (and independence
across companies), the programme's coverage per company with each company's fiscal year,
management reviews of one company or of the whole group (the group's figures the sum of
its companies'), the jointly used data in the responsible company's review, who prepares
which review, and the company's name and 法人番号 on the PDFs.

The group: 株式会社INE (the default company, PrivacyMark, responsible for jointly used
data), 株式会社INEソリューションズ (PrivacyMark) and 株式会社INEデータ (ISO/IEC 27001
only, fiscal year from January).
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from audits import selectors, services
from audits.models import Audit, AuditState, Finding, Grade, Requirement, Review
from audits.pdf.audit_report import render_audit_report
from audits.pdf.review_report import render_review_report
from audits.review_forms import WHOLE_GROUP
from audits.review_inputs import assemble
from incidents.clocks import JAPAN
from incidents.exceptions import NotPermitted
from incidents.models import (
    ActionState,
    Company,
    IncidentKind,
    IncidentState,
    ReportingTrack,
    RoleScope,
    TrackKind,
    TrackState,
)
from incidents.services import next_reference, transition_record
from incidents.switcher import SESSION_KEY
from tests.incidents.factories import ActionFactory, DepartmentFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 15, 10, 0, tzinfo=JAPAN)
FY2025 = (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
TEXTS = {"issues_changes": "法改正なし", "interested_parties": "変化なし", "feedback": "苦情 1 件",
         "risk_status": "リスク対応計画どおり"}


def jst(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=JAPAN)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


# ---------------------------------------------------------------------------
# The group


@pytest.fixture
def ine(db):
    company = Company.objects.default()
    company.name, company.code, company.corporate_number = "株式会社INE", "INE", "7000012050002"
    company.save()
    return company


@pytest.fixture
def sol(ine):
    return Company.objects.create(code="SOL", name="株式会社INEソリューションズ", corporate_number="2010401000001",
                                  holds_privacymark=True, position=1)


@pytest.fixture
def dat(ine):
    return Company.objects.create(code="DAT", name="株式会社INEデータ", corporate_number="3011101000001",
                                  iso27001_certified=True, fiscal_year_start_month=1, position=2)


@pytest.fixture
def sol_sales(sol):
    return DepartmentFactory(code="SOL-SALES", name="ソリューションズ営業部", company=sol)


@pytest.fixture
def dat_ops(dat):
    return DepartmentFactory(code="DAT-OPS", name="データ運用部", company=dat)


@pytest.fixture
def group(ine, sol, dat, sales, it_dept, ga, sol_sales, dat_ops):
    """The three companies and their departments (sales, IT and GA are INE's)."""
    return {"ine": ine, "sol": sol, "dat": dat}


def group_wide(user, *roles):
    for role in roles:
        RoleScope.objects.create(user=user, role=role, company=None)
    return user


@pytest.fixture
def group_manager(group, it_dept):
    """The group's PMS office (INE's IT department, the PMS manager for the whole group)."""
    return group_wide(UserFactory(username="group_pms", roles=["staff", "pms_manager"], department=it_dept),
                      "pms_manager")


@pytest.fixture
def group_executive(group, it_dept):
    return group_wide(UserFactory(username="group_exec", roles=["executive"], department=it_dept), "executive")


@pytest.fixture
def sol_manager(group, sol_sales):
    """The PMS manager of 株式会社INEソリューションズ only (their own company's)."""
    return UserFactory(username="sol_pms", roles=["staff", "pms_manager"], department=sol_sales)


@pytest.fixture
def group_lead(group, ga):
    """The audit lead of the whole group (INE's general affairs)."""
    return group_wide(UserFactory(username="group_lead", roles=["staff", "audit_lead", "auditor"], department=ga),
                      "audit_lead", "auditor")


def pdf_pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


# ---------------------------------------------------------------------------
# Planning an audit of one company


def plan_data(*, company=None, departments, clauses, lead, auditors=(), **overrides) -> dict:
    data = {
        "title": "2026年度 内部監査", "kind": "internal", "departments": [d.pk for d in departments],
        "clauses": [c.pk for c in clauses], "lead_auditor": lead.pk, "auditors": [a.pk for a in auditors],
        "planned_start": "2026-05-11", "planned_end": "2026-05-12",
    }
    if company is not None:
        data["company"] = company.pk
    data.update(overrides)
    return data


def test_with_one_company_the_plan_form_has_no_company_field(client, audit_lead, sales):
    client.force_login(audit_lead)
    form = client.get(reverse("audit_plan")).context["form"]
    assert "company" not in form.fields
    assert [group["company"] for group in form.department_groups()] == [""]


def test_the_plan_form_offers_the_company_and_groups_the_departments_by_company(client, group_lead, group):
    client.force_login(group_lead)
    response = client.get(reverse("audit_plan"))
    form = response.context["form"]
    assert list(form.fields["company"].queryset) == [group["ine"], group["sol"], group["dat"]]
    assert form.initial["company"] == group["ine"].pk  # the planner's own company first
    groups = {g["company"]: [c.data["label"] for c in g["choices"]] for g in form.department_groups()}
    assert groups["株式会社INEソリューションズ"] == ["ソリューションズ営業部"]
    assert groups["株式会社INEデータ"] == ["データ運用部"]
    assert "株式会社INEソリューションズ" in response.content.decode()


def test_a_company_scoped_audit_lead_is_offered_their_company_only(client, group, audit_lead):
    # The conftest audit lead belongs to INE's general affairs and has no RoleScope: INE's.
    client.force_login(audit_lead)
    form = client.get(reverse("audit_plan")).context["form"]
    assert list(form.fields["company"].queryset) == [group["ine"]]


def test_departments_of_another_company_are_refused_beside_the_field(client, group_lead, lead_auditor, group,
                                                                     sol_sales, sales, clauses):
    client.force_login(group_lead)
    response = client.post(reverse("audit_plan"), plan_data(
        company=group["sol"], departments=[sol_sales, sales], clauses=clauses, lead=lead_auditor))
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["departments"])
    assert "株式会社INEソリューションズ" in errors and "営業部" in errors
    assert not Audit.objects.exists()


def test_the_audit_lead_plans_an_audit_of_another_group_company(client, group_lead, lead_auditor, group,
                                                                sol_sales, clauses):
    # An auditor of INE audits 株式会社INEソリューションズ: companies are no bar to independence.
    client.force_login(group_lead)
    response = client.post(reverse("audit_plan"), plan_data(
        company=group["sol"], departments=[sol_sales], clauses=clauses, lead=lead_auditor))
    audit = Audit.objects.get()
    assert response.status_code == 302
    assert audit.company == group["sol"] and list(audit.departments.all()) == [sol_sales]


def test_a_company_scoped_audit_lead_cannot_plan_another_companys_audit(group, audit_lead, lead_auditor,
                                                                        sol_sales, clauses):
    with pytest.raises(NotPermitted):
        services.audit_plan(by=audit_lead, title="監査", company=group["sol"], departments=[sol_sales],
                            clauses=clauses, lead_auditor=lead_auditor, planned_start=dt.date(2026, 5, 11),
                            planned_end=dt.date(2026, 5, 12))


# ---------------------------------------------------------------------------
# Independence across companies


def plan(by, company, departments, lead, auditors=(), clauses=None, **extra):
    clauses = clauses or list(Requirement.objects.filter(standard="jis_q_15001", edition="2023", clause="9.2"))
    return services.audit_plan(by=by, title="監査", company=company, departments=departments, clauses=clauses,
                               lead_auditor=lead, auditors=list(auditors), planned_start=dt.date(2026, 5, 11),
                               planned_end=dt.date(2026, 5, 12), **extra)


def test_the_audited_companys_privacy_officer_may_not_be_on_the_team(group, group_lead, lead_auditor, sol_sales,
                                                                     ga):
    officer = UserFactory(username="sol_officer", roles=["staff", "auditor"], department=ga)
    group["sol"].privacy_officer = officer
    group["sol"].save()
    with pytest.raises(NotPermitted) as refused:
        plan(group_lead, group["sol"], [sol_sales], lead_auditor, auditors=[officer])
    assert "株式会社INEソリューションズ" in str(refused.value.message)
    # The same person may audit another company, of which they are not the officer.
    audit = plan(group_lead, group["dat"], [DepartmentFactory(code="DAT-HR", company=group["dat"])], officer)
    assert audit.lead_auditor == officer


def test_an_auditor_of_one_company_audits_another_but_not_their_own_department(group, group_lead, sol_sales,
                                                                               sales):
    sol_auditor = UserFactory(username="sol_auditor", roles=["staff", "auditor"], department=sol_sales)
    audit = plan(group_lead, group["ine"], [sales], sol_auditor)
    assert audit.company == group["ine"]
    with pytest.raises(NotPermitted):
        plan(group_lead, group["sol"], [sol_sales], sol_auditor)


def test_an_audits_departments_belong_to_its_company(group, group_lead, lead_auditor, sol_sales, sales):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        plan(group_lead, group["ine"], [sales, sol_sales], lead_auditor)
    assert "departments" in refused.value.message_dict
    # Not naming the company: the departments' own.
    assert plan(group_lead, None, [sol_sales], lead_auditor).company == group["sol"]


def test_a_company_change_on_re_planning_must_bring_its_departments(group, group_lead, lead_auditor, sol_sales):
    from django.core.exceptions import ValidationError

    audit = plan(group_lead, group["sol"], [sol_sales], lead_auditor)
    with pytest.raises(ValidationError):
        services.audit_update(audit=audit, by=group_lead, version=audit.version, company=group["dat"])
    dat_hr = DepartmentFactory(code="DAT-HR", company=group["dat"])
    audit = services.audit_update(audit=audit, by=group_lead, version=audit.version, company=group["dat"],
                                  departments=[dat_hr])
    assert audit.company == group["dat"] and audit.fiscal_year == 2026


def test_a_pms_manager_of_one_company_may_lead_the_audit_of_another(group, group_lead, manager, sol_sales, sales):
    # `manager` is INE's PMS manager (no RoleScope: their own company's).
    audit = plan(group_lead, group["sol"], [sol_sales], manager)
    assert audit.lead_auditor == manager
    with pytest.raises(NotPermitted):
        plan(group_lead, group["ine"], [sales], manager)


# ---------------------------------------------------------------------------
# The programme: coverage per company, each over its own fiscal year


@pytest.fixture
def programme_audits(group, group_lead, lead_auditor, sales, sol_sales, dat_ops):
    """FY2026: INE's sales audited (reported), SOL's planned; DAT's audit of February 2026
    is in DAT's FY2026 (January–December) but would be FY2025 for INE."""
    done = transition_record(plan(group_lead, group["ine"], [sales], lead_auditor), "start", by=lead_auditor)
    for item in done.checklist.all():
        services.checklist_record(item=item, by=lead_auditor, result="conforming", evidence="確認")
    transition_record(done, "report", by=lead_auditor, changes={"conclusion": "適合"})
    planned = plan(group_lead, group["sol"], [sol_sales], lead_auditor)
    february = services.audit_plan(
        by=group_lead, title="データ監査", company=group["dat"], departments=[dat_ops],
        clauses=list(Requirement.objects.filter(standard="jis_q_15001", edition="2023", clause="9.2")),
        lead_auditor=lead_auditor, planned_start=dt.date(2026, 2, 2), planned_end=dt.date(2026, 2, 3))
    return {"done": done, "planned": planned, "february": february}


def test_each_audit_takes_its_companys_fiscal_year(programme_audits):
    assert programme_audits["february"].fiscal_year == 2026  # DAT's year starts in January
    assert programme_audits["planned"].fiscal_year == 2026


def test_the_programme_covers_each_company_over_its_own_fiscal_year(group, programme_audits,
                                                                     django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        sections = selectors.programme_by_company(year=2026)
    assert [section["company"] for section in sections] == [group["ine"], group["sol"], group["dat"]]
    by_code = {section["company"].code: section for section in sections}
    assert {row["department"].code: row["status"] for row in by_code["INE"]["rows"]} == {
        "GA": "none", "IT": "none", "SALES": "done"}
    assert {row["department"].code: row["status"] for row in by_code["SOL"]["rows"]} == {"SOL-SALES": "planned"}
    assert {row["department"].code: row["status"] for row in by_code["DAT"]["rows"]} == {"DAT-OPS": "planned"}
    assert (by_code["INE"]["first_day"], by_code["INE"]["last_day"]) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert (by_code["DAT"]["first_day"], by_code["DAT"]["last_day"]) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert by_code["INE"]["counts"] == {"done": 1, "planned": 0, "none": 2}


def test_the_programme_page_shows_every_company_and_the_switcher_narrows_it(client, group, group_lead,
                                                                           programme_audits):
    client.force_login(group_lead)
    page = client.get(reverse("audit_programme_year", args=[2026]))
    assert [s["company"].code for s in page.context["sections"]] == ["INE", "SOL", "DAT"]
    html = page.content.decode()
    assert "株式会社INEデータ" in html and "2026-01-01" in html  # DAT's own year, in its section
    assert len(page.context["audits"]) == 3

    session = client.session
    session[SESSION_KEY] = group["sol"].pk
    session.save()
    page = client.get(reverse("audit_programme_year", args=[2026]))
    assert [s["company"].code for s in page.context["sections"]] == ["SOL"]
    assert [audit.pk for audit in page.context["audits"]] == [programme_audits["planned"].pk]
    assert {row["department"].code for row in page.context["rows"]} == {"SOL-SALES"}


def test_a_company_scoped_reader_sees_their_companys_programme(client, group, sol_manager, programme_audits):
    client.force_login(sol_manager)
    page = client.get(reverse("audit_programme_year", args=[2026]))
    assert [s["company"].code for s in page.context["sections"]] == ["SOL"]
    assert "株式会社INEデータ" not in page.content.decode()


def test_the_audit_and_finding_lists_name_the_company_and_follow_the_switcher(client, group, group_lead,
                                                                             programme_audits):
    client.force_login(group_lead)
    page = client.get(reverse("audit_list"))
    assert page.context["page"].paginator.count == 3
    assert "company" in page.context["filter"].form.fields
    assert "株式会社INEソリューションズ" in page.content.decode()
    assert client.get(reverse("audit_list"), {"company": group["dat"].pk}).context["page"].paginator.count == 1
    session = client.session
    session[SESSION_KEY] = group["ine"].pk
    session.save()
    assert [a.pk for a in client.get(reverse("audit_list")).context["page"].object_list] == [
        programme_audits["done"].pk]
    assert client.get(reverse("finding_list")).status_code == 200


# ---------------------------------------------------------------------------
# Management reviews: a company's, the group's and the sum


def track(incident, kind, *, limit, state=TrackState.PENDING, filed=None):
    return ReportingTrack.objects.create(incident=incident, kind=kind, due_at=limit, limit_at=limit, state=state,
                                         filed_at=filed)


@pytest.fixture
def period_records(group, sales, it_dept, sol_sales, dat_ops, lead_auditor, group_lead):
    """Incidents, reports, actions, audits and findings of FY2025 in the three companies;
    one of 株式会社INEソリューションズ's incidents involves jointly used data."""
    def incident(department, day, **extra):
        return IncidentFactory(department=department, discovered_at=jst(2025, *day, 9), **extra)

    ine_leak = incident(sales, (5, 1), severity="L2")
    incident(it_dept, (6, 1), kind=IncidentKind.NEAR_MISS)
    incident(sales, (7, 1), state=IncidentState.DISMISSED)
    sol_leak = incident(sol_sales, (8, 1), involves_joint_use=True, severity="L3",
                        title="共同利用データの誤送信")
    incident(sol_sales, (9, 1), state=IncidentState.CLOSED, closed_at=jst(2025, 10, 1, 9))
    incident(sol_sales, (10, 1), kind=IncidentKind.NEAR_MISS)
    dat_loss = incident(dat_ops, (11, 1), kind=IncidentKind.LOSS)
    IncidentFactory(department=dat_ops, discovered_at=jst(2026, 4, 2, 9))  # the next period

    track(ine_leak, TrackKind.PPC_PRELIMINARY, limit=jst(2025, 5, 4, 23, 59), state=TrackState.FILED,
          filed=jst(2025, 5, 2, 9))
    track(sol_leak, TrackKind.PPC_PRELIMINARY, limit=jst(2025, 8, 4, 23, 59), state=TrackState.FILED,
          filed=jst(2025, 8, 6, 9))  # late
    track(sol_leak, TrackKind.JOINT_USE, limit=jst(2025, 8, 2, 23, 59))  # overdue
    track(dat_loss, TrackKind.DATA_SUBJECTS, limit=jst(2025, 12, 1, 23, 59), state=TrackState.NOT_REQUIRED)

    for department, state in ((sales, ActionState.EFFECTIVE), (sales, ActionState.IN_PROGRESS),
                              (sol_sales, ActionState.PLANNED), (dat_ops, ActionState.IMPLEMENTED)):
        ActionFactory(department=department, due_date=dt.date(2025, 12, 1), state=state,
                      implemented_at=jst(2025, 11, 20, 9) if state in (ActionState.EFFECTIVE,
                                                                      ActionState.IMPLEMENTED) else None)
    ActionFactory(department=sol_sales, incident=sol_leak, due_date=dt.date(2025, 9, 1))

    clause = Requirement.objects.get(standard="jis_q_15001", edition="2023", clause="6.1")

    def audit(company, departments, state, *grades):
        record = Audit.objects.create(reference=next_reference("AUD", 2), title="監査", company=company,
                                      lead_auditor=lead_auditor, planned_start=dt.date(2025, 10, 1),
                                      planned_end=dt.date(2025, 10, 2), state=state, created_by=group_lead)
        record.departments.set(departments)
        for grade in grades:
            Finding.objects.create(reference=next_reference("FND", 4), audit=record, requirement=clause,
                                   department=departments[0], grade=grade, description="指摘",
                                   raised_by=lead_auditor)
        return record

    audit(group["ine"], [sales], AuditState.CLOSED, Grade.MINOR, Grade.OPPORTUNITY)
    audit(group["sol"], [sol_sales], AuditState.REPORTED, Grade.MAJOR)
    audit(group["dat"], [dat_ops], AuditState.PLANNED)
    return {"sol_leak": sol_leak, "ine_leak": ine_leak}


def review_of(by, company, **extra):
    return services.review_create(by=by, company=company, period_start=FY2025[0], period_end=FY2025[1],
                                  **TEXTS, **extra)


def figures(inputs: dict) -> dict:
    """The figures a breakdown row carries, read from a review's inputs."""
    incidents, tracks, actions, audits = inputs["incidents"], inputs["tracks"], inputs["actions"], inputs["audits"]
    return {
        "incidents": {key: incidents[key] for key in ("total", "near_misses", "accidents", "open", "dismissed")},
        "tracks": dict(tracks["totals"]),
        "actions": {key: actions["totals"][key] for key in ("total", "completed", "on_time", "overdue", "effective",
                                                            "checked", "late")},
        "audits": dict(audits["audits"]),
        "findings": {"total": audits["findings_total"], "open": audits["findings_open"]},
        "coverage": {key: audits["coverage"][key] for key in ("departments", "covered")},
    }


def add(*dicts: dict) -> dict:
    return {section: {key: sum(d[section][key] for d in dicts) for key in dicts[0][section]} for section in dicts[0]}


def test_the_groups_figures_are_the_sum_of_the_companies(group, group_manager, period_records):
    companies = {code: assemble(review_of(group_manager, group[code])) for code in ("ine", "sol", "dat")}
    group_inputs = assemble(review_of(group_manager, None))

    each = {code: figures(inputs) for code, inputs in companies.items()}
    assert each["ine"]["incidents"] == {"total": 2, "near_misses": 1, "accidents": 1, "open": 2, "dismissed": 1}
    assert each["sol"]["incidents"] == {"total": 3, "near_misses": 1, "accidents": 2, "open": 2, "dismissed": 0}
    assert each["dat"]["incidents"]["total"] == 1
    assert each["sol"]["tracks"]["late"] == 1 and each["sol"]["tracks"]["overdue"] == 1
    assert each["sol"]["actions"]["total"] == 2 and each["ine"]["actions"]["effective"] == 1
    assert each["ine"]["findings"] == {"total": 2, "open": 2} and each["dat"]["findings"]["total"] == 0
    assert each["ine"]["coverage"]["covered"] == 1 and each["dat"]["coverage"] == {"departments": 1, "covered": 0}

    assert figures(group_inputs) == add(*each.values())
    # The breakdown: a row per company, in the group's order, each equal to the company's review.
    rows = group_inputs["by_company"]
    assert [row["name"] for row in rows] == ["株式会社INE", "株式会社INEソリューションズ", "株式会社INEデータ"]
    for row, code in zip(rows, ("ine", "sol", "dat"), strict=True):
        mine = each[code]
        assert row["incidents"] == mine["incidents"]
        assert {key: row["tracks"][key] for key in mine["tracks"]} == mine["tracks"]
        assert {key: row["actions"][key] for key in mine["actions"]} == mine["actions"]
        assert row["audits"] == mine["audits"]
        assert {key: row["findings"][key] for key in mine["findings"]} == mine["findings"]
        assert {key: row["coverage"][key] for key in mine["coverage"]} == mine["coverage"]
    assert group_inputs["company"] is None
    assert [c["code"] for c in group_inputs["companies"]] == ["INE", "SOL", "DAT"]
    # A company's review has no breakdown; its opportunities are its own.
    assert companies["sol"]["by_company"] is None
    assert len(companies["ine"]["opportunities"]) == 1 and companies["sol"]["opportunities"] == []


def test_the_responsible_companys_review_lists_the_jointly_used_datas_incidents_apart(group, group_manager,
                                                                                      period_records):
    ine = assemble(review_of(group_manager, group["ine"]))
    sol = assemble(review_of(group_manager, group["sol"]))

    leak = period_records["sol_leak"]
    assert leak.joint_use_company == group["ine"]
    assert [(row["reference"], row["company"]) for row in ine["joint_use"]] == [
        (leak.reference, "株式会社INEソリューションズ")]
    assert ine["incidents"]["total"] == 2  # not added to INE's own figures
    assert sol["incidents"]["total"] == 3  # SOL's own incident, counted there
    assert sol["joint_use"] is None  # only the responsible company's review lists them
    assert assemble(review_of(group_manager, None))["joint_use"] is None


def test_the_review_page_shows_the_group_its_breakdown_and_the_joint_use_section(client, group, group_manager,
                                                                                  period_records):
    client.force_login(group_manager)
    group_review = review_of(group_manager, None)
    assert group_review.reference == "MR-GROUP-FY2025"
    page = client.get(reverse("review_detail", args=[group_review.pk]))
    html = page.content.decode()
    assert [row["name"] for row in page.context["inputs"]["by_company"]["rows"]] == [
        "株式会社INE", "株式会社INEソリューションズ", "株式会社INEデータ"]
    assert page.context["inputs"]["by_company"]["total"]["incidents"] == "6"
    assert 'id="by-company"' in html and 'id="joint-use"' not in html

    ine_review = review_of(group_manager, group["ine"])
    page = client.get(reverse("review_detail", args=[ine_review.pk]))
    assert 'id="joint-use"' in page.content.decode() and 'id="by-company"' not in page.content.decode()
    [row] = page.context["inputs"]["joint_use"]
    assert row["incident_pk"] == period_records["sol_leak"].pk  # the group office may open it

    listed = client.get(reverse("review_list")).content.decode()
    assert "株式会社INE" in listed and "MR-GROUP-FY2025" in listed and "MR-INE-FY2025" in listed


def test_the_snapshot_freezes_the_breakdown(group, group_manager, sol_sales, period_records):
    review = transition_record(review_of(group_manager, None), "submit", by=group_manager)
    IncidentFactory(department=sol_sales, discovered_at=jst(2025, 12, 1, 9))
    assert review.snapshot["by_company"][1]["incidents"]["total"] == 3
    assert Review.objects.get(pk=review.pk).inputs()["by_company"][1]["incidents"]["total"] == 3
    assert assemble(review)["by_company"][1]["incidents"]["total"] == 4


def test_a_group_reviews_inputs_take_constant_queries(group, group_manager, sales, sol_sales, dat_ops,
                                                      period_records):
    review = review_of(group_manager, None)
    ine_review = review_of(group_manager, group["ine"])

    def queries(target) -> int:
        with CaptureQueriesContext(connection) as captured:
            assemble(Review.objects.get(pk=target.pk))
        return len(captured)

    few, few_ine = queries(review), queries(ine_review)
    for n in range(12):
        department = (sales, sol_sales, dat_ops)[n % 3]
        incident = IncidentFactory(department=department, discovered_at=jst(2025, 5 + n % 6, 1, 9),
                                   involves_joint_use=bool(n % 2))
        track(incident, TrackKind.PPC_PRELIMINARY, limit=jst(2025, 12, 1, 23, 59))
        ActionFactory(department=department, due_date=dt.date(2025, 11, 1))
        DepartmentFactory(code=f"NEW{n}", company=(group["ine"], group["sol"], group["dat"])[n % 3])
    assert queries(review) == few
    assert queries(ine_review) == few_ine


# ---------------------------------------------------------------------------
# Who prepares which review


def test_a_company_scoped_manager_is_offered_their_company_only(client, group, sol_manager):
    client.force_login(sol_manager)
    form = client.get(reverse("review_create")).context["form"]
    assert [value for value, _label in form.fields["company"].choices] == [group["sol"].pk]
    assert form.initial["company"] == group["sol"].pk


def test_the_group_manager_is_offered_the_group_and_every_company(client, group, group_manager):
    client.force_login(group_manager)
    form = client.get(reverse("review_create")).context["form"]
    choices = form.fields["company"].choices
    # The empty choice is the whole group (グループ全体).
    assert (choices[0][0], str(choices[0][1])) == ("", str(WHOLE_GROUP))
    assert [value for value, _label in choices][1:] == [group["ine"].pk, group["sol"].pk, group["dat"].pk]


def test_a_company_scoped_manager_cannot_prepare_a_group_or_another_companys_review(client, group, sol_manager,
                                                                                   group_manager):
    client.force_login(sol_manager)
    period = {"period_start": "2025-04-01", "period_end": "2026-03-31", **TEXTS}
    assert client.post(reverse("review_create"), {**period, "company": ""}).status_code == 403
    assert client.post(reverse("review_create"), {**period, "company": group["ine"].pk}).status_code == 403
    assert not Review.objects.exists()
    response = client.post(reverse("review_create"), {**period, "company": group["sol"].pk})
    assert response.status_code == 302
    own = Review.objects.get()
    assert own.company == group["sol"] and own.reference == "MR-SOL-FY2025"

    # The group's and another company's reviews are not theirs to see.
    group_review = review_of(group_manager, None)
    ine_review = review_of(group_manager, group["ine"])
    for review in (group_review, ine_review):
        assert client.get(reverse("review_detail", args=[review.pk])).status_code == 404
        assert client.get(reverse("review_edit", args=[review.pk])).status_code == 404
    # Nor may they turn their own review into the group's.
    response = client.post(reverse("review_edit", args=[own.pk]),
                           {"version": own.version, "company": "", "period_start": "2025-04-01",
                            "period_end": "2026-03-31", **TEXTS})
    assert response.status_code == 403
    assert Review.objects.get(pk=own.pk).company == group["sol"]
    with pytest.raises(NotPermitted):
        review_of(sol_manager, None)


def test_only_group_top_management_approves_a_group_review(group, group_manager, group_executive, executive,
                                                           period_records):
    from audits.models.review import approval_problem

    review = transition_record(review_of(group_manager, None), "submit", by=group_manager)
    assert approval_problem(review, executive) is not None  # INE's executive
    assert approval_problem(review, group_executive) is None


def test_a_company_reviews_decisions_are_for_its_departments(group, group_manager, group_executive, sales,
                                                             sol_sales):
    from audits.services import DecisionsInvalid, review_approve

    review = transition_record(review_of(group_manager, group["sol"]), "submit", by=group_manager)
    owner = UserFactory(username="sol_owner", department=sol_sales)
    decision = {"title": "教育の強化", "owner": owner, "due_date": dt.date(2026, 9, 30)}
    with pytest.raises(DecisionsInvalid) as refused:
        review_approve(review=review, by=group_executive, conclusion="適切", decisions=[{**decision,
                                                                                       "department": sales}])
    assert "株式会社INEソリューションズ" in " ".join(str(problem) for problem in refused.value.problems)
    review = review_approve(review=review, by=group_executive, conclusion="適切", decisions=[decision])
    assert review.decisions.get().action.company == group["sol"]


# ---------------------------------------------------------------------------
# The PDFs carry the company's name and 法人番号


def test_the_audit_report_names_the_audited_company(group, group_lead, lead_auditor, sol_sales):
    audit = plan(group_lead, group["sol"], [sol_sales], lead_auditor)
    texts = pdf_pages(render_audit_report(audit, language="en"))
    assert "株式会社INEソリューションズ" in texts[0] and "Corporate number 2010401000001" in texts[0]
    assert all("株式会社INEソリューションズ (Corporate number 2010401000001)" in page for page in texts)
    assert "株式会社INE (" not in "".join(texts)


def test_a_company_reviews_report_names_the_company(group, group_manager, period_records):
    texts = pdf_pages(render_review_report(review_of(group_manager, group["sol"]), language="en"))
    assert "株式会社INEソリューションズ" in texts[0] and "Corporate number 2010401000001" in texts[0]
    assert all("株式会社INEソリューションズ (Corporate number 2010401000001)" in page for page in texts[1:])
    assert "By company" not in "".join(texts)


def test_the_group_reviews_report_says_whole_group_names_the_companies_and_breaks_down(group, group_manager,
                                                                                      period_records):
    texts = pdf_pages(render_review_report(review_of(group_manager, None), language="en"))
    cover = texts[0]
    assert "Whole group" in cover
    assert all(name in cover for name in ("株式会社INE", "株式会社INEソリューションズ", "株式会社INEデータ"))
    body = "".join(texts[1:])
    assert "By company" in body
    assert all("Whole group" in page for page in texts[1:])  # the running footer


def test_the_responsible_companys_report_lists_the_joint_use_incidents(group, group_manager, period_records):
    body = "".join(pdf_pages(render_review_report(review_of(group_manager, group["ine"]), language="en")))
    assert "Other group companies' incidents involving jointly used data" in body
    assert period_records["sol_leak"].reference in body


def test_a_snapshot_from_before_the_companies_still_renders(client, group, group_manager, period_records):
    review = transition_record(review_of(group_manager, group["sol"]), "submit", by=group_manager)
    old = {key: value for key, value in review.snapshot.items()
           if key not in ("company", "companies", "by_company", "joint_use")}
    Review.objects.filter(pk=review.pk).update(snapshot={**old, "version": 1})
    review = Review.objects.get(pk=review.pk)
    texts = pdf_pages(render_review_report(review, language="en"))
    assert "株式会社INEソリューションズ" in texts[0]  # the review's company, read from the review
    client.force_login(group_manager)
    assert client.get(reverse("review_detail", args=[review.pk])).status_code == 200


def test_the_approval_page_offers_the_companys_departments(client, group, group_manager, group_executive,
                                                           sales, sol_sales, dat_ops):
    sol_review = transition_record(review_of(group_manager, group["sol"]), "submit", by=group_manager)
    client.force_login(group_executive)
    page = client.get(reverse("review_approve", args=[sol_review.pk]))
    assert page.status_code == 200
    departments = page.context["formset"].forms[0].fields["department"]
    assert list(departments.queryset) == [sol_sales]

    group_review = transition_record(review_of(group_manager, None), "submit", by=group_manager)
    page = client.get(reverse("review_approve", args=[group_review.pk]))
    choices = page.context["formset"].forms[0].fields["department"].choices
    groups = {label: [name for _pk, name in options] for label, options in list(choices)[1:]}
    assert groups["株式会社INEソリューションズ"] == ["ソリューションズ営業部"]
    assert groups["株式会社INEデータ"] == ["データ運用部"]
    assert '<optgroup label="株式会社INEデータ">' in page.content.decode()
