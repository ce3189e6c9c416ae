"""What the history costs: an edit and a step with django-simple-history on, against off.

    .venv/bin/python bench/trail_cost.py                          # a new SQLite file in a temp dir
    .venv/bin/python bench/trail_cost.py --database postgres      # scratch database pms_bench_trail
    .venv/bin/python bench/trail_cost.py --database postgres --url postgres://postgres@127.0.0.1:5432/other
    .venv/bin/python bench/trail_cost.py --runs 500

Every save of a tracked record writes a history row (one more INSERT, with a lock on the
end of the hash chain, a move of it and a SHA-256 of the row). This times the services
the web pages, the API and the admin call, each `--runs` times (default 200) with the
history on (the default) and as many times with `SIMPLE_HISTORY_ENABLED = False`, the
two interleaved so that they share the machine's noise:

- report: `incident_report`, a new incident (its first step entry and its history row);
- incident edit: `incident_update`, the title of an incident, as the PMS manager;
- step: `transition_record(…, "triage", changes={"severity": …})` on a fresh incident;
- action edit: `action_update`, the title of an action.

"History off" turns off the history rows only: the step entries (TrailEntry) are written
either way, and every service still locks the end of the chain before it locks the record.
Prints the median and 90th percentile in milliseconds, their ratio, the queries and the
history rows of one operation; asserts nothing (the README quotes the figures). The
scratch database (a temp SQLite file, or the PostgreSQL database named in --url, which is
dropped and created) is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/pms_bench_trail"
WARM_UP = 5  # untimed operations of each kind and mode, first


def postgres(url: str, statement: str) -> None:
    import psycopg

    base, _name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(statement)


class Counter:
    """connection.execute_wrapper: the queries of an operation and the history rows it inserts."""

    def __init__(self, history_tables: set[str]) -> None:
        self.history_tables = history_tables
        self.queries = self.history_rows = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        if sql.lstrip().upper().startswith("INSERT"):
            table = sql.split(None, 3)[2].strip('"`')
            if table in self.history_tables:
                self.history_rows += len(params) if many else 1
        return execute(sql, params, many, context)


def prepare():
    """Migrate; the departments and people of the test suite (their roles come from the migrations)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from incidents.models import Department
    from tests.incidents.factories import UserFactory

    sales = Department.objects.create(code="SALES", name="営業部")
    it_dept = Department.objects.create(code="IT", name="情報システム部")
    return {
        "sales": sales,
        "staff": UserFactory(username="staff", roles=["staff"], department=sales),
        "manager": UserFactory(username="manager", roles=["staff", "pms_manager"], department=it_dept),
        "head": UserFactory(username="head", roles=["staff", "department_head"], department=sales),
    }


def measure(people: dict, runs: int) -> list[tuple[str, dict]]:
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    from incidents import services
    from trail.chain import chained_models
    from trail.models import TrailEntry

    staff, manager, sales = people["staff"], people["manager"], people["sales"]
    counter = Counter({model._meta.db_table for model in chained_models() if model is not TrailEntry})
    modes = {True: override_settings(), False: override_settings(SIMPLE_HISTORY_ENABLED=False)}
    serial = iter(range(10**9))

    def report():
        return services.incident_report(
            reporter=staff, title=f"メール誤送信 {next(serial)}", description="宛先を誤って送信した。",
            department=sales, kind="leak", discovered_at=timezone.now() - timezone.timedelta(hours=2),
            affected_count=3,
        )

    # What each operation works on, one set per mode (made with that mode's history, untimed).
    state: dict[bool, dict] = {}
    for on, mode in modes.items():
        with mode:
            action = services.action_create(
                by=manager, kind="corrective", title="宛先確認の徹底", department=sales, owner=people["head"],
                verifier=manager, due_date=timezone.localdate() + timezone.timedelta(days=30),
            )
            state[on] = {"incident": report(), "action": action, "fresh": []}

    def edit_incident(on: bool) -> None:
        current = state[on]["incident"]
        state[on]["incident"] = services.incident_update(
            incident=current, by=manager, version=current.version, title=f"メール誤送信 (訂正 {next(serial)})",
        )

    def step(on: bool) -> None:
        services.transition_record(state[on]["fresh"].pop(), "triage", by=manager, changes={"severity": "L2"})

    def edit_action(on: bool) -> None:
        current = state[on]["action"]
        state[on]["action"] = services.action_update(
            action=current, by=manager, version=current.version, title=f"宛先確認の徹底 ({next(serial)})",
        )

    def report_kept(on: bool) -> None:
        state[on]["fresh"].append(report())  # the steps then take these, each on its own mode's incidents

    operations = [
        ("report an incident", report_kept),
        ("incident edit (title)", edit_incident),
        ("step: triage (+ severity)", step),
        ("action edit (title)", edit_action),
    ]
    results = []
    with connection.execute_wrapper(counter):
        for label, operation in operations:
            samples = {on: {"ms": [], "queries": [], "history": []} for on in modes}
            for index in range(WARM_UP + runs):
                # Alternate which mode goes first: neither always follows the other.
                for on in (True, False) if index % 2 == 0 else (False, True):
                    with modes[on]:
                        counter.queries = counter.history_rows = 0
                        began = time.perf_counter()
                        operation(on)
                        elapsed = time.perf_counter() - began
                    if index >= WARM_UP:
                        samples[on]["ms"].append(elapsed * 1000)
                        samples[on]["queries"].append(counter.queries)
                        samples[on]["history"].append(counter.history_rows)
            results.append((label, samples))
    return results


def spread(values: list[int]) -> str:
    low, high, middle = min(values), max(values), statistics.median(values)
    return f"{middle:g}" if low == high else f"{middle:g} ({low}–{high})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--url", default=DEFAULT_POSTGRES,
                        help=f"with --database postgres: the scratch database, dropped and created (default {DEFAULT_POSTGRES})")
    parser.add_argument("--runs", type=int, default=200, help="operations of each kind, per mode (default 200)")
    args = parser.parse_args()

    os.environ.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "False", "LOG_LEVEL": "ERROR",
                       "SECRET_KEY": "bench-trail-cost-not-secret"})  # DEBUG off: no query log in the timings
    scratch = None
    if args.database == "sqlite":
        scratch = tempfile.mkdtemp(prefix="pms-bench-trail-")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    else:
        if not args.url.startswith("postgres"):
            sys.exit("--url must be a postgres:// URL")
        name = args.url.rsplit("/", 1)[1]
        os.environ["DATABASE_URL"] = args.url
        postgres(args.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        postgres(args.url, f'CREATE DATABASE "{name}"')
    load_before = os.getloadavg()[0]  # a busy machine shows in every figure
    try:
        began = time.perf_counter()
        people = prepare()
        from django.db import connection

        database = (f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
                    if connection.vendor == "postgresql" else f"SQLite {connection.Database.sqlite_version}")
        results = measure(people, args.runs)
        seconds = time.perf_counter() - began
    finally:
        from django.db import connections

        connections.close_all()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            postgres(args.url, f'DROP DATABASE IF EXISTS "{args.url.rsplit("/", 1)[1]}" WITH (FORCE)')

    print(f"database: {database}; {os.cpu_count()} CPUs (load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after); Python {sys.version.split()[0]}; DEBUG off")
    print(f"{args.runs} operations of each kind with the history on and {args.runs} with it off, interleaved "
          f"(after {WARM_UP} of each untimed); {seconds:.0f} s in all")
    print("history off = SIMPLE_HISTORY_ENABLED = False: no history rows; step entries and the chain lock stay\n")
    header = ("operation", "on: median", "p90", "off: median", "p90", "on/off", "queries on", "off",
              "history rows on", "off")
    rows = []
    for label, samples in results:
        on, off = samples[True], samples[False]
        on_median, off_median = statistics.median(on["ms"]), statistics.median(off["ms"])
        rows.append((
            label, f"{on_median:.1f} ms", f"{statistics.quantiles(on['ms'], n=10)[-1]:.1f} ms",
            f"{off_median:.1f} ms", f"{statistics.quantiles(off['ms'], n=10)[-1]:.1f} ms",
            f"{on_median / off_median:.2f}", spread(on["queries"]), spread(off["queries"]),
            spread(on["history"]), spread(off["history"]),
        ))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                        for i, (cell, width) in enumerate(zip(row, widths, strict=True))))


if __name__ == "__main__":
    main()
