"""`send_reminders`: who is told what and when, once (issues 3 and 14), with frozen time.

The reminders are notifications: in the inbox at once, mailed by the worker (the `worker`
fixture runs the queued tasks as `manage.py run_worker` does), in each reader's language.
"""

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
from notifications.kinds import Kind
from notifications.models import MailState, Notification, Reader
from notifications.periodic import run_job
from tests.incidents.factories import ActionFactory, UserFactory, fill_ppc_items, reported_incident

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=JAPAN)  # a Wednesday
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def send(worker):
    """send(now) -> the run's outcome, once the worker has mailed what it wrote."""

    def run(now=NOW, **kwargs):
        outcome = reminders.send_reminders(now=now, **kwargs)
        worker()
        return outcome

    return run


def reads_english(*users):
    for user in users:
        Reader.objects.update_or_create(user=user, defaults={"language": "en"})


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


REMINDERS = [Kind.REPORT_DEADLINE, Kind.ACTION_DEADLINE]


def reminded(user):
    """The reminders in the user's inbox (not the notices of new work the events write)."""
    return Notification.objects.filter(recipient=user, kind__in=REMINDERS)


def reminder_mails():
    """The mails of the reminders (the worker also mails the other notifications)."""
    told = set(Notification.objects.filter(kind__in=REMINDERS).values_list("recipient__email", "subject"))
    return [m for m in mail.outbox if (m.to[0], m.subject) in told]


def subjects(user):
    """The reminders' subjects in the user's inbox; each was also mailed, once, as such."""
    told = sorted(reminded(user).values_list("subject", flat=True))
    if user.email:
        assert sorted(m.subject for m in to(user)) == told
    return told


def to(user):
    """The reminders mailed to the user."""
    return [message for message in reminder_mails() if message.to == [user.email]]


def body(user, fragment):
    return next(m.body for m in to(user) if fragment in m.subject)


# ---------------------------------------------------------------------------
# Reports: the PMS managers


def test_a_report_due_within_24_hours_goes_to_every_pms_manager(send, staff, manager, office, executive):
    reads_english(manager)
    # The 速報 limit (5 days) falls 18 hours from now.
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=5) + dt.timedelta(hours=18))
    outcome = send()

    expected = f"[Action needed] {incident.reference} preliminary report (速報) to the PPC: 18h left to the limit"
    assert expected in subjects(manager)
    assert (f"[Action needed] {incident.reference} preliminary report (速報) to the PrivacyMark assessment body: "
            "18h left to the limit") in subjects(manager)
    # The notice to the data subjects: its target is 18 hours away too.
    assert len(subjects(office)) == len(subjects(manager)) == 3  # the office reads Japanese (below)
    assert not reminded(executive).exists() and not reminded(staff).exists()
    assert len(outcome.notified) == Notification.objects.filter(kind=Kind.REPORT_DEADLINE).count() == 6
    assert len(reminder_mails()) == 6

    ppc = reminded(manager).get(subject=expected)
    assert (ppc.kind, ppc.deadline, ppc.language) == (Kind.REPORT_DEADLINE, track(incident, "ppc_preliminary").limit_at,
                                                      "en")
    assert ppc.url == f"/incidents/{incident.pk}/#reporting"
    text = body(manager, expected)
    assert f"{incident.reference} {incident.title}" in text
    assert "Limit (Japan time): June 11, 2026, 3 a.m." in text  # the limit, in Japan time
    assert "Time left: 18h" in text
    assert f"http://127.0.0.1:8000/incidents/{incident.pk}/#reporting" in text
    # The office reads it in Japanese: the limit in Japan time, the time left.
    japanese = next(m.body for m in to(office) if "速報" in m.subject and "PrivacyMark" not in m.subject
                    and "プライバシーマーク" not in m.subject)
    assert "2026年6月11日3:00" in japanese and "18時間" in japanese


def test_a_target_within_24_hours_is_announced_with_the_limit(send, staff, manager):
    reads_english(manager)
    # 速報 target 3 days, limit 5 days: the target is 12 hours away, the limit 2 days 12 hours.
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=2, hours=12))
    send()
    assert (f"[Action needed] {incident.reference} preliminary report (速報) to the PPC: 12h left to the target "
            "(2d 12h to the limit)") in subjects(manager)
    note = reminded(manager).get(subject__contains="to the PPC")
    assert note.deadline == track(incident, "ppc_preliminary").due_at  # the reminder is about the target


def test_nothing_is_sent_for_a_report_more_than_24_hours_away(send, staff, manager):
    leak(staff, discovered_at=NOW - dt.timedelta(days=1))  # 速報 target in 2 days
    ActionFactory(due_date=TODAY + dt.timedelta(days=8))
    assert send().notified == []
    assert not reminded(manager).exists()
    assert to(manager) == []


def test_an_overdue_report_goes_to_the_pms_managers(send, staff, manager):
    reads_english(manager)
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=5, hours=3))
    send()
    subject = f"[Overdue] {incident.reference} preliminary report (速報) to the PPC: the limit passed 3h ago"
    assert subject in subjects(manager)
    assert "Overdue by: 3h" in body(manager, subject)


def test_an_overdue_ppc_report_is_escalated_to_top_management_but_not_a_privacymark_one(
    send, staff, manager, executive
):
    reads_english(manager, executive)
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    assert {track(incident, kind).overdue for kind in (TrackKind.PPC_PRELIMINARY, TrackKind.PMARK_PRELIMINARY)} == {
        True
    }
    send()
    assert subjects(executive) == [
        f"[Overdue, top management told] {incident.reference} preliminary report (速報) to the PPC: "
        "the limit passed 1d ago"
    ]
    assert "top management is told" in to(executive)[0].body
    manager_subjects = subjects(manager)
    assert (f"[Overdue] {incident.reference} preliminary report (速報) to the PrivacyMark assessment body: "
            "the limit passed 1d ago") in manager_subjects
    assert f"[Overdue] {incident.reference} preliminary report (速報) to the PPC: the limit passed 1d ago" in (
        manager_subjects)


def test_the_ppc_final_report_is_escalated_too(send, staff, manager, executive):
    reads_english(executive)
    # Discovered Wed 2026-04-01: day 30 is Thu 04-30, an open day; the limit is its end.
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=70), affected_count=1001,
                    suspected_unauthorized_purpose=False)  # category 4 alone: 30 days
    for kind in (TrackKind.PPC_PRELIMINARY, TrackKind.PMARK_PRELIMINARY, TrackKind.PMARK_FINAL,
                 TrackKind.DATA_SUBJECTS):
        services.transition_record(track(incident, kind), "not_required", by=manager,
                                   changes={"not_required_reason": "テスト"})
    send()
    assert [s for s in subjects(executive) if "確報" in s] == [
        f"[Overdue, top management told] {incident.reference} final report (確報) to the PPC: "
        "the limit passed 40d 9h ago"
    ]


def test_a_filed_report_is_not_reminded(send, staff, manager):
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    fill_ppc_items(incident, manager)  # the 確報 goes with its nine items
    for kind in incident.tracks.pending().values_list("kind", flat=True):
        changes = {"filed_at": NOW - dt.timedelta(hours=1), "recipient_reference": "PPC受付番号 2026-0001"}
        if kind == TrackKind.DATA_SUBJECTS:
            changes = {"filed_at": NOW - dt.timedelta(hours=1), "method": "notice"}
        services.transition_record(track(incident, kind), "file", by=manager, changes=changes)
    assert send().notified == []


def test_a_user_both_pms_manager_and_executive_gets_one_reminder(send, staff, executive):
    both = UserFactory(username="both", roles=["pms_manager", "executive"])
    reads_english(both)
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    send()
    ppc = [s for s in subjects(both) if "to the PPC" in s]
    assert len(ppc) == 1 and ppc[0].startswith("[Overdue] ")
    assert reminded(executive).count() == 1 and len(to(executive)) == 1


# ---------------------------------------------------------------------------
# Actions: their owners


@pytest.fixture
def owner(sales):
    return UserFactory(username="owner", roles=["staff"], department=sales, last_name="鈴木", first_name="一郎")


def test_an_action_owner_is_told_a_week_before_the_due_date(send, owner, manager, staff):
    reads_english(owner)
    incident = reported_incident(staff)
    action = ActionFactory(owner=owner, verifier=manager, incident=incident, due_date=TODAY + dt.timedelta(days=7),
                           title="宛先確認手順の制定", kind=ActionKind.CORRECTIVE)
    ActionFactory(owner=owner, verifier=manager, due_date=TODAY + dt.timedelta(days=8))  # not yet
    ActionFactory(owner=owner, verifier=manager, due_date=TODAY)  # due today: neither stage
    send()
    assert subjects(owner) == [f"[7 days left] {action.reference} 宛先確認手順の制定"]
    note = reminded(owner).get()
    assert note.kind == Kind.ACTION_DEADLINE
    assert note.deadline == dt.datetime(2026, 6, 17, 23, 59, tzinfo=JAPAN)
    text = to(owner)[0].body
    assert text.startswith("Dear 鈴木 一郎,")
    assert "Due: June 17, 2026" in text
    assert "Kind: Corrective action" in text
    assert f"{incident.reference} {incident.title}" in text
    assert f"http://127.0.0.1:8000/actions/{action.pk}/" in text
    assert not reminded(manager).exists()


def test_an_action_owner_is_told_when_the_due_date_has_passed(send, owner, manager):
    reads_english(owner)
    action = ActionFactory(owner=owner, verifier=manager, due_date=TODAY - dt.timedelta(days=1), title="教育の実施")
    done = ActionFactory(owner=owner, verifier=manager, due_date=TODAY - dt.timedelta(days=3))
    done = services.transition_record(done, "start", by=owner)
    services.transition_record(done, "implement", by=owner, changes={"implementation_note": "実施した"})
    send()
    assert subjects(owner) == [f"[Overdue] {action.reference} 教育の実施 (due June 9, 1 day overdue)"]


def test_the_week_before_and_the_overdue_reminders_are_each_sent_once(send, owner, manager, frozen):
    action = ActionFactory(owner=owner, verifier=manager, due_date=TODAY + dt.timedelta(days=3))
    for day in range(10):
        moment = NOW + dt.timedelta(days=day)
        frozen.move_to(moment)
        send(now=moment)
    assert sorted(reminded(owner).values_list("key", flat=True)) == [
        f"action:{action.pk}:overdue:20260613", f"action:{action.pk}:week_before:20260613",
    ]
    assert len(to(owner)) == 2


def test_a_new_due_date_is_a_new_reminder(send, owner, manager):
    action = ActionFactory(owner=owner, verifier=manager, due_date=TODAY + dt.timedelta(days=5))
    send()
    action.due_date = TODAY + dt.timedelta(days=6)
    action.save()
    send()
    assert reminded(owner).count() == 2
    assert len(to(owner)) == 2


def test_a_re_timed_report_is_a_new_reminder(send, staff, manager):
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    send()
    ppc = track(incident, TrackKind.PPC_PRELIMINARY)
    before = reminded(manager).filter(key__startswith=f"track:{ppc.pk}:").count()
    ppc.limit_at = NOW - dt.timedelta(hours=2)  # the clock moved (a new discovery date)
    ppc.save()
    send(now=NOW + dt.timedelta(minutes=5))
    assert reminded(manager).filter(key__startswith=f"track:{ppc.pk}:").count() == before + 1


# ---------------------------------------------------------------------------
# Once only, and nothing lost


def test_running_twice_tells_each_person_once(send, staff, manager, office, executive, owner):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    ActionFactory(owner=owner, verifier=manager, due_date=TODAY + dt.timedelta(days=2))
    ActionFactory(owner=owner, verifier=manager, due_date=TODAY - dt.timedelta(days=2))
    first = send()
    count = len(first.notified)
    assert count == Notification.objects.filter(kind__in=REMINDERS).count() == len(reminder_mails()) >= 7
    second = send(now=NOW + dt.timedelta(minutes=5))
    assert (second.notified, second.skipped, second.failed) == ([], count, [])
    assert len(reminder_mails()) == count
    assert str(second) == f"0 notified, {count} told before"


def test_a_reminder_told_meanwhile_by_another_run_is_skipped_on_the_unique_key(send, staff, manager, office,
                                                                                monkeypatch):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    reminder = next(iter(reminders.due_reminders(now=NOW)))
    assert len(reminder.recipients) == 2
    # The same reminder twice in one run: the second insert finds the key taken, as an
    # overlapping run would after this one's lookup of who was told already.
    monkeypatch.setattr(reminders, "due_reminders", lambda **kwargs: iter([reminder, reminder]))
    outcome = send()
    assert (len(outcome.notified), outcome.skipped) == (2, 2)
    assert len(reminder_mails()) == 2


def test_a_mail_server_down_loses_nothing_and_the_worker_mails_each_once(send, staff, manager, office, frozen,
                                                                          worker):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=smtplib.SMTPException("接続できません")):
        outcome = send()
    assert outcome.notified and outcome.failed == []
    assert reminder_mails() == []
    assert set(reminded(manager).values_list("mail_state", flat=True)) == {MailState.PENDING}
    assert "接続できません" in reminded(manager).first().last_error

    # The next run of the job tells nobody again; the worker's retry mails each one once.
    assert send(now=NOW + dt.timedelta(minutes=1)).notified == []
    frozen.move_to(NOW + dt.timedelta(minutes=2))
    worker()
    worker()
    assert len(reminder_mails()) == len(outcome.notified)
    assert set(Notification.objects.filter(kind__in=REMINDERS).values_list("mail_state", flat=True)) == {
        MailState.SENT}


def test_one_refused_mail_does_not_stop_the_others(send, staff, manager, office, frozen, worker):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    real_send = mail.EmailMessage.send

    def flaky(message, *args, **kwargs):
        if message.to == [office.email]:
            raise smtplib.SMTPRecipientsRefused({office.email: (550, b"mailbox unavailable")})
        return real_send(message, *args, **kwargs)

    with mock.patch("django.core.mail.EmailMessage.send", flaky):
        send()
    assert {tuple(m.to) for m in reminder_mails()} == {(manager.email,)}
    assert set(reminded(office).values_list("mail_state", flat=True)) == {MailState.PENDING}
    frozen.move_to(NOW + dt.timedelta(minutes=2))
    worker()
    assert len(to(office)) == reminded(office).count() == reminded(manager).count() == len(to(manager))


def test_inactive_users_get_nothing_and_users_without_an_e_mail_the_inbox_only(send, staff, manager, owner):
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
    assert {tuple(message.to) for message in reminder_mails()} == {(manager.email,)}
    for user in (gone, owner):
        assert not Notification.objects.filter(recipient=user).exists()
    for user, kind in ((silent, Kind.REPORT_DEADLINE), (silent_executive, Kind.REPORT_DEADLINE),
                       (no_mail_owner, Kind.ACTION_DEADLINE)):
        notes = reminded(user)
        assert notes.exists() and set(notes.values_list("kind", "mail_state")) == {(kind, MailState.NOT_MAILED)}


def test_nothing_is_written_to_the_old_log_any_more(send, staff, manager, owner):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    ActionFactory(owner=owner, verifier=manager, due_date=TODAY - dt.timedelta(days=1))
    assert send().notified
    assert not SentReminder.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_tell_each_person_once(worker, staff, manager, office):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            barrier.wait()
            outcomes.append(reminders.send_reminders(now=NOW))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    written = [(note.recipient_id, note.key) for outcome in outcomes for note in outcome.notified]
    assert len(outcomes) == 2 and all(outcome.failed == [] for outcome in outcomes)
    assert len(written) == len(set(written)) == Notification.objects.filter(kind__in=REMINDERS).count() > 0
    assert sum(outcome.skipped for outcome in outcomes) == len(written)
    worker()
    mails = reminder_mails()
    assert len(mails) == len({(tuple(m.to), m.subject) for m in mails}) == len(written)


def test_the_worker_runs_the_reminders_as_a_periodic_job(worker, staff, manager):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    result = run_job("reminders")  # settings.PERIODIC_JOBS: called with no arguments
    count = reminded(manager).count()
    assert count and result == f"{count} notified, 0 told before"
    worker()
    assert len(to(manager)) == count


# ---------------------------------------------------------------------------
# The command


def test_the_command_prints_a_summary_and_uses_the_base_url(worker, staff, manager):
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    out = StringIO()
    with translation.override("en"):
        call_command("send_reminders", "--base-url", "https://pms.example.jp/", stdout=out)
        count = reminded(manager).count()
        assert f"notified {count}, skipped 0 told before; the worker mails them" in out.getvalue()
        assert "  manager: " in out.getvalue()
        worker()
        assert len(reminder_mails()) == count
        assert all(f"https://pms.example.jp/incidents/{incident.pk}/#reporting" in m.body for m in reminder_mails())
        out = StringIO()
        call_command("send_reminders", stdout=out)
        assert f"notified 0, skipped {count} told before" in out.getvalue()


def test_without_a_base_url_the_links_point_to_the_sites_address(worker, staff, manager, settings):
    """The reminders and the joint-use notice take their links from one place, SITE_URL."""
    settings.SITE_URL = "https://pms.example.co.jp/"
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    call_command("send_reminders", stdout=StringIO())
    worker()
    assert to(manager)
    assert all(f"https://pms.example.co.jp/incidents/{incident.pk}/#reporting" in m.body for m in to(manager))
    assert set(reminded(manager).values_list("url", flat=True)) == {f"/incidents/{incident.pk}/#reporting"}


def test_the_command_fails_when_a_reminder_could_not_be_written(staff, manager, monkeypatch):
    leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    monkeypatch.setattr(reminders, "notify", mock.Mock(side_effect=RuntimeError("broken")))
    with pytest.raises(CommandError):
        call_command("send_reminders", stdout=StringIO(), stderr=StringIO())
    assert not Notification.objects.filter(kind__in=REMINDERS).exists()


# ---------------------------------------------------------------------------
# In each reader's language


def test_each_reader_is_told_in_their_language_whatever_the_active_one(send, staff, manager, office):
    reads_english(manager)
    incident = leak(staff, discovered_at=NOW - dt.timedelta(days=5, hours=3))
    with translation.override("en"):
        send()
    ppc = f"track:{track(incident, TrackKind.PPC_PRELIMINARY).pk}:overdue:"
    english = reminded(manager).get(key__startswith=ppc)
    japanese = reminded(office).get(key__startswith=ppc)
    assert (english.language, japanese.language) == ("en", "ja")
    assert english.subject.endswith("the limit passed 3h ago")
    assert "3時間" in japanese.subject and "3h" not in japanese.subject
    assert "2026年6月10日" in japanese.body and "June 10, 2026" in english.body


def test_the_japanese_subjects_read_as_before(send, staff, manager, executive, owner):
    """The wording of the mails before issue 14, now the Japanese of the notifications
    (the translations of incidents/reminders.py in locale/ja)."""
    due_soon = leak(staff, discovered_at=NOW - dt.timedelta(days=5) + dt.timedelta(hours=18))
    target = leak(staff, discovered_at=NOW - dt.timedelta(days=2, hours=12))
    overdue = leak(staff, discovered_at=NOW - dt.timedelta(days=6))
    week = ActionFactory(owner=owner, verifier=manager, due_date=TODAY + dt.timedelta(days=7), title="宛先確認手順の制定")
    late = ActionFactory(owner=owner, verifier=manager, due_date=TODAY - dt.timedelta(days=1), title="教育の実施")
    send()
    managers = subjects(manager)
    for expected in (
        f"【要対応】{due_soon.reference} 個人情報保護委員会への速報の期限まであと18時間",
        f"【要対応】{due_soon.reference} プライバシーマーク審査機関への速報の期限まであと18時間",
        f"【要対応】{target.reference} 個人情報保護委員会への速報の目標期限まであと12時間（期限まであと2日12時間）",
        f"【期限超過】{overdue.reference} 個人情報保護委員会への速報の期限を1日過ぎています",
        f"【期限超過】{overdue.reference} プライバシーマーク審査機関への速報の期限を1日過ぎています",
    ):
        assert expected in managers
    assert subjects(executive) == [
        f"【期限超過・経営層への報告】{overdue.reference} 個人情報保護委員会への速報の期限を1日過ぎています"
    ]
    assert subjects(owner) == sorted([
        f"【期限まであと7日】{week.reference} 宛先確認手順の制定",
        f"【期限超過】{late.reference} 教育の実施（期限 6月9日、1日超過）",
    ])


def test_every_report_has_its_phrase_for_the_reminders():
    # A report kind without one would break the reminder run the day it is due.
    from incidents.reminders import REPORT_PHRASES

    assert set(REPORT_PHRASES) == set(TrackKind.values)
