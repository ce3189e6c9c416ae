"""The end of the management-review report: top management's decisions (the outputs) in
detail, each with its kind, owner, due date and improvement action; the record of the review
(who prepared, submitted and approved it, when, the meeting and its attendees); and the
sign-off boxes. The conclusion and the decisions in short are on page 1 (summary.py).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext, pgettext
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table, TableStyle

from incidents.models import group_has_several_companies

from ...models.review import DecisionKind, ReviewState
from ...review_format import DASH, label
from ..base import HEADER_FILL, MUTED, RULE, TOKYO, esc, key_value_table
from .formatting import format_date, format_datetime, format_period, user_name
from .layout import ReportLayout


class OutputSections(ReportLayout):
    """The decisions of top management in detail, the record of the review, the sign-off."""

    # -- outputs ---------------------------------------------------------------------

    def outputs(self) -> list[Flowable]:
        flowables: list[Flowable] = [CondPageBreak(60 * mm), self.h1(gettext("Decisions of top management (outputs)"))]
        if self.review.state != ReviewState.APPROVED:
            flowables.append(self.p(esc(gettext(
                "Top management's decisions and conclusion are recorded when the review is approved.")), "muted"))
            return flowables
        flowables.append(self.note(gettext("The conclusion that introduces these decisions is on page 1.")))
        rows = []
        for decision in self.decisions:
            what = [self.text(decision.title, "cell_strong")]
            if decision.detail.strip():
                what.append(self.text(decision.detail.strip(), "cell_small"))
            rows.append((
                decision.position, label(DecisionKind, decision.kind), what,
                [self.text(user_name(decision.owner), "cell"), self.text(decision.department.name, "cell_small")],
                format_date(decision.due_date), decision.action.reference if decision.action else DASH,
            ))
        if rows:
            flowables.append(self.table(
                [gettext("No."), gettext("Kind"), gettext("Decision"), gettext("Owner"), gettext("Due"),
                 gettext("Improvement action")],
                rows, (0.05, 0.12, 0.33, 0.15, 0.17, 0.18)))
        else:
            flowables.append(self.none())
        return flowables

    # -- the record of the review (what the cover used to hold) ---------------------------

    def review_record(self) -> list[Flowable]:
        review = self.review
        company = self.company()
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
        if self.is_group and self.group_companies():
            rows.insert(1, (gettext("Companies covered"),
                            pgettext("list separator", ", ").join(self.group_companies())))
        return [CondPageBreak(70 * mm), self.h1(gettext("Record of the review")),
                key_value_table(rows, label_width=40 * mm, sheet=self.sheet)]

    def signed(self, user_id, when) -> str:
        if not user_id:
            return DASH
        return f"{self.person(user_id)}  ({format_datetime(when)})"

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
        box_width = 66 * mm
        header = [self.p(f"{esc(title)} <font size=9 color='{MUTED.hexval()}'>{esc(role)}</font>", "cell_center")
                  for title, role, _name, _when in boxes]
        names = [self.p(esc(name) if name else "&nbsp;", "cell_center") for _t, _r, name, _w in boxes]
        dates = [self.p(esc(format_date(timezone.localtime(when, TOKYO).date()) if when else ""), "cell_center")
                 for _t, _r, _n, when in boxes]
        table = Table([header, [Spacer(1, 16 * mm), Spacer(1, 16 * mm)], names, dates], colWidths=[box_width] * 2,
                      hAlign="RIGHT")
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, 0), 0.6, RULE),
            ("BOX", (0, 0), (0, -1), 0.6, RULE),
            ("BOX", (1, 0), (1, -1), 0.6, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        return [Spacer(1, 8 * mm), KeepTogether([self.h2(gettext("Sign-off")), table])]
