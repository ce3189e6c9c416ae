"""The cover of the management-review report: the company, title, reference and period, a
banner while the review is a draft or awaits approval, who prepared, submitted and approved
it and when, and the confidential mark.
"""

from __future__ import annotations

from django.utils.translation import gettext, pgettext
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from incidents.models import group_has_several_companies

from ...models.review import ReviewState
from ...review_format import DASH, label
from ..base import ACCENT, CONTENT_WIDTH, MARK_RED, corporate_number_text, esc, key_value_table
from .formatting import format_date, format_datetime, format_period
from .layout import ReportLayout


class CoverPages(ReportLayout):
    """The cover page (the contents page is the table of contents base.py builds)."""

    def cover(self, title: str) -> list[Flowable]:
        review = self.review
        flowables: list[Flowable] = []
        company = self.company()
        if company is not None:
            # The company reviewed, with its 法人番号.
            flowables.append(self.text(company.get("name", ""), "cover_company"))
            if company.get("corporate_number"):
                flowables.append(self.text(corporate_number_text(company["corporate_number"]), "small"))
        else:
            # A review of the whole group names the companies it covers.
            flowables.append(self.text(gettext("Whole group"), "cover_company"))
            names = self.group_companies()
            if names:
                flowables.append(self.text(pgettext("list separator", ", ").join(names), "small"))
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
        if self.is_group or group_has_several_companies():
            rows.insert(0, (gettext("Company reviewed"),
                            company.get("name", "") if company is not None else gettext("Whole group")))
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
