"""Planning and re-planning an audit on the web: the independence refusals land on the form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit
from incidents.services import transition_record

pytestmark = pytest.mark.django_db


def plan_data(*, departments, clauses, lead, auditors, **overrides) -> dict:
    today = timezone.localdate()
    data = {
        "title": "2026年度 内部監査（営業部）",
        "kind": "internal",
        "departments": [d.pk for d in departments],
        "clauses": [c.pk for c in clauses],
        "lead_auditor": lead.pk,
        "auditors": [a.pk for a in auditors],
        "planned_start": today.isoformat(),
        "planned_end": (today + dt.timedelta(days=1)).isoformat(),
    }
    data.update(overrides)
    return data


def test_the_plan_form_groups_the_clauses_with_the_current_jis_edition_open(client, audit_lead):
    client.force_login(audit_lead)
    response = client.get(reverse("audit_plan"))
    assert response.status_code == 200
    groups = response.context["form"].clause_groups()
    assert [g["title"] for g in groups][0] == "JIS Q 15001:2023"
    assert [g["open"] for g in groups] == [True] + [False] * (len(groups) - 1)
    assert {g["title"] for g in groups} >= {"ISO/IEC 27001:2022"}


def test_the_audit_lead_plans_an_audit_of_two_departments(client, audit_lead, lead_auditor, sales, ga, it_dept,
                                                          clauses):
    client.force_login(audit_lead)
    response = client.post(reverse("audit_plan"), plan_data(
        departments=[sales, it_dept], clauses=clauses, lead=lead_auditor, auditors=[],
    ))
    audit = Audit.objects.get()
    assert response.status_code == 302 and response.url == reverse("audit_detail", args=[audit.pk])
    assert set(audit.departments.all()) == {sales, it_dept}
    assert audit.checklist.count() == len(clauses)
    assert audit.created_by == audit_lead


def test_an_auditor_from_an_audited_department_is_refused_with_the_reason_on_the_form(
    client, audit_lead, lead_auditor, second_auditor, sales, it_dept, clauses
):
    client.force_login(audit_lead)
    response = client.post(reverse("audit_plan"), plan_data(
        departments=[sales, it_dept], clauses=clauses, lead=lead_auditor, auditors=[second_auditor],
    ))
    assert response.status_code == 400
    errors = " ".join(response.context["form"].non_field_errors())
    assert "auditor2" in errors and "情報システム部" in errors
    html = response.content.decode()
    assert "情報システム部" in html and 'class="form-errors"' in html
    assert not Audit.objects.exists()


def test_a_pms_manager_cannot_lead_and_the_form_says_so(client, audit_lead, manager, sales, clauses):
    # Offered as a lead because they also head a department; the service refuses them.
    manager.groups.add(Group.objects.get(name="department_head"))
    client.force_login(audit_lead)
    response = client.post(reverse("audit_plan"), plan_data(departments=[sales], clauses=clauses, lead=manager,
                                                             auditors=[]))
    assert response.status_code == 400
    assert "manager" in " ".join(response.context["form"].non_field_errors())
    assert not Audit.objects.exists()


def test_the_form_checks_the_dates_and_the_scope(client, audit_lead, lead_auditor, sales, clauses):
    client.force_login(audit_lead)
    today = timezone.localdate()
    response = client.post(reverse("audit_plan"), plan_data(
        departments=[], clauses=[], lead=lead_auditor, auditors=[],
        planned_start=today.isoformat(), planned_end=(today - dt.timedelta(days=1)).isoformat(),
    ))
    assert response.status_code == 400
    assert {"departments", "clauses", "planned_end"} <= set(response.context["form"].errors)
    assert not Audit.objects.exists()


def test_a_department_head_plans_only_their_own_operational_check(client, head, sales, it_dept, clauses):
    client.force_login(head)
    form = client.get(reverse("audit_plan")).context["form"]
    assert [value for value, _label in form.fields["kind"].choices] == ["operational_check"]
    assert list(form.fields["departments"].queryset) == [sales]
    response = client.post(reverse("audit_plan"), plan_data(
        departments=[sales], clauses=clauses, lead=head, auditors=[], kind="operational_check",
    ))
    assert response.status_code == 302
    assert Audit.objects.get().kind == "operational_check"


def test_re_planning_shows_the_refusal_on_the_form_and_changes_nothing(
    client, plan_audit, audit_lead, lead_auditor, second_auditor, sales, it_dept, clauses
):
    audit = plan_audit(auditors=[])
    client.force_login(audit_lead)
    url = reverse("audit_edit", args=[audit.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {**plan_data(departments=[sales, it_dept], clauses=clauses, lead=lead_auditor,
                                             auditors=[second_auditor], title="変更後"), "version": audit.version})
    assert response.status_code == 400
    assert "auditor2" in " ".join(response.context["form"].non_field_errors())
    audit.refresh_from_db()
    assert audit.title != "変更後" and list(audit.departments.all()) == [sales]
    assert list(audit.auditors.all()) == []

    response = client.post(url, {**plan_data(departments=[sales], clauses=clauses[:1], lead=lead_auditor,
                                             auditors=[second_auditor], title="変更後"), "version": audit.version})
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.title == "変更後" and audit.checklist.count() == 1


def test_only_a_planned_audit_can_be_re_planned(client, plan_audit, audit_lead, lead_auditor):
    audit = transition_record(plan_audit(), "start", by=lead_auditor)
    client.force_login(audit_lead)
    response = client.get(reverse("audit_edit", args=[audit.pk]))
    assert response.status_code == 302 and response.url == reverse("audit_detail", args=[audit.pk])
    assert reverse("audit_edit", args=[audit.pk]) not in client.get(response.url).content.decode()
