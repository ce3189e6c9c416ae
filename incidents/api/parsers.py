"""A JSON parser that refuses bodies nested too deep before parsing them.

json.loads recurses once per level: a body nested a thousand deep raises RecursionError
(a 500). The depth is checked first by scanning the bytes — brackets outside strings — so
such a body is a 400 naming the limit.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 32

_OPEN, _CLOSE, _QUOTE, _BACKSLASH = frozenset(b"[{"), frozenset(b"]}"), ord('"'), ord("\\")


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """True when brackets outside strings nest deeper than `limit` somewhere in `data`."""
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


class DepthLimitedJSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than MAX_JSON_DEPTH with a 400."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read() if stream is not None else b""
        if json_depth_exceeds(data, self.max_depth):
            raise ParseError(
                _("JSON parse error - the body is nested deeper than %(limit)d levels.") % {"limit": self.max_depth}
            )
        return super().parse(_Stream(data), media_type, parser_context)


class _Stream:
    """The bytes already read, handed on to JSONParser as a stream."""

    def __init__(self, data: bytes):
        self._data = data

    def read(self, *args):
        data, self._data = self._data, b""
        return data


