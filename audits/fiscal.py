"""Fiscal years: April to March unless settings.FISCAL_YEAR_START_MONTH says otherwise."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def start_month() -> int:
    return getattr(settings, "FISCAL_YEAR_START_MONTH", 4)


def fiscal_year_of(day: dt.date) -> int:
    """The fiscal year a day belongs to, named by the calendar year it starts in (2026年度)."""
    return day.year if day.month >= start_month() else day.year - 1


def fiscal_year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal year `year`."""
    first = dt.date(year, start_month(), 1)
    if year >= dt.MAXYEAR:  # the calendar's last year has no next one: its fiscal year ends with it
        return first, dt.date.max
    next_first = dt.date(year + 1, start_month(), 1)
    return first, next_first - dt.timedelta(days=1)
