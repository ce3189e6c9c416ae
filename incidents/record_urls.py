"""The address of a record's page, for the pages that link dozens of rows; of a page without
arguments, for the menu every page draws.

reverse() looks the name up and matches the address it builds against the pattern again at
every call, some 20 µs; the office's to-do page links about 150 rows, a list page 50
(bench/profile_summary.md). A record page's address differs from one record to the next only
by the record's id, so each name is reversed once, with a stand-in id, and the id is put in
its place after that. The script prefix (a site served under a sub-path) and the URLconf in
force are read at each call, as reverse() reads them.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

# An id no record has, and no other part of an address contains.
_STAND_IN = 918_273_645_546_372_819


def _urlconf() -> str:
    """The URLconf in force: the request's own (request.urlconf), else the project's."""
    return get_urlconf() or settings.ROOT_URLCONF


@functools.cache
def _around_id(name: str, urlconf: str) -> tuple[str, str]:
    """What comes before and after the id in the page's address, without the script prefix."""
    whole = reverse(name, urlconf=urlconf, args=[_STAND_IN])[len(get_script_prefix()):]
    before, after = whole.split(str(_STAND_IN))
    return before, after


def record_url(name: str, pk: int) -> str:
    """reverse(name, args=[pk]) for a URL whose only argument is the record's id (`<int:pk>`)."""
    before, after = _around_id(name, _urlconf())
    return f"{get_script_prefix()}{before}{int(pk)}{after}"


@functools.cache
def _without_arguments(name: str, urlconf: str, language: str | None) -> str:
    return reverse(name, urlconf=urlconf)[len(get_script_prefix()):]


def page_url(name: str) -> str:
    """reverse(name) for a page whose address takes no argument: the header and the main menu
    link some twenty of them, twice on every page (the bar on a desk, the menu on a phone).
    Names in a namespace (admin:index) are not kept: their address may depend on the app
    instance of the request."""
    if ":" in name:
        return reverse(name)
    return f"{get_script_prefix()}{_without_arguments(name, _urlconf(), get_language())}"
