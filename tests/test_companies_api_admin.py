"""Group companies through the API, the admin and the header's company switcher.

Two companies (the default one the migration made, and a group company), records of every
type in each: every API list filters by company, and a reader scoped to one company who asks
for another's gets nothing; reviews are opened for a company, the default one or the whole
group; /api/companies/ lists the group; the switcher keeps a choice the user may make and
refuses any other; the admin checks the 法人番号 and saves the role scopes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import services as audit_services
from audits.models import Audit, Requirement, Review
from incidents.models import Company, Incident, RoleScope
from incidents.models.company import corporate_number_problem
from incidents.services import transition_record
from incidents.switcher import SESSION_KEY, narrow
from tests.incidents.factories import ActionFactory, DepartmentFactory, UserFactory, reported_incident

pytestmark = pytest.mark.django_db

def with_check_digit(twelve: str) -> str:
    """A valid 法人番号 for twelve digits (the check digit in front)."""
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(twelve), start=1))
    return f"{9 - total % 9}{twelve}"


# ---------------------------------------------------------------------------
# Two companies and their people


@pytest.fixture
def main(db):
    return Company.objects.default()


@pytest.fixture
def sol(db):
    return Company.objects.create(code="SOL", name="株式会社INEソリューションズ", position=1,
                                  corporate_number=with_check_digit("011001098765"), iso27001_certified=True)


@pytest.fixture
def dev(sol):
    return DepartmentFactory(code="DEV", name="開発部", company=sol)


@pytest.fixture
def ga(db):
    return DepartmentFactory(code="GA", name="総務部")


def group_wide(user, *roles):
    for role in roles:
        RoleScope.objects.create(user=user, role=role, company=None)
    return user


@pytest.fixture
def group_manager(it_dept, sol):
    """The group's PMS office: the PMS manager role held for the whole group."""
    return group_wide(UserFactory(username="group_manager", roles=["staff", "pms_manager"], department=it_dept),
                      "pms_manager")


@pytest.fixture
def sol_manager(dev):
    """The group company's PMS manager: held for their own company (their department's)."""
    return UserFactory(username="sol_manager", roles=["staff", "pms_manager"], department=dev)


@pytest.fixture
def sol_staff(dev):
    return UserFactory(username="sol_staff", roles=["staff"], department=dev)


@pytest.fixture
def group_audit_lead(ga, sol):
    return group_wide(UserFactory(username="group_lead", roles=["staff", "audit_lead"], department=ga), "audit_lead")


@pytest.fixture
def lead_auditor(ga, sol):
    return group_wide(UserFactory(username="lead_auditor", roles=["staff", "auditor"], department=ga), "auditor")


@pytest.fixture
def records(main, sol, sales, dev, staff, sol_staff, group_manager, group_audit_lead, lead_auditor):
    """One record of each type in each company: {"main": {...}, "sol": {...}}."""
    clause = Requirement.objects.filter(standard="jis_q_15001", edition="2023", clause="6.1").first()
    today = timezone.localdate()
    made = {}
    for key, company, department, reporter in (("main", main, sales, staff), ("sol", sol, dev, sol_staff)):
        incident = reported_incident(reporter, department=department, involves_sensitive_data=True,
                                     affected_count=3)
        action = ActionFactory(department=department, owner=reporter, verifier=group_manager,
                               created_by=group_manager)
        audit = audit_services.audit_plan(
            by=group_audit_lead, title=f"{department.name} 内部監査", departments=[department], clauses=[clause],
            lead_auditor=lead_auditor, planned_start=today, planned_end=today + dt.timedelta(days=2),
        )
        audit = transition_record(audit, "start", by=lead_auditor)
        finding = audit_services.finding_raise(audit=audit, by=lead_auditor, requirement=clause,
                                               department=department, grade="minor", description="記録の不備")
        review = audit_services.review_create(by=group_manager, company=company)
        made[key] = {"incident": incident, "action": action, "audit": audit, "finding": finding, "review": review}
    made["group_review"] = audit_services.review_create(by=group_manager, company=None)
    return made


LISTS = {
    "incidents": ("/api/incidents/", "incident", lambda record: record.reference),
    "actions": ("/api/actions/", "action", lambda record: record.reference),
    "tracks": ("/api/tracks/", "incident", lambda record: record.reference),
    "audits": ("/api/audits/", "audit", lambda record: record.reference),
    "findings": ("/api/findings/", "finding", lambda record: record.reference),
    "reviews": ("/api/reviews/", "review", lambda record: record.reference),
}


def listed(client, url, **params) -> set[str]:
    """The references a list answers with (a track by its incident's)."""
    response = client.get(url, {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return {row.get("incident_reference") or row["reference"] for row in response.json()["results"]}


# ---------------------------------------------------------------------------
# The company filter of every list


@pytest.mark.parametrize("name", list(LISTS))
def test_every_list_filters_by_company(name, api_as, records, group_manager, main, sol):
    url, kind, reference = LISTS[name]
    client = api_as(group_manager)
    mine, theirs = reference(records["main"][kind]), reference(records["sol"][kind])

    assert listed(client, url, company=main.pk) >= {mine}
    assert theirs not in listed(client, url, company=main.pk)
    assert listed(client, url, company=sol.pk) == {theirs}
    assert {mine, theirs} <= listed(client, url, company=[main.pk, sol.pk])


@pytest.mark.parametrize("name", list(LISTS))
def test_a_reader_of_one_company_asking_for_another_gets_nothing(name, api_as, records, sol_manager, main, sol):
    url, kind, reference = LISTS[name]
    client = api_as(sol_manager)

    assert listed(client, url, company=main.pk) == set()
    assert listed(client, url) == listed(client, url, company=sol.pk) == {reference(records["sol"][kind])}


@pytest.mark.parametrize("name", list(LISTS))
def test_a_company_that_is_no_company_is_a_400_naming_the_filter(name, api_as, group_manager, sol):
    client = api_as(group_manager)
    for value in ("999999", "abc", str(10**30)):
        response = client.get(LISTS[name][0], {"company": value})
        assert response.status_code == 400, (value, response.content)
        assert "company" in response.json()


def test_rows_name_their_company(api_as, records, group_manager, sol, main):
    client = api_as(group_manager)
    incident = client.get(f"/api/incidents/{records['sol']['incident'].pk}/").json()
    assert (incident["company"], incident["company_name"]) == (sol.pk, sol.name)
    track = client.get("/api/tracks/", {"company": sol.pk}).json()["results"][0]
    assert (track["company"], track["company_name"]) == (sol.pk, sol.name)
    action = client.get(f"/api/actions/{records['main']['action'].pk}/").json()
    assert (action["company"], action["company_name"]) == (main.pk, main.name)
    finding = client.get(f"/api/findings/{records['sol']['finding'].pk}/").json()
    assert (finding["company"], finding["company_name"]) == (sol.pk, sol.name)
    group = client.get(f"/api/reviews/{records['group_review'].pk}/").json()
    assert (group["company"], group["company_name"]) == (None, None)


def test_reviews_of_the_whole_group_are_asked_for_with_group(api_as, records, group_manager, sol_manager):
    client = api_as(group_manager)
    group, sol_review = records["group_review"].reference, records["sol"]["review"].reference

    assert listed(client, "/api/reviews/", group="true") == {group}
    assert group not in listed(client, "/api/reviews/", group="false")
    assert sol_review in listed(client, "/api/reviews/", group="false")
    # A company's PMS manager never sees the group's review, asked for or not.
    assert listed(api_as(sol_manager), "/api/reviews/", group="true") == set()


def test_the_fiscal_year_filter_follows_each_companys_year(api_as, group_manager, main, sol):
    sol.fiscal_year_start_month = 1
    sol.save()
    client = api_as(group_manager)
    created = client.post("/api/reviews/", {"company": sol.pk, "period_start": "2026-01-01"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["fiscal_year"] == 2026  # calendar years: January 2026 is 2026年度
    main_review = client.post("/api/reviews/", {"period_start": "2026-01-01"}, format="json").json()
    assert main_review["fiscal_year"] == 2025  # April years: January 2026 is 2025年度

    assert listed(client, "/api/reviews/", fiscal_year=2026) == {created.json()["reference"]}
    assert listed(client, "/api/reviews/", fiscal_year=2025) == {main_review["reference"]}


def test_a_list_of_group_reviews_does_not_ask_for_the_default_company_per_row(api_as, group_manager, main):
    client = api_as(group_manager)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/reviews/", {"page_size": 100}).status_code == 200
        return len(queries)

    audit_services.review_create(by=group_manager, company=None, period_start=dt.date(2020, 4, 1))
    few = count()
    for year in range(2010, 2016):
        audit_services.review_create(by=group_manager, company=None, period_start=dt.date(year, 4, 1))
    assert count() == few


# ---------------------------------------------------------------------------
# Writing the company


def test_a_review_is_the_default_companys_without_company_the_groups_with_null(api_as, group_manager, main, sol):
    client = api_as(group_manager)

    absent = client.post("/api/reviews/", {}, format="json")
    group = client.post("/api/reviews/", {"company": None}, format="json")
    named = client.post("/api/reviews/", {"company": sol.pk}, format="json")

    assert [r.status_code for r in (absent, group, named)] == [201, 201, 201]
    assert absent.json()["company"] == main.pk
    assert group.json()["company"] is None and group.json()["reference"].startswith("MR-GROUP-FY")
    assert named.json()["company"] == sol.pk and named.json()["reference"].startswith("MR-SOL-FY")
    assert Review.objects.get(pk=group.json()["id"]).company is None


def test_a_companys_pms_manager_opens_only_their_companys_review(api_as, sol_manager, main, sol):
    client = api_as(sol_manager)

    assert client.post("/api/reviews/", {"company": None}, format="json").status_code == 403
    assert client.post("/api/reviews/", {"company": main.pk}, format="json").status_code == 403
    assert client.post("/api/reviews/", {}, format="json").status_code == 403  # the default company's
    assert client.post("/api/reviews/", {"company": sol.pk}, format="json").status_code == 201
    assert client.post("/api/reviews/", {"company": 999_999}, format="json").status_code == 400
    assert Review.objects.filter(company__isnull=True).count() == 0


def test_an_audits_company_is_its_departments_unless_named(api_as, group_audit_lead, lead_auditor, dev, sales,
                                                          main, sol):
    client = api_as(group_audit_lead)
    today = timezone.localdate()
    clause = Requirement.objects.filter(standard="jis_q_15001", edition="2023", clause="6.1").first()
    plan = {"title": "開発部 内部監査", "clauses": [clause.pk], "lead_auditor": lead_auditor.pk,
            "planned_start": today.isoformat(), "planned_end": (today + dt.timedelta(days=1)).isoformat()}

    derived = client.post("/api/audits/", {**plan, "departments": [dev.pk]}, format="json")
    named = client.post("/api/audits/", {**plan, "departments": [sales.pk], "company": main.pk}, format="json")
    stranger = client.post("/api/audits/", {**plan, "departments": [dev.pk], "company": main.pk}, format="json")

    assert derived.status_code == 201, derived.content
    assert (derived.json()["company"], derived.json()["company_name"]) == (sol.pk, sol.name)
    assert named.status_code == 201 and named.json()["company"] == main.pk
    assert stranger.status_code == 400 and "departments" in stranger.json()


def test_joint_use_is_reported_and_its_company_set_by_the_system(api_as, sol_staff, main, sol):
    client = api_as(sol_staff)
    created = client.post("/api/incidents/", {
        "title": "共同利用データの誤送信", "description": "グループ共通の顧客データを誤送信した。", "kind": "leak",
        "discovered_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(), "involves_joint_use": True,
    }, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["company"] == sol.pk and data["involves_joint_use"] is True
    assert (data["joint_use_company"], data["joint_use_company_name"]) == (main.pk, main.name)

    url = f"/api/incidents/{data['id']}/"
    refused = client.patch(url, {"version": data["version"], "joint_use_company": sol.pk}, format="json")
    assert refused.status_code == 400 and "joint_use_company" in refused.json()
    refused = client.patch(url, {"version": data["version"], "company": main.pk}, format="json")
    assert refused.status_code == 400 and "company" in refused.json()
    assert Incident.objects.get(pk=data["id"]).company == sol


# ---------------------------------------------------------------------------
# /api/companies/


def test_any_signed_in_user_reads_the_groups_companies(api, api_as, staff, main, sol):
    sol.leak_authority, sol.leak_authority_name = "delegated", "金融庁"
    sol.save()
    client = api_as(staff)

    rows = client.get("/api/companies/").json()["results"]
    assert [row["code"] for row in rows] == [main.code, "SOL"]
    detail = client.get(f"/api/companies/{sol.pk}/").json()
    assert detail["corporate_number"] == sol.corporate_number and detail["iso27001_certified"] is True
    assert detail["leak_authority"] == "delegated" and detail["leak_authority_display"] == "金融庁"
    assert rows[0]["leak_authority_display"] == "個人情報保護委員会"
    assert rows[0]["is_default"] is True and rows[0]["joint_use_manager"] is True
    assert [row["code"] for row in client.get("/api/companies/", {"holds_privacymark": "false"}).json()["results"]] \
        == ["SOL"]
    assert client.post("/api/companies/", {"code": "X", "name": "X"}, format="json").status_code == 405
    api.force_authenticate(user=None)
    assert api.get("/api/companies/").status_code == 401


# ---------------------------------------------------------------------------
# The header's company switcher


def choose(client, company, next_url="/incidents/"):
    return client.post(reverse("choose_company"), {"company": "" if company is None else company, "next": next_url})


def test_the_switcher_keeps_a_company_the_user_may_choose(client, group_manager, records, sol, main):
    client.force_login(group_manager)

    response = choose(client, sol.pk)
    assert response.status_code == 302 and response["Location"] == "/incidents/"
    assert client.session[SESSION_KEY] == sol.pk

    page = client.get("/incidents/")
    assert {incident.reference for incident in page.context["page"]} == {records["sol"]["incident"].reference}
    html = page.content.decode()
    # The header says which company is shown.
    assert 'class="company-switch company-switch--narrowed"' in html
    assert f'<option value="{sol.pk}" selected>' in html

    assert choose(client, None).status_code == 302
    assert SESSION_KEY not in client.session
    html = client.get("/incidents/").content.decode()
    assert records["main"]["incident"].reference in html and records["sol"]["incident"].reference in html


def test_narrow_keeps_only_the_chosen_company(rf, group_manager, records, sol):
    request = rf.get("/")
    request.user = group_manager
    request.session = {SESSION_KEY: sol.pk}
    narrowed = narrow(Incident.objects.visible_to(group_manager), request)
    assert set(narrowed) == {records["sol"]["incident"]}
    request.session = {}
    assert set(narrow(Incident.objects.visible_to(group_manager), request)) == {
        records["main"]["incident"], records["sol"]["incident"]}


def test_the_switcher_refuses_a_company_outside_the_users_choices(client, sol_manager, group_manager, main, sol):
    client.force_login(sol_manager)  # reads one company: nothing to switch among
    assert choose(client, main.pk).status_code == 400
    assert choose(client, sol.pk).status_code == 400
    assert SESSION_KEY not in client.session

    client.force_login(group_manager)
    for value in ("999999", "abc"):
        assert choose(client, value).status_code == 400
    assert SESSION_KEY not in client.session


def test_the_switcher_goes_back_only_to_this_site(client, group_manager, sol):
    client.force_login(group_manager)
    for unsafe in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = choose(client, sol.pk, next_url=unsafe)
        assert response.status_code == 302 and response["Location"] == reverse("home"), unsafe
    assert choose(client, sol.pk, next_url="/actions/?state=planned")["Location"] == "/actions/?state=planned"


def test_the_switcher_takes_a_post_from_a_signed_in_user_only(client, group_manager, sol):
    response = choose(client, sol.pk)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(group_manager)
    assert client.get(reverse("choose_company")).status_code == 405


def test_the_header_offers_the_switcher_to_group_readers_only(client, group_manager, sol_manager, main, sol):
    client.force_login(group_manager)
    html = client.get("/").content.decode()
    assert f'action="{reverse("choose_company")}"' in html
    assert f'<option value="{main.pk}">{main.name}</option>' in html and sol.name in html

    client.force_login(sol_manager)
    assert f'action="{reverse("choose_company")}"' not in client.get("/").content.decode()


def test_one_company_shows_no_switcher(client, manager):
    client.force_login(manager)
    assert Company.objects.count() == 1
    html = client.get("/").content.decode()
    assert "company-switch" not in html and reverse("choose_company") not in html


# ---------------------------------------------------------------------------
# The admin


def company_form(**overrides) -> dict:
    data = {
        "code": "INS", "name": "株式会社INE保険サービス", "corporate_number": with_check_digit("011101067890"),
        "position": "2", "leak_authority": "ppc", "leak_authority_name": "", "fiscal_year_start_month": "4",
        "privacymark_number": "", "privacymark_body": "", "iso27001_certificate": "", "privacy_officer": "",
        # The company's desk for requests and complaints, an inline left empty.
        "privacy_desk-TOTAL_FORMS": "0", "privacy_desk-INITIAL_FORMS": "0", "privacy_desk-MIN_NUM_FORMS": "0",
        "privacy_desk-MAX_NUM_FORMS": "1",
    }
    data.update(overrides)
    return data


def test_the_company_admin_checks_the_corporate_numbers_check_digit(admin_client, superuser, main):
    client = admin_client(superuser)
    url = reverse("admin:incidents_company_add")
    good = with_check_digit("011101067890")
    wrong = str((int(good[0]) + 1) % 10) + good[1:]
    assert corporate_number_problem(good) is None and corporate_number_problem(wrong)

    refused = client.post(url, company_form(corporate_number=wrong))
    assert refused.status_code == 200
    assert "corporate_number" in refused.context["adminform"].form.errors
    assert not Company.objects.filter(code="INS").exists()

    saved = client.post(url, company_form())
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    company = Company.objects.get(code="INS")
    assert company.corporate_number == good and not company.is_default
    assert company.history.count() == 1


def test_the_company_admin_keeps_one_default_and_one_joint_use_manager(admin_client, superuser, main):
    client = admin_client(superuser)
    refused = client.post(reverse("admin:incidents_company_add"),
                          company_form(is_default="on", joint_use_manager="on"))
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert main.name in str(errors["is_default"]) and main.name in str(errors["joint_use_manager"])


def test_the_company_admin_lists_the_companies_public_data(admin_client, superuser, main, sol):
    html = admin_client(superuser).get(reverse("admin:incidents_company_changelist")).content.decode()
    assert sol.corporate_number in html and "個人情報保護委員会" in html and sol.name in html


def test_a_companys_pms_manager_edits_their_company_only(admin_client, sol_manager, main, sol):
    sol_manager.is_staff = True
    sol_manager.save()
    client = admin_client(sol_manager)
    assert client.get(reverse("admin:incidents_company_change", args=[sol.pk])).context["has_change_permission"]
    assert not client.get(reverse("admin:incidents_company_change", args=[main.pk])).context["has_change_permission"]
    assert client.get(reverse("admin:incidents_company_add")).status_code == 403


def user_change_data(response) -> dict:
    """The user's change form as a browser posts it back, the inline rows with every field."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(field.widget, forms.MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        elif isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif value is not None:
            data[name] = str(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = str(value)
        for row in formset.initial_forms:
            for name in row.fields:
                value = row[name].value()
                if value is not None:
                    data[row.add_prefix(name)] = str(value)
    return data


def test_the_role_scope_inline_saves(admin_client, superuser, sol_manager, main, sol):
    client = admin_client(superuser)
    url = reverse("admin:auth_user_change", args=[sol_manager.pk])
    page = client.get(url)
    assert "role_scopes-TOTAL_FORMS" in user_change_data(page)
    assert "whole group" in page.content.decode().lower()

    data = user_change_data(page)
    data.update({"role_scopes-TOTAL_FORMS": "2", "role_scopes-0-role": "pms_manager", "role_scopes-0-company": "",
                 "role_scopes-0-user": str(sol_manager.pk), "role_scopes-1-role": "staff",
                 "role_scopes-1-company": str(sol.pk), "role_scopes-1-user": str(sol_manager.pk)})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][1].formset.errors
    assert set(RoleScope.objects.filter(user=sol_manager).values_list("role", "company")) == {
        ("pms_manager", None), ("staff", sol.pk)}
    assert sol_manager.profile.department.code == "DEV"  # the other inline kept its row
    assert RoleScope.history.filter(user=sol_manager).count() == 2

    # The same role for the whole group twice is refused, nothing saved.
    data = user_change_data(client.get(url))
    count = int(data["role_scopes-TOTAL_FORMS"])
    data.update({"role_scopes-TOTAL_FORMS": str(count + 1), f"role_scopes-{count}-role": "pms_manager",
                 f"role_scopes-{count}-company": "", f"role_scopes-{count}-user": str(sol_manager.pk)})
    assert client.post(url, data).status_code == 200
    assert RoleScope.objects.filter(user=sol_manager).count() == 2


def test_with_one_company_the_user_admin_has_no_role_scopes(admin_client, superuser, staff):
    page = admin_client(superuser).get(reverse("admin:auth_user_change", args=[staff.pk]))
    assert "role_scopes-TOTAL_FORMS" not in page.content.decode()


def test_the_records_admins_list_and_filter_by_company(admin_client, superuser, records, sol):
    client = admin_client(superuser)
    for model, kind in (("incidents_incident", "incident"), ("incidents_action", "action"),
                        ("audits_audit", "audit"), ("audits_finding", "finding"), ("audits_review", "review")):
        url = reverse(f"admin:{model}_changelist")
        html = client.get(url, {"company__id__exact": sol.pk}).content.decode()
        assert records["sol"][kind].reference in html, model
        assert records["main"][kind].reference not in html, model
        assert "column-company" in html, model


def test_the_review_admin_names_the_whole_group(admin_client, superuser, records):
    client = admin_client(superuser)
    html = client.get(reverse("admin:audits_review_changelist"), {"company__isnull": "True"}).content.decode()
    assert records["group_review"].reference in html
    assert records["sol"]["review"].reference not in html
    assert "Whole group" in html


def test_the_department_admin_shows_and_edits_the_company(admin_client, superuser, dev, sol, main):
    client = admin_client(superuser)
    html = client.get(reverse("admin:incidents_department_changelist"), {"company__id__exact": sol.pk}).content.decode()
    assert "開発部" in html and "column-company" in html
    page = client.get(reverse("admin:incidents_department_change", args=[dev.pk]))
    assert "company" in page.context["adminform"].form.fields


def test_with_one_company_the_department_admin_shows_none(admin_client, superuser, sales):
    client = admin_client(superuser)
    assert "column-company" not in client.get(reverse("admin:incidents_department_changelist")).content.decode()
    page = client.get(reverse("admin:incidents_department_change", args=[sales.pk]))
    assert "company" not in page.context["adminform"].form.fields


def test_the_audit_admin_plans_for_a_company(admin_client, group_audit_lead, lead_auditor, dev, sol, main):
    group_audit_lead.is_staff = True
    group_audit_lead.save()
    client = admin_client(group_audit_lead)
    url = reverse("admin:audits_audit_add")
    assert "company" in client.get(url).context["adminform"].form.fields
    today = timezone.localdate()
    clause = Requirement.objects.filter(standard="jis_q_15001", edition="2023", clause="6.1").first()
    plan = {"title": "開発部 内部監査", "kind": "internal", "departments": [dev.pk], "clauses": [clause.pk],
            "lead_auditor": lead_auditor.pk, "planned_start": today.isoformat(),
            "planned_end": (today + dt.timedelta(days=1)).isoformat()}

    refused = client.post(url, {**plan, "company": main.pk})
    assert refused.status_code == 200 and not Audit.objects.exists()
    assert "departments" in refused.context["adminform"].form.errors

    assert client.post(url, {**plan, "company": ""}).status_code == 302
    assert Audit.objects.get().company == sol


def test_the_role_scope_admin_lists_who_holds_which_role_where(admin_client, superuser, group_manager, sol_manager,
                                                              sol):
    RoleScope.objects.create(user=sol_manager, role="pms_manager", company=sol)
    client = admin_client(superuser)
    url = reverse("admin:incidents_rolescope_changelist")
    html = client.get(url, {"company__isnull": "True"}).content.decode()
    assert "group_manager" in html and "sol_manager" not in html and "Whole group" in html

    refused = client.post(reverse("admin:incidents_rolescope_add"),
                          {"user": group_manager.pk, "role": "pms_manager", "company": ""})
    assert refused.status_code == 200 and refused.context["adminform"].form.errors
    assert RoleScope.objects.filter(user=group_manager).count() == 1


def test_a_companys_pms_office_reads_only_its_evidence_and_its_mails_in_the_admin(
        admin_client, records, sol_manager, group_manager, staff, sol_staff):
    """The admin's lists of evidence files and of sent mails name other records: a company's
    PMS office sees those of the records it may see, the group's office all of them."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from incidents.attachments import attachment_add
    from incidents.models import SentReminder

    for key, reporter in (("main", staff), ("sol", sol_staff)):
        attachment_add(record=records[key]["incident"], by=reporter, description=f"{key}-evidence",
                       file=SimpleUploadedFile(f"{key}-list.txt", f"{key} 一覧\n".encode(), "text/plain"))
    SentReminder.objects.create(key="main-reminder", recipient=group_manager, subject="main-reminder")
    SentReminder.objects.create(key="sol-reminder", recipient=sol_manager, subject="sol-reminder")
    for user in (sol_manager, group_manager):
        user.is_staff = True
        user.save()

    def listed(user, name):
        html = admin_client(user).get(reverse(f"admin:incidents_{name}_changelist")).content.decode()
        return {key for key in ("main", "sol") if f"{key}-list.txt" in html or f"{key}-reminder" in html}

    assert listed(group_manager, "attachment") == {"main", "sol"}
    assert listed(sol_manager, "attachment") == {"sol"}
    assert listed(group_manager, "sentreminder") == {"main", "sol"}
    assert listed(sol_manager, "sentreminder") == {"sol"}
