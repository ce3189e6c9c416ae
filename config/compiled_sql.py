"""Queries whose SQL the ORM writes once per process, run again with each request's values.

Writing a queryset's SQL is most of what a small query costs the worker: the reader's roles
(incidents.roles._access, a union of three queries sent by every request of every page) took
about 1 ms of the worker's CPU, of which PostgreSQL's answer and reading the rows some 0.1
(bench/profile_summary.md, seventh round). A query sent on every request, whose SQL never
changes and only its values do (the reader's id), is written by the ORM once, with a stand-in
for each value, and sent again as it was written, with the request's values in their places.

Only for querysets whose SQL depends on nothing but their values (no time zone, no language,
no setting read while it is written, no list whose length varies) and that read plain values
(`values_list` of columns and constants: the rows come back as the database gives them, without
the ORM's converters).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet

# Stand-in for the n-th value: an integer no record's id is, within a 32-bit column's range
# (Django finds nothing for a value outside it and leaves that part of a query out of its SQL).
_STAND_IN = -1_000_000_000


class CompiledQuery:
    """`build(*values)` returns a `values_list` queryset; `rows(*values)` runs it.

    The first call on a database writes the SQL of `build(stand-ins)` and finds where each
    stand-in went among its parameters; it writes the SQL of `build(its own values)` too, and
    refuses (ValueError) unless that is the same SQL with its values in those places: a query
    whose SQL depends on its values, or a value that went nowhere, fails the first call, not
    a later one. Each call then sends that SQL with its own values in their places."""

    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self._compiled: dict[str, tuple[str, tuple]] = {}

    def _compile(self, using: str, values: tuple) -> tuple[str, tuple]:
        stand_ins = [_STAND_IN - n for n in range(len(values))]
        sql, params = self._write(using, stand_ins)
        # Each parameter: ("value", n) for the n-th value, ("fixed", p) for a constant.
        slots = tuple(("value", stand_ins.index(p)) if isinstance(p, int) and p in stand_ins else ("fixed", p)
                      for p in params)
        missing = set(range(len(values))) - {n for kind, n in slots if kind == "value"}
        # The same query with the first call's values: the same SQL, those values in the slots.
        if missing or self._write(using, values) != (sql, self._params(slots, values)):
            raise ValueError(f"{self.build.__qualname__}: its SQL is not the same whatever its values")
        return sql, slots

    def _write(self, using: str, values) -> tuple[str, list]:
        sql, params = self.build(*values).query.get_compiler(using=using).as_sql()
        return sql, list(params)

    @staticmethod
    def _params(slots: tuple, values) -> list:
        return [values[item] if kind == "value" else item for kind, item in slots]

    def rows(self, *values: int, using: str = "default") -> list[tuple]:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using, values)
        sql, slots = compiled
        params = self._params(slots, values)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
