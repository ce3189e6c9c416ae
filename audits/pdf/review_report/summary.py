"""The one-page summary of the management-review report: the key figures of the period
(incidents, times to contain and close, reports and actions on time, effectiveness,
recurrence, findings, audit coverage, the previous review's decisions, requests from
individuals answered on time and complaints), findings by grade and the incidents per month.
"""

from __future__ import annotations

from django.utils.translation import gettext
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from ...models import Grade
from ...review_cases import summary_rows
from ...review_format import DASH, label, number, percent
from ..base import esc
from .layout import ReportLayout


class SummaryPage(ReportLayout):
    """The summary of the key figures, on one page after the contents."""

    def summary(self) -> list[Flowable]:
        inputs = self.inputs
        incidents = inputs.get("incidents") or {}
        tracks = inputs.get("tracks") or {}
        actions = inputs.get("actions") or {}
        audits = inputs.get("audits") or {}
        containment = incidents.get("containment_hours") or {}
        closing = incidents.get("close_days") or {}
        recurrence = incidents.get("recurrence") or {}
        track_totals = tracks.get("totals") or {}
        action_totals = actions.get("totals") or {}
        coverage = audits.get("coverage") or {}

        def of(part, whole) -> str:
            return gettext("%(part)s of %(whole)s") % {"part": number(part or 0), "whole": number(whole or 0)}

        rows = [
            (gettext("Incidents"), number(incidents.get("total", 0)),
             gettext("accidents %(accidents)s, near misses %(near_misses)s") % {
                 "accidents": number(incidents.get("accidents", 0)),
                 "near_misses": number(incidents.get("near_misses", 0))}),
            (gettext("Discovery to containment, median (hours)"), number(containment.get("median")),
             gettext("90th percentile %(p90)s (n = %(count)s)") % {
                 "p90": number(containment.get("p90")), "count": number(containment.get("count", 0))}),
            (gettext("Discovery to close, median (days)"), number(closing.get("median")),
             gettext("90th percentile %(p90)s (n = %(count)s)") % {
                 "p90": number(closing.get("p90")), "count": number(closing.get("count", 0))}),
            (gettext("Regulatory reports filed on time"), percent(tracks.get("on_time_rate")),
             gettext("%(on_time)s; late %(late)s, overdue %(overdue)s") % {
                 "on_time": of(track_totals.get("on_time"),
                               (track_totals.get("filed") or 0) + (track_totals.get("overdue") or 0)),
                 "late": number(track_totals.get("late", 0)), "overdue": number(track_totals.get("overdue", 0))}),
            (gettext("Actions completed on time"), percent(actions.get("on_time_rate")),
             gettext("%(on_time)s; overdue %(overdue)s") % {
                 "on_time": of(action_totals.get("on_time"),
                               (action_totals.get("completed") or 0) + (action_totals.get("overdue") or 0)),
                 "overdue": number(action_totals.get("overdue", 0))}),
            (gettext("Actions found effective"), percent(actions.get("effective_rate")),
             gettext("%(effective)s checked") % {
                 "effective": of(action_totals.get("effective"), action_totals.get("checked"))}),
            (gettext("Recurrence rate"), percent(recurrence.get("rate")),
             gettext("%(recurring)s analysed incidents") % {
                 "recurring": of(recurrence.get("recurring"), recurrence.get("analysed"))}),
            (gettext("Findings"), number(audits.get("findings_total", 0)),
             gettext("open %(open)s") % {"open": number(audits.get("findings_open", 0))}),
            (gettext("Audit coverage (departments)"), percent(coverage.get("rate")),
             gettext("%(covered)s departments audited") % {
                 "covered": of(coverage.get("covered"), coverage.get("departments"))}),
            (gettext("Previous review's decisions"), *self.previous_summary()),
            # (e) requests from individuals and complaints (none in a snapshot from before them)
            *summary_rows(inputs.get("cases")),
        ]
        header = [gettext("Figure"), gettext("Value"), gettext("Detail")]
        table_rows = [(name, self.p(esc(value), "cell_figure"), detail) for name, value, detail in rows]
        grades = [
            (label(Grade, row.get("grade")), row.get("count", 0), row.get("previous", 0), row.get("open", 0))
            for row in audits.get("by_grade") or []
        ]
        return [
            self.h1(gettext("Summary of key figures")),
            self.note(gettext("Period: %(period)s") % {"period": self.period_text()}),
            self.table(header, table_rows, (0.38, 0.17, 0.45)),
            self.h2(gettext("Findings by grade")),
            self.table([gettext("Grade"), gettext("This period"), gettext("Previous year"), gettext("Still open")],
                       grades, (0.46, 0.18, 0.18, 0.18)),
            Spacer(1, 5 * mm),
            self.monthly_chart(48 * mm),
        ]

    def previous_summary(self) -> tuple[str, str]:
        previous = self.inputs.get("previous_review")
        if not previous:
            return DASH, gettext("No earlier approved review")
        summary = previous.get("summary") or {}
        return (
            number(summary.get("total", 0)),
            gettext("%(reference)s: effective %(effective)s, implemented %(implemented)s, open %(open)s "
                    "(overdue %(overdue)s), cancelled %(cancelled)s") % {
                "reference": previous.get("reference", ""),
                **{key: number(summary.get(key, 0))
                   for key in ("effective", "implemented", "open", "overdue", "cancelled")},
            },
        )
