"""The management-review report (マネジメントレビュー報告書): the PDF top management reads.

Everything it shows comes from `Review.inputs()` (the snapshot frozen at submission, so the
document shows exactly what was submitted even if the records change later; the live
records while the review is a draft) plus the review's own fields and decisions. The
snapshot holds codes, not labels: they are translated here, at render time, so the same
snapshot renders in Japanese or in English.

Layout: page 1 is the executive summary, the message first: top management's conclusion,
then the decisions it introduces (owners, due dates), then eight headline figures each with
the year before and a mark (good, watch, action needed). Then one section per input in
ISO/IEC 27001 9.3.2 order (a)–(g), each naming the items of the older JIS Q 15001 list it
covers, each chart with the one line it says; the decisions (outputs) in detail; the
record of the review (what a cover used to hold) and the sign-off boxes. No cover and no
contents page: the PDF's bookmarks list the sections, and page 1 says what follows.
The report does not grow with the data: long tables show their first rows and how many
more there are.

Every piece of user text (the texts, decision titles and details, names, department names,
finding descriptions) reaches a Paragraph only through `esc()` (directly or through
base.data_table's cells). Queries: a constant number whatever the size of the data (the
inputs are aggregated; the decisions and the people are read in one query each).

The package, by part of the document:

- this module: the entry points and `ReviewReport`, which puts the parts in order;
- layout.py: what every part is built from (the review's data, the styles, headings,
  paragraphs, tables, the blocks kept together on a page);
- formatting.py: dates, periods and labels in the active language;
- summary.py: page 1, the executive summary;
- inputs.py: the sections of the inputs (a)–(g), with readings.py, the line under each chart;
- outputs.py: top management's decisions in detail, the record of the review, the sign-off.
"""

from __future__ import annotations

from django.utils.translation import gettext, override
from reportlab.platypus import Flowable, PageBreak

from ...models.review import Review
from ..base import build_pdf
from .formatting import format_period
from .inputs import InputSections
from .outputs import OutputSections
from .summary import SummaryPage

__all__ = ["ReviewReport", "render_review_report", "report_filename"]


def render_review_report(review: Review, *, language: str = "ja") -> bytes:
    """The management-review report of `review` as PDF bytes, in `language` ("ja" or "en")."""
    with override(language):
        return ReviewReport(review).render()


def report_filename(review: Review, language: str) -> str:
    """E.g. MR-FY2025_ja.pdf."""
    return f"{review.reference}_{language}.pdf"


# ---------------------------------------------------------------------------
# The document


class ReviewReport(SummaryPage, InputSections, OutputSections):
    """The whole report: each part comes from the section class that builds it."""

    # -- the whole ---------------------------------------------------------------

    def render(self) -> bytes:
        review = self.review
        title = gettext("Management review report")
        header_title = f"{title} {review.reference}"
        if self.is_draft:
            header_title = gettext("%(title)s (draft)") % {"title": header_title}
        story: list[Flowable] = [
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
            *self.feedback(),
            *self.text_section(gettext("(f) Risk assessment and risk treatment"), None, "risk_status"),
            *self.opportunities(),
            *self.outputs(),
            *self.review_record(),
            *self.sign_off(),
        ]
        return build_pdf(
            story, title=header_title, subject=gettext("Management review %(period)s") % {
                "period": format_period(review.period_start, review.period_end)},
            confidential_mark=gettext("Confidential"), company=self.company_line(),
        )
