"""No leak through links (issue 11).

A finding's related incidents are records of their own: the API lists only those the reader
may see and leaves the others out entirely (neither reference nor title; the web page shows
their reference without the title). A record's own actions (an incident's, a finding's) are
part of it, as on its web page: whoever may see the record sees their summaries. A review's
decisions show their improvement action only to a reader who may see it."""

import pytest
from django.urls import reverse

from audits.models import Finding
from audits.services import checklist_record
from tests.incidents.factories import ActionFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(fieldwork, lead_auditor, head, sales, it_dept, other_staff):
    """A sales finding related to an IT incident (which sales' head may not see) and to a
    sales incident (which they may), with an action."""
    checklist_record(item=fieldwork.checklist.first(), by=lead_auditor, result="nonconforming",
                     evidence="更新記録なし", note="台帳が更新されていない")
    finding = Finding.objects.get(audit=fieldwork)
    secret = IncidentFactory(reporter=other_staff, department=it_dept, title="秘密のIT事故")
    shown = IncidentFactory(reporter=head, department=sales, title="営業部の事故")
    finding.incidents.add(secret, shown)
    action = ActionFactory(department=sales, title="営業部の対策")
    finding.actions.add(action)
    return finding, secret, shown, action


def test_a_finding_leaves_out_incidents_the_reader_may_not_see(api_as, head, linked):
    finding, secret, shown, action = linked
    response = api_as(head).get(reverse("audits_api:finding-detail", args=[finding.pk]))
    assert response.status_code == 200
    body = response.json()
    assert body["incidents"] == [{"id": shown.pk, "reference": shown.reference, "title": "営業部の事故"}]
    assert [row["id"] for row in body["actions"]] == [action.pk]
    content = response.content.decode()
    assert secret.reference not in content and "秘密のIT事故" not in content


def test_a_reader_who_may_see_them_gets_them_all(api_as, manager, linked):
    finding, secret, shown, action = linked
    body = api_as(manager).get(reverse("audits_api:finding-detail", args=[finding.pk])).json()
    assert {incident["title"] for incident in body["incidents"]} == {"秘密のIT事故", "営業部の事故"}


def test_the_answer_to_an_edit_leaves_them_out_too(api_as, head, linked):
    finding, secret, shown, action = linked
    response = api_as(head).patch(
        reverse("audits_api:finding-detail", args=[finding.pk]),
        {"version": finding.version, "cause": "更新手順が定められていなかった"}, format="json",
    )
    assert response.status_code == 200, response.content
    assert secret.reference not in response.content.decode()


def test_an_incidents_own_actions_are_shown_as_on_its_page(api_as, staff, sales):
    incident = IncidentFactory(reporter=staff, department=sales)
    other = UserFactory(roles=["staff"], department=sales)
    action = ActionFactory(incident=incident, department=sales, owner=other, title="担当者の対策")
    body = api_as(staff).get(reverse("api:incident-detail", args=[incident.pk])).json()
    assert [row["id"] for row in body["actions"]] == [action.pk]
