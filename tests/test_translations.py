"""The Japanese catalogue ships complete and compiled (the interface is Japanese first)."""

import ast
from pathlib import Path

from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES" / "django.po"


def catalogue_entries():
    """(context, msgid, msgstr) for each entry of the .po file (singular form only)."""
    entries, current, field = [], {}, None
    for line in PO.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current.get("msgid"):
                entries.append((current.get("msgctxt"), current["msgid"], current.get("msgstr", "")))
            current, field = {}, None
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[field] = current.get(field, "") + ast.literal_eval(line)
        else:
            keyword, _, value = line.partition(" ")
            field = {"msgstr[0]": "msgstr"}.get(keyword, keyword)
            current[field] = ast.literal_eval(value)
    return entries


def test_every_message_is_translated():
    untranslated = [msgid for _, msgid, msgstr in catalogue_entries() if not msgstr]
    assert len(catalogue_entries()) > 300
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_source():
    stale = []
    with translation.override("ja"):
        for context, msgid, msgstr in catalogue_entries():
            if "%(counter)s" in msgid:
                continue  # plural entries are looked up with ngettext; their singular msgid has no translation
            found = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            if found != msgstr:
                stale.append(msgid)
    assert stale == [], "run `make messages` to recompile locale/ja/LC_MESSAGES/django.mo"
