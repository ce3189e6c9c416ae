"""`manage.py render_review <id-or-reference> <file.pdf> [--lang ja|en]`."""

from __future__ import annotations

import datetime as dt
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from audits import services
from audits.management.commands.render_review import page_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(manager):
    return services.review_create(by=manager, period_start=dt.date(2024, 4, 1), issues_changes="法改正の確認")


def run(*args) -> str:
    out = StringIO()
    call_command("render_review", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("key", ["reference", "pk", "lower-case reference"])
def test_writes_the_pdf_and_says_where(review, tmp_path, key):
    target = tmp_path / "review.pdf"
    given = {"reference": review.reference, "pk": str(review.pk), "lower-case reference": review.reference.lower()}
    output = run(given[key], str(target))

    content = target.read_bytes()
    reader = PdfReader(BytesIO(content))
    assert content.startswith(b"%PDF-")
    assert "MR-FY2024" in reader.pages[0].extract_text()
    assert str(target.resolve()) in output
    assert f"{len(content):,} バイト" in output
    assert f"{len(reader.pages)} ページ" in output
    assert page_count(content) == len(reader.pages)


def test_english(review, tmp_path):
    target = tmp_path / "review-en.pdf"
    output = run(review.reference, str(target), "--lang", "en")
    assert "（MR-FY2024、en）" in output
    assert "Management review report" in PdfReader(str(target)).pages[0].extract_text()


def test_an_unknown_review_is_an_error(review, tmp_path):
    target = tmp_path / "none.pdf"
    with pytest.raises(CommandError, match="IDまたは管理番号が「MR-FY1999」のマネジメントレビューはありません"):
        run("MR-FY1999", str(target))
    with pytest.raises(CommandError, match="のマネジメントレビューはありません"):
        run(str(review.pk + 100), str(target))
    assert not target.exists()


def test_an_unwritable_path_is_an_error(review, tmp_path):
    with pytest.raises(CommandError, match="がありません"):
        run(review.reference, str(tmp_path / "missing" / "review.pdf"))
    with pytest.raises(CommandError, match="はディレクトリです"):
        run(review.reference, str(tmp_path))

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        # root writes into a read-only folder anyway; /proc refuses new files even to root
        target = Path("/proc/self/review.pdf") if _writable(locked) else locked / "review.pdf"
        if not target.parent.is_dir():
            pytest.skip("no read-only folder to try")
        with pytest.raises(CommandError, match="に書き込めません"):
            run(review.reference, str(target))
        assert not target.exists()
    finally:
        locked.chmod(0o700)


def _writable(folder: Path) -> bool:
    try:
        (folder / "probe").write_bytes(b"")
    except OSError:
        return False
    (folder / "probe").unlink()
    return True


def test_an_unknown_language_is_refused(review, tmp_path):
    with pytest.raises(CommandError, match="invalid choice"):
        run(review.reference, str(tmp_path / "x.pdf"), "--lang", "fr")
