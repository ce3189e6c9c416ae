"""`manage.py seed_demo` with the audits app: a fiscal year of audits in every state, findings
of every grade in every state with their actions, one department left unaudited, the group
companies' audits (one a cross-audit) and reviews (a company's and the group's); idempotent.

The tests here seed a database of their own (in English, or at a chosen moment); those that
read the seeded demo share one seed, in test_seed_demo.py."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone, translation

from audits.fiscal import fiscal_year_bounds, fiscal_year_of
from audits.management.commands.seed_demo import Command as AuditsSeedCommand
from audits.models import (
    Audit,
    AuditState,
    Finding,
    Grade,
    Review,
    ReviewState,
)
from incidents.clocks import JAPAN
from incidents.management.commands.seed_demo import Command as IncidentsSeedCommand
from incidents.models import (
    Company,
)
from incidents.selectors import trail
from tests.audits.test_seed_demo import seed, this_year
from trail.chain import verify
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-2026"


def test_the_command_extends_the_incidents_one():
    assert issubclass(AuditsSeedCommand, IncidentsSeedCommand)
    usernames = [demo.username for demo in AuditsSeedCommand.demo_users]
    # The incidents app's users, and the second auditor among INE's people, before the group companies'.
    assert [name for name in usernames if name != "auditor2"] == [demo.username for demo in
                                                                  IncidentsSeedCommand.demo_users]
    assert usernames[usernames.index("auditor2") - 1] == "admin"


















def test_the_summary_and_the_second_auditor_in_the_logins_table(db, client):
    with translation.override("en"):
        output = seed()
    assert re.search(rf"^\s+auditor2\s+{PASSWORD}\s", output, re.MULTILINE)
    assert re.search(r"^Departments not audited in fiscal year \d{4}: 総務部$", output, re.MULTILINE)
    assert re.search(r"^Audits by state: Planned 1, Fieldwork 2, Reported 1, Closed 3, Cancelled 1$", output,
                     re.MULTILINE)
    year = this_year()
    assert re.search(rf"^Audits of fiscal year {year - 1} created in this run: 2, with 4 findings\.$", output,
                     re.MULTILINE)
    assert re.search(rf"^Management reviews: MR-INE-FY{year - 1} Approved \(3 decisions\), MR-GROUP-FY{year} Draft, "
                     rf"MR-INE-FY{year} Draft, MR-INS-FY{year} Draft$", output, re.MULTILINE)
    assert client.login(username="auditor2", password=PASSWORD)


@pytest.mark.parametrize("moment", [
    dt.datetime(2027, 4, 1, 0, 30, tzinfo=JAPAN),  # the first minutes of a fiscal year
    dt.datetime(2027, 4, 3, 8, 0, tzinfo=JAPAN),  # two days in
    dt.datetime(2027, 3, 31, 23, 50, tzinfo=JAPAN),  # the last minutes of one
])
def test_it_can_be_seeded_on_any_day_of_the_fiscal_year(db, moment):
    with time_machine.travel(moment, tick=False):
        seed()
        year = fiscal_year_of(timezone.localdate())
        first, last = fiscal_year_bounds(year)
        audits = Audit.objects.filter(fiscal_year=year)
        assert audits.count() == 8
        assert audits.filter(company__is_default=True).count() == 6
        assert set(audits.values_list("state", flat=True)) == set(AuditState.values)
        assert all(first <= a.planned_start <= a.planned_end <= last for a in audits)
        assert StateLog.objects.filter(timestamp__gt=timezone.now()).count() == 0
        for record in [*Audit.objects.all(), *Finding.objects.select_related("audit")]:
            times = [entry.timestamp for entry in trail(record)]
            assert times == sorted(times), record
            record_first, record_last = fiscal_year_bounds(getattr(record, "audit", record).fiscal_year)
            assert record_first <= timezone.localdate(times[0]) <= record_last, record
        # Last year's audits, last year's review approved with its decisions, this year's a draft.
        assert Audit.objects.filter(fiscal_year=year - 1, state=AuditState.CLOSED).count() == 2
        previous = Review.objects.get(period_start=fiscal_year_bounds(year - 1)[0])
        assert previous.state == ReviewState.APPROVED and previous.decisions.count() == 3
        assert previous.company == Company.objects.default()
        this_years = Review.objects.filter(period_start=first)
        assert {review.state for review in this_years} == {ReviewState.DRAFT}
        assert sorted(review.company.code if review.company else "" for review in this_years) == ["", "INE", "INS"]
        for review in Review.objects.all():
            assert all(entry.timestamp <= timezone.now() for entry in trail(review))
        assert not list(verify())


# ---------------------------------------------------------------------------
# The previous fiscal year and the management reviews










# ---------------------------------------------------------------------------
# The group companies (issue 12)






# ---------------------------------------------------------------------------
# Work finds its people (issue 14): handlers, progress logs, overdue answers, the inbox


def test_every_role_logs_in_to_news_and_a_year_of_history_is_not_mailed(db):
    """The replay notifies as real use does. What it wrote over a week before the seed is read
    and mailed (no delivery task left for the worker); the last week's is unread in the inbox
    of each role, its mail queued; a second run notifies nobody. Mid-year, so that a finding
    raised this fiscal year can be overdue."""
    from django_tasks_db.models import DBTaskResult

    from incidents.demo.inbox import RECENT
    from notifications.models import MailState, Notification
    from notifications.tasks import deliver_mail

    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 0, tzinfo=JAPAN), tick=False):
        with translation.override("en"):
            output = seed()
        now = timezone.now()
        notes = Notification.objects.all()
        old, recent = notes.filter(created_at__lt=now - RECENT), notes.filter(created_at__gte=now - RECENT)
        assert old.count() > 50 and recent.exists()
        # History: read and mailed when it arrived; no mail of it left to send.
        assert not old.filter(read_at__isnull=True).exists()
        assert not old.filter(mail_state__in=[MailState.PENDING, MailState.DIGEST]).exists()
        assert all(note.mailed_at == note.created_at == note.read_at for note in old.filter(mail_state="sent"))
        queued = DBTaskResult.objects.filter(task_path=deliver_mail.module_path)
        queued_ids = sorted(task.args_kwargs["args"][0] for task in queued)
        # The last week's: unread, each mail queued once for the worker.
        assert not recent.filter(read_at__isnull=False).exists()
        assert queued_ids == sorted(recent.filter(mail_state=MailState.PENDING).values_list("pk", flat=True))
        assert recent.filter(mail_state=MailState.PENDING).count() == recent.count()
        # Every role has unread news: the PMS office (new reports, cases handed to it, progress
        # on its cases), staff and the department head (actions to carry out and to verify),
        # the auditors (an audit to lead, a finding to verify), the audit lead (a finding to
        # verify) and top management (a review decision's action to verify).
        unread = {username: Notification.objects.filter(recipient__username=username).unread().count()
                  for username in ("staff", "manager", "office", "head_sales", "auditor", "auditor2", "auditlead",
                                   "executive")}
        assert all(unread.values()), unread
        kinds = set(recent.values_list("recipient__username", "kind"))
        assert {("office", "handler_assigned"), ("manager", "progress_added"), ("manager", "incident_reported"),
                ("staff", "action_assigned"), ("head_sales", "action_to_verify"), ("auditor", "audit_assigned"),
                ("auditlead", "finding_to_verify"), ("executive", "action_to_verify")} <= kinds
        line = re.search(r"^Unread notifications: (.+)$", output, re.MULTILINE).group(1)
        assert f"manager {unread['manager']}" in line and f"executive {unread['executive']}" in line

        # An open finding of this fiscal year whose answer is overdue, with its department head
        # told when it was raised.
        [overdue] = Finding.objects.filter(audit__fiscal_year=this_year()).response_overdue()
        assert overdue.grade == Grade.OBSERVATION and overdue.department.code == "HR"
        assert overdue.response_due < timezone.localdate()
        assert Notification.objects.filter(recipient__username="head_hr", kind="finding_to_answer",
                                           key=f"finding:{overdue.pk}:answer").exists()

        # Seeding again notifies nobody and settles nothing.
        before = (sorted(notes.values_list("pk", "read_at", "mail_state")), sorted(queued_ids))
        with translation.override("en"):
            again = seed()
        assert (sorted(notes.values_list("pk", "read_at", "mail_state")),
                sorted(task.args_kwargs["args"][0] for task in queued)) == before
        assert "settled in this run (read, mail sent): 0." in again
