"""The machinery every PDF of the app shares (design.md "PDFs"), in base.py: the embedded
Japanese font (fonts/ipaexg.ttf), escaping, styles, tables, the numbered page frame and the
HTTP response. It lives here, in the app everything else depends on, so that the letters of
the incidents app (case_letters.py) and the audits app's reports (audits/pdf/) use the same
font and the same escaping while incidents never imports audits."""
