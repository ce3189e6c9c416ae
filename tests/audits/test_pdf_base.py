"""The PDF machinery (audits/pdf/base.py, charts.py): escaping, tables, numbered pages,
the table of contents, the embedded font, charts with awkward data. Read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import translation
from pypdf import PdfReader
from reportlab.lib.enums import TA_RIGHT
from reportlab.platypus import PageBreak, Paragraph, Table

from audits.pdf import charts
from audits.pdf.base import (
    CONTENT_WIDTH,
    FONT_NAME,
    build_pdf,
    data_table,
    esc,
    key_value_table,
    para,
    pdf_language,
    styles,
    table_of_contents,
    widths,
)

HOSTILE = ['<img src="/etc/passwd">', "<unclosed", "R&D", "<font name=x>"]


def build(story, **kwargs) -> PdfReader:
    kwargs.setdefault("title", "テスト文書")
    kwargs.setdefault("confidential_mark", "社外秘")
    return PdfReader(io.BytesIO(build_pdf(story, **kwargs)))


def page_texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def squash(text: str) -> str:
    """Text without whitespace: wrapped lines come back with line breaks inside."""
    return "".join(text.split())


def fonts_of(reader: PdfReader) -> list[dict]:
    fonts = []
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.append(font.get_object())
    return fonts


# ---------------------------------------------------------------------------
# esc


def test_esc_escapes_markup_and_keeps_line_breaks():
    assert esc(None) == ""
    assert esc("") == ""
    assert esc(42) == "42"
    assert esc("R&D") == "R&amp;D"
    assert esc('<img src="/etc/passwd">') == '&lt;img src="/etc/passwd"&gt;'
    assert esc("<unclosed") == "&lt;unclosed"
    assert esc("一行目\n二行目\r\n三行目\r四行目") == "一行目<br/>二行目<br/>三行目<br/>四行目"
    assert esc("a\x00b\x07c\td") == "abc    d"  # control characters have no glyph


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_literal(text):
    sheet = styles()
    reader = build([para(f"前 {text} 後", sheet["body"]), para(text, sheet["h1"])])
    assert squash(f"前 {text} 後") in squash(page_texts(reader)[0])
    assert "/XObject" not in reader.pages[0]["/Resources"]  # no image was embedded


def test_unescaped_markup_would_fail():
    """Why esc() exists: reportlab parses paragraph text as markup."""
    with pytest.raises(ValueError):
        Paragraph("<unclosed", styles()["body"])


# ---------------------------------------------------------------------------
# Tables


def test_data_table_escapes_cells_and_aligns_numbers():
    sheet = styles()
    table = data_table(["箇条", "件数", "メモ"], [["6.1", 1200, "<b>R&D</b>"], ["9.2", 3.5, None]],
                       widths(0.2, 0.2, 0.6), sheet=sheet)
    assert isinstance(table, Table) and table.repeatRows == 1
    header, first, second = table._cellvalues
    assert [cell.getPlainText() for cell in header] == ["箇条", "件数", "メモ"]
    assert first[1].getPlainText() == "1,200" and first[1].style.alignment == TA_RIGHT
    assert first[2].getPlainText() == "<b>R&D</b>"  # shown as typed, not bold
    assert first[0].style.alignment != TA_RIGHT
    assert second[2].getPlainText() == ""
    assert sum(table._colWidths) == pytest.approx(CONTENT_WIDTH)


def test_data_table_checks_its_shape():
    with pytest.raises(ValueError):
        data_table(["a", "b"], [["only one"]])
    with pytest.raises(ValueError):
        data_table(["a", "b"], [], col_widths=[100])


def test_a_long_table_repeats_its_header_on_every_page():
    rows = [[f"6.{n}", n, "個人情報管理台帳の更新 " * 3] for n in range(120)]
    reader = build([data_table(["箇条番号", "件数", "確認した証跡"], rows, widths(0.2, 0.2, 0.6))])
    texts = page_texts(reader)
    assert len(texts) >= 3
    assert all("箇条番号" in text for text in texts)
    assert "6.119" in texts[-1]


def test_a_cell_taller_than_a_page_is_split_not_refused():
    reader = build([data_table(["a", "b"], [["x", "長い記述。" * 1500]])])
    assert len(reader.pages) >= 2


def test_key_value_table():
    table = key_value_table([("管理番号", "AUD-2026-03"), ("件数", 3)])
    assert [[cell.getPlainText() for cell in row] for row in table._cellvalues] == [
        ["管理番号", "AUD-2026-03"], ["件数", "3"],
    ]


# ---------------------------------------------------------------------------
# The document


def long_story(sections: int = 3) -> list:
    sheet = styles()
    story = []
    for number in range(1, sections + 1):
        story += [para(f"第{number}章 監査の結果", sheet["h1"]), para("個人情報の取扱状況を確認した。" * 60, sheet["body"]),
                  para(f"第{number}節 指摘事項", sheet["h2"]), para("是正処置を計画する。" * 40, sheet["body"]),
                  PageBreak()]
    return story


def test_pages_are_numbered_n_of_total():
    reader = build(long_story())
    total = len(reader.pages)
    assert total >= 3
    for number, text in enumerate(page_texts(reader), start=1):
        assert f"{number} / {total}" in text


def test_header_metadata_and_generated_time_in_japan():
    generated = dt.datetime(2026, 4, 1, 0, 30, tzinfo=dt.UTC)
    with translation.override("en"):
        reader = build(long_story(1), title="Internal audit report AUD-2026-03", subject="営業部",
                       confidential_mark="Confidential", generated_at=generated)
    first = page_texts(reader)[0]
    assert "Internal audit report AUD-2026-03" in first and "Confidential" in first
    assert "Generated 2026-04-01 09:30 (JST)" in first
    assert reader.metadata.title == "Internal audit report AUD-2026-03"
    assert reader.metadata.subject == "営業部"
    assert reader.metadata.author == "PMS workflow"


def test_a_cover_page_has_no_header():
    reader = build(long_story(2), title="表紙のある文書", cover=True)
    texts = page_texts(reader)
    assert "表紙のある文書" not in texts[0] and "社外秘" not in texts[0]
    assert "表紙のある文書" in texts[1] and "社外秘" in texts[1]
    assert f"1 / {len(texts)}" in texts[0]  # the footer stays


def test_table_of_contents_and_outline():
    sheet = styles()
    story = [para("目次", sheet["contents"]), table_of_contents(sheet), PageBreak(), *long_story(3)]
    reader = build(story)
    texts = page_texts(reader)
    headings = [f"第{number}{kind}" for number in (1, 2, 3) for kind in ("章 監査の結果", "節 指摘事項")]
    for heading in headings:
        assert heading in texts[0]
    # the page numbers the TOC gives (after its dot leaders) are where the headings are
    listed = [int(number) for number in re.findall(r"\.\s+(\d+)\s*$", texts[0], flags=re.MULTILINE)]
    actual = [next(index for index, text in enumerate(texts[1:], start=2) if heading in text)
              for heading in headings]
    assert listed == actual and actual[-1] > 2
    # h1 headings are the PDF's bookmarks; the TOC's own title is not
    assert [entry.title for entry in reader.outline] == ["第1章 監査の結果", "第2章 監査の結果", "第3章 監査の結果"]


def test_the_font_is_embedded_and_nothing_falls_back_to_helvetica():
    sheet = styles()
    story = [para("目次", sheet["contents"]), table_of_contents(sheet), *long_story(1),
             Paragraph("<b>太字</b>と<i>斜体</i>", sheet["body"]),
             data_table(["区分", "件数"], [["重大な不適合", 1]]),
             charts.bar_chart(["4月", "5月"], [("インシデント", [1, 2]), ("ヒヤリハット", [0, 1])],
                              width=300, height=150, title="月別件数"),
             charts.horizontal_bar_chart(["漏えい", "滅失"], [2, 0], width=300, title="種別"),
             charts.status_bar([("計画", 1), ("実施中", 2)], width=300, title="処置の状況")]
    reader = build(story)
    fonts = fonts_of(reader)
    assert fonts
    for font in fonts:
        assert font["/BaseFont"].endswith(f"+{FONT_NAME}")  # a subset of IPAexGothic
        assert "/FontFile2" in font["/FontDescriptor"]  # the TrueType program is in the file
    assert "Helvetica" not in str([font["/BaseFont"] for font in fonts])


def test_japanese_extracts_exactly():
    text = "個人情報保護マネジメントシステム（ＰＭＳ）の運用状況・髙橋・山﨑・𩸽・①・㈱"
    reader = build([para(text, styles()["body"])])
    assert squash(text) in squash(page_texts(reader)[0])


# ---------------------------------------------------------------------------
# Charts


def test_charts_with_nothing_or_zeros_to_show():
    width = 200
    drawings = [
        charts.bar_chart([], [], width=width, height=100, title="空"),
        charts.bar_chart(["4月", "5月"], [("件数", [0, 0])], width=width, height=100),
        charts.bar_chart(["4月", "5月"], [("a", [0, 0]), ("b", [0, 0])], width=width, height=100, stacked=True),
        charts.horizontal_bar_chart([], [], width=width),
        charts.horizontal_bar_chart(["重大な不適合", "軽微な不適合"], [0, 0], width=width),
        charts.status_bar([], width=width),
        charts.status_bar([("計画", 0), ("実施中", 0)], width=width),
    ]
    with translation.override("en"):
        text = "".join(page_texts(build(drawings)))
    assert text.count("データなし") == 2


def test_chart_axes_count_in_whole_steps():
    assert charts._count_axis(0) == (1, 1)
    assert charts._count_axis(4) == (4, 1)
    assert charts._count_axis(12) == (15, 5)
    top, step = charts._count_axis(230)
    assert top >= 230 and step in (50, 100) and top % step == 0


def test_chart_data_must_match_the_labels():
    with pytest.raises(ValueError):
        charts.bar_chart(["4月", "5月"], [("件数", [1])], width=200, height=100)
    with pytest.raises(ValueError):
        charts.horizontal_bar_chart(["漏えい"], [1, 2], width=200)


def test_long_category_labels_are_cut_not_overflowing():
    labels = ["目的外利用・提供および委託先における不適切な取扱い" * 2, "漏えい"]
    drawing = charts.horizontal_bar_chart(labels, [3, 1], width=200)
    assert drawing.width == 200
    build([drawing])


# ---------------------------------------------------------------------------
# Choosing the language


def test_pdf_language():
    assert pdf_language("en") == "en"
    assert pdf_language("ja") == "ja"
    with pytest.raises(ValueError):
        pdf_language("fr")
    with translation.override("en"):
        assert pdf_language(None) == "en"
        assert pdf_language("") == "en"
    with translation.override("de"):
        assert pdf_language(None) == "ja"
