"""The owner and the verifier of a finding's action read the finding they work on (issue 14
item 5, the audits half): what it is about, the response and its actions, to read only;
nothing else of the audit, and a 404 for any other finding."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.models import Finding
from audits.views import finding_origins
from incidents.services import transition_record
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + dt.timedelta(days=30)


@pytest.fixture
def worker(sales):
    """A staff member of sales who carries out the corrective action."""
    return UserFactory(username="worker", roles=["staff"], department=sales)


@pytest.fixture
def checker(it_dept):
    """A staff member of IT who verifies it."""
    return UserFactory(username="checker", roles=["staff"], department=it_dept)


@pytest.fixture
def findings(fieldwork, lead_auditor, head, worker, checker):
    """Two nonconformities of the sales audit: the first answered, with a corrective action
    owned by `worker` and verified by `checker`; the second not theirs."""
    first, second = list(fieldwork.checklist.order_by("position"))[:2]
    services.checklist_record(item=first, by=lead_auditor, result="nonconforming", evidence="台帳の更新記録が3か月分ない",
                              note="個人情報管理台帳が更新されていない")
    services.checklist_record(item=second, by=lead_auditor, result="nonconforming", note="教育が未実施")
    mine = Finding.objects.get(checklist_item=first)
    other = Finding.objects.get(checklist_item=second)
    action = services.finding_add_action(finding=mine, by=head, kind="corrective", title="台帳の月次更新手順の制定",
                                         owner=worker, verifier=checker, due_date=DUE)
    mine = transition_record(mine, "respond", by=head, changes={"cause": "更新の担当が決まっていない",
                                                                "plan": "担当を決め月次で更新する"})
    return mine, other, action


@pytest.mark.parametrize("who", ["worker", "checker"])
def test_the_owner_and_the_verifier_read_the_finding(client, findings, who, request):
    mine, other, action = findings
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("finding_detail", args=[mine.pk]))
    assert response.status_code == 200
    assert response.context["for_work"] is True
    assert response.context["transitions"] == [] and response.context["can_edit"] is False
    assert response.context["action_form"] is None and response.context["trail"] == []
    html = response.content.decode()
    for text in ("個人情報管理台帳が更新されていない", "更新の担当が決まっていない", "担当を決め月次で更新する",
                 action.reference, mine.requirement.clause):
        assert text in html, text
    # Read only, and nothing of the rest of the audit: no edit, no steps, no trail, no files,
    # not the auditor's evidence, no way into the audit or to its other findings.
    assert reverse("finding_edit", args=[mine.pk]) not in html
    assert reverse("finding_transition", args=[mine.pk, "accept"]) not in html
    assert 'id="attachments"' not in html and "台帳の更新記録が3か月分ない" not in html
    assert reverse("audit_detail", args=[mine.audit_id]) not in html
    assert other.reference not in html


@pytest.mark.parametrize("who", ["worker", "checker"])
def test_they_get_a_404_for_the_other_findings_and_the_rest(client, findings, who, request):
    mine, other, _action = findings
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("finding_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("audit_detail", args=[mine.audit_id])).status_code == 404
    assert client.get(reverse("finding_edit", args=[mine.pk])).status_code == 404
    assert client.get(reverse("finding_transition", args=[mine.pk, "accept"])).status_code == 404
    assert client.post(reverse("finding_action_create", args=[mine.pk]), {}).status_code == 404
    assert not Finding.objects.visible_to(request.getfixturevalue(who)).exists()  # the lists stay as they were


def test_an_outsider_still_gets_a_404(client, findings, other_staff):
    mine, _other, _action = findings
    client.force_login(other_staff)
    assert client.get(reverse("finding_detail", args=[mine.pk])).status_code == 404


def test_those_who_see_the_finding_anyway_get_the_full_page(client, findings, head, lead_auditor):
    mine, _other, _action = findings
    for user in (head, lead_auditor):
        client.force_login(user)
        response = client.get(reverse("finding_detail", args=[mine.pk]))
        assert response.status_code == 200 and not response.context.get("for_work")
        assert 'id="attachments"' in response.content.decode()


def test_the_action_links_to_the_finding_for_its_owner(findings, worker, other_staff):
    mine, _other, action = findings
    assert finding_origins(action, worker)[0][1] == reverse("finding_detail", args=[mine.pk])
    assert finding_origins(action, other_staff)[0][1] is None
