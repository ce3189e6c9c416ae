"""Day counting for the reporting limits (PPC guideline 通則編 3-5-3-3, 3-5-3-4; domain.md §1.5a)."""

import datetime as dt

import pytest

from incidents import clocks

JST = clocks.JAPAN


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


@pytest.mark.parametrize(
    ("discovered", "days", "limit_day"),
    [
        # The worked examples of domain.md §1.5a.
        ("2025-04-01 10:00", 30, "2025-04-30"),  # Tue → day 30 is Wed
        ("2025-04-01 10:00", 60, "2025-05-30"),  # day 60 is Fri
        ("2025-11-01 10:00", 30, "2025-12-01"),  # day 30 is Sun 11/30 → Mon
        ("2025-12-01 10:00", 30, "2026-01-05"),  # day 30 is 12/30 (closure) → Mon 1/5
        # A national holiday: day 30 is Mon 2025-11-24 (振替休日) → Tue.
        ("2025-10-26 09:00", 30, "2025-11-25"),
        # 国民の休日 2026-09-22 between two holidays: day 30 lands on it → Thu 9/24 (9/23 is 秋分の日).
        ("2026-08-24 09:00", 30, "2026-09-24"),
    ],
)
def test_the_final_report_limit(discovered, days, limit_day):
    limit = clocks.day_count_limit(at(discovered), days)
    assert limit.date().isoformat() == limit_day
    assert (limit.hour, limit.minute, limit.second) == (23, 59, 59)


def test_the_day_of_discovery_is_day_1_even_just_before_midnight():
    # Learned of it at 23:59 on 4/1: 4/1 is still day 1.
    assert clocks.day_count_limit(at("2025-04-01 23:59"), 30).date() == dt.date(2025, 4, 30)
    # A minute later it is 4/2, which is day 1.
    assert clocks.day_count_limit(at("2025-04-02 00:00"), 30).date() == dt.date(2025, 5, 1)


def test_the_discovery_day_is_taken_in_japan_not_utc():
    # 2025-03-31 16:00 UTC is 2025-04-01 01:00 in Tokyo.
    discovered = dt.datetime(2025, 3, 31, 16, 0, tzinfo=dt.UTC)
    assert clocks.day_count_limit(discovered, 30).date() == dt.date(2025, 4, 30)


def test_the_rules_can_switch_off_day_1_and_the_closed_day_roll():
    discovered = at("2025-11-01 10:00")
    assert clocks.day_count_limit(discovered, 30, roll_past_closed_days=False).date() == dt.date(2025, 11, 30)
    assert clocks.day_count_limit(discovered, 30, first_day_counts=False).date() == dt.date(2025, 12, 1)


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        ("2025-12-26", False), ("2025-12-27", True), ("2025-12-29", True), ("2026-01-02", True),
        ("2026-01-03", True), ("2026-01-05", False), ("2026-02-11", True), ("2026-02-12", False),
    ],
)
def test_closed_days(day, closed):
    assert clocks.is_closed_day(dt.date.fromisoformat(day)) is closed


def test_the_preliminary_clock_runs_from_the_moment_of_discovery():
    assert clocks.elapsed_limit(at("2025-11-01 10:30"), 5) == at("2025-11-06 10:30")
