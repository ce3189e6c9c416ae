"""The one line printed under a chart or a table of the management-review report: what it
says, worked out from the same figures («上期 3件、下期 1件で、下期は減少。最多は2月（2件）»).
A reader who only reads these lines still gets the message.
"""

from __future__ import annotations

from django.utils.translation import gettext, ngettext, pgettext

from ...review_format import number, percent
from .formatting import month_label


def monthly_reading(months: list[dict]) -> str:
    """First half against second half of the period, and the busiest month."""
    counts = [row.get("count", 0) for row in months]
    if len(counts) < 2 or not sum(counts):
        return ""
    half = len(counts) // 2
    first, second = sum(counts[:half]), sum(counts[half:])
    fiscal_year = len(counts) == 12  # 上期・下期
    if second < first:
        change = gettext("fewer in the second half of the year") if fiscal_year else gettext(
            "fewer in the second half of the period")
    elif second > first:
        change = gettext("more in the second half of the year") if fiscal_year else gettext(
            "more in the second half of the period")
    else:
        change = gettext("as many in both halves")
    busiest = max(range(len(counts)), key=lambda index: (counts[index], -index))
    template = (gettext("First half of the year %(first)s, second half %(second)s: %(change)s. The most in "
                        "%(month)s (%(count)s).") if fiscal_year else
                gettext("First half of the period %(first)s, second half %(second)s: %(change)s. The most in "
                        "%(month)s (%(count)s)."))
    return template % {
        "first": number(first), "second": number(second), "change": change,
        "month": month_label(months[busiest]["month"], with_year=len(months) > 12),
        "count": number(counts[busiest]),
    }


def kind_reading(rows: list[tuple[str, int]]) -> str:
    """The most frequent kind and its share: rows of (label, count), at least one non-zero."""
    total = sum(count for _label, count in rows)
    name, count = max(rows, key=lambda row: row[1])
    return gettext("Most frequent: %(kind)s, %(count)s of %(total)s (%(share)s).") % {
        "kind": name, "count": number(count), "total": number(total), "share": percent(round(100 * count / total, 1))}


def single_kind(name: str, count: int) -> str:
    return ngettext("The one incident of the period was of the kind %(kind)s.",
                    "All %(count)s incidents of the period were of one kind: %(kind)s.", count) % {
        "count": number(count), "kind": name}


def states_reading(parts: list[tuple[str, int]]) -> str:
    """「期限が当期の処置 7件：有効性確認済 5、実施中 2」 (the non-zero states, largest first)."""
    shown = sorted(((name, count) for name, count in parts if count), key=lambda part: -part[1])
    total = sum(count for _name, count in shown)
    return gettext("Of the %(total)s actions due in the period: %(states)s.") % {
        "total": number(total),
        "states": pgettext("list separator", ", ").join(f"{name} {number(count)}" for name, count in shown)}


def single_state(name: str, count: int) -> str:
    return ngettext("The one action due in the period is at the stage %(state)s.",
                    "All %(count)s actions due in the period are at one stage: %(state)s.", count) % {
        "count": number(count), "state": name}


def findings_reading(nonconformities: int, previous: int | None, findings: int, still_open: int) -> str:
    return gettext("%(findings)s findings, %(nonconformities)s of them nonconformities (previous year "
                   "%(previous)s); %(open)s still open.") % {
        "findings": number(findings), "nonconformities": number(nonconformities), "previous": number(previous),
        "open": number(still_open)}
