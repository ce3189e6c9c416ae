"""The geometry of the dashboard's charts, drawn by the templates as inline SVG.

No JavaScript and no chart library: each function turns figures into rectangles, ticks and
labels in the SVG's own units (its viewBox); the SVG scales to the width of its card. Colours
are presentation attributes (fill="…"), so a chart draws the same without any stylesheet and
under the Content-Security-Policy. What a chart says is also written as text beside it (its
reading and a table), for screen readers and for whoever prefers numbers.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

FONT_SIZE = 14
# Segments of a stacked bar are parted by a thin white line, so two neighbouring colours
# never merge.
GAP = 1


@dataclass(frozen=True)
class Series:
    """One colour of a chart: what it counts (`key`), its name in the legend and its fill."""

    key: str
    label: str
    fill: str


@dataclass
class Segment:
    key: str
    label: str
    value: int
    fill: str
    x: float
    y: float
    width: float
    height: float

    def __post_init__(self) -> None:
        # One decimal is finer than a screen pixel at any size the chart is shown.
        self.x, self.y, self.width, self.height = (round(v, 1) for v in (self.x, self.y, self.width, self.height))


@dataclass
class Column:
    label: str
    total: int
    x: float
    width: float
    center: float
    segments: list[Segment] = field(default_factory=list)
    # A short line at another figure of the same column (the same month last year), or None.
    marker_y: float | None = None
    marker: int | None = None
    marker_x1: float = 0.0
    marker_x2: float = 0.0
    total_y: float = 0.0


@dataclass
class Row:
    label: str
    total: int
    y: float
    center: float
    segments: list[Segment] = field(default_factory=list)
    value_x: float = 0.0


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """The width `text` takes in a sans-serif font: a full em for Japanese, about half for the rest."""
    return sum(size if unicodedata.east_asian_width(char) in "WF" else size * 0.6 for char in text)


def nice_top(value: int, ticks: int = 4) -> tuple[int, int]:
    """(top of the axis, step between ticks) for a largest value of `value`: steps of 1, 2 or 5
    times a power of ten, at most `ticks` of them."""
    if value <= 0:
        return 1, 1
    for power in range(0, 12):
        for base in (1, 2, 5):
            step = base * 10**power
            if math.ceil(value / step) <= ticks:
                return math.ceil(value / step) * step, step
    return value, value  # pragma: no cover (values beyond 10^12)


def column_chart(columns: list[tuple[str, dict[str, int]]], series: list[Series], *,
                 markers: list[int] | None = None, width: int = 480, height: int = 240) -> dict:
    """Stacked columns, one per (label, {series key: value}), the first series at the bottom;
    `markers`: a figure per column drawn as a short dark line (e.g. the same month a year before)."""
    left, right, top, bottom = 36, 8, 22, 28
    plot_width, plot_height = width - left - right, height - top - bottom
    totals = [sum(values.get(s.key, 0) for s in series) for _label, values in columns]
    largest = max([*totals, *(markers or []), 0])
    axis_top, step = nice_top(largest)
    scale = plot_height / axis_top
    slot = plot_width / max(len(columns), 1)
    bar_width = slot * 0.62
    base = top + plot_height
    drawn = []
    for index, (label, values) in enumerate(columns):
        x = left + slot * index + (slot - bar_width) / 2
        column = Column(label=label, total=totals[index], x=round(x, 1), width=round(bar_width, 1),
                        center=round(x + bar_width / 2, 1))
        y = base
        for s in series:
            value = values.get(s.key, 0)
            if not value:
                continue
            h = value * scale
            y -= h
            column.segments.append(Segment(s.key, s.label, value, s.fill, x, y, bar_width, max(h - GAP, 1)))
        column.total_y = round(y - 4, 1)
        if markers is not None:
            column.marker = markers[index]
            column.marker_y = round(base - markers[index] * scale, 1)
            column.marker_x1, column.marker_x2 = round(x - slot * 0.12, 1), round(x + bar_width + slot * 0.12, 1)
        drawn.append(column)
    ticks = [{"value": value, "y": round(base - value * scale, 1)} for value in range(0, axis_top + 1, step)]
    return {"width": width, "height": height, "left": left, "right": width - right, "base": round(base, 1),
            "label_y": base + 19, "columns": drawn, "ticks": ticks, "font_size": FONT_SIZE}


def bar_chart(rows: list[tuple[str, dict[str, int]]], series: list[Series], *, width: int = 400,
              bar_height: int = 22, gap: int = 12) -> dict:
    """Horizontal stacked bars, one per (label, {series key: value}), the label on the left and
    the total at the end of the bar."""
    label_width = max([text_width(label) for label, _values in rows] + [0]) + 10
    totals = [sum(values.get(s.key, 0) for s in series) for _label, values in rows]
    value_width = text_width(str(max(totals + [0]))) + 8
    plot_width = width - label_width - value_width
    scale = plot_width / max(max(totals + [0]), 1)
    drawn = []
    for index, (label, values) in enumerate(rows):
        y = gap / 2 + index * (bar_height + gap)
        row = Row(label=label, total=totals[index], y=y, center=round(y + bar_height / 2 + FONT_SIZE * 0.35, 1))
        x = label_width
        for s in series:
            value = values.get(s.key, 0)
            if not value:
                continue
            w = value * scale
            row.segments.append(Segment(s.key, s.label, value, s.fill, x, y, max(w - GAP, 1), bar_height))
            x += w
        row.value_x = round(x + 6, 1)
        drawn.append(row)
    return {"width": width, "height": len(rows) * (bar_height + gap), "label_x": round(label_width - 8, 1),
            "axis_x": round(label_width, 1), "rows": drawn, "font_size": FONT_SIZE}


def share_bar(values: dict[str, int], series: list[Series], *, width: int = 400, height: int = 28) -> dict:
    """One bar split in the shares of `values` (a whole: e.g. the departments audited, planned,
    not planned)."""
    total = sum(values.get(s.key, 0) for s in series)
    segments, x = [], 0.0
    for s in series:
        value = values.get(s.key, 0)
        if not value or not total:
            continue
        w = width * value / total
        segments.append(Segment(s.key, s.label, value, s.fill, x, 0, max(w - GAP, 1), height))
        x += w
    return {"width": width, "height": height, "segments": segments, "total": total}
