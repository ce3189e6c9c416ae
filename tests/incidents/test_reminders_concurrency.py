"""`send_reminders` from several instances at the same moment sends each reminder once.

Every instance of a scaled-out deployment may run the cron job. Here several runs of the
command start together, each in its own thread with its own PostgreSQL connection, and the
mail backend is slow (each send holds its transaction open a little longer), so that the
runs really overlap: all of them find the same reminders unsent, and all try to send them.
The unique key of SentReminder, inserted before the mail in the same transaction, lets one
run send each mail; the others wait on the key and skip it.

PostgreSQL only: that is where concurrent runs are real (SQLite's IMMEDIATE transactions
serialise whole runs; test_reminders.py covers that case).
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
import time
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import connection, connections

from incidents.clocks import JAPAN
from incidents.models import SentReminder
from tests.incidents.factories import ActionFactory, UserFactory, reported_incident

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent runs need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=JAPAN)
RUNS = 6

# Which run (thread) sent each message: appended to by every thread (list.append is atomic).
SENT_BY: list[tuple[str, str, str]] = []


class SlowOutbox(LocmemBackend):
    """The locmem outbox, noting which thread sent each message, 20 ms per send (an SMTP
    server's round trip): the row of the reminder stays locked meanwhile."""

    def send_messages(self, messages):
        time.sleep(0.02)
        for message in messages:
            SENT_BY.append((threading.current_thread().name, message.to[0], message.subject))
        return super().send_messages(messages)


@pytest.fixture
def due(sales, staff, manager, office, executive):
    """Reports due soon and overdue (to the managers, escalated to top management) and
    actions due within a week and overdue (to their owners)."""
    with time_machine.travel(NOW - dt.timedelta(days=6), tick=False):
        for number in range(3):  # overdue PPC 速報: every manager, and top management
            reported_incident(staff, title=f"不正アクセス {number}", affected_count=1200,
                              suspected_unauthorized_purpose=True, data_items="氏名、住所")
    with time_machine.travel(NOW, tick=False):
        owners = [UserFactory(username=f"owner{n}", roles=["staff"], department=sales) for n in range(4)]
        for number, owner in enumerate(owners * 3):
            ActionFactory(owner=owner, verifier=manager, department=sales,
                          due_date=NOW.date() + dt.timedelta(days=(number % 7) - 3 or 2))


def test_several_runs_at_the_same_moment_send_each_reminder_exactly_once(settings, due):
    settings.EMAIL_BACKEND = f"{__name__}.SlowOutbox"
    SENT_BY.clear()
    barrier = threading.Barrier(RUNS)
    outputs: dict[str, str] = {}
    errors: list[BaseException] = []

    def run():
        out = StringIO()
        try:
            barrier.wait()
            call_command("send_reminders", stdout=out)
        except BaseException as error:  # shown by the assertion below
            errors.append(error)
        finally:
            outputs[threading.current_thread().name] = out.getvalue()
            connections.close_all()

    with time_machine.travel(NOW, tick=False):
        threads = [threading.Thread(target=run, name=f"run-{n}") for n in range(RUNS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    sent = [(to, subject) for _run, to, subject in SENT_BY]
    duplicates = [item for item, count in collections.Counter(sent).items() if count > 1]
    assert duplicates == []
    assert len(sent) == len(mail.outbox) == SentReminder.objects.count()
    assert len(sent) >= 3 * 2 + 12  # at least the overdue reports to two managers and the twelve actions
    # Every run found the work and did part of it or skipped it: the runs overlapped.
    assert len(outputs) == RUNS
    senders = collections.Counter(run for run, _to, _subject in SENT_BY)
    assert sum(senders.values()) == len(sent)

    # A later run (say, the next cron tick on another instance) has nothing left to send.
    SENT_BY.clear()
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        call_command("send_reminders", stdout=StringIO())
    assert SENT_BY == []
