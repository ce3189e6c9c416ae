"""Formatting for the management-review report, in the active language: dates, times and
periods (Japanese or English style, Japan time), and the labels of codes the snapshot holds.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.translation import get_language, gettext

from incidents.models import Severity, person_name

from ...models.catalogue import Standard
from ...review_format import DASH, label
from ..base import TOKYO


def _japanese() -> bool:
    return (get_language() or settings.LANGUAGE_CODE).startswith("ja")


def format_date(value: dt.date | str | None) -> str:
    """2025年4月1日 in Japanese, 1 April 2025 in English; "—" for nothing."""
    if not value:
        return DASH
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if _japanese():
        return f"{value.year}年{value.month}月{value.day}日"
    return dateformat.format(value, "j F Y")


def _in_japan(value: dt.datetime | str) -> dt.datetime:
    """A moment (or its ISO text, as a snapshot keeps it) in Japan time."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return timezone.localtime(value, TOKYO) if timezone.is_aware(value) else value


def format_datetime(value: dt.datetime | str | None) -> str:
    """The date as format_date() and the time of day, in Japan time."""
    if not value:
        return DASH
    value = _in_japan(value)
    return f"{format_date(value.date())} {value:%H:%M}"


def format_day(value: dt.datetime | str | None) -> str:
    """The day of a moment in Japan time, as format_date() writes it."""
    return format_date(_in_japan(value).date()) if value else DASH


def format_period(start: dt.date | str | None, end: dt.date | str | None) -> str:
    separator = "〜" if _japanese() else " – "
    return f"{format_date(start)}{separator}{format_date(end)}"


def severity_label(code: str) -> str:
    return label(Severity, code) if code else gettext("Not classified")


def month_label(month: str, *, with_year: bool) -> str:
    """'2025-04' -> '4月' / 'Apr', or '2025/4' when the chart spans more than a year."""
    year, month_number = (int(part) for part in month.split("-"))
    if with_year:
        return f"{year}/{month_number}"
    return f"{month_number}月" if _japanese() else dateformat.format(dt.date(year, month_number, 1), "M")


def clause_name(row: dict) -> str:
    standard = label(Standard, row.get("standard")) if row.get("standard") else ""
    edition = f":{row['edition']}" if row.get("edition") else ""
    return f"{standard}{edition} {row.get('clause') or ''}".strip() or DASH


def user_name(user) -> str:
    if user is None:
        return ""
    return person_name(user) or user.get_username()
