"""An action's page names where it comes from: the audit finding it answers, the review decision
it carries out (incidents registers no audits code; the audits app registers these)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from audits import services
from audits.models import Audit, AuditState, Finding, Grade, Requirement
from incidents.services import next_reference, transition_record
from tests.incidents.factories import ActionFactory


def test_an_action_of_a_finding_links_to_the_finding(client, head, sales, lead_auditor, audit_lead):
    audit = Audit.objects.create(reference=next_reference("AUD", 2), title="監査", lead_auditor=lead_auditor,
                                 planned_start=dt.date(2026, 10, 1), planned_end=dt.date(2026, 10, 2),
                                 created_by=audit_lead, state=AuditState.FIELDWORK)
    finding = Finding.objects.create(reference=next_reference("FND", 4), audit=audit, department=sales, grade=Grade.MINOR,
                                     requirement=Requirement.objects.first(), description="x", raised_by=lead_auditor)
    action = ActionFactory(department=sales, owner=head)
    finding.actions.add(action)
    client.force_login(head)

    page = client.get(reverse("action_detail", args=[action.pk])).content.decode()

    assert f'<a href="{reverse("finding_detail", args=[finding.pk])}">監査の指摘事項 {finding.reference}</a>' in page


def test_an_improvement_action_names_its_review_decision(client, manager, executive, head):
    review = services.review_create(by=manager, issues_changes="a", interested_parties="b", feedback="c",
                                    risk_status="d")
    review = transition_record(review, "submit", by=manager)
    review = services.review_approve(review=review, by=executive, conclusion="有効", decisions=[
        {"title": "訓練", "owner": head, "due_date": dt.date.today() + dt.timedelta(days=90)}])
    action = review.decisions.get().action

    client.force_login(executive)
    page = client.get(reverse("action_detail", args=[action.pk])).content.decode()
    assert reverse("review_detail", args=[review.pk]) in page
    assert review.reference in page

    # the owner, a department head, may not open reviews: named, not linked
    client.force_login(head)
    page = client.get(reverse("action_detail", args=[action.pk])).content.decode()
    assert review.reference in page
    assert reverse("review_detail", args=[review.pk]) not in page


def test_an_action_of_an_incident_has_no_other_origin(client, manager, sales):
    action = ActionFactory(department=sales)
    client.force_login(manager)

    response = client.get(reverse("action_detail", args=[action.pk]))

    assert response.context["origins"] == []
