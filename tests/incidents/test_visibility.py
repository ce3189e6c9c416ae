"""Who sees which incidents and actions (design.md "Roles")."""

import pytest

from incidents.models import Action, Incident
from tests.incidents.factories import ActionFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(staff, other_staff, head, manager, sales, it_dept):
    own = IncidentFactory(reporter=staff, department=sales)
    colleague = IncidentFactory(reporter=UserFactory(department=sales), department=sales)
    elsewhere = IncidentFactory(reporter=other_staff, department=it_dept)
    assigned = ActionFactory(owner=staff, verifier=manager, department=it_dept)
    to_verify = ActionFactory(owner=manager, verifier=staff, department=it_dept)
    in_sales = ActionFactory(owner=manager, verifier=head, department=sales)
    unrelated = ActionFactory(owner=manager, verifier=other_staff, department=it_dept)
    return {
        "own": own, "colleague": colleague, "elsewhere": elsewhere,
        "assigned": assigned, "to_verify": to_verify, "in_sales": in_sales, "unrelated": unrelated,
    }


def visible(user, records):
    incidents = set(Incident.objects.visible_to(user))
    actions = set(Action.objects.visible_to(user))
    return {name for name, record in records.items() if record in incidents | actions}


def test_staff_see_what_they_reported_and_what_is_assigned_to_them(staff, records):
    assert visible(staff, records) == {"own", "assigned", "to_verify"}


def test_a_department_head_sees_their_department(head, records):
    assert visible(head, records) == {"own", "colleague", "in_sales"}


@pytest.mark.parametrize("role", ["pms_manager", "auditor", "audit_lead", "executive"])
def test_the_pms_roles_see_everything(role, records):
    assert visible(UserFactory(roles=[role]), records) == set(records)


def test_a_department_member_without_the_head_role_sees_only_their_own(sales, records):
    assert visible(UserFactory(roles=["staff"], department=sales), records) == set()


def test_an_inactive_user_sees_nothing(records, manager):
    manager.is_active = False
    manager.save()
    assert visible(manager, records) == set()
