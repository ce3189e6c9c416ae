"""The end of the management-review report: top management's decisions (the outputs), each
with its owner, due date and improvement action, their conclusion, and the sign-off boxes.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext, pgettext
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table, TableStyle

from ...models.review import DecisionKind, ReviewState
from ...review_format import DASH, label
from ..base import HEADER_FILL, MUTED, RULE, TOKYO, esc
from .formatting import format_date, user_name
from .layout import ReportLayout


class OutputSections(ReportLayout):
    """The decisions and conclusion of top management, and the sign-off."""

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
