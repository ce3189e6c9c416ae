"""Reference numbers: INC-<year>-<4 digits>, unique and without gaps within a year."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from tests.incidents.factories import reported_incident

JST = dt.timezone(dt.timedelta(hours=9))


@pytest.mark.django_db
def test_numbers_run_on_within_the_year_and_restart_with_the_next(staff):
    with time_machine.travel(dt.datetime(2026, 12, 31, 23, 50, tzinfo=JST), tick=False):
        first = reported_incident(staff, discovered_at=timezone.now())
        second = reported_incident(staff, discovered_at=timezone.now())
    # 2027-01-01 00:10 in Tokyo is still 2026 in UTC: the year is the Japanese one.
    with time_machine.travel(dt.datetime(2027, 1, 1, 0, 10, tzinfo=JST), tick=False):
        third = reported_incident(staff, discovered_at=timezone.now())
    assert [first.reference, second.reference, third.reference] == [
        "INC-2026-0001", "INC-2026-0002", "INC-2027-0001",
    ]


@pytest.mark.django_db
def test_a_failed_report_leaves_no_gap(staff):
    reported_incident(staff)
    with pytest.raises(Exception):  # noqa: B017 - any validation error will do
        reported_incident(staff, title="")
    assert reported_incident(staff).reference.endswith("-0002")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_many_reports_at_once_get_distinct_gapless_numbers(staff):
    """Eight threads, each with its own database connection, report at the same moment."""
    count, per_thread = 8, 5
    barrier = threading.Barrier(count)
    errors = []

    def report():
        try:
            barrier.wait()
            for _ in range(per_thread):
                reported_incident(staff)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    year = timezone.localdate().year
    numbers = sorted(int(ref.rsplit("-", 1)[1]) for ref in Incident.objects.values_list("reference", flat=True))
    assert numbers == list(range(1, count * per_thread + 1))
    assert all(ref.startswith(f"INC-{year}-") for ref in Incident.objects.values_list("reference", flat=True))


@pytest.mark.django_db
def test_actions_have_their_own_sequence(staff, manager, head, sales):
    reported_incident(staff)
    action = services.action_create(
        by=manager, kind="corrective", title="x", department=sales, owner=head, verifier=manager,
        due_date="2026-12-31",
    )
    assert action.reference.endswith("-0001")
    assert action.reference.startswith("ACT-")
