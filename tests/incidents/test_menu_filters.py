"""The list pages' menus of records (department, company): read with one plain query.

Django reads a ModelChoiceField's records with .iterator(), which on PostgreSQL opens a
server-side cursor (DECLARE, FETCH, CLOSE) for a handful of rows; MenuFilter reads them
with one query (incidents/filters.py).
"""

from __future__ import annotations

import pytest
from django.db.models import QuerySet
from django.urls import reverse

from audits.filters import FindingFilter
from incidents.filters import ActionFilter, IncidentFilter, MenuFilter
from incidents.models import Department
from tests.incidents.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_iterator(monkeypatch):
    def refused(self, *args, **kwargs):
        raise AssertionError("a menu read its records with .iterator()")

    monkeypatch.setattr(QuerySet, "iterator", refused)


@pytest.mark.parametrize("filter_class", [IncidentFilter, ActionFilter, FindingFilter])
def test_a_department_menu_lists_every_department_after_all(filter_class, no_iterator, django_assert_num_queries):
    DepartmentFactory(code="ZZZ", name="監査室")
    field = filter_class().filters["department"].field
    assert isinstance(filter_class.base_filters["department"], MenuFilter)
    with django_assert_num_queries(1):
        choices = [(str(value), str(label)) for value, label in field.choices]
    departments = list(Department.objects.order_by("code"))
    assert choices[0][0] == "" and len(choices) == len(departments) + 1
    assert [value for value, _label in choices[1:]] == [str(department.pk) for department in departments]


@pytest.mark.parametrize("name", ["incident_list", "action_list", "request_list", "complaint_list", "finding_list"])
def test_the_list_pages_draw_their_menus_without_iterator(client, manager, name, no_iterator):
    client.force_login(manager)
    page = client.get(reverse(name))
    assert page.status_code == 200
    assert 'name="department"' in page.content.decode()
