"""The shared PDF machinery, which lives in incidents/pdf/base.py (the font, escaping,
styles, tables, the numbered page frame, the HTTP response): the incidents app's letters use
it too, and incidents never imports audits. Re-exported here for the audits reports."""

from incidents.pdf.base import *  # noqa: F403
from incidents.pdf.base import (  # noqa: F401 (the names the reports and tests import)
    _CONTROL,
    _JAPANESE,
    _Document,
    _fit,
    _grid,
    _is_number,
    _to_unicode_cmap,
)
