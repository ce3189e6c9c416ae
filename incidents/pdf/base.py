"""What every PDF of the app shares (design.md "PDFs"): the font, escaping, styles, tables,
the page frame with its header and numbered footer, and the HTTP response. The audits app's
reports (audits/pdf/) and the incidents app's letters (incidents/case_letters.py) build on it.

Japanese must render on any viewer and extract exactly, so every piece of text is set in
IPAexGothic, a TrueType font shipped in fonts/ and embedded (subset) into each document;
reportlab's built-in CID fonts are not embedded and show blank or as boxes elsewhere.
Nothing here falls back to Helvetica: the canvas starts in IPAexGothic and `<b>`/`<i>`
map to it too (there is no bold face, so emphasis is colour and size).

User text enters a Paragraph only through `esc()`: Paragraph text is markup, so an
unescaped `<img src=…>` would embed a local file into the PDF and `<unclosed` raises.

Labels are looked up with gettext when a document is built, never at import, so the caller
chooses the language with `translation.override("ja" | "en")`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse
from django.utils import formats, timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext, pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table, TableStyle
from reportlab.platypus.tableofcontents import TableOfContents

FONT_NAME = "IPAexGothic"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "ipaexg.ttf"
APP_NAME = "PMS workflow"  # the PDFs' author and creator
TOKYO = ZoneInfo("Asia/Tokyo")  # the footer says JST whatever timezone is active

PAGE_SIZE = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_SIZE[0] - 2 * MARGIN

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
ACCENT = colors.HexColor("#1d4e89")
RULE = colors.HexColor("#9aa5b1")
HEADER_FILL = colors.HexColor("#e4e9f0")
STRIPE_FILL = colors.HexColor("#f5f7fa")
MARK_RED = colors.HexColor("#b42318")

# Which paragraph styles are headings, and at which level of the outline and the TOC.
HEADING_LEVELS = {"h1": 0, "h2": 1}

# ---------------------------------------------------------------------------
# The font

_font_lock = threading.Lock()
_font_registered = False


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's makeToUnicodeCMap, with characters beyond U+FFFF written as UTF-16
    surrogate pairs as PDF requires. reportlab writes them as five hex digits, which
    readers reject: a name with 𩸽 or 𠀋 (both in IPAexGothic) would print but not copy out.
    register_font() installs it in reportlab, for every TrueType font of the process.
    """
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def",
        "1 begincodespacerange", f"<00> <{len(subset) - 1:02X}>", "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(f"<{code:02X}> <{chr(value).encode('utf-16-be', 'surrogatepass').hex().upper()}>"
          for code, value in enumerate(subset)),
        "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end",
    ])


def register_font() -> str:
    """Register IPAexGothic with reportlab (once per process) and return its name.

    It is also registered as its own bold, italic and bold-italic face: otherwise `<b>` in a
    paragraph looks for a bold member of the family and falls back to Helvetica, which has
    no Japanese glyphs.
    """
    global _font_registered
    if _font_registered:
        return FONT_NAME
    with _font_lock:
        if not _font_registered:
            ttfonts.makeToUnicodeCMap = _to_unicode_cmap
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE)))
            pdfmetrics.registerFontFamily(
                FONT_NAME, normal=FONT_NAME, bold=FONT_NAME, italic=FONT_NAME, boldItalic=FONT_NAME
            )
            _font_registered = True
    return FONT_NAME


# ---------------------------------------------------------------------------
# Text

# Control characters other than tab and newline are dropped: they have no glyph, and some
# are not allowed in the XML that Paragraph parses.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(text: object) -> str:
    """User text made safe for a Paragraph: markup characters escaped, line breaks kept as
    `<br/>`, None as "". Every piece of user text goes through here."""
    if text is None:
        return ""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return escape(_CONTROL.sub("", text)).replace("\n", "<br/>")


# Kana, kanji, CJK punctuation and full-width forms.
_JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")


def wrapped(style: ParagraphStyle, text: str) -> ParagraphStyle:
    """`style` with the line breaking that suits `text`.

    Text with Japanese in it gets reportlab's CJK wrapping: a break between any two
    characters, with 。、」 and the like kept off the start of a line. That mode also cuts a
    Latin word that does not fit, so text without Japanese keeps the normal wrapping at
    spaces. (The normal wrapping would break Japanese too, but puts 。 at a line's start.)
    """
    wrap = "CJK" if _JAPANESE.search(text) else None
    if style.wordWrap == wrap:
        return style
    return ParagraphStyle(style.name, parent=style, wordWrap=wrap)  # same name: headings stay headings


def para(text: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of user (or any plain) text, escaped, wrapped to suit its script."""
    markup = esc(text)
    return Paragraph(markup, wrapped(style, markup))


def local_datetime(value: datetime | None) -> str:
    """"YYYY-MM-DD HH:MM" in Japan time, or "—"."""
    return timezone.localtime(value, TOKYO).strftime("%Y-%m-%d %H:%M") if value else "—"


def local_date(value: date | None) -> str:
    return value.isoformat() if value else "—"


# ---------------------------------------------------------------------------
# Styles


def styles() -> StyleSheet1:
    """The paragraph styles of the PDFs, all in IPAexGothic.

    title, subtitle, h1 and h2 (a paragraph in h1 or h2 is a heading: it gets a bookmark,
    h1 an entry in the PDF outline, both an entry in the table of contents if there is one),
    contents (looks like h1, not listed), body, small, cell, cell_number (right-aligned),
    cell_header, cell_center, toc1 and toc2 (the lines of the table of contents).

    They break lines the Japanese way (reportlab's CJK wrapping); para() and the tables
    switch to the normal wrapping for text with no Japanese in it (see wrapped()).
    """
    font = register_font()
    sheet = StyleSheet1()
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=15, textColor=INK, wordWrap="CJK",
                          splitLongWords=1)
    sheet.add(ParagraphStyle("body", parent=base, spaceAfter=4))
    sheet.add(ParagraphStyle("title", parent=base, fontSize=20, leading=28, textColor=ACCENT, spaceAfter=4))
    sheet.add(ParagraphStyle("subtitle", parent=base, fontSize=12, leading=18, spaceAfter=8))
    sheet.add(ParagraphStyle("h1", parent=base, fontSize=13, leading=19, textColor=ACCENT, spaceBefore=12,
                             spaceAfter=6, keepWithNext=1))
    sheet.add(ParagraphStyle("contents", parent=sheet["h1"]))
    sheet.add(ParagraphStyle("h2", parent=base, fontSize=10.5, leading=16, textColor=ACCENT, spaceBefore=8,
                             spaceAfter=4, keepWithNext=1))
    sheet.add(ParagraphStyle("small", parent=base, fontSize=8, leading=12, textColor=MUTED))
    sheet.add(ParagraphStyle("cell", parent=base, fontSize=8.5, leading=12.5))
    sheet.add(ParagraphStyle("cell_number", parent=sheet["cell"], alignment=TA_RIGHT))
    sheet.add(ParagraphStyle("cell_header", parent=sheet["cell"], textColor=ACCENT))
    sheet.add(ParagraphStyle("cell_center", parent=sheet["cell"], alignment=TA_CENTER))
    sheet.add(ParagraphStyle("toc1", parent=base, fontSize=10, leading=17))
    sheet.add(ParagraphStyle("toc2", parent=base, fontSize=9, leading=15, leftIndent=14))
    return sheet


def table_of_contents(sheet: StyleSheet1 | None = None) -> TableOfContents:
    """A table of contents listing the h1 and h2 headings; build_pdf() sees it in the story
    and makes the passes it needs to fill in the page numbers."""
    sheet = sheet or styles()
    toc = TableOfContents(tableStyle=TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT_NAME),  # the table sets it even around paragraphs
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    toc.levelStyles = [sheet["toc1"], sheet["toc2"]]
    toc.dotsMinLevel = 0
    return toc


# ---------------------------------------------------------------------------
# Tables

Cell = object  # str, number, date, None, or a ready-made Flowable (or list of them)


def widths(*fractions: float) -> list[float]:
    """Column widths as fractions of the text width: widths(0.2, 0.8)."""
    return [CONTENT_WIDTH * fraction for fraction in fractions]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def cell(value: Cell, sheet: StyleSheet1) -> Flowable | list:
    """One table cell: plain values become escaped Paragraphs (numbers right-aligned, dates in
    ISO form); flowables are taken as they are, for cells the caller has already built."""
    if isinstance(value, Flowable | list | tuple):
        return value
    if _is_number(value):
        return para(formats.number_format(value, force_grouping=True), sheet["cell_number"])
    if isinstance(value, datetime):
        value = local_datetime(value)
    elif isinstance(value, date):
        value = local_date(value)
    return para(value, sheet["cell"])


def _grid(header_rows: int) -> list[tuple]:
    commands = [
        # Table sets the cell's font even around a Paragraph: without this, Helvetica.
        ("FONT", (0, 0), (-1, -1), FONT_NAME, 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3.5),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("ROWBACKGROUNDS", (0, header_rows), (-1, -1), [colors.white, STRIPE_FILL]),
    ]
    if header_rows:
        commands.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL))
    return commands


def data_table(header: Sequence[str], rows: Iterable[Sequence[Cell]], col_widths: Sequence[float] | None = None,
               *, sheet: StyleSheet1 | None = None) -> Table:
    """A table with a shaded header row repeated on every page it runs onto.

    Every cell is an escaped Paragraph, so long text wraps inside its column and markup in
    user text stays literal; numbers are right-aligned. `col_widths` are in points (see
    widths()); by default the columns share the text width equally. A row taller than a
    page is split inside the row rather than refused.
    """
    sheet = sheet or styles()
    if col_widths is None:
        col_widths = [CONTENT_WIDTH / len(header)] * len(header)
    if len(col_widths) != len(header):
        raise ValueError(f"{len(header)} columns but {len(col_widths)} widths")
    data = [[para(label, sheet["cell_header"]) for label in header]]
    for number, row in enumerate(rows, start=1):
        if len(row) != len(header):
            raise ValueError(f"row {number} has {len(row)} cells for {len(header)} columns")
        data.append([cell(value, sheet) for value in row])
    table = Table(data, colWidths=list(col_widths), repeatRows=1, splitInRow=1, hAlign="LEFT")
    table.setStyle(TableStyle(_grid(header_rows=1)))
    return table


def key_value_table(rows: Iterable[tuple[str, Cell]], *, label_width: float = 38 * mm,
                    width: float = CONTENT_WIDTH, sheet: StyleSheet1 | None = None) -> Table:
    """Label / value pairs, one per row, labels shaded (a record's fields, a cover block)."""
    sheet = sheet or styles()
    data = [[para(label, sheet["cell_header"]), cell(value, sheet)] for label, value in rows]
    table = Table(data, colWidths=[label_width, width - label_width], splitInRow=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        *_grid(header_rows=0),
        ("ROWBACKGROUNDS", (0, 0), (-1, -1), [colors.white]),
        ("BACKGROUND", (0, 0), (0, -1), HEADER_FILL),
    ]))
    return table


# ---------------------------------------------------------------------------
# The company whose document it is


def corporate_number_text(number: str) -> str:
    """"法人番号 7010001000001" (the term is Japanese in both languages, as on the company's papers)."""
    return gettext("Corporate number %(number)s") % {"number": number} if number else ""


def company_line(name: str, corporate_number: str = "") -> str:
    """A company as the running footer names it: 株式会社INE（法人番号 7010001000001）."""
    if not corporate_number:
        return name
    return pgettext("company and its corporate number", "%(name)s (%(number)s)") % {
        "name": name, "number": corporate_number_text(corporate_number)}


# ---------------------------------------------------------------------------
# The document


@dataclass(frozen=True)
class PageDecoration:
    """What the header and footer of every page say."""

    title: str
    confidential_mark: str
    generated: str  # "Generated 2026-05-01 10:00 (JST)", already translated
    cover: bool  # the first page is a cover: no header on it
    company: str = ""  # whose document: "株式会社INE（法人番号 …）", at the footer's left


class NumberedCanvas(canvas.Canvas):
    """A canvas that draws the header and the footer ("n / N") once the number of pages is
    known: each page is kept when it ends and only written out in save(), the classic
    two-pass canvasmaker pattern."""

    def __init__(self, *args, decoration: PageDecoration, **kwargs):
        super().__init__(*args, **kwargs)
        self._decoration = decoration
        self._page_states: list[dict] = []

    def showPage(self):
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._page_states)
        for number, state in enumerate(self._page_states, start=1):
            self.__dict__.update(state)
            self._decorate(number, total)
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        decoration = self._decoration
        page_width, page_height = self._pagesize
        left, right = MARGIN, page_width - MARGIN
        self.saveState()
        self.setLineWidth(0.5)
        self.setStrokeColor(RULE)
        if not (decoration.cover and number == 1):
            baseline = page_height - MARGIN + 6 * mm
            mark_width = 0.0
            if decoration.confidential_mark:
                self.setFont(FONT_NAME, 8.5)
                mark_width = self.stringWidth(decoration.confidential_mark, FONT_NAME, 8.5) + 6
                self.setStrokeColor(MARK_RED)
                self.setFillColor(MARK_RED)
                self.rect(right - mark_width, baseline - 2.2, mark_width, 12, stroke=1, fill=0)
                self.drawCentredString(right - mark_width / 2, baseline + 0.6, decoration.confidential_mark)
                self.setStrokeColor(RULE)
            self.setFont(FONT_NAME, 8)
            self.setFillColor(MUTED)
            self.drawString(left, baseline, _fit(decoration.title, right - left - mark_width - 8 * mm, 8))
            self.line(left, baseline - 4 * mm, right, baseline - 4 * mm)
        baseline = MARGIN - 9 * mm
        self.line(left, baseline + 4 * mm, right, baseline + 4 * mm)
        self.setFont(FONT_NAME, 8)
        self.setFillColor(MUTED)
        page = f"{number} / {total}"
        if decoration.company:
            # The company at the left, when it was generated and the page at the right.
            page_width_used = self.stringWidth(page, FONT_NAME, 8) + 6 * mm
            generated_width = self.stringWidth(decoration.generated, FONT_NAME, 8)
            room = right - left - page_width_used - generated_width - 6 * mm
            self.drawString(left, baseline, _fit(decoration.company, room, 8))
            self.drawRightString(right - page_width_used, baseline, decoration.generated)
        else:
            self.drawString(left, baseline, decoration.generated)
        self.drawRightString(right, baseline, page)
        self.restoreState()


def _fit(text: str, width: float, size: float) -> str:
    """`text` cut with an ellipsis to fit `width` (a header line never runs into the mark)."""
    if pdfmetrics.stringWidth(text, FONT_NAME, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT_NAME, size) > width:
        text = text[:-1]
    return text + "…"


class _Document(BaseDocTemplate):
    """A4 with one frame; headings become bookmarks, outline entries and TOC entries."""

    def __init__(self, buffer, **kwargs):
        super().__init__(
            buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
            bottomMargin=MARGIN, author=APP_NAME, creator=APP_NAME, initialFontName=FONT_NAME, **kwargs,
        )
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        self._headings = 0

    def beforeDocument(self):
        # Called at the start of every pass of multiBuild: the keys must come out the same
        # each time, as the TOC links to the keys of the previous pass.
        self._headings = 0

    def afterFlowable(self, flowable):
        level = HEADING_LEVELS.get(getattr(getattr(flowable, "style", None), "name", None))
        if level is None or not isinstance(flowable, Paragraph):
            return
        self._headings += 1
        key = f"heading-{self._headings}"
        text = flowable.getPlainText()
        top = min(self.frame._y + flowable.height + flowable.style.spaceBefore, self.pagesize[1])
        self.canv.bookmarkPage(key, fit="XYZ", left=0, top=top)
        if level == 0:
            self.canv.addOutlineEntry(text, key, level=0, closed=False)
        self.notify("TOCEntry", (level, esc(text), self.page, key))


def build_pdf(story: Sequence[Flowable], *, title: str, subject: str = "", confidential_mark: str,
              generated_at: datetime | None = None, cover: bool = False, company: str = "") -> bytes:
    """Lay `story` out on A4 and return the PDF.

    `title` goes into the metadata and the header of each page, `confidential_mark`
    (already translated, e.g. 社外秘) boxed at the header's right; the footer says when the
    document was generated (Japan time) and "n / N", and `company`, when given, whose
    document it is (its name and 法人番号, company_line()). With `cover`, the first page has no
    header. A story holding a table of contents is built in as many passes as its page
    numbers need.
    """
    register_font()
    buffer = BytesIO()
    document = _Document(buffer, title=title, subject=subject, lang=get_language() or settings.LANGUAGE_CODE)
    generated = gettext("Generated %(when)s (JST)") % {"when": local_datetime(generated_at or timezone.now())}
    canvasmaker = partial(NumberedCanvas, decoration=PageDecoration(
        title=title, confidential_mark=confidential_mark, generated=generated, cover=cover, company=company,
    ))
    story = list(story)
    if any(flowable.isIndexing() for flowable in story):
        document.multiBuild(story, canvasmaker=canvasmaker)
    else:
        document.build(story, canvasmaker=canvasmaker)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Delivering a PDF over HTTP (the API and the web views share these)


def pdf_language(requested: str | None) -> str:
    """The language to render a PDF in: the one asked for, else the request's, else the site's.

    Raises ValueError, with a message for the user, for a language the app does not speak.
    """
    supported = [code for code, _name in settings.LANGUAGES]
    if requested:
        if requested in supported:
            return requested
        raise ValueError(gettext("Unknown language “%(lang)s”: choose one of %(choices)s.")
                         % {"lang": requested[:20], "choices": ", ".join(supported)})
    current = (get_language() or "").split("-")[0]
    return current if current in supported else settings.LANGUAGE_CODE


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """The PDF as a download, never cached by a shared cache (the reports are confidential)."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Length"] = str(len(pdf))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
