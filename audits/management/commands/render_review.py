"""`python manage.py render_review <id-or-reference> <file.pdf> [--lang ja|en]`: write the
management-review report of a review to a file (the same PDF the web page and the API give).

    python manage.py render_review MR-FY2025 review.pdf
    python manage.py render_review 3 review-en.pdf --lang en

Prints the path, the size and the number of pages. An unknown review or a file that cannot
be written is an error (exit status 1) with a message saying which.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audits.models import Review
from audits.pdf.review_report import render_review_report

# reportlab writes each page as an uncompressed dictionary "/Type /Page" (the page tree
# is "/Type /Pages"), so counting them gives the number of pages without a PDF reader.
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def page_count(pdf: bytes) -> int:
    return len(_PAGE_OBJECT.findall(pdf))


class Command(BaseCommand):
    help = "Write the management-review report (PDF) of a review, given by its id or reference, to a file."

    def add_arguments(self, parser):
        parser.add_argument("review", help=_("The review's id or reference (e.g. MR-FY2025)."))
        parser.add_argument("path", help=_("The PDF file to write."))
        parser.add_argument(
            "--lang", default=settings.LANGUAGE_CODE, choices=[code for code, _name in settings.LANGUAGES],
            help=_("The language of the report (default: %(default)s)."),
        )

    def handle(self, *args, review: str, path: str, lang: str, **options):
        record = self.find(review)
        target = Path(path).expanduser()
        if target.is_dir():
            raise CommandError(_("%(path)s is a directory: give the name of the PDF file.") % {"path": target})
        if not target.parent.is_dir():
            raise CommandError(_("Cannot write %(path)s: there is no folder %(folder)s.")
                               % {"path": target, "folder": target.parent})
        pdf = render_review_report(record, language=lang)
        try:
            target.write_bytes(pdf)
        except OSError as error:
            raise CommandError(_("Cannot write %(path)s: %(error)s") % {
                "path": target, "error": error.strerror or error}) from error
        self.stdout.write(_("%(path)s: %(size)s bytes, %(pages)s pages (%(reference)s, %(lang)s)") % {
            "path": target.resolve(), "size": f"{len(pdf):,}", "pages": page_count(pdf),
            "reference": record.reference, "lang": lang,
        })

    def find(self, key: str) -> Review:
        key = key.strip()
        reviews = Review.objects.all()
        record = None
        if key.isdigit():
            record = reviews.filter(pk=int(key)).first()
        if record is None:
            record = reviews.filter(reference__iexact=key).first()
        if record is None:
            raise CommandError(_("No management review with the id or reference “%(key)s”.") % {"key": key[:40]})
        return record
