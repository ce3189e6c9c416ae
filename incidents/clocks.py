"""How the reporting deadlines are counted (domain.md §1.5, §1.5a).

PPC guideline 通則編 3-5-3-4 (確報): the day the business learned of the situation is
day 1 (「その時点を1日目とする」); Saturdays, Sundays and holidays count; but when the last
day falls on a day the administrative organs are closed (行政機関の休日に関する法律 art. 1:
Saturdays, Sundays, national holidays and 12/29–1/3), the limit becomes the following day
(art. 2), read here as the first day that is not closed. The limit runs to the end of
that day in Japan (Asia/Tokyo).

Guideline 3-5-3-3 (速報): 「知った時点から概ね3～5日以内」, counted from the moment the
company knew, with no day-1 or holiday rule; so those clocks run in whole days from the
discovery time.

Which of these rules a track uses, and the numbers of days, are fields of the RuleSet.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

JAPAN = ZoneInfo("Asia/Tokyo")


@lru_cache(maxsize=64)
def _national_holidays(year: int) -> holidays.HolidayBase:
    return holidays.Japan(years=year)


def is_closed_day(day: dt.date) -> bool:
    """行政機関の休日: Saturday, Sunday, a national holiday, or the year-end closure 12/29–1/3."""
    if day.weekday() >= 5:
        return True
    if (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3):
        return True
    return day in _national_holidays(day.year)


def next_open_day(day: dt.date) -> dt.date:
    while is_closed_day(day):
        day += dt.timedelta(days=1)
    return day


def end_of_day(day: dt.date) -> dt.datetime:
    """The last moment of `day` in Japan."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=JAPAN)


def day_count_limit(
    discovered_at: dt.datetime, days: int, *, first_day_counts: bool = True, roll_past_closed_days: bool = True
) -> dt.datetime:
    """The limit of a period of `days` days counted in calendar days in Japan (確報)."""
    start = discovered_at.astimezone(JAPAN).date()
    last_day = start + dt.timedelta(days=days - 1 if first_day_counts else days)
    if roll_past_closed_days:
        last_day = next_open_day(last_day)
    return end_of_day(last_day)


def elapsed_limit(discovered_at: dt.datetime, days: int) -> dt.datetime:
    """`days` whole days after the moment of discovery (速報 and other "promptly" clocks)."""
    return discovered_at.astimezone(JAPAN) + dt.timedelta(days=days)
