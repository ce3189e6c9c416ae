"""The audits admin: the clause catalogue as data; audits and findings only through the
services (the fields their edit policies allow, from the version the page was read at) and
the shared transition page; the user admin keeps the audit lead and the PMS manager apart."""

import datetime as dt

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.models import Audit, Finding, FindingResponsePolicy, Requirement, Review
from tests.incidents.factories import UserFactory
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db

CONFLICT = "The audit lead and the PMS manager must be different people: a user cannot hold both roles."


@pytest.fixture
def staff_audit_lead(audit_lead):
    audit_lead.is_staff = True
    audit_lead.save(update_fields=["is_staff"])
    return audit_lead


@pytest.fixture
def started(fieldwork):
    """The sales audit in fieldwork (tests/audits/conftest.py), by the name these tests use."""
    return fieldwork


@pytest.fixture
def finding(started, lead_auditor, clauses, sales):
    return services.finding_raise(audit=started, by=lead_auditor, requirement=clauses[0], department=sales,
                                  grade="observation", description="クリアデスクの掲示が古い")


def form_data(response) -> dict:
    """The POST data of an admin form (and its inlines) as a browser would send it back."""
    data = {}

    def add(form, prefix=""):
        for name, field in form.fields.items():
            key = f"{prefix}{name}"
            value = form[name].value()
            if isinstance(field.widget, forms.MultiWidget):
                for index, part in enumerate(field.widget.decompress(value)):
                    data[f"{key}_{index}"] = "" if part is None else str(part)
            elif isinstance(field.widget, forms.CheckboxInput):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            elif value is not None:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets") or []:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = str(value)
        for index, form in enumerate(formset.initial_forms):
            add(form, f"{formset.prefix}-{index}-")
    return data


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------------------
# Pages


def test_every_audits_admin_page_loads_for_a_superuser(admin_client, superuser, finding):
    client = admin_client(superuser)
    assert client.get(reverse("admin:index")).status_code == 200
    models = [model for model in admin.site._registry if model._meta.app_label == "audits"]
    assert set(models) == {Requirement, Audit, Finding, FindingResponsePolicy, Review}
    models.remove(Review)  # its pages: tests/audits/test_admin_reviews.py
    for model in models:
        info = model._meta.app_label, model._meta.model_name
        assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200, model
        assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200, model
        record = model.objects.first()
        response = client.get(reverse("admin:{}_{}_change".format(*info), args=[record.pk]))
        assert response.status_code == 200, model


@pytest.mark.parametrize("query", [
    "?standard__exact=jis_q_15001", "?edition=2017", "?verified__exact=1", "?q=内部監査", "?q=9.2",
])
def test_the_catalogue_lists_filters_and_searches(admin_client, superuser, query):
    response = admin_client(superuser).get(reverse("admin:audits_requirement_changelist") + query)
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


def test_the_catalogue_is_editable_data(admin_client, staff_audit_lead):
    client = admin_client(staff_audit_lead)  # the audit lead, without model permissions
    clause = Requirement.objects.get(standard="jis_q_15001", edition="2023", clause="9.2")
    url = reverse("admin:audits_requirement_change", args=[clause.pk])
    data = form_data(client.get(url))
    data["title_en"] = "Internal audits"
    response = client.post(url, data)
    assert response.status_code == 302
    clause.refresh_from_db()
    assert clause.title_en == "Internal audits"


@pytest.mark.parametrize("query", ["?state__exact=fieldwork", "?kind__exact=internal", "?q=営業部"])
def test_the_audit_list_filters(admin_client, superuser, started, query):
    response = admin_client(superuser).get(reverse("admin:audits_audit_changelist") + query)
    assert list(response.context["cl"].result_list) == [started]


# ---------------------------------------------------------------------------
# Audits through the services


def plan_data(sales, clauses, lead, auditors=()) -> dict:
    today = timezone.localdate()
    return {
        "title": "営業部 内部監査（下期）", "kind": "internal", "departments": [sales.pk],
        "clauses": [clause.pk for clause in clauses], "lead_auditor": lead.pk,
        "auditors": [auditor.pk for auditor in auditors],
        "planned_start": (today + dt.timedelta(days=10)).isoformat(),
        "planned_end": (today + dt.timedelta(days=11)).isoformat(),
    }


def test_planning_in_the_admin_goes_through_the_service(admin_client, staff_audit_lead, lead_auditor,
                                                        second_auditor, sales, clauses):
    client = admin_client(staff_audit_lead)
    response = client.post(reverse("admin:audits_audit_add"),
                           plan_data(sales, clauses, lead_auditor, [second_auditor]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    audit = Audit.objects.get()
    assert audit.reference.startswith("AUD-")
    assert audit.created_by == staff_audit_lead
    assert audit.state == "planned"
    assert audit.checklist.count() == len(clauses)
    assert list(audit.auditors.all()) == [second_auditor]
    assert StateLog.objects.filter(object_id=audit.pk, transition="plan").exists()


def test_an_auditor_from_an_audited_department_is_refused_with_the_reason(
    admin_client, staff_audit_lead, lead_auditor, sales, clauses
):
    insider = UserFactory(username="sales_auditor", first_name="次郎", last_name="佐々木",
                          roles=["staff", "auditor"], department=sales)
    response = admin_client(staff_audit_lead).post(reverse("admin:audits_audit_add"),
                                                   plan_data(sales, clauses, lead_auditor, [insider]))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["auditors"]
    assert "佐々木 次郎" in errors[0] and "nobody audits their own department" in errors[0]
    assert not Audit.objects.exists()


def test_the_state_cannot_be_written_and_a_started_audit_is_read_only(admin_client, staff_audit_lead, started):
    client = admin_client(staff_audit_lead)
    url = reverse("admin:audits_audit_change", args=[started.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "state" not in response.context["adminform"].form.fields
    assert "title" not in response.context["adminform"].form.fields  # fieldwork: no re-planning
    client.post(url, {"state": "closed", "title": "書き換え"})
    started.refresh_from_db()
    assert (started.state, started.title) == ("fieldwork", "営業部 内部監査")


def test_re_planning_a_planned_audit_goes_through_the_service(admin_client, staff_audit_lead, plan_audit):
    audit = plan_audit()
    client = admin_client(staff_audit_lead)
    url = reverse("admin:audits_audit_change", args=[audit.pk])
    response = client.get(url)
    assert set(response.context["adminform"].form.fields) == {
        *Audit.edit_policy.writable(audit, staff_audit_lead), "version",
    }
    data = form_data(response)
    assert data["version"] == str(audit.version)
    data["title"] = "営業部 内部監査（日程変更）"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    audit.refresh_from_db()
    assert audit.title == "営業部 内部監査（日程変更）"
    # The scope and the team sent back unchanged: only the title changed.
    assert audit.checklist.count() == 3 and audit.departments.count() == 1


def test_a_re_plan_from_a_stale_page_names_what_changed_and_keeps_the_first_save(
    admin_client, staff_audit_lead, plan_audit, ga
):
    audit = plan_audit()
    colleague = UserFactory(username="auditlead2", roles=["staff", "audit_lead", "auditor"], department=ga,
                            is_staff=True, last_name="佐藤", first_name="花子")
    url = reverse("admin:audits_audit_change", args=[audit.pk])
    mine = admin_client(staff_audit_lead)
    theirs = Client(HTTP_ACCEPT_LANGUAGE="en")
    theirs.force_login(colleague)
    my_data, their_data = form_data(mine.get(url)), form_data(theirs.get(url))

    moved = (audit.planned_end + dt.timedelta(days=7)).isoformat()
    their_data["planned_end"] = moved
    assert theirs.post(url, their_data).status_code == 302
    my_data["title"] = "営業部 内部監査（範囲見直し）"
    response = mine.post(url, my_data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    error = " ".join(form.non_field_errors())
    assert "Nothing was saved" in error
    assert "Planned end (佐藤 花子, " in error
    assert [(row["label"], row["by"]) for row in form.conflict] == [("planned end", colleague)]
    assert form["title"].value() == "営業部 内部監査（範囲見直し）"
    audit.refresh_from_db()
    assert (audit.title, audit.planned_end.isoformat()) == ("営業部 内部監査", moved)


def test_the_checklist_is_shown_read_only(admin_client, superuser, started):
    response = admin_client(superuser).get(reverse("admin:audits_audit_change", args=[started.pk]))
    inline = response.context["inline_admin_formsets"][0]
    assert inline.formset.model.__name__ == "ChecklistItem"
    assert len(inline.formset.forms) == started.checklist.count()
    assert not inline.has_change_permission and not inline.has_add_permission
    assert "result" not in inline.formset.forms[0].fields


def test_transitions_use_the_shared_page_and_its_permissions(admin_client, superuser, staff_audit_lead, plan_audit):
    audit = plan_audit()
    url = reverse("admin:audits_audit_transition", args=[audit.pk, "start"])
    # A superuser without the role is refused, as everywhere else.
    assert admin_client(superuser).get(url).status_code == 403
    client = admin_client(staff_audit_lead)
    change = client.get(reverse("admin:audits_audit_change", args=[audit.pk]))
    assert "start" in [option.name for option in change.context["transitions"]]
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {"from_state": "planned", "comment": "実施開始"})
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.state == "fieldwork"
    assert StateLog.objects.filter(object_id=audit.pk, transition="start", by=staff_audit_lead).exists()


def test_a_finding_is_closed_through_the_transition_page(admin_client, staff_audit_lead, finding):
    client = admin_client(staff_audit_lead)
    response = client.get(reverse("admin:audits_finding_change", args=[finding.pk]))
    assert "state" not in response.context["adminform"].form.fields
    assert [option.name for option in response.context["transitions"]] == ["close"]
    url = reverse("admin:audits_finding_transition", args=[finding.pk, "close"])
    response = client.post(url, {"from_state": "open", "comment": "掲示を更新済みであることを確認"})
    assert response.status_code == 302, messages_of(response)
    finding.refresh_from_db()
    assert finding.state == "closed"


def test_an_open_finding_is_reworded_through_the_service(admin_client, staff_audit_lead, finding):
    client = admin_client(staff_audit_lead)
    url = reverse("admin:audits_finding_change", args=[finding.pk])
    response = client.get(url)
    form = response.context["adminform"].form
    # The wording is the audit team's until the department responds; the response is the
    # department head's, the audit it was raised in is fixed.
    assert set(form.fields) == {*Finding.edit_policy.writable(finding, staff_audit_lead), "version"}
    assert {"description", "grade"} <= set(form.fields)
    assert {"cause", "plan", "audit"}.isdisjoint(form.fields)
    data = form_data(response)
    data["description"] = "クリアデスクの掲示が2023年版のまま"
    with pytest.MonkeyPatch.context() as patch:
        calls = []
        real = services.finding_update
        patch.setattr(services, "finding_update", lambda **kw: calls.append(kw) or real(**kw))
        response = client.post(url, data)
    assert response.status_code == 302, messages_of(response)
    assert [(sorted(call), call["version"]) for call in calls] == [(["by", "description", "finding", "version"], 1)]
    finding.refresh_from_db()
    assert finding.description == "クリアデスクの掲示が2023年版のまま"


def test_a_finding_is_raised_in_the_admin_through_the_service(admin_client, staff_audit_lead, started, clauses,
                                                             sales):
    response = admin_client(staff_audit_lead).post(reverse("admin:audits_finding_add"), {
        "audit": started.pk, "requirement": clauses[1].pk, "department": sales.pk, "grade": "minor",
        "description": "入退室記録に記入漏れがある", "evidence": "10月分の記録",
    })
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.reference.startswith("FND-")
    assert finding.raised_by == staff_audit_lead


def test_a_refusal_of_the_service_is_shown_on_its_field_with_the_entries_kept(
    admin_client, staff_audit_lead, started, clauses, it_dept
):
    response = admin_client(staff_audit_lead).post(reverse("admin:audits_finding_add"), {
        "audit": started.pk, "requirement": clauses[1].pk, "department": it_dept.pk, "grade": "minor",
        "description": "入退室記録に記入漏れがある", "evidence": "10月分の記録",
    })
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["department"] == ["The finding must be about a department this audit covers."]
    assert form["description"].value() == "入退室記録に記入漏れがある"
    assert not Finding.objects.exists()


# ---------------------------------------------------------------------------
# Users: the audit lead is never the PMS manager


def test_the_user_admin_refuses_audit_lead_and_pms_manager_together(admin_client, superuser, audit_lead):
    client = admin_client(superuser)
    url = reverse("admin:auth_user_change", args=[audit_lead.pk])
    data = form_data(client.get(url))
    roles = Group.objects.filter(name__in=["staff", "audit_lead", "pms_manager"])
    data["groups"] = [str(group.pk) for group in roles]
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["groups"] == [CONFLICT]
    assert CONFLICT in response.content.decode()
    assert set(audit_lead.groups.values_list("name", flat=True)) == {"staff", "audit_lead", "auditor"}


def test_the_user_admin_still_saves_other_roles(admin_client, superuser, audit_lead):
    client = admin_client(superuser)
    url = reverse("admin:auth_user_change", args=[audit_lead.pk])
    data = form_data(client.get(url))
    data["groups"] = [str(group.pk) for group in Group.objects.filter(name__in=["staff", "audit_lead"])]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert set(audit_lead.groups.values_list("name", flat=True)) == {"staff", "audit_lead"}
