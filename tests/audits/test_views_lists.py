"""The programme, the audit list and the findings list take a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits import services
from incidents.services import transition_record
from tests.incidents.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def make_audits(n: int, plan_audit, lead_auditor, second_auditor, start: int = 0) -> list:
    """n audits, each of its own new department (so the programme grows too), some in fieldwork."""
    audits = []
    for i in range(start, start + n):
        department = DepartmentFactory(code=f"Q{i:03d}", name=f"部署{i}")
        auditors = [second_auditor, UserFactory(username=f"aud{i}", roles=["staff", "auditor"])]
        audit = plan_audit(title=f"内部監査 {i}", departments=[department], auditors=auditors)
        if i % 2:
            audit = transition_record(audit, "start", by=lead_auditor)
        audits.append(audit)
    return audits


def make_findings(n: int, audit, lead_auditor) -> None:
    clauses = [item.requirement for item in audit.checklist.all()]
    for i in range(n):
        services.finding_raise(audit=audit, by=lead_auditor, requirement=clauses[i % len(clauses)],
                               grade=["major", "minor", "observation", "opportunity"][i % 4],
                               description=f"指摘 {i}", department=audit.departments.first())


@pytest.mark.parametrize("url_name", ["audit_programme", "audit_list"])
def test_audit_pages_take_constant_queries(client, url_name, plan_audit, audit_lead, lead_auditor, second_auditor):
    client.force_login(audit_lead)
    url = reverse(url_name)
    make_audits(5, plan_audit, lead_auditor, second_auditor)
    few = count_queries(client, url)
    make_audits(15, plan_audit, lead_auditor, second_auditor, start=5)
    many = count_queries(client, url)
    page = client.get(url).context
    assert len(page["audits"] if url_name == "audit_programme" else page["page"].object_list) == 20
    assert few == many


def test_findings_list_takes_constant_queries(client, plan_audit, audit_lead, lead_auditor, second_auditor):
    audit = make_audits(2, plan_audit, lead_auditor, second_auditor)[1]  # in fieldwork
    client.force_login(audit_lead)
    url = reverse("finding_list")
    make_findings(5, audit, lead_auditor)
    few = count_queries(client, url)
    make_findings(15, audit, lead_auditor)
    many = count_queries(client, url)
    assert client.get(url).context["page"].paginator.count == 20
    assert few == many


def test_findings_awaiting_my_response_take_constant_queries(client, plan_audit, head, lead_auditor, sales):
    audit = transition_record(plan_audit(), "start", by=lead_auditor)
    client.force_login(head)
    url = reverse("finding_mine")
    make_findings(5, audit, lead_auditor)
    few = count_queries(client, url)
    make_findings(15, audit, lead_auditor)
    assert count_queries(client, url) == few
    assert len(client.get(url).context["awaiting"]) == 20
