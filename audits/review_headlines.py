"""The headline figures of a management review: eight figures an executive reads first, each
with the same figure a year earlier, whether it got better or worse, and a plain mark,
good (良好), watch (注意) or needs action (要対応).

They are read from the review's inputs (audits.review_inputs: the snapshot once submitted),
so the PDF's executive summary and any page show the same marks. A snapshot taken before
the previous year's figures were kept has no "previous_year", and a year with nothing
recorded (before the system was in use) is no year to compare with: the figures then say
"—" for the year before and are marked on their own level only.

The marks follow fixed rules, written out in CRITERIA so the report can print them: a
figure is never marked by colour alone, and never without a rule a reader can check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_lazy, pgettext

from .models import Grade
from .review_format import DASH, number, percent

GOOD, WATCH, BAD = "good", "watch", "bad"

# The mark's symbol and word: a shape as well as a colour, so it reads in greyscale too
# (○△× is how Japanese business documents grade).
MARK_SYMBOLS = {GOOD: "○", WATCH: "△", BAD: "×"}
MARK_LABELS = {
    GOOD: gettext_lazy("Good"),
    WATCH: gettext_lazy("Watch"),
    BAD: gettext_lazy("Action needed"),
}

# Rates at or above the first threshold are good, at or above the second watch, below bad.
RATE_THRESHOLDS = (90.0, 70.0)
COVERAGE_THRESHOLDS = (100.0, 80.0)
# Recurrence: at most the first is good, at most the second watch, above it bad.
RECURRENCE_THRESHOLDS = (10.0, 25.0)

CRITERIA = [
    gettext_lazy("Accidents: good if not more than the year before; action needed if half as many again or "
                 "more (and at least 2 more); watch otherwise."),
    gettext_lazy("Reports filed on time: good at 100% with none overdue; action needed below 90% or with any "
                 "report overdue and not filed."),
    gettext_lazy("Actions completed on time, actions verified effective: good from 90%, watch from 70%, "
                 "action needed below."),
    gettext_lazy("Recurrence: good up to 10%, watch up to 25%, action needed above."),
    gettext_lazy("Nonconformities: action needed for any major nonconformity; watch if more minor ones "
                 "than the year before."),
    gettext_lazy("Audit coverage: good at 100%, watch from 80%. Requests answered on time: as reports."),
]


@dataclass(frozen=True)
class Headline:
    """One headline figure, ready to print."""

    key: str
    label: str
    value: str  # "4", "66.7%", "—"
    previous: str  # the same figure a year earlier, "—" when unknown
    trend: str  # "up", "down", "same", or "" when either year has no figure
    better: bool | None  # True: better than the year before; False: worse; None: same or unknown
    mark: str  # GOOD, WATCH, BAD, or "" when there is nothing to judge
    detail: str

    @property
    def arrow(self) -> str:
        return {"up": "↑", "down": "↓", "same": "→"}.get(self.trend, "")

    @property
    def trend_text(self) -> str:
        """"↓ better (previous year 5)", "→ same (previous year 100.0%)", "— (no figure)"."""
        if not self.trend:
            return gettext("previous year %(previous)s") % {"previous": self.previous}
        word = gettext("better") if self.better else gettext("worse") if self.better is False else gettext("same")
        return gettext("%(arrow)s %(word)s (previous year %(previous)s)") % {
            "arrow": self.arrow, "word": word, "previous": self.previous}

    @property
    def mark_text(self) -> str:
        """"○ Good", "△ Watch", "× Action needed"; "—" with nothing to judge."""
        if not self.mark:
            return DASH
        return f"{MARK_SYMBOLS[self.mark]} {MARK_LABELS[self.mark]}"


def _trend(value: float | None, previous: float | None, *, higher_is_better: bool) -> tuple[str, bool | None]:
    if value is None or previous is None:
        return "", None
    if value == previous:
        return "same", None
    up = value > previous
    return ("up" if up else "down"), (up == higher_is_better)


def _rate_mark(rate: float | None, thresholds: tuple[float, float]) -> str:
    if rate is None:
        return ""
    good, watch = thresholds
    return GOOD if rate >= good else WATCH if rate >= watch else BAD


def _deadline_mark(rate: float | None, overdue: int) -> str:
    """Reports and requests: anything overdue and still not done needs action."""
    if overdue:
        return BAD
    if rate is None:
        return ""
    return GOOD if rate >= 100 else WATCH if rate >= RATE_THRESHOLDS[0] else BAD


def _count_mark(value: int, previous: int | None) -> str:
    if previous is None:
        return GOOD if value == 0 else WATCH
    if value <= previous:
        return GOOD
    if value >= previous * 1.5 and value - previous >= 2:
        return BAD
    return WATCH


def headlines(inputs: dict) -> list[Headline]:
    """The eight headline figures of `inputs` (review.inputs()), in the order they are read."""
    incidents = inputs.get("incidents") or {}
    tracks = inputs.get("tracks") or {}
    actions = inputs.get("actions") or {}
    audits = inputs.get("audits") or {}
    cases = inputs.get("cases") or {}
    before = inputs.get("previous_year") or {}  # {} in a snapshot from before it was kept
    nothing_recorded = bool(before.get("empty"))  # that year, before the system was in use
    if nothing_recorded:
        before = {}

    def previous(section: str, key: str):
        return (before.get(section) or {}).get(key)

    rows: list[Headline] = []

    def add(key: str, label: str, value, previous_value, *, fmt: Callable, higher_is_better: bool, mark: str,
            detail: str) -> None:
        trend, better = _trend(value, previous_value, higher_is_better=higher_is_better)
        rows.append(Headline(key=key, label=label, value=fmt(value), previous=fmt(previous_value), trend=trend,
                             better=better, mark=mark, detail=detail))

    # 1. Accidents (near misses are reported, not suffered: they are the detail).
    accidents = incidents.get("accidents", 0)
    figures = {"near_misses": number(incidents.get("near_misses", 0)),
               "previous": number(previous("incidents", "near_misses")),
               "hours": number((incidents.get("containment_hours") or {}).get("median"))}
    detail = (gettext("near misses %(near_misses)s (previous year %(previous)s); discovery to containment, "
                      "median %(hours)s h") if previous("incidents", "near_misses") is not None
              else gettext("near misses %(near_misses)s; discovery to containment, median %(hours)s h"))
    add("accidents", gettext("Accidents (near misses not counted)"), accidents, previous("incidents", "accidents"),
        fmt=number, higher_is_better=False, mark=_count_mark(accidents, previous("incidents", "accidents")),
        detail=detail % figures)

    # 2. Reports to the authorities and others, filed by their limit.
    totals = tracks.get("totals") or {}
    add("reports", gettext("Reports filed on time"), tracks.get("on_time_rate"), previous("tracks", "on_time_rate"),
        fmt=percent, higher_is_better=True,
        mark=_deadline_mark(tracks.get("on_time_rate"), totals.get("overdue", 0)),
        detail=gettext("filed late %(late)s; overdue, not filed %(overdue)s; not yet due %(pending)s") % {
            key: number(totals.get(key, 0)) for key in ("late", "overdue", "pending")})

    # 3, 4. Actions due in the period: done on time, and verified effective.
    action_totals = actions.get("totals") or {}
    add("actions_on_time", pgettext("headline figure", "Actions completed on time"), actions.get("on_time_rate"),
        previous("actions", "on_time_rate"), fmt=percent, higher_is_better=True,
        mark=_rate_mark(actions.get("on_time_rate"), RATE_THRESHOLDS),
        detail=gettext("%(total)s due in the period; overdue, not completed %(overdue)s") % {
            "total": number(action_totals.get("total", 0)), "overdue": number(action_totals.get("overdue", 0))})
    add("actions_effective", gettext("Actions verified effective"), actions.get("effective_rate"),
        previous("actions", "effective_rate"), fmt=percent, higher_is_better=True,
        mark=_rate_mark(actions.get("effective_rate"), RATE_THRESHOLDS),
        detail=gettext("%(effective)s of the %(checked)s checked") % {
            "effective": number(action_totals.get("effective", 0)), "checked": number(action_totals.get("checked", 0))})

    # 5. Recurrence: the same cause in the same department within twelve months.
    recurrence = incidents.get("recurrence") or {}
    rate = recurrence.get("rate")
    good, watch = RECURRENCE_THRESHOLDS
    add("recurrence", gettext("Recurrence rate"), rate, previous("recurrence", "rate"), fmt=percent,
        higher_is_better=False, mark="" if rate is None else GOOD if rate <= good else WATCH if rate <= watch else BAD,
        detail=gettext("%(recurring)s of the %(analysed)s incidents with an analysed cause") % {
            "recurring": number(recurrence.get("recurring", 0)), "analysed": number(recurrence.get("analysed", 0))})

    # 6. Nonconformities found by the audits (the previous year's are in by_grade).
    grades = {row.get("grade"): row for row in audits.get("by_grade") or []}
    major = grades.get(Grade.MAJOR, {}).get("count", 0)
    minor = grades.get(Grade.MINOR, {}).get("count", 0)
    previous_major = grades.get(Grade.MAJOR, {}).get("previous")
    previous_minor = grades.get(Grade.MINOR, {}).get("previous")
    if nothing_recorded:  # no audit either
        previous_major = previous_minor = None
    previous_total = None if previous_major is None or previous_minor is None else previous_major + previous_minor
    add("nonconformities", gettext("Audit nonconformities"), major + minor, previous_total, fmt=number,
        higher_is_better=False,
        mark=BAD if major else WATCH if previous_minor is not None and minor > previous_minor else GOOD,
        detail=gettext("major %(major)s, minor %(minor)s; findings still open %(open)s") % {
            "major": number(major), "minor": number(minor), "open": number(audits.get("findings_open", 0))})

    # 7. The departments a reported internal audit covered.
    coverage = audits.get("coverage") or {}
    add("coverage", gettext("Departments audited"), coverage.get("rate"), previous("coverage", "rate"),
        fmt=percent, higher_is_better=True, mark=_rate_mark(coverage.get("rate"), COVERAGE_THRESHOLDS),
        detail=gettext("%(covered)s of %(departments)s departments") % {
            "covered": number(coverage.get("covered", 0)), "departments": number(coverage.get("departments", 0))})

    # 8. Requests from individuals (開示等の請求等) answered by their due date.
    requests = cases.get("requests") or {}
    add("requests", gettext("Requests answered on time"), requests.get("on_time_rate"),
        previous("requests", "on_time_rate"), fmt=percent, higher_is_better=True,
        mark=_deadline_mark(requests.get("on_time_rate"), requests.get("overdue", 0)),
        detail=gettext("%(total)s received; answered late %(late)s; overdue, not answered %(overdue)s") % {
            key: number(requests.get(key, 0)) for key in ("total", "late", "overdue")})
    return rows


def tally(rows: list[Headline]) -> dict[str, int]:
    """How many figures carry each mark: {"bad": 1, "watch": 2, "good": 5}."""
    return {mark: sum(row.mark == mark for row in rows) for mark in (BAD, WATCH, GOOD)}
