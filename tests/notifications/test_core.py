import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils.translation import gettext_lazy
from django_tasks_db.models import DBTaskResult

from notifications import delivery
from notifications.kinds import Kind, MailMode
from notifications.models import MailChoice, MailState, Notification, Reader
from notifications.services import Message, notify
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db


def message():
    return Message(subject="Hello %(name)s", params={"name": "X"}, lines=[("Due", dt.date(2026, 12, 7))],
                   url="/incidents/1/")


def test_notify_writes_one_per_recipient_and_enqueues_delivery(worker):
    alice, bob = UserFactory(email="a@example.com"), UserFactory(email="b@example.com")
    notes = notify(kind=Kind.INCIDENT_REPORTED, key="k1", recipients=[alice, bob, alice], message=message())
    assert len(notes) == 2
    assert DBTaskResult.objects.count() == 2
    worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]
    assert set(Notification.objects.values_list("mail_state", flat=True)) == {MailState.SENT}


def test_same_key_never_twice_and_actor_not_told(worker):
    alice, bob = UserFactory(email="a@example.com"), UserFactory(email="b@example.com")
    notify(kind=Kind.INCIDENT_REPORTED, key="k1", recipients=[alice, bob], message=message(), actor=bob)
    notify(kind=Kind.INCIDENT_REPORTED, key="k1", recipients=[alice, bob], message=message())
    worker()
    assert [m.to for m in mail.outbox] == [["a@example.com"], ["b@example.com"]] or len(mail.outbox) == 2
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert Notification.objects.filter(recipient=bob).count() == 1


def test_rolled_back_event_tells_nobody():
    alice = UserFactory(email="a@example.com")
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(kind=Kind.INCIDENT_REPORTED, key="k1", recipients=[alice], message=message())
        raise RuntimeError
    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_recipient_language(worker):
    alice = UserFactory(email="a@example.com")
    Reader.objects.create(user=alice, language="en")
    bob = UserFactory(email="b@example.com")
    notify(kind=Kind.INCIDENT_REPORTED, key="k1", recipients=[alice, bob], message=Message(
        subject=gettext_lazy("Incidents"), params={}))
    by_user = dict(Notification.objects.values_list("recipient_id", "subject"))
    assert by_user == {alice.pk: "Incidents", bob.pk: "インシデント"}  # bob chose nothing: Japanese


def test_a_failing_mail_server_is_retried_and_the_mail_sent_once(worker):
    alice = UserFactory(email="a@example.com")
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC), tick=False):
        notify(kind=Kind.INCIDENT_REPORTED, key="k1", recipients=[alice], message=message())
        with mock.patch("django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError("down")):
            worker()
        note = Notification.objects.get()
        assert (note.mail_state, note.attempts) == (MailState.PENDING, 1)
        assert "down" in note.last_error
        assert mail.outbox == []
        worker()  # the retry is not due yet
        assert mail.outbox == []
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 1, 30, tzinfo=dt.UTC), tick=False):
        worker()
        worker()
    note.refresh_from_db()
    assert (note.mail_state, note.attempts) == (MailState.SENT, 2)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<notification-{note.pk}@127.0.0.1>"


def test_a_lost_task_is_found_by_the_sweep(worker):
    alice = UserFactory(email="a@example.com")
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC), tick=False):
        notify(kind=Kind.INCIDENT_REPORTED, key="k1", recipients=[alice], message=message())
        DBTaskResult.objects.all().delete()  # the worker's queue lost it
        assert delivery.sweep() == 0  # too fresh: its own task may still come
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 5, tzinfo=dt.UTC), tick=False):
        assert delivery.sweep() == 1
        worker()
    assert len(mail.outbox) == 1


def test_two_claims_one_send():
    alice = UserFactory(email="a@example.com")
    [note] = notify(kind=Kind.INCIDENT_REPORTED, key="k1", recipients=[alice], message=message())
    assert delivery.deliver_mail(note.pk) == "sent"
    assert delivery.deliver_mail(note.pk) == "skipped"
    assert len(mail.outbox) == 1


def test_choices_digest_and_inbox_only_but_legal_deadlines_always_mail(worker):
    alice = UserFactory(email="a@example.com")
    MailChoice.objects.create(user=alice, kind=Kind.INCIDENT_REPORTED, mode=MailMode.DIGEST)
    MailChoice.objects.create(user=alice, kind=Kind.ACTION_ASSIGNED, mode=MailMode.NONE)
    MailChoice.objects.create(user=alice, kind=Kind.REPORT_DEADLINE, mode=MailMode.NONE)
    notify(kind=Kind.INCIDENT_REPORTED, key="a", recipients=[alice], message=message())
    notify(kind=Kind.ACTION_ASSIGNED, key="b", recipients=[alice], message=message())
    notify(kind=Kind.REPORT_DEADLINE, key="c", recipients=[alice], message=message())
    states = dict(Notification.objects.values_list("key", "mail_state"))
    assert states == {"a": MailState.DIGEST, "b": MailState.NOT_MAILED, "c": MailState.PENDING}


def test_daily_digest_once_a_day(worker):
    from notifications.digest import send_digests

    alice = UserFactory(email="a@example.com")
    MailChoice.objects.create(user=alice, kind=Kind.INCIDENT_REPORTED, mode=MailMode.DIGEST)
    with time_machine.travel(dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC), tick=False):  # 10:00 in Japan
        notify(kind=Kind.INCIDENT_REPORTED, key="a", recipients=[alice], message=message())
        notify(kind=Kind.INCIDENT_REPORTED, key="b", recipients=[alice], message=message())
        assert send_digests() == 1
        assert send_digests() == 0
        worker()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].body.count("Hello X") == 2 or "Hello X" in mail.outbox[0].body
    assert set(Notification.objects.filter(key__in=["a", "b"]).values_list("mail_state", flat=True)) == {
        MailState.IN_DIGEST}
