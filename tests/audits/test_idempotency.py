"""Safe retries through the audits API: an audit or a finding sent again with the same
`Idempotency-Key` is created once (the mechanism: tests/incidents/test_idempotency.py)."""

from __future__ import annotations

import uuid

import pytest

from audits.models import Audit, Finding
from incidents.models import IdempotentRequest
from tests.audits.test_api_audits import AUDITS_URL, plan_payload
from tests.audits.test_api_findings import FINDINGS_URL, finding_payload, url

pytestmark = pytest.mark.django_db


def twice(client, path, payload):
    key = str(uuid.uuid4())
    return [client.post(path, payload, format="json", HTTP_IDEMPOTENCY_KEY=key) for _ in range(2)]


def test_a_finding_sent_twice_is_raised_once(api_as, fieldwork, second_auditor, sales):
    first, second = twice(api_as(second_auditor), FINDINGS_URL, finding_payload(fieldwork, sales))

    assert first.status_code == second.status_code == 201, first.content
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Finding.objects.filter(audit=fieldwork).count() == 1


def test_an_audit_sent_twice_is_planned_once(api_as, audit_lead, lead_auditor, second_auditor, clauses, sales):
    payload = plan_payload(departments=[sales], clauses=clauses, lead=lead_auditor, auditors=[second_auditor])
    first, second = twice(api_as(audit_lead), AUDITS_URL, payload)

    assert first.status_code == second.status_code == 201, first.content
    assert second.json()["reference"] == first.json()["reference"]
    assert Audit.objects.count() == 1


def test_a_corrective_action_sent_twice_is_added_once(api_as, fieldwork, lead_auditor, head, manager, sales):
    from audits import services

    services.checklist_record(item=fieldwork.checklist.first(), by=lead_auditor, result="nonconforming",
                              evidence="更新記録なし", note="台帳が更新されていない")
    finding = Finding.objects.get(audit=fieldwork)
    payload = {"kind": "corrective", "title": "台帳の月次更新手順の制定", "description": "手順書を定める",
               "owner": head.pk, "verifier": manager.pk, "due_date": "2099-01-31"}

    first, second = twice(api_as(head), url("actions", finding.pk), payload)

    assert first.status_code == second.status_code == 201, first.content
    assert second["Idempotent-Replayed"] == "true"
    assert finding.actions.count() == 1
    assert IdempotentRequest.objects.count() == 1
