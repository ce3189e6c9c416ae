"""The database refuses UPDATE and DELETE on every trail table.

PostgreSQL: a django-pgtrigger `Protect` trigger on each table (declared in the models'
Meta, installed by their migrations), for every database user, the application's
included. SQLite: a BEFORE UPDATE and a BEFORE DELETE trigger on each table, installed by
the same migrations (`sqlite_guards`). SQLite has no session settings, so the triggers
ask a function that only this project's connections define; any other client (the
sqlite3 shell) gets "no such function" and so is refused too.

Only the test suite lifts the guard (`lifted()`), to empty the database between tests
and restore what the migrations wrote. PostgreSQL's triggers answer to django-pgtrigger's
`ignore` session setting, as any pgtrigger trigger does: like a superuser disabling a
trigger, that leaves the hash chain to tell.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connections

FUNCTION = "pms_trail_guard_lifted"


def on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            FUNCTION, 0, lambda: 1 if getattr(connection, "_trail_guard_lifted", False) else 0,
            deterministic=False,
        )


@contextmanager
def lifted(using: str = "default"):
    """The guard off, for this connection, for the block (the test suite's clean-up only)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        import pgtrigger
        from django.db.backends.postgresql.base import Cursor

        # pgtrigger's ignore() puts a set_config() before each statement, two statements in one,
        # which PostgreSQL takes only as plain text: the statements bound on the server (the
        # production settings, config/settings.py) refuse it. Client-side binding for the block.
        connection.ensure_connection()
        raw = connection.connection
        bound_on_server, raw.cursor_factory = raw.cursor_factory, Cursor
        try:
            with pgtrigger.ignore():
                yield
        finally:
            raw.cursor_factory = bound_on_server
        return
    connection._trail_guard_lifted = True
    try:
        yield
    finally:
        connection._trail_guard_lifted = False


def _sqlite_trigger_sql(table: str) -> list[str]:
    return [
        f'CREATE TRIGGER IF NOT EXISTS "{table}_append_only_{operation.lower()}" BEFORE {operation} ON "{table}" '
        f"WHEN {FUNCTION}() = 0 BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        for operation in ("UPDATE", "DELETE")
    ]


def sqlite_guards(apps, schema_editor) -> None:
    """A migration step: guard every trail table of the migration's state (SQLite only)."""
    from .chain import chained_models

    if schema_editor.connection.vendor != "sqlite":
        return
    for model in chained_models(apps):
        for sql in _sqlite_trigger_sql(model._meta.db_table):
            schema_editor.execute(sql)


def unguarded_tables(using: str = "default") -> list[str]:
    """Trail tables the database does not guard (for verify_trail and the tests)."""
    from .chain import chained_models

    connection = connections[using]
    tables = [model._meta.db_table for model in chained_models()]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            found = {(table, name) for table, name in cursor.fetchall()}
            return [t for t in tables
                    if not all((t, f"{t}_append_only_{op}") in found for op in ("update", "delete"))]
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE 'pgtrigger_append_only_%%' AND t.tgenabled <> 'D'"
            )
            found = {row[0] for row in cursor.fetchall()}
            return [t for t in tables if t not in found]
    return []
