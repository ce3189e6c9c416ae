"""Where an action comes from besides an incident: an audit finding, a review decision.

The apps that create such actions register a function (action, user) -> [(label, url or
None)] in their AppConfig.ready(), the url None when the user may not open the record.
The incidents app cannot import them, hence this one explicit hook.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["origins_of", "register"]

_SOURCES: list[Callable] = []


def register(source: Callable) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def origins_of(action, user) -> list:
    return [origin for source in _SOURCES for origin in source(action, user)]
