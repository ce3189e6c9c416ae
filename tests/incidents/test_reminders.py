"""`send_reminders`: who is told what and when, once (issue 3), with frozen time."""

import datetime as dt
import smtplib
import threading
from io import StringIO
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connections
from django.utils import translation

from incidents import reminders, services
from incidents.clocks import JAPAN
from incidents.models import ActionKind, SentReminder, TrackKind
from tests.incidents.factories import ActionFactory, UserFactory, fill_ppc_items, reported_incident

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=JAPAN)  # a Wednesday
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def leak(reporter, *, discovered_at, **fields):
    """A reportable leak (unauthorized access, 1,200 customers): every report, 60-day 確報."""
    data = {
        "title": "配送管理システムへの不正アクセス", "affected_count": 1200, "suspected_unauthorized_purpose": True,
        "data_items": "氏名、住所、電話番号",
    }
    data.update(fields)
    return reported_incident(reporter, discovered_at=discovered_at, **data)


def track(incident, kind):
    return incident.tracks.get(kind=kind)


def to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def subjects(user):
    return sorted(message.subject for message in to(user))


def send(now=NOW, **kwargs):
    return reminders.send_reminders(now=now, **kwargs)


# ---------------------------------------------------------------------------
# Reports: the PMS managers


def test_a_report_due_within_24_hours_goes_to_every_pms_manager(staff, manager, office, executive):
    # The 速報 limit (5 days) falls 18 hours from now.
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=5) + dt.timedelta(hours=18))
    outcome = send()

    expected = f"【要対応】{incident.reference} 個人情報保護委員会への速報の期限まであと18時間"
    for user in (manager, office):
        assert expected in subjects(user)
        assert f"【要対応】{incident.reference} プライバシーマーク審査機関への速報の期限まであと18時間" in subjects(user)
    assert to(executive) == [] and to(staff) == []
    assert len(outcome.sent) == len(mail.outbox)

    message = next(m for m in to(manager) if m.subject == expected)
    assert message.body.startswith(f"{manager.last_name or manager.username}")
    assert f"{incident.reference} {incident.title}" in message.body
    assert "2026年6月11日（木）03:00（日本時間）" in message.body  # the limit, in Japan time
    assert "あと18時間" in message.body
    assert f"http://127.0.0.1:8000/incidents/{incident.pk}/#reporting" in message.body


def test_a_target_within_24_hours_is_announced_with_the_limit(staff, manager):
    # 速報 target 3 days, limit 5 days: the target is 12 hours away, the limit 2 days 12 hours.
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=2, hours=12))
    send()
    assert (f"【要対応】{incident.reference} 個人情報保護委員会への速報の目標期限まであと12時間"
            f"（期限まであと2日12時間）") in subjects(manager)


def test_nothing_is_sent_for_a_report_more_than_24_hours_away(staff, manager):
    leak(staff, discovered_at=NOW - dt.timedelta(days=1))  # 速報 target in 2 days
    ActionFactory(due_date=TODAY + dt.timedelta(days=8))
    assert send().sent == []
    assert mail.outbox == []


def test_an_overdue_report_goes_to_the_pms_managers(staff, manager):
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=5, hours=3))
    send()
    assert (f"【期限超過】{incident.reference} 個人情報保護委員会への速報の期限を3時間過ぎています"
            in subjects(manager))
    body = next(m.body for m in to(manager) if "速報の期限を3時間" in m.subject)
    assert "超過　　　　：3時間" in body


def test_an_overdue_ppc_report_is_escalated_to_top_management_but_not_a_privacymark_one(
    staff, manager, executive
):
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    assert {track(incident, kind).overdue for kind in (TrackKind.PPC_PRELIMINARY, TrackKind.PMARK_PRELIMINARY)} == {
        True
    }
    send()
    assert subjects(executive) == [
        f"【期限超過・経営層への報告】{incident.reference} 個人情報保護委員会への速報の期限を1日過ぎています"
    ]
    assert "経営層" in to(executive)[0].body
    manager_subjects = subjects(manager)
    assert f"【期限超過】{incident.reference} プライバシーマーク審査機関への速報の期限を1日過ぎています" in manager_subjects
    assert f"【期限超過】{incident.reference} 個人情報保護委員会への速報の期限を1日過ぎています" in manager_subjects


def test_the_ppc_final_report_is_escalated_too(staff, manager, executive):
    # Discovered Wed 2026-04-01: day 30 is Thu 04-30, an open day; the limit is its end.
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=70), affected_count=1001,
                    suspected_unauthorized_purpose=False)  # category 4 alone: 30 days
    for kind in (TrackKind.PPC_PRELIMINARY, TrackKind.PMARK_PRELIMINARY, TrackKind.PMARK_FINAL,
                 TrackKind.DATA_SUBJECTS):
        services.transition_record(track(incident, kind), "not_required", by=manager,
                                   changes={"not_required_reason": "テスト"})
    send()
    assert [s for s in subjects(executive) if "確報" in s] == [
        f"【期限超過・経営層への報告】{incident.reference} 個人情報保護委員会への確報の期限を40日9時間過ぎています"
    ]


def test_a_filed_report_is_not_reminded(staff, manager):
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    fill_ppc_items(incident, manager)  # the 確報 goes with its nine items
    for kind in incident.tracks.pending().values_list("kind", flat=True):
        changes = {"filed_at": NOW - dt.timedelta(hours=1), "recipient_reference": "PPC受付番号 2026-0001"}
        if kind == TrackKind.DATA_SUBJECTS:
            changes = {"filed_at": NOW - dt.timedelta(hours=1), "method": "notice"}
        services.transition_record(track(incident, kind), "file", by=manager, changes=changes)
    assert send().sent == []


def test_a_user_both_pms_manager_and_executive_gets_one_mail(staff, executive):
    both = UserFactory(username="both", roles=["pms_manager", "executive"])
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    send()
    ppc = [s for s in subjects(both) if "個人情報保護委員会への速報" in s]
    assert len(ppc) == 1 and ppc[0].startswith("【期限超過】")
    assert len(to(executive)) == 1


# ---------------------------------------------------------------------------
# Actions: their owners


@pytest.fixture
def owner(sales):
    return UserFactory(username="owner", roles=["staff"], department=sales, last_name="鈴木", first_name="一郎")


def test_an_action_owner_is_told_a_week_before_the_due_date(owner, manager, staff):
    incident = reported_incident(staff)
    action = ActionFactory(owner=owner, verifier=manager, incident=incident, due_date=TODAY + dt.timedelta(days=7),
                           title="宛先確認手順の制定", kind=ActionKind.CORRECTIVE)
    ActionFactory(owner=owner, verifier=manager, due_date=TODAY + dt.timedelta(days=8))  # not yet
    ActionFactory(owner=owner, verifier=manager, due_date=TODAY)  # due today: neither stage
    send()
    assert subjects(owner) == [f"【期限まであと7日】{action.reference} 宛先確認手順の制定"]
    body = to(owner)[0].body
    assert body.startswith("鈴木 一郎 様")
    assert "2026年6月17日（水）" in body
    assert "是正処置" in body or "Corrective action" in body
    assert f"{incident.reference} {incident.title}" in body
    assert f"http://127.0.0.1:8000/actions/{action.pk}/" in body
    assert to(manager) == []


def test_an_action_owner_is_told_when_the_due_date_has_passed(owner, manager):
    action = ActionFactory(owner=owner, verifier=manager, due_date=TODAY - dt.timedelta(days=1), title="教育の実施")
    done = ActionFactory(owner=owner, verifier=manager, due_date=TODAY - dt.timedelta(days=3))
    done = services.transition_record(done, "start", by=owner)
    services.transition_record(done, "implement", by=owner, changes={"implementation_note": "実施した"})
    send()
    assert subjects(owner) == [f"【期限超過】{action.reference} 教育の実施（期限 6月9日、1日超過）"]


def test_the_week_before_and_the_overdue_reminders_are_each_sent_once(owner, manager, frozen):
    action = ActionFactory(owner=owner, verifier=manager, due_date=TODAY + dt.timedelta(days=3))
    for day in range(10):
        moment = NOW + dt.timedelta(days=day)
        frozen.move_to(moment)
        send(now=moment)
    assert [s.split("】")[0] for s in subjects(owner)] == ["【期限まであと3日", "【期限超過"]
    assert SentReminder.objects.filter(recipient=owner).count() == 2
    assert all(key.startswith(f"action:{action.pk}:") for key in SentReminder.objects.values_list("key", flat=True))


def test_a_new_due_date_is_a_new_reminder(owner, manager):
    action = ActionFactory(owner=owner, verifier=manager, due_date=TODAY + dt.timedelta(days=5))
    send()
    action.due_date = TODAY + dt.timedelta(days=6)
    action.save()
    send()
    assert len(to(owner)) == 2


# ---------------------------------------------------------------------------
# Once only, and nothing lost


def test_running_twice_sends_each_mail_once(staff, manager, office, executive, owner):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    ActionFactory(owner=owner, verifier=manager, due_date=TODAY + dt.timedelta(days=2))
    ActionFactory(owner=owner, verifier=manager, due_date=TODAY - dt.timedelta(days=2))
    first = send()
    count = len(mail.outbox)
    assert count == len(first.sent) == SentReminder.objects.count() >= 7
    second = send(now=NOW + dt.timedelta(minutes=5))
    assert (second.sent, second.skipped) == ([], count)
    assert len(mail.outbox) == count
    keys = list(SentReminder.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys))


def test_a_reminder_sent_meanwhile_by_another_run_is_skipped_on_the_unique_key(staff, manager, monkeypatch):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    reminder = next(iter(reminders.due_reminders(now=NOW)))
    # The same reminder twice in one run: the second insert finds the key taken, as an
    # overlapping run would after this one's lookup of what was already sent.
    monkeypatch.setattr(reminders, "due_reminders", lambda **kwargs: iter([reminder, reminder]))
    outcome = send()
    assert (len(outcome.sent), outcome.skipped) == (1, 1)
    assert len(mail.outbox) == 1


def test_a_failed_send_records_nothing_and_the_next_run_retries(staff, manager, office):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    with mock.patch("incidents.reminders.send_mail", side_effect=smtplib.SMTPException("接続できません")):
        outcome = send()
    assert outcome.sent == [] and outcome.failed
    assert SentReminder.objects.count() == 0
    assert mail.outbox == []

    retry = send(now=NOW + dt.timedelta(minutes=5))
    assert len(retry.sent) == len(outcome.failed) == len(mail.outbox)
    assert SentReminder.objects.count() == len(retry.sent)


def test_one_failed_mail_does_not_stop_the_others(staff, manager, office):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    real_send_mail = reminders.send_mail

    def flaky(subject, body, sender, recipients):
        if recipients == [office.email]:
            raise smtplib.SMTPRecipientsRefused({office.email: (550, b"mailbox unavailable")})
        return real_send_mail(subject, body, sender, recipients)

    with mock.patch("incidents.reminders.send_mail", side_effect=flaky):
        outcome = send()
    assert {r.recipient for r in outcome.sent} == {manager}
    assert {r.recipient for r, _error in outcome.failed} == {office}
    assert set(SentReminder.objects.values_list("recipient__username", flat=True)) == {"manager"}


def test_inactive_users_and_users_without_an_e_mail_get_nothing(staff, manager, owner):
    gone = UserFactory(username="gone", roles=["pms_manager"], is_active=False)
    silent = UserFactory(username="silent", roles=["pms_manager"], email="")
    silent_executive = UserFactory(username="silent_exec", roles=["executive"], email="")
    owner.is_active = False
    owner.save()
    no_mail_owner = UserFactory(username="no_mail_owner", email="")
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    ActionFactory(owner=owner, verifier=manager, due_date=TODAY - dt.timedelta(days=1))
    ActionFactory(owner=no_mail_owner, verifier=manager, due_date=TODAY + dt.timedelta(days=1))
    send()
    recipients = {tuple(message.to) for message in mail.outbox}
    assert recipients == {(manager.email,)}
    for user in (gone, silent, silent_executive, owner, no_mail_owner):
        assert not SentReminder.objects.filter(recipient=user).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_send_each_mail_once(staff, manager, office):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            barrier.wait()
            outcomes.append(send())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [reminder.key for outcome in outcomes for reminder in outcome.sent]
    assert len(sent) == len(set(sent)) == SentReminder.objects.count() == len(mail.outbox)
    assert sum(outcome.skipped for outcome in outcomes) == len(sent)


# ---------------------------------------------------------------------------
# The command


def test_the_command_prints_a_summary_and_uses_the_base_url(staff, manager):
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    out = StringIO()
    with translation.override("en"):
        call_command("send_reminders", "--base-url", "https://pms.example.jp/", stdout=out)
        sent = len(mail.outbox)
        assert f"sent {sent}, skipped 0 already sent" in out.getvalue()
        assert all(f"https://pms.example.jp/incidents/{incident.pk}/#reporting" in m.body for m in mail.outbox)
        out = StringIO()
        call_command("send_reminders", stdout=out)
        assert f"sent 0, skipped {sent} already sent" in out.getvalue()


def test_without_a_base_url_the_links_point_to_the_sites_address(staff, manager, settings):
    """The reminders and the joint-use notice take their links from one place, SITE_URL."""
    settings.SITE_URL = "https://pms.example.co.jp/"
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    call_command("send_reminders", stdout=StringIO())
    assert mail.outbox
    assert all(f"https://pms.example.co.jp/incidents/{incident.pk}/#reporting" in m.body for m in mail.outbox)


def test_the_command_fails_when_a_mail_could_not_be_sent(staff, manager):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    with mock.patch("incidents.reminders.send_mail", side_effect=smtplib.SMTPException("down")), \
            pytest.raises(CommandError):
        call_command("send_reminders", stdout=StringIO(), stderr=StringIO())
    assert SentReminder.objects.count() == 0


def test_the_mails_are_japanese_whatever_the_active_language(staff, manager):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    with translation.override("en"):
        send()
    assert all("様" in m.body and "日本時間" in m.body for m in mail.outbox)


def test_every_report_has_its_japanese_phrase_for_the_mails():
    # A report kind without one would break the reminder run the day it is due.
    from incidents.reminders import REPORT_PHRASES

    assert set(REPORT_PHRASES) == set(TrackKind.values)
