"""Page 1 of the management-review report: the executive summary (エグゼクティブサマリー), what
an executive reads in a minute.

In the order it is read: whose review, which period and where it stands; top management's
conclusion and then the decisions it introduces, each with its owner and due date; the
headline figures (audits.review_headlines), each with the year before, better or worse, and
a mark in words and shape (○ good, △ watch, × action needed), not colour alone; and one line
saying what the rest of the report holds.
"""

from __future__ import annotations

from django.utils.translation import gettext, pgettext
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from ...models.review import ReviewState
from ...review_format import DASH, label
from ...review_headlines import BAD, GOOD, MARK_LABELS, MARK_SYMBOLS, WATCH, Headline, headlines, tally
from ..base import ACCENT, CONTENT_WIDTH, MARK_RED, _grid, esc
from .formatting import format_date, format_period, user_name
from .layout import ReportLayout

MARK_COLOURS = {GOOD: colors.HexColor("#1a7f37"), WATCH: colors.HexColor("#9a5b00"), BAD: MARK_RED}


class SummaryPage(ReportLayout):
    """The executive summary, on page 1."""

    def summary(self) -> list[Flowable]:
        review = self.review
        flowables: list[Flowable] = [
            self.p(esc(gettext("Management review report")), "summary_title"),
            self.p(esc(self.identity_line()), "summary_line"),
            self.p(esc(gettext("Executive summary")), "h1"),
        ]
        if review.state == ReviewState.DRAFT:
            flowables.append(self.banner(
                gettext("DRAFT"),
                gettext("Not yet submitted to top management. The figures are assembled from the records as "
                        "they are now and may still change.")))
        elif review.state == ReviewState.SUBMITTED:
            flowables.append(self.banner(
                gettext("Submitted: awaiting approval"),
                gettext("The inputs were frozen at submission. Top management's decisions are recorded at "
                        "approval."), colour=ACCENT))
        flowables += self.conclusion_and_decisions()
        flowables += self.headline_figures()
        flowables.append(self.p(esc(gettext(
            "Following pages: the inputs (a)–(g) of JIS Q 15001 / ISO/IEC 27001 9.3, then the decisions in "
            "detail, the record of the review and the sign-off.")), "small"))
        return flowables

    def identity_line(self) -> str:
        """株式会社INE ｜ MR-INE-FY2025 ｜ 2025年4月1日〜2026年3月31日 ｜ 承認済（2026年5月20日）"""
        review = self.review
        company = self.company()
        if company is not None:
            whose = company.get("name", "")
        elif self.group_companies():  # the group names the companies it covers
            whose = gettext("Whole group (%(companies)s)") % {
                "companies": pgettext("list separator", ", ").join(self.group_companies())}
        else:
            whose = gettext("Whole group")
        parts = [whose, review.reference, format_period(review.period_start, review.period_end)]
        state = label(ReviewState, review.state)
        if review.state == ReviewState.APPROVED and review.approved_at:
            state = gettext("%(state)s %(date)s") % {"state": state, "date": format_date(review.approved_at.date())}
        parts.append(state)
        return pgettext("identity line separator", " | ").join(part for part in parts if part)

    # -- conclusion, then the decisions it introduces ----------------------------------

    def conclusion_and_decisions(self) -> list[Flowable]:
        flowables: list[Flowable] = [self.h2(gettext("Conclusion of top management"))]
        if self.review.state != ReviewState.APPROVED:
            flowables.append(self.p(esc(gettext(
                "Top management's decisions and conclusion are recorded when the review is approved.")), "muted"))
            return flowables
        conclusion = (self.review.conclusion or "").strip()
        flowables.append(self.text(conclusion, "conclusion") if conclusion
                         else self.p(esc(gettext("Not written.")), "muted"))
        flowables.append(self.h2(gettext("Decisions")))
        if not self.decisions:
            flowables.append(self.p(esc(gettext("No decisions recorded.")), "muted"))
            return flowables
        rows = [
            (decision.position, self.text(decision.title, "cell_strong"),
             [self.text(user_name(decision.owner), "cell"), self.text(decision.department.name, "cell_small")],
             format_date(decision.due_date))
            for decision in self.decisions
        ]
        flowables.append(self.table([gettext("No."), gettext("Decision"), gettext("Owner"), gettext("Due")],
                                    rows, (0.06, 0.56, 0.2, 0.18)))
        return flowables

    # -- the headline figures ----------------------------------------------------------------

    def headline_figures(self) -> list[Flowable]:
        rows = headlines(self.inputs)
        counts = tally(rows)
        flowables: list[Flowable] = [
            self.h2(gettext("Headline figures against the previous year")),
            self.p(self.tally_markup(counts, len(rows)), "tally"),
        ]
        header = [gettext("Figure"), gettext("This period"), gettext("Against the previous year"),
                  gettext("Assessment"), gettext("Detail")]
        data = [[self.p(esc(text), "cell_header") for text in header]]
        data += [self.figure_row(row) for row in rows]
        fractions = (0.25, 0.12, 0.22, 0.14, 0.27)
        table = Table(data, colWidths=[CONTENT_WIDTH * f for f in fractions], repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle(_grid(header_rows=1)))  # the grid of base.data_table
        flowables.append(table)
        flowables.append(Spacer(1, 2 * mm))
        return flowables

    def tally_markup(self, counts: dict[str, int], total: int) -> str:
        """「要対応 1・注意 3・良好 4（8指標）」, each with its shape and colour."""
        parts = [
            f'<font color="{MARK_COLOURS[mark].hexval()}">{MARK_SYMBOLS[mark]} {esc(MARK_LABELS[mark])} '
            f"{counts[mark]}</font>"
            for mark in (BAD, WATCH, GOOD)
        ]
        return gettext("%(marks)s (of %(total)s figures)") % {
            "marks": pgettext("list separator", ", ").join(parts), "total": total}

    def figure_row(self, row: Headline) -> list[Paragraph]:
        if row.mark:
            mark = (f'<font color="{MARK_COLOURS[row.mark].hexval()}">{MARK_SYMBOLS[row.mark]} '
                    f"{esc(MARK_LABELS[row.mark])}</font>")
        else:
            mark = esc(DASH)
        return [
            self.p(esc(row.label), "cell_strong"),
            self.p(esc(row.value), "cell_figure"),
            self.p(esc(row.trend_text), "cell"),
            self.p(mark, "cell_mark"),
            self.p(esc(row.detail), "cell_small"),
        ]

    # -- the banner of a draft or a submitted review -------------------------------------------

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
            ("TOPPADDING", (0, 0), (-1, 0), 4),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 4),
        ]))
        return box
