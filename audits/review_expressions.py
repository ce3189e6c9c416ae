"""Database expressions the review's figures need (audits.review_inputs), computed by the
database itself on PostgreSQL and on SQLite.

Django's own TruncMonth, TruncDate and datetime subtraction run a Python function for every
row on SQLite (django_datetime_trunc, django_timestamp_diff), which costs more than the
query itself at a year of records; and its window frames cannot say "the twelve months
before this incident". These say it in SQL:

- JapanMonth, JapanDay: the month ("2025-04") and the day of a moment in Japan time. SQLite
  adds nine hours: Japan has kept UTC+9, without summer time, since 1951.
- Elapsed: end − start as a duration: an interval on PostgreSQL, microseconds on SQLite
  (which DurationField reads back as a timedelta), exact to the microsecond as before.
- ValuesAtRanks (PostgreSQL): the values at given ranks of a sorted column, in one sort.
- Instant and Before: a window ordered by a moment, framed from `span` before it to just
  before it (ties at the same moment are not "before"): RANGE BETWEEN INTERVAL … PRECEDING
  AND INTERVAL '1 microsecond' PRECEDING on PostgreSQL; on SQLite, which stores moments as
  text, over their microseconds since 1970.

The moments are stored by Django: timestamptz on PostgreSQL, UTC text
"YYYY-MM-DD HH:MM:SS[.ffffff]" on SQLite.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from django.db.models import Aggregate, BigIntegerField, CharField, DateField, DurationField, Func
from django.db.models.expressions import WindowFrame

from incidents.clocks import JAPAN

JAPAN_OFFSET = "+9 hours"

# unixepoch() arrived in SQLite 3.38; strftime('%s') gives the same whole seconds, slower.
_SECONDS = "unixepoch({0})" if sqlite3.sqlite_version_info >= (3, 38) else "CAST(strftime('%%s', {0}) AS INTEGER)"


def sqlite_microseconds(sql: str) -> str:
    """The microseconds since 1970 of a moment SQLite keeps as UTC text (its whole seconds,
    plus the fraction Django writes only when there is one)."""
    return f"({_SECONDS.format(sql)} * 1000000 + CAST(substr({sql} || '.000000', 21, 6) AS INTEGER))"


class JapanMonth(Func):
    """The month of a moment in Japan time, as text: "2025-04"."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"to_char({sql} AT TIME ZONE '{JAPAN.key}', 'YYYY-MM')", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"strftime('%%Y-%%m', {sql}, '{JAPAN_OFFSET}')", params


class JapanDay(Func):
    """The day of a moment in Japan time."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} AT TIME ZONE '{JAPAN.key}')::date", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{JAPAN_OFFSET}')", params


class Elapsed(Func):
    """`end` − `start` (two moments) as a duration."""

    output_field = DurationField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        (end, end_params), (start, start_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"({end} - {start})", [*end_params, *start_params]

    def as_sqlite(self, compiler, connection, **extra_context):
        (end, end_params), (start, start_params) = (compiler.compile(e) for e in self.source_expressions)
        return (f"({sqlite_microseconds(end)} - {sqlite_microseconds(start)})",
                [*end_params, *end_params, *start_params, *start_params])


class Instant(Func):
    """A moment to order a window framed by Before: the column itself on PostgreSQL, its
    microseconds since 1970 on SQLite (a RANGE frame measures numbers there, not text)."""

    output_field = BigIntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return sqlite_microseconds(sql), [*params, *params]


class Before(WindowFrame):
    """The rows from `span` before the current row's moment (Instant) to one microsecond
    before it: the rows strictly earlier, within `span`."""

    frame_type = "RANGE"

    def __init__(self, span: dt.timedelta):
        super().__init__()
        self.span = span

    def window_frame_start_end(self, connection, start, end):
        if connection.vendor == "sqlite":
            return f"{self.span // dt.timedelta(microseconds=1)} PRECEDING", "1 PRECEDING"
        span = self.span
        return (f"INTERVAL '{span.days} days {span.seconds} seconds {span.microseconds} microseconds' PRECEDING",
                "INTERVAL '1 microsecond' PRECEDING")

    def __str__(self):
        return f"RANGE BETWEEN {self.span} PRECEDING AND 1 microsecond PRECEDING"


class ValuesAtRanks(Aggregate):
    """PostgreSQL: the values at `ranks` (from 1, ascending) of `count` sorted values, in
    one sort: percentile_disc at the fraction half a row before each rank, which falls on
    that rank whatever the rounding ((rank − ½) / count × count rounds up to rank)."""

    function = "percentile_disc"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()  # an array of them: psycopg reads it as a list of timedeltas

    def __init__(self, expression, ranks: list[int], count: int, **extra):
        fractions = ", ".join(repr((rank - 0.5) / count) for rank in ranks)
        super().__init__(expression, fractions=fractions, **extra)
