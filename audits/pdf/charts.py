"""Charts for the PDFs, drawn with reportlab.graphics and returned as Drawing flowables.

Every label is set in the embedded Japanese font (reportlab's charts default to
Helvetica, which has no Japanese glyphs), at 8.5 pt or more. The value axes count things: they start at
zero, step in whole numbers, and stay 0..1 when every value is zero; a chart with no
categories says so instead of failing. Colours are the Okabe–Ito palette, which stays
distinguishable for colour-blind readers and in greyscale print.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.translation import gettext
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from .base import INK, MUTED, RULE, register_font

PALETTE = [colors.HexColor(value) for value in (
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#999999",
)]
LABEL_SIZE = 8.5  # nothing in a chart is smaller (audits/pdf/styles.py)
TITLE_SIZE = 10
SWATCH = 8
ANGLED_LABEL_WIDTH = 80  # points; longer category labels under a vertical chart are cut


def _label_width(text: str, size: float = LABEL_SIZE) -> float:
    return stringWidth(text, register_font(), size)


def _count_axis(largest: float) -> tuple[int, int]:
    """(top, step) of a value axis for counts: whole steps of 1, 2 or 5 × 10ⁿ, about five of
    them, and a top of at least 1 so an all-zero chart still has an axis."""
    largest = max(largest, 1)
    raw = largest / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    return int(math.ceil(largest / step) * step), step


def _count_label(value: float) -> str:
    """A bar's value printed on it; zeros are left out, they only clutter."""
    return f"{value:g}" if value else ""


def _drawing(width: float, height: float, title: str | None) -> tuple[Drawing, float]:
    """A drawing with its title on top; returns it and the height left below the title."""
    drawing = Drawing(width, height, initialFontName=register_font())  # else the renderer sets Helvetica
    if title:
        drawing.add(String(width / 2, height - TITLE_SIZE, title, fontName=register_font(), fontSize=TITLE_SIZE,
                           fillColor=INK, textAnchor="middle"))
        return drawing, height - TITLE_SIZE - 6
    return drawing, height


def _no_data(drawing: Drawing, width: float, top: float) -> Drawing:
    drawing.add(Rect(0, 0, width, top, strokeColor=RULE, strokeWidth=0.5, fillColor=None))
    drawing.add(String(width / 2, top / 2 - LABEL_SIZE / 2, gettext("No data"), fontName=register_font(),
                       fontSize=LABEL_SIZE + 1, fillColor=MUTED, textAnchor="middle"))
    return drawing


def _legend_rows(items: Sequence[str], width: float) -> list[list[tuple[str, int]]]:
    """The legend's entries (text, colour index) laid out in rows that fit `width`."""
    rows: list[list[tuple[str, int]]] = [[]]
    used = 0.0
    for index, text in enumerate(items):
        needed = SWATCH + 3 + _label_width(text) + 12
        if rows[-1] and used + needed > width:
            rows.append([])
            used = 0.0
        rows[-1].append((text, index))
        used += needed
    return rows


def _draw_legend(drawing: Drawing, rows: list[list[tuple[str, int]]], *, x: float, top: float) -> None:
    font = register_font()
    for row_number, row in enumerate(rows):
        y = top - (row_number + 1) * (LABEL_SIZE + 5)
        left = x
        for text, index in row:
            drawing.add(Rect(left, y, SWATCH, SWATCH, fillColor=PALETTE[index % len(PALETTE)], strokeColor=None))
            drawing.add(String(left + SWATCH + 3, y + 0.5, text, fontName=font, fontSize=LABEL_SIZE,
                               fillColor=INK))
            left += SWATCH + 3 + _label_width(text) + 12


def _legend_height(rows: list[list[tuple[str, int]]]) -> float:
    return len(rows) * (LABEL_SIZE + 5) + 2


def _style_axes(chart, font: str) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = font
        axis.labels.fontSize = LABEL_SIZE
        axis.labels.fillColor = INK
        axis.strokeColor = RULE
        axis.strokeWidth = 0.5
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#e4e7eb")
    chart.valueAxis.gridStrokeWidth = 0.4
    chart.valueAxis.valueMin = 0


def _style_bars(chart, count: int, font: str, *, labelled: bool) -> None:
    for index in range(count):
        chart.bars[index].fillColor = PALETTE[index % len(PALETTE)]
        chart.bars[index].strokeColor = None
    if labelled:
        chart.barLabelFormat = _count_label
        chart.barLabels.fontName = font
        chart.barLabels.fontSize = LABEL_SIZE
        chart.barLabels.fillColor = INK


def bar_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, width: float,
              height: float, title: str | None = None, stacked: bool = False) -> Drawing:
    """Vertical bars, one group per label, one bar per series (stacked with `stacked`); a
    legend under the chart when there is more than one series.

    E.g. incidents per month with near misses as a second series:
    bar_chart(["4月", "5月"], [("インシデント", [3, 1]), ("ヒヤリハット", [2, 0])], width=…, height=…)
    """
    font = register_font()
    labels = [str(label) for label in labels]
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
    drawing, top = _drawing(width, height, title)
    if not labels or not series:
        return _no_data(drawing, width, top)

    legend = _legend_rows([str(name) for name, _values in series], width) if len(series) > 1 else []
    legend_height = _legend_height(legend) if legend else 0
    if stacked:
        largest = max(sum(values[i] for _name, values in series) for i in range(len(labels)))
    else:
        largest = max(max(values) for _name, values in series)
    top_value, step = _count_axis(largest)

    left = _label_width(str(top_value)) + 8
    slot = (width - left - 4) / len(labels)
    widest = max(_label_width(label) for label in labels)
    angled = widest > slot - 2  # labels that would collide are set at an angle
    if angled:
        labels = [_shorten(label, ANGLED_LABEL_WIDTH) for label in labels]
        widest = min(widest, ANGLED_LABEL_WIDTH)
        # the first label runs down to the left of its bar: keep it inside the drawing
        left = max(left, widest * 0.82 - slot / 2 + 2)
        slot = (width - left - 4) / len(labels)
    plot_width = width - left - 4
    label_room = (widest * 0.6 + LABEL_SIZE + 4) if angled else LABEL_SIZE + 6
    bottom = legend_height + label_room + 2

    chart = VerticalBarChart()
    chart.x, chart.y = left, bottom
    chart.width, chart.height = plot_width, max(top - bottom - 4 - (LABEL_SIZE if not stacked else 0), 10)
    chart.data = [list(values) for _name, values in series]
    chart.categoryAxis.categoryNames = labels
    _style_axes(chart, font)
    chart.categoryAxis.tickDown = 2
    chart.valueAxis.valueMax, chart.valueAxis.valueStep = top_value, step
    if angled:
        chart.categoryAxis.labels.angle = 35
        chart.categoryAxis.labels.boxAnchor = "ne"
        chart.categoryAxis.labels.dx = 2
        chart.categoryAxis.labels.dy = -2
    if stacked:
        chart.categoryAxis.style = "stacked"
    chart.barSpacing = 1
    chart.groupSpacing = max(slot * 0.2, 2)
    _style_bars(chart, len(series), font, labelled=not stacked)
    chart.barLabels.boxAnchor = "s"  # the count sits on top of its bar
    chart.barLabels.dy = 1
    drawing.add(chart)
    if legend:
        _draw_legend(drawing, legend, x=left, top=legend_height)
    return drawing


def horizontal_bar_chart(labels: Sequence[str], values: Sequence[float], *, width: float,
                         height: float | None = None, title: str | None = None) -> Drawing:
    """Horizontal bars, first label on top, its value at the end of each bar (incidents by
    kind, findings by grade). The height follows the number of bars unless given."""
    font = register_font()
    labels = [str(label) for label in labels]
    if len(values) != len(labels):
        raise ValueError(f"{len(values)} values for {len(labels)} labels")
    row = LABEL_SIZE + 9
    if height is None:
        height = max(len(labels), 1) * row + LABEL_SIZE + 14 + (TITLE_SIZE + 6 if title else 0)
    drawing, top = _drawing(width, height, title)
    if not labels:
        return _no_data(drawing, width, top)

    top_value, step = _count_axis(max(values))
    left = min(max(_label_width(label) for label in labels) + 8, width * 0.45)
    bottom = LABEL_SIZE + 8
    chart = HorizontalBarChart()
    chart.x, chart.y = left, bottom
    chart.width = width - left - _label_width(str(top_value)) - 10
    chart.height = max(top - bottom - 2, 10)
    chart.data = [list(values)]
    chart.categoryAxis.categoryNames = [_shorten(label, left - 8) for label in labels]
    chart.categoryAxis.reverseDirection = 1  # the first label at the top, as it is read
    _style_axes(chart, font)
    chart.categoryAxis.tickLeft = 2
    chart.valueAxis.valueMax, chart.valueAxis.valueStep = top_value, step
    chart.barWidth = 6
    chart.groupSpacing = max(row * 0.25, 2)
    _style_bars(chart, 1, font, labelled=True)
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


def status_bar(parts: Sequence[tuple[str, float]], *, width: float, title: str | None = None,
               bar_height: float = 14) -> Drawing:
    """One bar split into its parts in proportion, with a legend giving each part's count:
    where the actions stand (planned, in progress, implemented, effective…).
    With nothing to count the bar is an empty outline."""
    font = register_font()
    legend = _legend_rows([f"{label} {value:g}" for label, value in parts], width)
    height = bar_height + _legend_height(legend) + 6 + (TITLE_SIZE + 6 if title else 0)
    drawing, top = _drawing(width, height, title)
    bar_bottom = top - bar_height
    total = sum(value for _label, value in parts)
    left = 0.0
    if total:
        for index, (_label, value) in enumerate(parts):
            if not value:
                continue
            part_width = width * value / total
            drawing.add(Rect(left, bar_bottom, part_width, bar_height, strokeColor=colors.white,
                             strokeWidth=0.5, fillColor=PALETTE[index % len(PALETTE)]))
            if part_width > _label_width(f"{value:g}") + 4:
                drawing.add(String(left + part_width / 2, bar_bottom + bar_height / 2 - LABEL_SIZE / 2 + 1,
                                   f"{value:g}", fontName=font, fontSize=LABEL_SIZE, fillColor=colors.white,
                                   textAnchor="middle"))
            left += part_width
    else:
        drawing.add(Rect(0, bar_bottom, width, bar_height, strokeColor=RULE, strokeWidth=0.5, fillColor=None))
    _draw_legend(drawing, legend, x=0, top=bar_bottom - 4)
    return drawing


def _shorten(text: str, width: float) -> str:
    """A category label cut with an ellipsis so it fits left of the bars."""
    if _label_width(text) <= width:
        return text
    while text and _label_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
