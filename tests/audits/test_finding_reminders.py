"""Finding response deadlines remind and escalate (issue 14 item 3): audits.reminders.send_reminders,
as the worker's periodic job runs it, walked through time with time-machine.

A major finding is due 14 days after it is raised: from 3 days before, the audited department's
head is reminded once; once past the deadline and unanswered, the head, the audit team and the
audit lead(s) of the company are told once more. Nobody else, and each in their language."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import formats, timezone, translation

from audits import services
from audits.reminders import send_reminders
from incidents.roles import Role
from incidents.services import transition_record
from notifications.kinds import Kind
from notifications.models import Notification, Reader
from tests.incidents.factories import CompanyFactory, DepartmentFactory, UserFactory, scope_role

pytestmark = pytest.mark.django_db


def later(days: int):
    """Time travel `days` days ahead of now (Asia/Tokyo dates move with it)."""
    return time_machine.travel(timezone.now() + dt.timedelta(days=days), tick=False)


def told() -> dict[str, int]:
    """{username: how many finding deadline notices}."""
    counts: dict[str, int] = {}
    for username in Notification.objects.filter(kind=Kind.FINDING_DEADLINE).values_list(
            "recipient__username", flat=True):
        counts[username] = counts.get(username, 0) + 1
    return counts


def subject_of(username: str) -> str:
    return Notification.objects.filter(kind=Kind.FINDING_DEADLINE, recipient__username=username).latest("id").subject


@pytest.fixture
def outsiders(staff, other_staff, manager, office, executive, auditor, superuser):
    """People with no part in the finding: staff of the audited and of other departments, the
    PMS office, top management, an auditor not on the team, and another company's audit lead
    and auditor."""
    other = CompanyFactory(code="SOL")
    sol = DepartmentFactory(code="SOL-AUD", name="監査室", company=other)
    sol_lead = UserFactory(username="sol_lead", roles=["staff", "audit_lead", "auditor"], department=sol)
    scope_role(sol_lead, Role.AUDIT_LEAD, other)
    UserFactory(username="sol_auditor", roles=["staff", "auditor"], department=sol)


@pytest.fixture
def finding(fieldwork, lead_auditor, head, outsiders):
    """A major finding on sales, due 14 days after today."""
    raised = services.finding_raise(audit=fieldwork, by=lead_auditor, requirement=fieldwork.clauses.first(),
                                    grade="major", description="委託先の監督記録がない")
    assert raised.response_due == timezone.localdate() + dt.timedelta(days=14)
    Notification.objects.all().delete()  # the notice that it was raised (test_events)
    return raised


def test_nothing_is_sent_more_than_three_days_before_the_deadline(finding):
    with later(10):
        assert send_reminders() == "0 reminders, 0 escalations"
    assert told() == {}


def test_the_head_is_reminded_once_within_three_days_of_the_deadline(finding, head):
    Reader.objects.create(user=head, language="en")
    with later(11):
        assert send_reminders() == "1 reminders, 0 escalations"
        assert send_reminders() == "0 reminders, 0 escalations"  # the next run of the job
    with later(13):
        assert send_reminders() == "0 reminders, 0 escalations"  # one reminder per deadline
    assert told() == {"head": 1}
    note = Notification.objects.get()
    with translation.override("en"):
        assert note.subject == (f"[3 days left] Answer the finding {finding.reference} Major nonconformity by "
                                f"{formats.date_format(finding.response_due)}")
    assert note.language == "en" and note.url == finding.get_absolute_url()
    assert "Response due:" in note.body


def test_the_reminder_is_in_japanese_by_default(finding, head):
    with later(12):
        send_reminders()
    assert subject_of("head").startswith(f"【回答期限まであと2日】指摘事項 {finding} に")


def test_an_overdue_response_is_escalated_once_to_the_head_the_team_and_the_audit_lead(
        finding, head, lead_auditor, second_auditor, audit_lead):
    Reader.objects.create(user=second_auditor, language="en")
    with later(15):
        assert send_reminders() == "0 reminders, 4 escalations"
        assert send_reminders() == "0 reminders, 0 escalations"
    with later(30):
        assert send_reminders() == "0 reminders, 0 escalations"  # once, not every day
    assert told() == {"head": 1, "leadauditor": 1, "auditor2": 1, "auditlead": 1}
    assert subject_of("leadauditor") == f"【回答期限超過】営業部の指摘事項 {finding} が未回答です（期限から1日経過）"
    assert subject_of("auditor2") == (f"[Overdue] The finding {finding.reference} Major nonconformity of 営業部 is "
                                      "unanswered, 1 days past its deadline")


def test_the_reminder_and_then_the_escalation_each_once(finding):
    with later(11):
        send_reminders()
    with later(14):
        send_reminders()  # the last day: still the reminder already sent
    with later(15):
        send_reminders()
    assert told() == {"head": 2, "leadauditor": 1, "auditor2": 1, "auditlead": 1}


def test_a_moved_deadline_is_a_new_reminder(finding, head, lead_auditor):
    with later(11):
        send_reminders()
        finding.refresh_from_db()
        finding = services.finding_update(finding=finding, by=lead_auditor, version=finding.version,
                                          response_due=finding.response_due - dt.timedelta(days=1))
        assert send_reminders() == "1 reminders, 0 escalations"
        assert subject_of("head").startswith("【回答期限まであと2日】")
    assert told() == {"head": 2}
    with later(14):
        send_reminders()  # overdue against the moved deadline, once
    with later(15):
        send_reminders()
    assert told() == {"head": 3, "leadauditor": 1, "auditor2": 1, "auditlead": 1}


def test_an_answered_finding_is_neither_reminded_nor_escalated(finding, head, second_auditor):
    services.finding_add_action(finding=finding, by=head, kind="corrective", title="監督手順の制定", owner=head,
                                verifier=second_auditor, due_date=timezone.localdate() + dt.timedelta(days=30))
    transition_record(finding, "respond", by=head, changes={"cause": "手順がない", "plan": "手順を定める"})
    Notification.objects.all().delete()
    for days in (11, 15):
        with later(days):
            assert send_reminders() == "0 reminders, 0 escalations"
    assert told() == {}


def test_a_rejected_response_is_overdue_again_and_escalated(finding, head, lead_auditor, second_auditor):
    services.finding_add_action(finding=finding, by=head, kind="corrective", title="監督手順の制定", owner=head,
                                verifier=second_auditor, due_date=timezone.localdate() + dt.timedelta(days=30))
    finding = transition_record(finding, "respond", by=head, changes={"cause": "手順がない", "plan": "手順を定める"})
    transition_record(finding, "reject", by=lead_auditor, comment="原因が特定されていない")
    with later(15):
        assert send_reminders() == "0 reminders, 4 escalations"
    assert told() == {"head": 1, "leadauditor": 1, "auditor2": 1, "auditlead": 1}
