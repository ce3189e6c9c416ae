"""How the review's figures read, on its page and in its PDF alike.

The snapshot holds codes and bare numbers (audits.review_inputs); these turn them into the
labels of the active language, and "—" where there is no data.
"""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils import formats
from django.utils.translation import get_language

DASH = "—"


def label(choices: type[TextChoices], code: str | None) -> str:
    """The label of `code` in the active language; the code itself if it is not (or no
    longer) one of the choices, so an old snapshot still renders."""
    if not code:
        return DASH
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code)


def number(value: float | int | None, decimals: int = 1) -> str:
    """A figure with `decimals` places, "—" when there is no data."""
    if value is None:
        return DASH
    if isinstance(value, int) and not isinstance(value, bool):
        return formats.number_format(value, force_grouping=True)
    return formats.number_format(value, decimal_pos=decimals, force_grouping=True)


def percent(value: float | None) -> str:
    return DASH if value is None else f"{number(value)}%"


def localized(row: dict, stem: str) -> str:
    """`row[stem_ja]` or `row[stem_en]` by the active language, the other one failing that."""
    english = (get_language() or "ja").startswith("en")
    return row.get(f"{stem}_en" if english else f"{stem}_ja") or row.get(f"{stem}_ja") or row.get(f"{stem}_en") or ""


def breakdown_total(rows: list[dict]) -> dict:
    """The group's row of a breakdown by company (review_inputs.company_breakdown): each
    count the sum of the companies', each rate worked out again from those sums."""
    total: dict = {}
    for section in ("incidents", "tracks", "actions", "audits", "findings", "coverage"):
        sums: dict = {}
        for row in rows:
            for key, value in (row.get(section) or {}).items():
                if isinstance(value, int) and not isinstance(value, bool):
                    sums[key] = sums.get(key, 0) + value
        total[section] = sums
    tracks, actions, coverage = total["tracks"], total["actions"], total["coverage"]
    tracks["on_time_rate"] = _rate(tracks.get("on_time", 0), tracks.get("filed", 0) + tracks.get("overdue", 0))
    actions["on_time_rate"] = _rate(actions.get("on_time", 0), actions.get("completed", 0) + actions.get("overdue", 0))
    actions["effective_rate"] = _rate(actions.get("effective", 0), actions.get("checked", 0))
    coverage["rate"] = _rate(coverage.get("covered", 0), coverage.get("departments", 0))
    return total


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None
