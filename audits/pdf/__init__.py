"""The PDFs of the audits app (design.md "PDFs"): the audit report and the management-review
report, with charts.py. The shared machinery (the embedded Japanese font, escaping, styles,
tables, the numbered page frame) is incidents/pdf/base.py, re-exported by base.py here."""
