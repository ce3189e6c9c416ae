"""Every event of issue 14 tells exactly the right people, once, and nobody else."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from audits import services as audit_services
from incidents import services
from incidents.models import ChatChannel, Company
from incidents.services import transition_record
from notifications.kinds import Kind
from notifications.models import ChannelPost, MailState, Notification, Reader
from tests.incidents.factories import UserFactory, reported_incident

pytestmark = pytest.mark.django_db


def told(kind=None) -> dict[str, int]:
    """{username: how many notifications} of `kind` (every kind but the digest without one)."""
    notes = Notification.objects.exclude(kind=Kind.DIGEST)
    if kind is not None:
        notes = notes.filter(kind=kind)
    counts: dict[str, int] = {}
    for username in notes.values_list("recipient__username", flat=True):
        counts[username] = counts.get(username, 0) + 1
    return counts


@pytest.fixture
def everyone(staff, manager, office, head, executive, auditor, superuser, other_staff):
    return locals()


def test_a_new_report_tells_the_pms_office_once_with_its_legal_clock(everyone, staff, worker):
    incident = reported_incident(staff, affected_count=1200)
    assert told() == {"manager": 1, "office": 1}
    note = Notification.objects.get(recipient__username="manager")
    assert note.kind == Kind.INCIDENT_REPORTED
    assert incident.reference in note.subject
    assert "速報" in note.body  # the reports it owes, with their limits
    assert note.url == incident.get_absolute_url()
    worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["manager@example.jp", "office@example.jp"]


def test_a_report_that_owes_a_legal_report_mails_even_to_a_digest_reader(everyone, staff, manager):
    from notifications.models import MailChoice

    MailChoice.objects.create(user=manager, kind=Kind.INCIDENT_REPORTED, mode="digest")
    reported_incident(staff, affected_count=1200)
    assert Notification.objects.get(recipient=manager).mail_state == MailState.PENDING
    reported_incident(staff, kind="near_miss", title="ヒヤリハット")
    assert Notification.objects.filter(recipient=manager).order_by("id").last().mail_state == MailState.DIGEST


def test_the_handler_is_told_not_the_manager_who_assigned_them(everyone, staff, manager, office):
    incident = reported_incident(staff)
    Notification.objects.all().delete()
    services.incident_assign_handler(incident=incident, by=manager, handler=office, version=incident.version)
    assert told() == {"office": 1}
    assert Notification.objects.get().kind == Kind.HANDLER_ASSIGNED
    incident.refresh_from_db()
    services.incident_assign_handler(incident=incident, by=office, handler=office, version=incident.version)
    assert told() == {"office": 1}  # nobody is told of their own act


def test_progress_by_someone_else_tells_the_handler(everyone, staff, manager, office, head):
    incident = reported_incident(staff)
    services.incident_assign_handler(incident=incident, by=manager, handler=office, version=incident.version)
    Notification.objects.all().delete()
    services.add_progress(incident, by=manager, text="本人へ電話連絡した。")
    services.add_progress(incident, by=office, text="委託先へ照会した。")
    assert told(Kind.PROGRESS_ADDED) == {"office": 1}


def test_actions_tell_their_owner_then_their_verifier(everyone, manager, head, sales, staff):
    incident = reported_incident(staff)
    Notification.objects.all().delete()
    action = services.action_create(by=manager, kind="corrective", title="宛先確認の二重化", department=sales,
                                    owner=head, verifier=manager, due_date=timezone.localdate() + dt.timedelta(30),
                                    incident=incident)
    assert told() == {"head": 1}
    assert Notification.objects.get().kind == Kind.ACTION_ASSIGNED
    action = transition_record(action, "start", by=head)
    assert told() == {"head": 1}
    transition_record(action, "implement", by=head, changes={"implementation_note": "二重確認を導入"})
    assert told() == {"head": 1, "manager": 1}
    assert Notification.objects.get(recipient=manager).kind == Kind.ACTION_TO_VERIFY


def test_an_action_handed_over_tells_the_new_owner(everyone, manager, head, office, sales):
    action = services.action_create(by=manager, kind="corrective", title="x", department=sales, owner=head,
                                    verifier=manager, due_date=timezone.localdate() + dt.timedelta(30))
    Notification.objects.all().delete()
    services.action_update(action=action, by=manager, version=action.version, owner=office)
    assert told() == {"office": 1}


def test_audit_team_findings_and_responses(everyone, plan_audit, audit_lead, lead_auditor, second_auditor, head,
                                           sales, clauses):
    audit = plan_audit()
    assert told() == {"leadauditor": 1, "auditor2": 1}  # the audit lead planned it: not told
    audit = transition_record(audit, "start", by=lead_auditor)
    Notification.objects.all().delete()
    finding = audit_services.finding_raise(audit=audit, by=lead_auditor, requirement=clauses[0], department=sales,
                                           grade="minor", description="台帳が更新されていない")
    assert told() == {"head": 1}
    note = Notification.objects.get()
    assert note.kind == Kind.FINDING_TO_ANSWER and finding.reference in note.subject
    Notification.objects.all().delete()
    audit_services.finding_add_action(finding=finding, by=head, kind="corrective", title="手順の制定", owner=head,
                                      verifier=second_auditor, due_date=timezone.localdate() + dt.timedelta(30))
    Notification.objects.all().delete()  # the action's owner is the head himself: not told; checked above
    transition_record(finding, "respond", by=head, changes={"cause": "手順がない", "plan": "手順を定める"})
    assert told() == {"leadauditor": 1, "auditor2": 1}
    assert set(Notification.objects.values_list("kind", flat=True)) == {Kind.RESPONSE_TO_ACCEPT}


def test_a_rejected_response_goes_back_to_the_head_alone_each_time(everyone, plan_audit, audit_lead, lead_auditor,
                                                                   second_auditor, head, sales, clauses):
    Reader.objects.create(user=head, language="en")
    audit = transition_record(plan_audit(), "start", by=lead_auditor)
    finding = audit_services.finding_raise(audit=audit, by=lead_auditor, requirement=clauses[0], department=sales,
                                           grade="minor", description="台帳が更新されていない")
    audit_services.finding_add_action(finding=finding, by=head, kind="corrective", title="手順の制定", owner=head,
                                      verifier=second_auditor, due_date=timezone.localdate() + dt.timedelta(30))
    for round_ in (1, 2):
        finding = transition_record(finding, "respond", by=head, changes={"cause": "手順がない", "plan": "手順を定める"})
        Notification.objects.all().delete()
        finding = transition_record(finding, "reject", by=lead_auditor, comment="原因が特定されていない")
        assert told() == {"head": 1}, round_  # the team member who rejected it knows; nobody else is told
        note = Notification.objects.get()
        assert note.kind == Kind.FINDING_TO_ANSWER and note.language == "en"
        assert note.subject.startswith(f"Response rejected, answer again: {finding.reference}")


def test_a_finding_to_verify_goes_to_the_independent_auditors_only(everyone, plan_audit, audit_lead, lead_auditor,
                                                                   second_auditor, head, sales, clauses):
    audit = transition_record(plan_audit(), "start", by=lead_auditor)
    finding = audit_services.finding_raise(audit=audit, by=lead_auditor, requirement=clauses[0], department=sales,
                                           grade="minor", description="台帳が更新されていない")
    # auditor2, on the team, carries out the corrective action: no longer independent of it.
    action = audit_services.finding_add_action(finding=finding, by=head, kind="corrective", title="台帳の更新",
                                               owner=second_auditor, verifier=lead_auditor,
                                               due_date=timezone.localdate() + dt.timedelta(30))
    finding = transition_record(finding, "respond", by=head, changes={"cause": "手順がない", "plan": "手順を定める"})
    finding = transition_record(finding, "accept", by=lead_auditor)
    action = transition_record(action, "start", by=second_auditor)
    transition_record(action, "implement", by=second_auditor, changes={"implementation_note": "台帳を更新した"})
    Notification.objects.all().delete()
    transition_record(finding, "submit_for_verification", by=head)
    assert told() == {"leadauditor": 1}  # not auditor2 (implemented it), not the audit lead off the team
    note = Notification.objects.get()
    assert note.kind == Kind.FINDING_TO_VERIFY and note.subject == f"検証する指摘事項：{finding.reference} 軽微な不適合"


def test_a_new_team_member_is_told_once(everyone, plan_audit, audit_lead, lead_auditor, second_auditor, auditor):
    audit = plan_audit()
    Notification.objects.all().delete()
    audit_services.audit_update(audit=audit, by=audit_lead, version=audit.version,
                                auditors=[second_auditor, auditor])
    assert told() == {"auditor": 1}


TEXTS = {  # the review's own texts (the `draft` fixture)
    "issues_changes": "改正法への対応準備。", "interested_parties": "取引先の依頼が増加。",
    "feedback": "苦情 2 件。", "risk_status": "残留リスクは許容範囲内。",
}


def test_a_submitted_review_goes_to_top_management(everyone, manager, executive, draft):
    Notification.objects.all().delete()
    transition_record(draft, "submit", by=manager)
    assert told() == {"executive": 1}
    assert Notification.objects.get().kind == Kind.REVIEW_TO_APPROVE


def test_a_reporting_duty_that_appears_on_reclassification(everyone, staff, manager):
    incident = reported_incident(staff, kind="near_miss", title="ヒヤリハット")
    Notification.objects.all().delete()
    services.incident_update(incident=incident, by=manager, version=incident.version, kind="leak",
                             affected_count=1500)
    # A legal clock: the whole PMS office is told, the manager who reclassified it too
    # (they learn the limits the change set); nobody else.
    assert told() == {"manager": 1, "office": 1}
    assert set(Notification.objects.values_list("kind", flat=True)) == {Kind.REPORTING_DUTY}
    assert set(Notification.objects.values_list("mail_state", flat=True)) == {MailState.PENDING}


def duty_notices() -> list[str]:
    """The subjects of the reporting-duty notices the office member `office` got, in order."""
    return list(Notification.objects.filter(kind=Kind.REPORTING_DUTY, recipient__username="office")
                .order_by("id").values_list("subject", flat=True))


def edit(incident, by, **changes):
    incident.refresh_from_db()
    return services.incident_update(incident=incident, by=by, version=incident.version, **changes)


def test_a_moved_limit_tells_the_office_once_per_move(everyone, staff, manager):
    incident = reported_incident(staff, affected_count=1500)
    first = incident.discovered_at
    assert duty_notices() == []  # the report's own notice named its duties
    Notification.objects.all().delete()
    edit(incident, manager, discovered_at=first - dt.timedelta(days=1))
    assert told() == {"manager": 1, "office": 1}
    assert "期限の変更" in Notification.objects.get(recipient__username="office").body
    edit(incident, manager, discovered_at=first - dt.timedelta(days=2))
    assert told() == {"manager": 2, "office": 2}


def test_a_duty_owed_again_is_told_each_time(everyone, staff, manager):
    incident = reported_incident(staff, kind="near_miss", title="ヒヤリハット")
    edit(incident, manager, kind="leak", affected_count=1500)
    assert len(duty_notices()) == 1
    for again in (2, 3):  # the same reports withdrawn and owed again, with the same limits each time
        edit(incident, manager, affected_count=3)  # no longer reportable: the PPC's reports are withdrawn
        assert incident.tracks.get(kind="ppc_preliminary").state == "not_required"
        assert len(duty_notices()) == again - 1  # a withdrawal is in the trail, not a notice
        edit(incident, manager, affected_count=1500)
        assert incident.tracks.get(kind="ppc_preliminary").state == "pending"
        assert len(duty_notices()) == again
        assert "再び必要" in Notification.objects.filter(recipient__username="office").latest("id").body
    assert told(Kind.REPORTING_DUTY) == {"manager": 3, "office": 3}


def test_a_limit_moved_and_moved_back_is_told_each_time(everyone, staff, manager):
    incident = reported_incident(staff, kind="near_miss", title="ヒヤリハット")
    first = incident.discovered_at
    edit(incident, manager, kind="leak", affected_count=1500)  # owed, limits A
    edit(incident, manager, discovered_at=first - dt.timedelta(days=1))  # B
    edit(incident, manager, discovered_at=first)  # A again
    assert len(duty_notices()) == 3
    assert told(Kind.REPORTING_DUTY) == {"manager": 3, "office": 3}


def test_the_same_change_announced_again_tells_nobody_twice(everyone, staff, manager, monkeypatch):
    from incidents import events
    from incidents.tracks import sync_tracks

    announced = []
    real = events.reporting_duties

    def spy(incident, duties, *, by):
        announced.append((incident, duties))
        real(incident, duties, by=by)

    monkeypatch.setattr(events, "reporting_duties", spy)
    incident = reported_incident(staff, kind="near_miss", title="ヒヤリハット")
    edit(incident, manager, kind="leak", affected_count=1500)
    assert told(Kind.REPORTING_DUTY) == {"manager": 1, "office": 1}
    [(same, duties)] = announced
    real(same, duties, by=manager)  # a retry of the very same event
    incident.refresh_from_db()
    assert sync_tracks(incident, by=manager) == []  # nothing changed since: nothing announced
    assert len(announced) == 1
    assert told(Kind.REPORTING_DUTY) == {"manager": 1, "office": 1}


def test_in_the_recipients_language(everyone, staff, manager, office):
    Reader.objects.create(user=office, language="en")
    incident = reported_incident(staff)
    subjects = dict(Notification.objects.values_list("recipient__username", "subject"))
    assert subjects["office"].startswith(f"New incident report {incident.reference}")
    assert subjects["manager"].startswith(f"新しいインシデント報告 {incident.reference}")


def test_the_office_chat_channel_gets_the_subject_and_link_only(everyone, staff, worker, monkeypatch):
    company = Company.objects.get(is_default=True)
    ChatChannel.objects.create(name="#pms-office", company=company, webhook_url="https://hooks.example/x")
    posted = []
    monkeypatch.setattr("notifications.delivery._post_json", lambda url, data: posted.append((url, data)))
    incident = reported_incident(staff)
    post = ChannelPost.objects.get()
    assert incident.reference in post.text and incident.description not in post.text
    worker()
    assert len(posted) == 1
    url, data = posted[0]
    assert url == "https://hooks.example/x" and incident.reference in data["text"]
    assert ChannelPost.objects.get().state == MailState.SENT


def test_a_teams_channel_gets_an_adaptive_card(db):
    from notifications.delivery import payload

    card = payload(ChannelPost(text="INC-1", link="https://pms/incidents/1/", flavour="teams"))
    content = card["attachments"][0]["content"]
    assert content["type"] == "AdaptiveCard" and content["actions"][0]["url"] == "https://pms/incidents/1/"


def test_inactive_people_are_not_told(everyone, staff, office):
    office.is_active = False
    office.save()
    reported_incident(staff)
    assert told() == {"manager": 1}


def test_superusers_without_a_role_are_not_told(everyone, staff):
    UserFactory(username="root2", is_superuser=True, roles=["staff"])
    reported_incident(staff)
    assert "root" not in told() and "root2" not in told()
