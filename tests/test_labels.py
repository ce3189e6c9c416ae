"""People and departments by their names on every page: a department's code and a person's
login stay in the admin, where they tell records apart."""

from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse

from incidents.people_forms import PersonField
from incidents.templatetags.pms import user_label
from incidents.workflow.forms import _entered
from incidents.workflow.versions import display_value
from tests.incidents.factories import (
    ActionFactory,
    CompanyFactory,
    DepartmentFactory,
    IncidentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_a_department_is_named_by_its_name_and_the_admin_adds_its_code(sales):
    assert str(sales) == "営業部"
    assert sales.admin_label == "SALES 営業部"


def test_the_pages_name_the_department_and_the_people(client, manager, sales):
    owner = UserFactory(username="tanaka_m", first_name="美咲", last_name="田中", department=sales)
    action = ActionFactory(department=sales, owner=owner, verifier=manager)
    client.force_login(manager)
    content = client.get(reverse("action_detail", args=[action.pk])).content.decode()
    assert "営業部" in content and "SALES" not in content
    assert "田中 美咲" in content and "tanaka_m" not in content


def test_a_change_of_department_on_the_trail_reads_by_name(sales, it_dept):
    incident = IncidentFactory(department=sales)
    assert display_value(incident, "department", it_dept.pk) == "情報システム部"


def test_what_was_entered_names_the_person_not_their_login(sales):
    person = UserFactory(username="suzuki_i", first_name="一郎", last_name="鈴木", department=sales)

    class Form(forms.Form):
        owner = PersonField(role="staff")

    entered = _entered(Form(), "owner", person.pk)
    assert "鈴木 一郎" in entered and "suzuki_i" not in entered
    assert user_label(person) == "鈴木 一郎"


def test_the_admin_tells_two_companies_departments_of_one_name_apart(admin_client, superuser, manager):
    other = CompanyFactory(code="INS", name="株式会社INE保険サービス")
    DepartmentFactory(code="SOL-ADM", name="管理部")
    DepartmentFactory(code="INS-ADM", name="管理部", company=other)
    content = admin_client(superuser).get(reverse("admin:auth_user_change", args=[manager.pk])).content.decode()
    assert "SOL-ADM 管理部" in content and "INS-ADM 管理部" in content
    listing = admin_client(superuser).get(reverse("admin:incidents_department_changelist")).content.decode()
    assert "SOL-ADM" in listing and "INS-ADM" in listing


@pytest.mark.parametrize("model_name", ["incident", "action", "complaint"])
def test_the_records_admins_offer_departments_with_their_codes(rf, superuser, sales, model_name):
    from django.apps import apps
    from django.contrib import admin

    model = apps.get_model("incidents", model_name)
    request = rf.get("/admin/")
    request.user = superuser
    field = admin.site._registry[model].formfield_for_foreignkey(model._meta.get_field("department"), request)
    assert field.label_from_instance(sales) == "SALES 営業部"


def test_a_refused_handler_is_named_by_their_name(sales):
    from incidents.models.incident import handler_problem

    gone = UserFactory(username="old_office", first_name="花子", last_name="山田", department=sales, is_active=False)
    problem = str(handler_problem(IncidentFactory(department=sales), gone))
    assert "山田 花子" in problem and "old_office" not in problem
