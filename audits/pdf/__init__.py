"""The PDFs of the app (design.md "PDFs"): the audit report, and the shared machinery in
base.py (the embedded Japanese font, escaping, styles, tables, the numbered page frame) and
charts.py that the management-review PDF builds on too."""
