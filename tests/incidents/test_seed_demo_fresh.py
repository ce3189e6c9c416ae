"""`manage.py seed_demo` on a database of its own: seeded at a chosen moment, over records made
before it, or watched while it seeds (the tests that read the seeded demo share one seed, in
test_seed_demo.py)."""

import datetime as dt
import re
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from audits.management.commands.seed_demo import Command as FullSeedCommand
from incidents import clocks, services
from incidents.demo.people import GROUP_USERS, USERS
from incidents.demo.seeder import DemoSeeder
from incidents.demo.story import Story, step
from incidents.models import (
    Company,
    Incident,
    IncidentKind,
    ReportingTrack,
    TrackState,
)
from tests.incidents.test_seed_demo import assert_references_have_no_gaps, department_company, seed, user
from trail.chain import chained_models, verify
from trail.guard import unguarded_tables
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db


def full_seed() -> None:
    """The audits app's seed_demo, which seeds the incidents too: every story on one timeline."""
    call_command(FullSeedCommand(), stdout=StringIO())

PASSWORD = "demo-pass-2026"
USERNAMES = ["staff", "manager", "office", "head_sales", "head_cs", "auditor", "auditlead", "executive", "admin",
             "sol_head_dev", "sol_auditor", "ins_manager", "ins_exec", "ins_staff"]


def test_seeding_a_database_that_already_has_records(staff):
    first = services.incident_report(
        reporter=staff, title="先行する報告", description="シード前の報告", department=staff.profile.department,
        kind=IncidentKind.LEAK, discovered_at=timezone.now() - dt.timedelta(hours=1),
    )
    seed()
    assert Incident.objects.get(pk=first.pk).reference == first.reference
    assert_references_have_no_gaps()
















# ---------------------------------------------------------------------------
# Reporting tracks (issue 3)








@pytest.mark.parametrize("moment", [
    dt.datetime(2026, 11, 25, 0, 5, tzinfo=clocks.JAPAN),  # just after midnight in Japan
    dt.datetime(2026, 11, 25, 10, 29, tzinfo=clocks.JAPAN),  # just before the stories' 10:30
    dt.datetime(2026, 12, 28, 23, 55, tzinfo=clocks.JAPAN),  # late at night, before the year-end closure
])
def test_a_newcomer_sees_overdue_and_due_soon_reports_whenever_it_is_seeded(db, moment):
    with time_machine.travel(moment, tick=False):
        seed()
        overdue = ReportingTrack.objects.overdue()
        due_soon = ReportingTrack.objects.due_soon()
        assert overdue.exists()
        assert due_soon.exists()
        assert all(track.incident.is_open for track in [*overdue, *due_soon])
        assert ReportingTrack.objects.filter(state=TrackState.FILED, filed_at__gt=F("limit_at")).count() == 1








# ---------------------------------------------------------------------------
# The trail: written once, at the moment of each step (the seeder replays the stories with
# the clock moved, and never dates anything after the fact)


def test_a_fully_seeded_database_has_an_intact_trail(db):
    assert not unguarded_tables()
    full_seed()
    assert not list(verify())
    full_seed()  # seeding again adds nothing and breaks nothing
    assert not list(verify())
    assert not unguarded_tables()


def test_seeding_never_updates_or_deletes_a_trail_entry(db):
    tables = "|".join(re.escape(model._meta.db_table) for model in chained_models())
    changes = re.compile(rf'^\s*(UPDATE|DELETE FROM)\s+"?({tables})"?\s', re.IGNORECASE)
    with CaptureQueriesContext(connection) as queries:
        full_seed()
    assert StateLog.objects.exists()
    assert [query["sql"][:120] for query in queries if changes.match(query["sql"])] == []






@pytest.mark.parametrize(("steps", "problem"), [
    ([step("triage", "manager", 2)], "after the moment of seeding"),
    ([step("triage", "manager", 0.5), step("contain", "manager", 0.2)], "dated before the step told before it"),
])
def test_a_story_dated_in_the_future_or_out_of_order_is_refused(db, steps, problem):
    seeder = DemoSeeder(USERS)
    story = Story(title="未来の話", reporter="staff", department="SALES", kind="leak", days_ago=1,
                  description="", steps=steps)
    with pytest.raises(CommandError, match=problem):
        seeder.add_story(story)
    assert not Incident.objects.exists()


# ---------------------------------------------------------------------------
# The group (issue 12): 株式会社INE and two group companies


def test_the_group_companies_logins_are_printed_with_their_scope(db):
    with translation.override("en"):
        output = seed()
    for username in [demo.username for demo in GROUP_USERS]:
        assert re.search(rf"^\s+{username}\s+{PASSWORD}\s", output, re.MULTILINE), username
    assert re.search(rf"^\s+manager\s+{PASSWORD}\s+PMS manager / office \(whole group\)", output, re.MULTILINE)
    assert re.search(rf"^\s+ins_manager\s+{PASSWORD}\s+PMS manager / office \(株式会社INE保険サービス only\)",
                     output, re.MULTILINE)
    assert re.search(rf"^\s+ins_exec\s+{PASSWORD}\s+Top management \(株式会社INE保険サービス only\)", output,
                     re.MULTILINE)
    # Company by company, each headed by what it holds.
    headings = re.findall(r"^\s+\[(.+?)\] (.*)$", output, re.MULTILINE)
    assert [name for name, _held in headings] == ["株式会社INE", "株式会社INEソリューションズ", "株式会社INE保険サービス"]
    assert "reports leaks to 金融庁" in headings[2][1] and "PrivacyMark" not in headings[1][1]
    assert output.index("ins_manager") > output.index("[株式会社INE保険サービス]") > output.index("sol_head_dev")






def test_a_default_company_set_up_before_the_seed_is_left_as_it_is(db):
    default = Company.objects.default()
    default.name, default.corporate_number = "株式会社テスト", "8010001145678"
    default.save()
    code = default.code
    seed()
    default.refresh_from_db()
    assert (default.name, default.code, default.corporate_number) == ("株式会社テスト", code, "8010001145678")
    # The demo's people and records of INE are its.
    assert department_company(user("manager")) == default
    assert Company.objects.count() == 3


# ---------------------------------------------------------------------------
# Handlers and progress logs (issue 14)


