"""Several workers at once, each with its own PostgreSQL connection, deliver each mail once.

Each worker is given every notification's delivery task (as a re-enqueued retry and the
sweep may do), and the mail server is slow (as a real one is), so that the workers really
overlap on the same rows. The claim (one UPDATE that only matches an unclaimed row) lets
one of them send; the others find it claimed or sent and skip it.

PostgreSQL only: that is where concurrent writers are real (SQLite serialises them).
"""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.db import connection

from notifications import delivery
from notifications.kinds import Kind
from notifications.models import MailState, Notification
from notifications.services import Message, notify
from tests.incidents.factories import UserFactory
from tests.threads import race

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKERS = 4


def test_several_workers_send_each_mail_once(monkeypatch):
    people = [UserFactory(username=f"person{n}") for n in range(6)]
    notes = notify(kind=Kind.INCIDENT_REPORTED, key="incident:1:reported", recipients=people,
                   message=Message(subject="INC-2026-0001"))
    real_send = mail.EmailMessage.send

    def slow_send(self, *args, **kwargs):
        time.sleep(0.05)
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMessage, "send", slow_send)
    ids = [note.pk for note in notes]

    def worker():
        return [delivery.deliver_mail(pk) for pk in ids]

    outcomes = race(*[worker for _ in range(WORKERS)])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    sent = [result for results in outcomes for result in results if result == "sent"]
    assert len(sent) == len(people)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert set(Notification.objects.values_list("mail_state", flat=True)) == {MailState.SENT}
