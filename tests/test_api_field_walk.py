"""Every field of every record endpoint, for every role, by PATCH and by PUT, valid and invalid.

The answer is never a 500 and always JSON. A field the user may not write (unknown,
read-only, written by a step, not theirs in this state) is a 400 naming that field; a user
who may write nothing of the record gets a 403 (or 409 when it is closed, 404 when they
may not see it). Nothing is saved from a refused request. (tests/field_walk.py walks.)
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import Action, Incident
from tests.field_walk import walk
from tests.incidents.factories import ActionFactory, UserFactory, reported_incident

pytestmark = pytest.mark.django_db

ROLES = ["staff", "other_staff", "manager", "head", "executive", "auditor", "audit_lead"]


@pytest.fixture
def user_of(staff, other_staff, manager, head, executive, auditor):
    people = {"staff": staff, "other_staff": other_staff, "manager": manager, "head": head,
              "executive": executive, "auditor": auditor,
              "audit_lead": UserFactory(username="auditlead", roles=["staff", "audit_lead"])}
    return people.__getitem__


@pytest.mark.parametrize("role", ROLES)
def test_every_incident_field(role, user_of, staff):
    incident = reported_incident(staff, involves_sensitive_data=True, affected_count=10)
    url = reverse("api:incident-detail", args=[incident.pk])

    sent = walk(incident, url, [user_of(role)],
                put_fields=["title", "description", "department", "kind", "discovered_at"])

    assert sent >= 20
    assert Incident.objects.get(pk=incident.pk).state == "reported"


@pytest.mark.parametrize("role", ROLES)
def test_every_action_field(role, user_of, staff, head, manager, sales):
    action = ActionFactory(department=sales, owner=staff, verifier=head, created_by=manager)
    url = reverse("api:action-detail", args=[action.pk])

    sent = walk(action, url, [user_of(role)],
                put_fields=["kind", "title", "department", "owner", "verifier", "due_date"])

    assert sent >= 20
    assert Action.objects.get(pk=action.pk).state == "planned"
