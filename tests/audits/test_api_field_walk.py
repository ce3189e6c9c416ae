"""Every field of the audit, finding and review endpoints, for every role, by PATCH and by PUT,
valid and invalid values: never a 500, and a field the user may not write is a 400 naming it
(tests/field_walk.py walks)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audits import services
from audits.models import Audit, Finding, Review
from tests.field_walk import walk
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["staff", "manager", "head", "executive", "audit_lead", "lead_auditor", "second_auditor"]
TEXTS = {"issues_changes": "改正法の施行準備", "interested_parties": "特になし"}


@pytest.fixture
def user_of(staff, manager, head, executive, audit_lead, lead_auditor, second_auditor):
    people = {"staff": staff, "manager": manager, "head": head, "executive": executive,
              "audit_lead": audit_lead, "lead_auditor": lead_auditor, "second_auditor": second_auditor}
    return people.__getitem__


@pytest.mark.parametrize("role", ROLES)
def test_every_audit_field(role, user_of, plan_audit):
    audit = plan_audit()
    url = reverse("audits_api:audit-detail", args=[audit.pk])

    sent = walk(audit, url, [user_of(role)], put_fields=["title", "kind", "planned_start", "planned_end",
                                                            "lead_auditor", "departments", "clauses"])

    assert sent >= 20
    assert Audit.objects.get(pk=audit.pk).state == "planned"


@pytest.mark.parametrize("role", ROLES)
def test_every_finding_field(role, user_of, fieldwork, lead_auditor, sales):
    finding = services.finding_raise(audit=fieldwork, by=lead_auditor, requirement=fieldwork.clauses.first(),
                                     department=sales, grade="minor", description="持ち出し記録の不備")
    url = reverse("audits_api:finding-detail", args=[finding.pk])

    sent = walk(finding, url, [user_of(role)], put_fields=["requirement", "department", "grade", "description"])

    assert sent >= 20
    assert Finding.objects.get(pk=finding.pk).state == "open"


@pytest.mark.parametrize("role", ROLES)
def test_every_review_field(role, user_of, draft):
    url = reverse("audits_api:review-detail", args=[draft.pk])

    sent = walk(draft, url, [user_of(role)], put_fields=["period_start", "period_end"])

    assert sent >= 20
    assert Review.objects.get(pk=draft.pk).state == "draft"


def test_the_walk_reaches_every_role_of_the_audits(user_of):
    assert {user_of(role).username for role in ROLES} >= {"auditlead", "leadauditor", "auditor2"}
    assert UserFactory  # the roles above come from the shared fixtures
