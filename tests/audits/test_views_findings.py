"""A finding on the web: the head adds a corrective action and responds, the auditor accepts or
rejects, the head submits for verification, another auditor verifies and closes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.models import Finding
from incidents.services import transition_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(plan_audit, lead_auditor):
    audit = transition_record(plan_audit(), "start", by=lead_auditor)
    services.checklist_record(item=audit.checklist.first(), by=lead_auditor, result="nonconforming",
                              note="個人情報管理台帳が更新されていない")
    return Finding.objects.get(audit=audit)


def step(client, finding, name, **fields):
    data = {f"{name}-{key}": value for key, value in fields.items()}
    data.setdefault(f"{name}-expected_state", Finding.objects.get(pk=finding.pk).state)
    return client.post(reverse("finding_transition", args=[finding.pk, name]), data)


def add_action(client, finding, owner, verifier):
    return client.post(reverse("finding_action_create", args=[finding.pk]), {
        "action-kind": "corrective", "action-title": "台帳の月次更新手順の制定",
        "action-description": "更新の担当と手順を定める", "action-department": finding.department_id,
        "action-owner": owner.pk, "action-verifier": verifier.pk,
        "action-due_date": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
    })


def test_the_head_responds_with_a_corrective_action(client, finding, head, second_auditor):
    client.force_login(head)
    page = client.get(reverse("finding_detail", args=[finding.pk]))
    assert page.context["needs_action"] and page.context["action_form"] is not None
    assert [panel["option"].name for panel in page.context["transitions"]] == ["respond"]

    response = step(client, finding, "respond", cause="更新手順が定められていない", plan="手順を定め、月次で更新する")
    assert response.status_code == 400  # a nonconformity needs a corrective action first
    assert Finding.objects.get(pk=finding.pk).state == "open"

    response = add_action(client, finding, head, second_auditor)
    assert response.status_code == 302
    action = finding.actions.get()
    assert (action.kind, action.department, action.created_by) == ("corrective", finding.department, head)

    response = step(client, finding, "respond", cause="更新手順が定められていない", plan="手順を定め、月次で更新する")
    assert response.status_code == 302 and response.url == reverse("finding_detail", args=[finding.pk])
    finding.refresh_from_db()
    assert (finding.state, finding.responded_by, finding.cause) == ("responded", head, "更新手順が定められていない")
    html = client.get(reverse("finding_detail", args=[finding.pk])).content.decode()
    assert action.reference in html and "手順を定め、月次で更新する" in html


def test_an_invalid_action_shows_the_form_again(client, finding, head):
    client.force_login(head)
    response = add_action(client, finding, head, head)  # the verifier must not be the owner
    assert response.status_code == 400
    assert response.context["action_form"].errors
    assert not finding.actions.exists()


def test_the_auditor_cannot_add_actions_or_respond(client, finding, lead_auditor, head, second_auditor):
    client.force_login(lead_auditor)
    assert add_action(client, finding, head, second_auditor).status_code == 403
    assert step(client, finding, "respond", cause="x", plan="y").status_code == 403
    assert not finding.actions.exists()


@pytest.fixture
def responded(client, finding, head, second_auditor):
    client.force_login(head)
    add_action(client, finding, head, second_auditor)
    step(client, finding, "respond", cause="更新手順が定められていない", plan="手順を定め、月次で更新する")
    finding.refresh_from_db()
    assert finding.state == "responded"
    return finding


def test_the_auditor_rejects_with_a_comment_or_accepts(client, responded, lead_auditor, head):
    client.force_login(head)
    assert step(client, responded, "accept").status_code == 403
    client.force_login(lead_auditor)
    assert step(client, responded, "reject").status_code == 400  # the reason is required
    assert step(client, responded, "reject", comment="原因が表面的です").status_code == 302
    assert Finding.objects.get(pk=responded.pk).state == "open"

    client.force_login(head)
    step(client, responded, "respond", cause="担当者が決まっていない", plan="担当者を決め、月次で更新する")
    client.force_login(lead_auditor)
    assert step(client, responded, "accept").status_code == 302
    assert Finding.objects.get(pk=responded.pk).state == "accepted"


def test_verified_and_closed_by_an_auditor_other_than_the_responder(
    client, responded, lead_auditor, second_auditor, head
):
    client.force_login(lead_auditor)
    step(client, responded, "accept")
    action = responded.actions.get()

    client.force_login(head)
    assert step(client, responded, "submit_for_verification").status_code == 400  # not implemented yet
    action = transition_record(action, "start", by=head)
    action = transition_record(action, "implement", by=head, changes={"implementation_note": "手順書を制定し周知"})
    assert step(client, responded, "submit_for_verification").status_code == 302
    assert step(client, responded, "close").status_code == 403  # the responder is not an auditor

    client.force_login(lead_auditor)
    response = step(client, responded, "close")
    assert response.status_code == 400  # the action is not verified effective yet
    transition_record(action, "verify_effective", by=second_auditor,
                      changes={"effectiveness_note": "翌月の更新記録を確認"})
    assert step(client, responded, "close", comment="台帳の更新を確認").status_code == 302
    finding = Finding.objects.get(pk=responded.pk)
    assert finding.state == "closed" and finding.closed_at is not None
    html = client.get(reverse("finding_detail", args=[finding.pk])).content.decode()
    assert "台帳の更新を確認" in html  # the trail


def test_awaiting_my_departments_response(client, finding, head, lead_auditor):
    client.force_login(head)
    response = client.get(reverse("finding_mine"))
    assert [f.pk for f in response.context["awaiting"]] == [finding.pk]
    client.force_login(lead_auditor)  # heads no department
    assert client.get(reverse("finding_mine")).status_code == 404


def test_the_findings_list_filters(client, finding, audit_lead, lead_auditor, plan_audit):
    audit = finding.audit
    services.finding_raise(audit=audit, by=lead_auditor, requirement=audit.checklist.last().requirement,
                           grade="opportunity", description="手順書の表現を統一するとよい")
    client.force_login(audit_lead)
    url = reverse("finding_list")
    assert client.get(url).context["page"].paginator.count == 2
    assert [f.grade for f in client.get(url, {"grade": "opportunity"}).context["page"]] == ["opportunity"]
    assert client.get(url, {"state": "closed"}).context["page"].paginator.count == 0
    assert client.get(url, {"department": finding.department_id}).context["page"].paginator.count == 2
    assert client.get(url, {"q": finding.reference}).context["page"].paginator.count == 1
