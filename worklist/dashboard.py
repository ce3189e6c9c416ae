"""The status dashboard's page: the figures (worklist.figures) laid out as charts (worklist.charts)
with their colours, legends and readings."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from incidents.models import IncidentKind
from incidents.models.incident import list_separator

from . import charts, figures
from .figures import ReportStatus

# Every colour keeps 3:1 against the white card (WCAG 1.4.11); neighbours are told apart by
# the white line between segments, the legend's order and the table under each chart.
KIND_FILLS = {
    IncidentKind.LEAK: "#c0392b",
    IncidentKind.LOSS: "#c25400",
    IncidentKind.DAMAGE: "#8e44ad",
    IncidentKind.MISUSE: "#1f4e99",
    IncidentKind.VIOLATION: "#2a7fc0",
    IncidentKind.WEAKNESS: "#1e8449",
    IncidentKind.NEAR_MISS: "#8a6d00",
    IncidentKind.OTHER: "#6b7785",
}
OVERDUE_FILL = "#b42318"
ON_SCHEDULE_FILL = "#1f6fd1"
REPORT_FILLS = {
    ReportStatus.ON_TIME: "#17663a",
    ReportStatus.LATE: "#a15c00",
    ReportStatus.OVERDUE: OVERDUE_FILL,
    ReportStatus.NOT_YET_DUE: "#5f6f82",
}
COVERAGE_SERIES = [
    charts.Series("done", _("Audited"), "#17663a"),
    charts.Series("planned", _("Audit planned, not yet reported"), "#a15c00"),
    charts.Series("none", _("No audit planned"), OVERDUE_FILL),
]


def kind_series() -> list[charts.Series]:
    return [charts.Series(kind.value, kind.label, KIND_FILLS[kind]) for kind in IncidentKind]


def sentences(*parts: str) -> str:
    """Sentences one after the other: a space after a full stop, none after a Japanese 。."""
    text = ""
    for part in parts:
        text += part if not text or text.endswith(("。", "）", "」")) else f" {part}"
    return text


def incident_reading(incidents: dict) -> str:
    reading = gettext("Incidents and near misses this fiscal year: %(count)s (near misses: %(near_misses)s). "
                      "The same period last year: %(previous)s.") % {
        "count": incidents["total"], "near_misses": incidents["near_misses"],
        "previous": incidents["previous_to_date"]}
    change = incidents["total"] - incidents["previous_to_date"]
    if change > 0:
        trend = gettext("%(count)s more than a year before.") % {"count": change}
    elif change < 0:
        trend = gettext("%(count)s fewer than a year before.") % {"count": -change}
    else:
        trend = gettext("As many as a year before.")
    return sentences(reading, trend)


def action_reading(actions: dict) -> str:
    return gettext("Open actions: %(open)s, of which overdue: %(overdue)s. Open for 90 days or more: %(old)s.") % {
        "open": actions["open"], "overdue": actions["overdue"], "old": actions["old"]}


def report_reading(reports: dict) -> str:
    statuses = list_separator().join(
        gettext("%(status)s: %(count)s") % {"status": status.label, "count": reports[status]}
        for status in ReportStatus)
    reading = gettext("Reports owed for this fiscal year's incidents: %(total)s (%(statuses)s).") % {
        "total": reports["total"], "statuses": statuses}
    if reports["earlier_overdue"]:
        reading = sentences(reading, gettext("Reports of earlier incidents still overdue, not filed: %(count)s.") % {
            "count": reports["earlier_overdue"]})
    return reading


def coverage_reading(coverage: dict) -> str:
    return gettext("Departments audited this fiscal year: %(done)s of %(departments)s. Audit planned, not yet "
                   "reported: %(planned)s; no audit planned: %(none)s.") % coverage


def context(scope: figures.Scope) -> dict:
    incidents = figures.incidents_by_month(scope)
    actions = figures.open_actions_by_age(scope)
    reports = figures.reports_by_status(scope)
    coverage = figures.audit_coverage(scope)
    kinds = kind_series()
    for month in incidents["months"]:
        month["cells"] = [month["counts"].get(s.key, 0) for s in kinds]
    action_series = [charts.Series("overdue", _("Overdue"), OVERDUE_FILL),
                     charts.Series("other", _("Not overdue"), ON_SCHEDULE_FILL)]
    report_series = [charts.Series(status.value, status.label, REPORT_FILLS[status]) for status in ReportStatus]
    return {
        "fiscal_year": scope.fiscal_year,
        "period_start": scope.start,
        "period_end": scope.end,
        "department_scope": scope.departments is not None,
        "incidents": incidents,
        "kinds": kinds,
        "incident_chart": charts.column_chart(
            [(formats.date_format(month["month"], "M"), month["counts"]) for month in incidents["months"]],
            kinds, markers=[month["previous"] for month in incidents["months"]],
        ),
        "actions": actions,
        "action_series": action_series,
        "action_chart": charts.bar_chart(
            [(str(bucket["age"].label), bucket) for bucket in actions["buckets"]], action_series),
        "reports": reports,
        "report_rows": [(status, reports[status]) for status in ReportStatus],
        "report_series": report_series,
        "report_chart": charts.bar_chart(
            [(str(s.label), {s.key: reports[s.key]}) for s in report_series], report_series),
        "coverage": coverage,
        "coverage_series": COVERAGE_SERIES,
        "coverage_chart": charts.share_bar(coverage, COVERAGE_SERIES),
        "readings": {"incidents": incident_reading(incidents), "actions": action_reading(actions),
                     "reports": report_reading(reports), "coverage": coverage_reading(coverage)},
    }
