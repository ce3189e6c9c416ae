"""`send_reminders` from several workers at the same moment tells each person once.

Every worker of a scaled-out deployment ticks the periodic jobs, and `manage.py
send_reminders` may be run besides. Here several runs of the command start together, each
in its own thread with its own PostgreSQL connection, and the notifications app is slow to
write each notification (as a busy database would be), so that the runs really overlap: all
of them find the same reminders untold, and all try to write them. The unique key of a
notification (recipient, key), inserted in each reminder's transaction, lets one run write
it; the others wait on the key and skip it. The worker then mails each one once.

PostgreSQL only: that is where concurrent runs are real (SQLite's IMMEDIATE transactions
serialise them; test_reminders.py covers that case).
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
from django.core.management import call_command
from django.db import connection, connections
from django.utils import translation

from incidents import reminders
from incidents.clocks import JAPAN
from notifications.kinds import Kind
from notifications.models import MailState, Notification
from tests.incidents.factories import ActionFactory, UserFactory, reported_incident

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent runs need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=JAPAN)
RUNS = 6
REMINDERS = [Kind.REPORT_DEADLINE, Kind.ACTION_DEADLINE]

# Which run (thread) wrote each notification: appended to by every thread (list.append is atomic).
WRITTEN_BY: list[tuple[str, int, str]] = []


@pytest.fixture
def slow_notify(monkeypatch):
    """notify() as it is, 20 ms slower per reminder inside its transaction: the rows of the
    reminder stay locked meanwhile, and the other runs meet them."""
    real = reminders.notify

    def slow(**kwargs):
        written = real(**kwargs)
        time.sleep(0.02)
        for note in written:
            WRITTEN_BY.append((threading.current_thread().name, note.recipient_id, note.key))
        return written

    monkeypatch.setattr(reminders, "notify", slow)


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


def test_several_runs_at_the_same_moment_tell_each_person_exactly_once(slow_notify, due, worker):
    WRITTEN_BY.clear()
    barrier = threading.Barrier(RUNS)
    outputs: dict[str, str] = {}
    errors: list[BaseException] = []

    def run():
        out = StringIO()
        try:
            barrier.wait()
            with translation.override("en"):
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
        written = [(recipient, key) for _run, recipient, key in WRITTEN_BY]
        duplicates = [item for item, count in collections.Counter(written).items() if count > 1]
        assert duplicates == []
        reminders_written = Notification.objects.filter(kind__in=REMINDERS)
        assert len(written) == reminders_written.count()
        assert len(written) >= 3 * 2 + 12  # at least the overdue reports to two managers and the twelve actions
        # Every run found the work and did part of it or skipped it: the runs overlapped.
        assert len(outputs) == RUNS
        assert all("told before" in output for output in outputs.values())

        # The worker mails each one once.
        worker()
        mailed = [(m.to[0], m.subject) for m in mail.outbox]
        expected = set(reminders_written.filter(mail_state=MailState.SENT)
                       .values_list("recipient__email", "subject"))
        assert len(expected) == len(written)
        reminder_mails = [item for item in mailed if item in expected]
        assert len(reminder_mails) == len(set(reminder_mails)) == len(expected)

    # A later run (say, the next tick on another worker) has nothing left to tell.
    WRITTEN_BY.clear()
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        call_command("send_reminders", stdout=StringIO())
    assert WRITTEN_BY == []
