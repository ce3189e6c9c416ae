"""The management-review report (マネジメントレビュー報告書): the PDF top management reads.

Everything it shows comes from `Review.inputs()` (the snapshot frozen at submission, so the
document shows exactly what was submitted even if the records change later; the live
records while the review is a draft) plus the review's own fields and decisions. The
snapshot holds codes, not labels: they are translated here, at render time, so the same
snapshot renders in Japanese or in English.

Layout: cover, contents, a one-page summary of the key figures, one section per input in
ISO/IEC 27001 9.3.2 order (a)–(g), each naming the items of the older JIS Q 15001 list it
covers, the decisions (outputs) with top management's conclusion, and the sign-off boxes.

Every piece of user text (the texts, decision titles and details, names, department names,
finding descriptions) reaches a Paragraph only through `esc()` (directly or through
base.data_table's cells). Queries: a constant number whatever the size of the data (the
inputs are aggregated; the decisions and the people are read in one query each).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import dateformat, timezone
from django.utils.translation import get_language, gettext, ngettext, override, pgettext
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from incidents.models import ActionKind, ActionState, IncidentKind, Severity, TrackKind, person_name

from ..models import Grade
from ..models.catalogue import Standard
from ..models.review import DecisionKind, Review, ReviewDecision, ReviewState
from ..review_format import DASH, label, localized, number, percent
from . import charts
from .base import (
    ACCENT,
    CONTENT_WIDTH,
    HEADER_FILL,
    MARK_RED,
    MUTED,
    RULE,
    TOKYO,
    build_pdf,
    data_table,
    esc,
    key_value_table,
    para,
    styles,
    table_of_contents,
    widths,
)

# Long tables are cut here with a line saying how many rows were left out; the
# opportunities for improvement (g) are always listed in full.
MAX_CLAUSE_ROWS = 40
MAX_RECURRENCE_ROWS = 20
MAX_DEPARTMENT_ROWS = 60


def render_review_report(review: Review, *, language: str = "ja") -> bytes:
    """The management-review report of `review` as PDF bytes, in `language` ("ja" or "en")."""
    with override(language):
        return _ReviewReport(review).render()


# ---------------------------------------------------------------------------
# Formatting (in the active language)


def report_filename(review: Review, language: str) -> str:
    """E.g. MR-FY2025_ja.pdf."""
    return f"{review.reference}_{language}.pdf"


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


def format_datetime(value: dt.datetime | str | None) -> str:
    """The date as format_date() and the time of day, in Japan time."""
    if not value:
        return DASH
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value, TOKYO)
    return f"{format_date(value.date())} {value:%H:%M}"


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


# ---------------------------------------------------------------------------
# The document


class _ReviewReport:
    def __init__(self, review: Review):
        self.review = review
        self.sheet = _sheet()
        # The inputs: the snapshot once submitted, otherwise assembled from the records
        # (a constant number of queries either way).
        self.inputs = review.inputs()
        self.decisions = list(
            ReviewDecision.objects.filter(review_id=review.pk)
            .select_related("owner", "department", "action").order_by("position")
        )
        ids = {review.created_by_id, review.submitted_by_id, review.approved_by_id} - {None}
        self.people = get_user_model().objects.in_bulk(ids) if ids else {}

    # -- helpers ----------------------------------------------------------------

    def person(self, user_id) -> str:
        return user_name(self.people.get(user_id)) if user_id else ""

    def p(self, markup: str, style: str = "body") -> Paragraph:
        """A paragraph of markup that is already safe (labels escaped, user text escaped)."""
        return Paragraph(markup, self.sheet[style])

    def text(self, value: str, style: str = "body") -> Paragraph:
        """A paragraph of user text, escaped."""
        return para(value, self.sheet[style])

    def h1(self, title: str) -> Paragraph:
        return self.p(esc(title), "h1")

    def h2(self, title: str) -> Paragraph:
        return self.p(esc(title), "h2")

    def note(self, value: str) -> Paragraph:
        return self.p(esc(value), "note")

    def section(self, title: str, jis_items: str | None = None) -> list[Flowable]:
        """A section heading (in the TOC) and, under it, the JIS Q 15001 items it covers."""
        flowables: list[Flowable] = [CondPageBreak(60 * mm), self.h1(title)]
        if jis_items:
            flowables.append(self.note(gettext("JIS Q 15001 (earlier list): %(items)s") % {"items": jis_items}))
        return flowables

    def user_text(self, value: str | None) -> Paragraph:
        if value and value.strip():
            return self.text(value.strip())
        return self.p(esc(gettext("Not written.")), "muted")

    def figure(self, text: str) -> Paragraph:
        """A figure already formatted as text ("24.0", "66.7%", "—"), right-aligned in its cell."""
        return self.p(esc(text), "cell_number")

    def period_text(self) -> str:
        period = self.inputs.get("period") or {}
        return format_period(period.get("start"), period.get("end"))

    def table(self, header: Sequence[str], rows, fractions: Sequence[float]) -> Table:
        return data_table(header, rows, widths(*fractions), sheet=self.sheet)

    def total_cell(self, text: str) -> Paragraph:
        return self.p(esc(text), "cell_header")

    def more_rows(self, left_out: int) -> Paragraph | None:
        if left_out <= 0:
            return None
        return self.p(esc(ngettext("%(count)s more row is not shown.", "%(count)s more rows are not shown.", left_out)
                          % {"count": number(left_out)}), "small")

    @property
    def is_draft(self) -> bool:
        return self.review.state == ReviewState.DRAFT

    # -- the whole ---------------------------------------------------------------

    def render(self) -> bytes:
        review = self.review
        title = gettext("Management review report")
        header_title = f"{title} {review.reference}"
        if self.is_draft:
            header_title = gettext("%(title)s (draft)") % {"title": header_title}
        story: list[Flowable] = [
            *self.cover(title),
            PageBreak(),
            self.p(esc(gettext("Contents")), "contents"),
            table_of_contents(self.sheet),
            PageBreak(),
            *self.summary(),
            PageBreak(),
            *self.previous_decisions(),
            *self.text_section(gettext("(b) Changes in internal and external issues"),
                               gettext("changes in laws and regulations; changes in society and technology; "
                                       "changes in the business"),
                               "issues_changes"),
            *self.text_section(gettext("(c) Needs and expectations of interested parties"), None,
                               "interested_parties"),
            *self.performance(),
            *self.text_section(gettext("(e) Feedback from interested parties"),
                               gettext("opinions from outside, including complaints"), "feedback"),
            *self.text_section(gettext("(f) Risk assessment and risk treatment"), None, "risk_status"),
            *self.opportunities(),
            *self.outputs(),
            *self.sign_off(),
        ]
        return build_pdf(
            story, title=header_title, subject=gettext("Management review %(period)s") % {
                "period": format_period(review.period_start, review.period_end)},
            confidential_mark=gettext("Confidential"), cover=True,
        )

    # -- cover -----------------------------------------------------------------------

    def cover(self, title: str) -> list[Flowable]:
        review = self.review
        flowables: list[Flowable] = []
        company = getattr(settings, "COMPANY_NAME", "")
        if company:
            flowables.append(self.text(company, "cover_company"))
        flowables += [
            Spacer(1, 30 * mm),
            self.p(esc(title), "cover_title"),
            self.p(esc(review.reference), "cover_reference"),
            self.p(esc(format_period(review.period_start, review.period_end)), "subtitle"),
            Spacer(1, 6 * mm),
        ]
        if review.state == ReviewState.DRAFT:
            flowables.append(self.banner(
                gettext("DRAFT"),
                gettext("Not yet submitted to top management. The figures are assembled from the records as "
                        "they are now and may still change."),
            ))
        elif review.state == ReviewState.SUBMITTED:
            flowables.append(self.banner(
                gettext("Submitted: awaiting approval"),
                gettext("The inputs were frozen at submission. Top management's decisions are recorded at "
                        "approval."),
                colour=ACCENT,
            ))
        flowables.append(Spacer(1, 6 * mm))

        inputs_note = (
            gettext("Assembled from the records on %(when)s (draft)") if self.is_draft
            else gettext("Frozen at submission on %(when)s")
        ) % {"when": format_datetime(self.inputs.get("assembled_at"))}
        rows = [
            (gettext("Reference"), review.reference),
            (gettext("Period"), format_period(review.period_start, review.period_end)),
            (gettext("State"), label(ReviewState, review.state)),
            (gettext("Inputs"), inputs_note),
            (gettext("Meeting date"), format_date(review.held_on)),
            (gettext("Attendees"), review.attendees.strip() or DASH),
            (gettext("Prepared by"), self.person(review.created_by_id) or DASH),
            (gettext("Submitted by"), self.signed(review.submitted_by_id, review.submitted_at)),
            (gettext("Approved by"), self.signed(review.approved_by_id, review.approved_at)),
        ]
        flowables.append(key_value_table(rows, label_width=40 * mm, sheet=self.sheet))
        flowables += [Spacer(1, 12 * mm), self.confidential_box()]
        return flowables

    def signed(self, user_id, when) -> str:
        if not user_id:
            return DASH
        return f"{self.person(user_id)}  ({format_datetime(when)})"

    def banner(self, heading: str, explanation: str, colour=MARK_RED) -> Table:
        box = Table(
            [[self.p(f'<font color="{colour.hexval()}">{esc(heading)}</font>', "banner")],
             [self.p(esc(explanation), "body")]],
            colWidths=[CONTENT_WIDTH], hAlign="LEFT",
        )
        box.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), 1.2, colour),
            ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ("RIGHTPADDING", (0, 0), (-1, -1), 8),
            ("TOPPADDING", (0, 0), (-1, 0), 6),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
        ]))
        return box

    def confidential_box(self) -> Table:
        mark = gettext("Confidential")
        style = self.sheet["mark"]
        width = stringWidth(mark, style.fontName, style.fontSize) + 24
        box = Table([[self.p(f'<font color="{MARK_RED.hexval()}">{esc(mark)}</font>', "mark")]],
                    colWidths=[width], hAlign="RIGHT")
        box.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), 1.2, MARK_RED),
            ("LEFTPADDING", (0, 0), (-1, -1), 10),
            ("RIGHTPADDING", (0, 0), (-1, -1), 10),
        ]))
        return box

    # -- summary ---------------------------------------------------------------------

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

    # -- (a) -------------------------------------------------------------------------

    def previous_decisions(self) -> list[Flowable]:
        flowables = self.section(gettext("(a) Status of the previous review's decisions"),
                                 gettext("follow-up of earlier management reviews"))
        previous = self.inputs.get("previous_review")
        if not previous:
            flowables.append(self.p(esc(gettext("There is no earlier approved management review.")), "muted"))
            return flowables
        period = previous.get("period") or {}
        flowables.append(self.p(esc(gettext("%(reference)s (%(period)s), approved %(when)s") % {
            "reference": previous.get("reference", ""),
            "period": format_period(period.get("start"), period.get("end")),
            "when": format_date(previous.get("approved_at")),
        })))
        rows = [
            (decision.get("position"), decision.get("title", ""), decision.get("owner", ""),
             format_date(decision.get("due_date")), decision.get("action") or DASH,
             label(ActionState, decision.get("state")),
             gettext("Overdue") if decision.get("overdue") else "")
            for decision in previous.get("decisions") or []
        ]
        if rows:
            flowables.append(self.table(
                [gettext("No."), gettext("Decision"), gettext("Owner"), gettext("Due"), gettext("Action"),
                 gettext("State"), gettext("Overdue")],
                rows, (0.05, 0.29, 0.11, 0.17, 0.16, 0.12, 0.10)))
        else:
            flowables.append(self.p(esc(gettext("That review recorded no decisions.")), "muted"))
        return flowables

    # -- (b), (c), (e), (f) ----------------------------------------------------------

    def text_section(self, title: str, jis_items: str | None, name: str) -> list[Flowable]:
        texts = self.inputs.get("texts") or {}
        return [*self.section(title, jis_items), self.user_text(texts.get(name))]

    # -- (d) -------------------------------------------------------------------------

    def performance(self) -> list[Flowable]:
        return [
            *self.section(gettext("(d) Performance of the management system"),
                          gettext("results of audits and reports on operation")),
            *self.incident_performance(),
            *self.report_performance(),
            *self.action_performance(),
            *self.audit_performance(),
        ]

    def monthly_chart(self, height: float) -> Flowable:
        """Incidents per month, accidents and near misses stacked."""
        months = (self.inputs.get("incidents") or {}).get("by_month") or []
        return charts.bar_chart(
            [month_label(row["month"], with_year=len(months) > 12) for row in months],
            [(gettext("Accidents"), [row.get("count", 0) - row.get("near_misses", 0) for row in months]),
             (gettext("Near misses"), [row.get("near_misses", 0) for row in months])],
            width=CONTENT_WIDTH, height=height, stacked=True,
            title=gettext("Incidents per month (%(period)s)") % {"period": self.period_text()},
        )

    def incident_performance(self) -> list[Flowable]:
        incidents = self.inputs.get("incidents") or {}
        flowables: list[Flowable] = [self.block(
            self.h2(gettext("Incidents and near misses")),
            self.p(esc(gettext("In the period: %(total)s (accidents %(accidents)s, near misses %(near_misses)s); "
                               "still open %(open)s; reports dismissed as not incidents %(dismissed)s.") % {
                key: number(incidents.get(key, 0))
                for key in ("total", "accidents", "near_misses", "open", "dismissed")})),
            self.monthly_chart(58 * mm),
        ), Spacer(1, 4 * mm)]
        by_kind = incidents.get("by_kind") or []
        flowables.append(charts.horizontal_bar_chart(
            [label(IncidentKind, row.get("kind")) for row in by_kind], [row.get("count", 0) for row in by_kind],
            width=CONTENT_WIDTH, title=gettext("Incidents by kind"),
        ))
        flowables.append(Spacer(1, 3 * mm))

        severity = self.table(
            [gettext("Severity"), gettext("Incidents")],
            [(severity_label(row.get("severity")), row.get("count", 0)) for row in incidents.get("by_severity") or []],
            (0.3, 0.14),
        )
        flowables.append(self.block(self.h2(gettext("Incidents by severity")), severity))

        departments = incidents.get("by_department") or []
        flowables.append(self.block(
            self.h2(gettext("Incidents by department")),
            self.table(
                [gettext("Department"), gettext("Incidents"), gettext("of which near misses")],
                [(row.get("name") or row.get("code") or DASH, row.get("count", 0), row.get("near_misses", 0))
                 for row in departments[:MAX_DEPARTMENT_ROWS]],
                (0.5, 0.25, 0.25)) if departments else self.none(),
            self.more_rows(len(departments) - MAX_DEPARTMENT_ROWS),
        ))

        containment = incidents.get("containment_hours") or {}
        closing = incidents.get("close_days") or {}
        flowables.append(self.block(
            self.h2(gettext("Time to contain and to close")),
            self.table(
                [gettext("Measure"), gettext("Incidents"), gettext("Median"), gettext("90th percentile")],
                [(gettext("Discovery to containment (hours)"), containment.get("count", 0),
                  self.figure(number(containment.get("median"))), self.figure(number(containment.get("p90")))),
                 (gettext("Discovery to close (days)"), closing.get("count", 0),
                  self.figure(number(closing.get("median"))), self.figure(number(closing.get("p90"))))],
                (0.46, 0.18, 0.18, 0.18)),
        ))

        recurrence = incidents.get("recurrence") or {}
        pairs = recurrence.get("pairs") or []
        recurring: list[Flowable | None] = [
            self.h2(gettext("Recurrence")),
            self.p(esc(gettext("Recurrence rate %(rate)s: %(recurring)s of %(analysed)s incidents with an analysed "
                               "cause had an earlier incident of the same cause in the same department within "
                               "twelve months.") % {
                "rate": percent(recurrence.get("rate")), "recurring": number(recurrence.get("recurring", 0)),
                "analysed": number(recurrence.get("analysed", 0))})),
        ]
        if pairs:
            recurring.append(self.table(
                [gettext("Department"), gettext("Cause"), gettext("Recurrences")],
                [(row.get("department") or DASH, localized(row, "cause") or DASH,
                  row.get("count", 0)) for row in pairs[:MAX_RECURRENCE_ROWS]],
                (0.35, 0.47, 0.18)))
            recurring.append(self.more_rows(len(pairs) - MAX_RECURRENCE_ROWS))
        flowables.append(self.block(*recurring))
        return flowables

    def report_performance(self) -> list[Flowable]:
        tracks = self.inputs.get("tracks") or {}
        keys = ("total", "on_time", "late", "overdue", "pending", "not_required")
        rows = [(label(TrackKind, row.get("kind")), *(row.get(key, 0) for key in keys))
                for row in tracks.get("by_kind") or []]
        totals = tracks.get("totals") or {}
        flowables: list[Flowable] = [
            self.h2(gettext("Regulatory reports")),
            self.p(esc(gettext("Filed on time: %(rate)s of the reports whose limit has passed or that were "
                               "filed.") % {"rate": percent(tracks.get("on_time_rate"))})),
        ]
        if rows:
            rows.append((self.total_cell(gettext("Total")), *(totals.get(key, 0) for key in keys)))
            flowables.append(self.table(
                [gettext("Report"), gettext("Owed"), gettext("On time"), gettext("Late"), gettext("Overdue"),
                 gettext("Not yet due"), gettext("Not required")],
                rows, (0.34, 0.11, 0.11, 0.11, 0.11, 0.11, 0.11)))
        else:
            flowables.append(self.none())
        return [self.block(*flowables)]

    def action_performance(self) -> list[Flowable]:
        actions = self.inputs.get("actions") or {}
        totals = actions.get("totals") or {}

        def row_of(name, row: dict) -> tuple:
            return (name, row.get("total", 0), row.get("completed", 0), row.get("on_time", 0),
                    (row.get("completed") or 0) - (row.get("on_time") or 0), row.get("overdue", 0),
                    row.get("effective", 0), row.get("checked", 0))

        rows = [row_of(label(ActionKind, row.get("kind")), row) for row in actions.get("by_kind") or []]
        rows.append(row_of(self.total_cell(gettext("Total")), totals))
        by_state = actions.get("by_state") or []
        return [self.block(
            self.h2(gettext("Corrective and other actions")),
            self.p(esc(gettext("Actions due in the period. Completed on time: %(on_time)s; found effective: "
                               "%(effective)s of those checked.") % {
                "on_time": percent(actions.get("on_time_rate")), "effective": percent(actions.get("effective_rate"))})),
            self.table(
                [gettext("Kind"), gettext("Due in the period"), gettext("Completed"), gettext("On time"), gettext("Late"),
                 gettext("Overdue"), gettext("Effective"), gettext("Checked")],
                rows, (0.24, 0.1, 0.11, 0.11, 0.1, 0.11, 0.12, 0.11)),
            Spacer(1, 3 * mm),
            charts.status_bar([(label(ActionState, row.get("state")), row.get("count", 0)) for row in by_state],
                              width=CONTENT_WIDTH, title=gettext("Where the actions due in the period stand")),
        )]

    def audit_performance(self) -> list[Flowable]:
        audits = self.inputs.get("audits") or {}
        counts = audits.get("audits") or {}
        grades = audits.get("by_grade") or []
        flowables: list[Flowable] = [self.block(
            self.h2(gettext("Audit results")),
            self.p(esc(gettext("Audits in the period: %(total)s (internal audits %(internal)s, operational checks "
                               "%(checks)s), reported %(reported)s. Findings: %(findings)s, still open %(open)s.") % {
                "total": number(counts.get("total", 0)), "internal": number(counts.get("internal", 0)),
                "checks": number(counts.get("operational_checks", 0)), "reported": number(counts.get("reported", 0)),
                "findings": number(audits.get("findings_total", 0)), "open": number(audits.get("findings_open", 0)),
            })),
            charts.bar_chart(
                [label(Grade, row.get("grade")) for row in grades],
                [(gettext("This period"), [row.get("count", 0) for row in grades]),
                 (gettext("Previous year"), [row.get("previous", 0) for row in grades])],
                width=CONTENT_WIDTH, height=55 * mm, title=gettext("Findings by grade"),
            ),
        )]
        clauses = audits.get("by_clause") or []
        flowables.append(self.block(
            self.h2(gettext("Findings by clause")),
            self.table(
                [gettext("Clause"), gettext("Title"), gettext("Findings"), gettext("Nonconformities")],
                [(clause_name(row), localized(row, "title"), row.get("count", 0),
                  row.get("nonconformities", 0)) for row in clauses[:MAX_CLAUSE_ROWS]],
                (0.24, 0.46, 0.13, 0.17)) if clauses else self.none(),
            self.more_rows(len(clauses) - MAX_CLAUSE_ROWS),
        ))

        departments = audits.get("by_department") or []
        flowables.append(self.block(
            self.h2(gettext("Findings by department")),
            self.table(
                [gettext("Department"), gettext("Findings"), gettext("Nonconformities"), gettext("Still open")],
                [(row.get("name") or row.get("code") or DASH, row.get("count", 0), row.get("nonconformities", 0),
                  row.get("open", 0)) for row in departments[:MAX_DEPARTMENT_ROWS]],
                (0.46, 0.18, 0.18, 0.18)) if departments else self.none(),
            self.more_rows(len(departments) - MAX_DEPARTMENT_ROWS),
        ))

        coverage = audits.get("coverage") or {}
        not_covered = coverage.get("not_covered") or []
        covering: list[Flowable] = [
            self.h2(gettext("Audit programme coverage")),
            self.p(esc(gettext("%(covered)s of %(departments)s departments were covered by a reported internal "
                               "audit in the period (%(rate)s).") % {
                "covered": number(coverage.get("covered", 0)), "departments": number(coverage.get("departments", 0)),
                "rate": percent(coverage.get("rate"))})),
        ]
        if not_covered:
            names = [
                (gettext("%(name)s (planned)") if row.get("planned") else "%(name)s") % {
                    "name": row.get("name") or row.get("code") or DASH}
                for row in not_covered
            ]
            covering.append(self.p(esc(gettext("Not covered: %(departments)s") % {
                "departments": pgettext("list separator", ", ").join(names)})))
        flowables.append(self.block(*covering))
        return flowables

    def block(self, *flowables: Flowable | None) -> Flowable:
        return _Block([flowable for flowable in flowables if flowable is not None])

    def none(self) -> Paragraph:
        return self.p(esc(gettext("None in the period.")), "muted")

    # -- (g) -------------------------------------------------------------------------

    def opportunities(self) -> list[Flowable]:
        flowables = self.section(gettext("(g) Opportunities for improvement"),
                                 gettext("proposals for improvement"))
        found = self.inputs.get("opportunities") or []
        flowables.append(self.block(
            self.h2(gettext("Audit findings graded as opportunities for improvement")),
            self.table(
                [gettext("Reference"), gettext("Clause"), gettext("Department"), gettext("Description")],
                [(row.get("reference", ""), row.get("clause") or DASH, row.get("department") or DASH,
                  row.get("description", "")) for row in found],
                (0.16, 0.08, 0.22, 0.54)) if found else self.none(),
        ))
        flowables.append(self.block(self.h2(gettext("Other opportunities")),
                                    self.user_text((self.inputs.get("texts") or {}).get("improvement_notes"))))
        return flowables

    # -- outputs ---------------------------------------------------------------------

    def outputs(self) -> list[Flowable]:
        flowables: list[Flowable] = [CondPageBreak(110 * mm), self.h1(gettext("Decisions of top management (outputs)"))]
        if self.review.state != ReviewState.APPROVED:
            flowables.append(self.p(esc(gettext(
                "Top management's decisions and conclusion are recorded when the review is approved.")), "muted"))
            return flowables
        rows = []
        for decision in self.decisions:
            what = [self.text(decision.title, "cell_strong")]
            if decision.detail.strip():
                what.append(self.text(decision.detail.strip(), "cell_small"))
            rows.append((
                decision.position, label(DecisionKind, decision.kind), what, user_name(decision.owner),
                decision.department.name, format_date(decision.due_date),
                decision.action.reference if decision.action else DASH,
            ))
        if rows:
            flowables.append(self.table(
                [gettext("No."), gettext("Kind"), gettext("Decision"), gettext("Owner"), gettext("Department"),
                 gettext("Due"), gettext("Improvement action")],
                rows, (0.05, 0.14, 0.27, 0.10, 0.12, 0.16, 0.16)))
        else:
            flowables.append(self.none())
        flowables += [self.h2(gettext("Conclusion of top management")), self.user_text(self.review.conclusion)]
        return flowables

    # -- sign-off --------------------------------------------------------------------

    def sign_off(self) -> list[Flowable]:
        review = self.review
        prepared_by = review.submitted_by_id or review.created_by_id
        boxes = [
            (pgettext("sign-off", "Prepared"), gettext("PMS manager"), self.person(prepared_by),
             review.submitted_at),
            (pgettext("sign-off", "Approved"), gettext("Top management"), self.person(review.approved_by_id),
             review.approved_at),
        ]
        box_width = 62 * mm
        header = [self.p(f"{esc(title)} <font size=8 color='{MUTED.hexval()}'>{esc(role)}</font>", "cell_center")
                  for title, role, _name, _when in boxes]
        names = [self.p(esc(name) if name else "&nbsp;", "cell_center") for _t, _r, name, _w in boxes]
        dates = [self.p(esc(format_date(timezone.localtime(when, TOKYO).date()) if when else ""), "cell_center")
                 for _t, _r, _n, when in boxes]
        table = Table([header, [Spacer(1, 16 * mm), Spacer(1, 16 * mm)], names, dates], colWidths=[box_width] * 2, hAlign="RIGHT")
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, 0), 0.6, RULE),
            ("BOX", (0, 0), (0, -1), 0.6, RULE),
            ("BOX", (1, 0), (1, -1), 0.6, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        return [Spacer(1, 10 * mm), KeepTogether([self.h2(gettext("Sign-off")), table])]


class _Block(KeepTogether):
    """A sub-section (heading, text, table or chart) that does not fit in what is left of
    the page: a short one (up to `short`) moves to the next page whole rather than leaving
    its heading and a row or two here; a longer one starts here if at least `min_room` is
    left and flows on, its table header repeated, rather than leave half a page blank.

    (reportlab's KeepTogether always moves a too-long block to the next page, and its
    maxHeight works the other way round: it breaks only when *more* than maxHeight is left.)
    """

    def __init__(self, flowables: list[Flowable], *, short: float = 100 * mm, min_room: float = 60 * mm):
        super().__init__(flowables)
        self._short = short
        self._min_room = min_room

    def split(self, aW, aH):  # noqa: N803 (reportlab's names)
        if getattr(self, "_wrapInfo", None) != (aW, aH):
            self.wrap(aW, aH)
        content = self._content[:]
        frame = getattr(self, "_frame", None)
        if self._H <= aH or frame is None or getattr(frame, "_atTop", False):
            return content
        if self._H <= self._short or aH < self._min_room:
            return [self.FrameBreak(), *content]
        return content


def _sheet() -> StyleSheet1:
    """base.styles() plus the few styles this document adds."""
    sheet = styles()
    sheet.add(ParagraphStyle("note", parent=sheet["small"], spaceAfter=4, keepWithNext=1))
    sheet.add(ParagraphStyle("muted", parent=sheet["body"], textColor=MUTED))
    sheet.add(ParagraphStyle("cover_company", parent=sheet["subtitle"], fontSize=13, textColor=MUTED))
    sheet.add(ParagraphStyle("cover_title", parent=sheet["title"], fontSize=24, leading=34, spaceAfter=10))
    sheet.add(ParagraphStyle("cover_reference", parent=sheet["subtitle"], fontSize=16, leading=24))
    sheet.add(ParagraphStyle("banner", parent=sheet["body"], fontSize=14, leading=20, spaceAfter=2))
    sheet.add(ParagraphStyle("mark", parent=sheet["body"], fontSize=13, leading=20))
    sheet.add(ParagraphStyle("cell_figure", parent=sheet["cell_number"], fontSize=11, leading=14,
                             textColor=ACCENT))
    sheet.add(ParagraphStyle("cell_strong", parent=sheet["cell"], textColor=colors.black))
    sheet.add(ParagraphStyle("cell_small", parent=sheet["cell"], fontSize=7.5, leading=11, textColor=MUTED))
    return sheet
