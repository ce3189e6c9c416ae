"""The type sizes of the audits reports: read on paper by people who approve them.

Japanese business documents are set at 10.5 pt; the shared styles (base.styles(), sized
for the incidents app's dense letters) set body text at 9.5 pt and tables at 8.5. The
reports here use base.styles() with these sizes instead: body 10.5 pt, tables 10, notes
and chart labels no smaller than 8.5, nothing under 8 (the running header and footer).
"""

from __future__ import annotations

from reportlab.lib.styles import StyleSheet1

from .base import styles

# style name -> (font size, leading) in points
SIZES = {
    "body": (10.5, 17),
    "title": (20, 28),
    "subtitle": (12, 18),
    "h1": (14, 20),
    "contents": (14, 20),
    "h2": (11.5, 17),
    "small": (8.5, 13),
    "cell": (10, 14.5),
    "cell_number": (10, 14.5),
    "cell_header": (10, 14.5),
    "cell_center": (10, 14.5),
    "toc1": (10.5, 16),
    "toc2": (10, 15),
}
SMALLEST = 8.5  # notes, chart labels


def report_styles() -> StyleSheet1:
    """base.styles() at the sizes above."""
    sheet = styles()
    for name, (size, leading) in SIZES.items():
        sheet[name].fontSize = size
        sheet[name].leading = leading
    return sheet
