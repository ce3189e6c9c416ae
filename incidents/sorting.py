"""Sortable list pages: `?sort=key` (ascending) or `?sort=-key` (descending).

Each list says which keys it may be sorted by (its filter class's `sorts`, a whitelist):
anything else in the URL is ignored, never a database error. The record's id breaks ties,
so a page boundary never moves between two requests. Blank values sort last either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.expressions import BaseExpression

__all__ = ["Sorting", "choice_order"]

PARAM = "sort"


def choice_order(field: str, choices) -> Case:
    """Sort by a choice field in the order its choices are declared (the workflow's order),
    not by the stored code's spelling."""
    return Case(
        *(When(**{field: value}, then=Value(position)) for position, (value, _label) in enumerate(choices)),
        default=Value(len(choices)), output_field=IntegerField(),
    )


class Sorting:
    """The order asked for in a list's query string, checked against the list's keys.

    `keys`: {key: (field name or expression, ...)}. `data`: the query string (without the
    page number); it is also what the header links keep (the filters).
    """

    def __init__(self, data, keys: Mapping[str, Sequence[str | BaseExpression]]):
        self.keys = keys
        self.data = data
        raw = (data.get(PARAM) or "").strip()
        descending = raw.startswith("-")
        key = raw[1:] if descending else raw
        if key in keys:
            self.key, self.descending = key, descending
        else:
            self.key, self.descending = None, False

    @property
    def param(self) -> str:
        """The value of `sort` in force ("" when the list keeps its own order)."""
        if self.key is None:
            return ""
        return f"-{self.key}" if self.descending else self.key

    def apply(self, queryset):
        if self.key is None:
            return queryset
        terms = []
        for term in self.keys[self.key]:
            expression = F(term) if isinstance(term, str) else term
            terms.append(expression.desc(nulls_last=True) if self.descending else expression.asc(nulls_last=True))
        return queryset.order_by(*terms, "-id" if self.descending else "id")

    def header(self, key: str) -> dict | None:
        """What a column header shows: the link that sorts by it (the other way round when
        it is the current order) and its aria-sort; None for a column that does not sort."""
        if key not in self.keys:
            return None
        current = key == self.key
        target = key if not current or self.descending else f"-{key}"
        pairs = [(name, value) for name, values in self.data.lists() for value in values if name != PARAM]
        pairs.append((PARAM, target))
        return {
            "url": "?" + urlencode(pairs),
            "aria_sort": ("descending" if self.descending else "ascending") if current else None,
        }
