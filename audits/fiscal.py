"""Fiscal years: each company's own (Company.fiscal_year_start_month), April to March by default.

Without a company, the default company's; without one (a database still being set up),
settings.FISCAL_YEAR_START_MONTH.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def start_month(company=None) -> int:
    if company is None:
        from incidents.models import Company

        company = Company.objects.filter(is_default=True).only("fiscal_year_start_month").first()
    if company is not None:
        return company.fiscal_year_start_month
    return getattr(settings, "FISCAL_YEAR_START_MONTH", 4)


def fiscal_year_of(day: dt.date, company=None) -> int:
    """The fiscal year a day belongs to, named by the calendar year it starts in (2026年度)."""
    return day.year if day.month >= start_month(company) else day.year - 1


def fiscal_year_bounds(year: int, company=None) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal year `year`."""
    month = start_month(company)
    first = dt.date(year, month, 1)
    if year >= dt.MAXYEAR:  # the calendar's last year has no next one: its fiscal year ends with it
        return first, dt.date.max
    next_first = dt.date(year + 1, month, 1)
    return first, next_first - dt.timedelta(days=1)
