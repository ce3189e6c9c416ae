"""What every part of the management-review report is built from.

`ReportLayout` holds the review's data, read once (its inputs, decisions and people), and
the building blocks the sections share: paragraphs of safe markup or escaped user text,
headings, section titles that name the JIS Q 15001 items they cover, tables cut to their
first rows with "and N more", the one-line reading printed under a chart, and `block()`, a
sub-section kept together on a page (`_Block`). The section classes (summary.py, inputs.py,
outputs.py) extend it. The type is the reports' (audits/pdf/styles.py): body 10.5 pt,
tables 10, nothing under 8.5 but the running header and footer.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.utils.translation import gettext, ngettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Table

from ...models.review import Review, ReviewDecision, ReviewState
from ...review_format import number
from ..base import ACCENT, MUTED, company_line, data_table, esc, para, widths, wrapped
from ..styles import report_styles
from .formatting import format_period, user_name

# A long table is cut to its first rows and says how many more there are: the report's
# length must not grow with the data (the records themselves are on the web pages).
MAX_ROWS = 15


class ReportLayout:
    """The review's data and the building blocks of the report's sections."""

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
        """A paragraph of markup that is already safe (labels escaped, user text escaped),
        wrapped to suit its script (English at spaces, Japanese anywhere but before 。、)."""
        return Paragraph(markup, wrapped(self.sheet[style], markup))

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

    def reading(self, text: str) -> Paragraph:
        """What a chart or a table says, in one line under it (worked out from the figures)."""
        return self.p(f"→ {esc(text)}", "reading")

    @property
    def is_draft(self) -> bool:
        return self.review.state == ReviewState.DRAFT

    # -- whose review -----------------------------------------------------------

    @property
    def is_group(self) -> bool:
        """A review of the whole group (グループ全体) rather than of one company."""
        return self.review.company_id is None

    def company(self) -> dict | None:
        """The company reviewed (name, corporate_number) as the inputs named it; a snapshot
        from before the group companies names none: the review's company now."""
        if self.is_group:
            return None
        if self.inputs.get("company"):
            return self.inputs["company"]
        company = self.review.company
        return {"code": company.code, "name": company.name, "corporate_number": company.corporate_number}

    def group_companies(self) -> list[str]:
        """The names of the companies a group review covers."""
        return [row.get("name", "") for row in self.inputs.get("companies") or []]

    def company_line(self) -> str:
        """Whose review, for the running footer: the company and its 法人番号, or the group."""
        company = self.company()
        if company is None:
            return gettext("Whole group")
        return company_line(company.get("name", ""), company.get("corporate_number", ""))

    def leading(self, heading: list[Flowable], parts: list[Flowable]) -> list[Flowable]:
        """A section's heading kept with its first block, so that a block moved to the next
        page does not leave the heading alone at the bottom of this one."""
        if parts and isinstance(parts[0], _Block):
            kept = [flowable for flowable in heading if not isinstance(flowable, CondPageBreak)]
            return [*(flowable for flowable in heading if isinstance(flowable, CondPageBreak)),
                    _Block([*kept, *parts[0]._content]), *parts[1:]]
        return [*heading, *parts]

    def block(self, *flowables: Flowable | None) -> Flowable:
        return _Block([flowable for flowable in flowables if flowable is not None])

    def none(self) -> Paragraph:
        return self.p(esc(gettext("None in the period.")), "muted")


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
    """The reports' styles (styles.report_styles()) plus the few this document adds."""
    sheet = report_styles()
    sheet.add(ParagraphStyle("note", parent=sheet["small"], spaceAfter=4, keepWithNext=1))
    sheet.add(ParagraphStyle("muted", parent=sheet["body"], textColor=MUTED))
    sheet.add(ParagraphStyle("reading", parent=sheet["body"], fontSize=10.5, leading=16, textColor=ACCENT,
                             spaceBefore=2, spaceAfter=8))
    sheet.add(ParagraphStyle("summary_title", parent=sheet["title"], fontSize=18, leading=24, spaceAfter=2))
    sheet.add(ParagraphStyle("summary_line", parent=sheet["body"], fontSize=10, leading=15, textColor=MUTED,
                             spaceAfter=6))
    sheet.add(ParagraphStyle("conclusion", parent=sheet["body"], fontSize=11, leading=18))
    sheet.add(ParagraphStyle("tally", parent=sheet["body"], fontSize=11, leading=17, spaceAfter=4))
    sheet.add(ParagraphStyle("banner", parent=sheet["body"], fontSize=12, leading=17, spaceAfter=1))
    sheet.add(ParagraphStyle("mark", parent=sheet["body"], fontSize=12, leading=18))
    sheet.add(ParagraphStyle("cell_figure", parent=sheet["cell_number"], fontSize=12, leading=15,
                             textColor=ACCENT))
    sheet.add(ParagraphStyle("cell_mark", parent=sheet["cell"], fontSize=10.5, leading=14.5))
    sheet.add(ParagraphStyle("cell_mark_center", parent=sheet["cell_mark"], alignment=TA_CENTER))
    sheet.add(ParagraphStyle("cell_strong", parent=sheet["cell"], textColor=colors.black))
    sheet.add(ParagraphStyle("cell_small", parent=sheet["cell"], fontSize=8.5, leading=12.5, textColor=MUTED))
    return sheet
