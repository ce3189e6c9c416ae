"""How the management review scales: queries, time and memory with a year of records.

    .venv/bin/python bench/review_scale.py                       # 10,000 incidents, a new SQLite file
    .venv/bin/python bench/review_scale.py --incidents 100000    # ten times that
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pms_bench .venv/bin/python bench/review_scale.py

Builds a fiscal year with 100 incidents (bench.dataset: two actions per incident, a finding
per twenty, reports, audits, failed effectiveness checks, created the way the services
create them), assembles the review's inputs and counts the queries; grows the year to
--incidents (default 10,000) and counts again. Then, in the same run, it computes the same
figures by the hand-written SQL of bench/review_sql.py (the limit), checks that they are
equal, and prints both times side by side with their ratio (medians of --runs, the two run
in turn). Queries are counted by an execute wrapper, which a full debug log (Django keeps
9,000 queries) does not blind.

Then it renders the review PDF in a fresh process, a draft (its inputs assembled at the
render) in Japanese and the submitted snapshot in Japanese and English, and prints the
pages, the median time and the peak memory of that rendering process itself (its own
peak resident set, VmHWM, Django included; not ru_maxrss, which on Linux carries over the
peak of the benchmark that started it, hundreds of MB after a build).

Then it weighs the trail: the rows and the size on disk (indexes included) of every trail
table (the step entries and every history table) and of the whole database. The year's
records are bulk inserts, which write no history, so it also writes `--trail-sample`
incidents (default 200) through the services (report, an edit, a step) and as many
actions (plan, an edit, a step), measures what the trail tables grew by, and extrapolates
that to the year's incidents and actions (printed as an extrapolation; 0 skips it).

Prints figures, asserts nothing: the README quotes them. The PostgreSQL database named in
DATABASE_URL is dropped and created.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

SMALL = 100  # incidents of the first count of queries


def setup_database() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='pms-bench-')}/bench.sqlite3"
    elif url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')


def django_setup() -> None:
    import django

    django.setup()


def table_sizes(tables: list[str]) -> dict[str, tuple[int, int | None]]:
    """{table: (rows, bytes on disk with its indexes)}; bytes None where SQLite has no dbstat."""
    from django.db import DatabaseError, connection

    sizes: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables:
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                sizes[table] = cursor.fetchone()[0]
        else:
            try:  # every b-tree (the table's and its indexes') by the table it belongs to
                cursor.execute("SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat d "
                               "JOIN sqlite_master m ON m.name = d.name GROUP BY m.tbl_name")
                sizes = {table: size for table, size in cursor.fetchall() if table in tables}
            except DatabaseError:  # built without SQLITE_ENABLE_DBSTAT_VTAB
                sizes = {}
        rows = {}
        for table in tables:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            rows[table] = cursor.fetchone()[0]
    return {table: (rows[table], sizes.get(table) if sizes else None) for table in tables}


def database_size() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0]
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return pages * cursor.fetchone()[0]


def megabytes(size: float | None) -> str:
    return "n/a" if size is None else f"{size / 2**20:,.2f} MB"


def weigh_trail(year: dict[str, int]) -> None:
    """Rows and size of every trail table (the step entries and every history table)."""
    from trail.chain import chained_models

    tables = [model._meta.db_table for model in chained_models()]
    sizes = table_sizes(tables)
    known = all(size is not None for _rows, size in sizes.values())
    print("\ntrail tables after the benchmark (rows; size on disk, indexes included):")
    width = max(map(len, tables))
    for table, (rows, size) in sizes.items():
        print(f"  {table:<{width}}  {rows:>9,}  {megabytes(size):>11}")
    total_rows = sum(rows for rows, _size in sizes.values())
    total = sum(size for _rows, size in sizes.values()) if known else None
    whole = database_size()
    share = f" ({total / whole:.1%} of it)" if known else " (SQLite without dbstat: table sizes unknown)"
    print(f"  {'all trail tables':<{width}}  {total_rows:>9,}  {megabytes(total):>11}")
    print(f"  the whole database: {megabytes(whole)}{share}")
    print(f"  The year's {year['incidents']:,} incidents, {year['actions']:,} actions and {year['findings']:,} "
          "findings are bulk inserts (test data): they wrote no history rows and no step entries. The rows above "
          "are the demo company's (seed_demo) and the review's.")


def weigh_services(sample: int, year: dict[str, int]) -> None:
    """What the trail grows by per incident and per action written through the services, and
    that times the year's incidents and actions."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from incidents import services
    from incidents.models import Department
    from trail.chain import chained_models

    tables = [model._meta.db_table for model in chained_models()]
    manager = get_user_model().objects.get(username="manager")
    owner = get_user_model().objects.filter(is_active=True).exclude(pk=manager.pk).order_by("pk").first()
    department = getattr(getattr(manager, "profile", None), "department", None) or Department.objects.first()

    def incident(n: int) -> None:
        record = services.incident_report(
            reporter=manager, title=f"ベンチマーク事案 {n}", description="宛先を誤って送信した。",
            department=department, kind="leak", discovered_at=timezone.now() - dt.timedelta(hours=2),
            affected_count=3,
        )
        record = services.incident_update(incident=record, by=manager, version=record.version,
                                          title=f"ベンチマーク事案 {n}（訂正）")
        services.transition_record(record, "triage", by=manager, changes={"severity": "L2"})

    def action(n: int) -> None:
        record = services.action_create(
            by=manager, kind="corrective", title=f"宛先確認の徹底 {n}", department=department, owner=owner,
            verifier=manager, due_date=timezone.localdate() + dt.timedelta(days=30),
        )
        record = services.action_update(action=record, by=manager, version=record.version,
                                        title=f"宛先確認の徹底 {n}（改訂）")
        services.transition_record(record, "start", by=manager)

    print(f"\nwhat the trail would weigh had those records been written through the services: "
          f"{sample} incidents and {sample} actions written so, the growth of the trail tables measured")
    extrapolated = 0.0
    cases = [
        ("incident", "incidents", year["incidents"], incident, "report, an edit of its title, the step triage"),
        ("action", "actions", year["actions"], action, "plan, an edit of its title, the step start"),
    ]
    for name, plural, count, write, steps in cases:
        before, began = table_sizes(tables), time.perf_counter()
        for n in range(sample):
            write(n)
        seconds, after = time.perf_counter() - began, table_sizes(tables)
        rows = {table: after[table][0] - before[table][0] for table in tables}
        grown = {table: row for table, row in rows.items() if row}
        if any(size is None for _rows, size in after.values()):
            print(f"  per {name} ({steps}): {sum(rows.values()) / sample:.1f} rows; sizes unknown (no dbstat)")
            continue
        per_record = sum(after[table][1] - before[table][1] for table in tables) / sample
        extrapolated += per_record * count
        print(f"  per {name} ({steps}; {seconds / sample * 1000:.0f} ms): {sum(rows.values()) / sample:.1f} rows, "
              f"{per_record / 1024:.2f} KB ({', '.join(f'{table} {row / sample:g}' for table, row in grown.items())})")
        print(f"    EXTRAPOLATED, not measured: {count:,} {plural} × {per_record / 1024:.2f} KB = "
              f"{megabytes(per_record * count)}")
    if extrapolated:
        print(f"  EXTRAPOLATED, not measured: the year's incidents and actions together {megabytes(extrapolated)} "
              f"of history and step entries (a lower bound: a closed incident takes six steps, an effective "
              f"action three, with their reports and rounds)")


def count_queries(call) -> int:
    """The queries of one call, counted by an execute wrapper (not Django's debug log, which
    stops at 9,000 entries and would read 0 after a large build)."""
    from django.db import connection

    queries = []

    def counter(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        call()
    return len(queries)


def median_seconds(call, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def render_child(review_pk: int, language: str, runs: int) -> None:
    """In a fresh process: render the PDF `runs` times; print the first and the median time,
    the queries of a render, the size, the pages and this process's own peak memory."""
    django_setup()
    from io import BytesIO

    from pypdf import PdfReader

    from audits.models import Review
    from audits.pdf.review_report import render_review_report

    began = time.perf_counter()
    first = render_review_report(Review.objects.get(pk=review_pk), language=language)
    first_seconds = time.perf_counter() - began
    queries = count_queries(lambda: render_review_report(Review.objects.get(pk=review_pk), language=language))
    median = median_seconds(lambda: render_review_report(Review.objects.get(pk=review_pk), language=language), runs)
    pages = len(PdfReader(BytesIO(first)).pages)
    print(f"{first_seconds:.2f} {median:.2f} {own_peak_megabytes():.0f} {len(first)} {pages} {queries}")


def own_peak_megabytes() -> float:
    """The peak resident memory of this process itself: VmHWM in /proc/self/status on Linux.
    Not ru_maxrss: Linux carries a process's peak over to the program it executes, so a
    renderer started by this benchmark (hundreds of MB after a build) would report the
    benchmark's peak. Elsewhere ru_maxrss is all there is (kilobytes on Linux, bytes on macOS)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000, metavar="N",
                        help="incidents of the year (default 10,000), with two actions each and a finding per "
                             "twenty (bench.dataset.sizes)")
    parser.add_argument("--runs", type=int, default=5, help="renders and assemblies to take the median of")
    parser.add_argument("--trail-sample", type=int, default=200, metavar="N",
                        help="incidents and actions to write through the services to weigh their trail "
                             "(default 200; 0 skips it)")
    parser.add_argument("--render-child", nargs=3, metavar=("REVIEW", "LANG", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render_child:
        render_child(int(args.render_child[0]), args.render_child[1], int(args.render_child[2]))
        return

    setup_database()
    django_setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from audits import services
    from audits.models.review import TEXT_INPUTS
    from audits.review_inputs import assemble
    from bench import review_sql
    from bench.dataset import PERIOD, build, sizes
    from incidents.services import transition_record

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 (departments, people, pick-lists)
    manager = get_user_model().objects.get(username="manager")
    rng = random.Random(2026)
    print(f"database: {connection.vendor}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")

    small, year = sizes(min(SMALL, args.incidents)), sizes(args.incidents)
    build(small, start=sizes(0), rng=rng)
    review = services.review_create(by=manager, period_start=PERIOD[0], period_end=PERIOD[1],
                                    **{name: "ベンチマーク用の記述。" for name in TEXT_INPUTS})
    whose = review.company.name if review.company_id else "the whole group"
    small_queries = count_queries(lambda: assemble(review))

    began = time.perf_counter()
    build(year, start=small, rng=rng)
    print(f"built {year['incidents']:,} incidents, {year['actions']:,} actions, {year['findings']:,} findings "
          f"(bench.dataset) in {time.perf_counter() - began:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the statistics autovacuum would gather a minute later
    full_queries = count_queries(lambda: assemble(review))
    inputs = assemble(review)
    states = {row["state"]: row["count"] for row in inputs["actions"]["by_state"]}
    print(f"review {review.reference} ({whose}), period {PERIOD[0]} – {PERIOD[1]}: "
          f"{inputs['incidents']['total'] + inputs['incidents']['dismissed']:,} incidents, "
          f"{sum(states.values()):,} actions due, {inputs['audits']['findings_total']:,} findings, "
          f"{inputs['tracks']['totals']['total']:,} reports")
    print(f"assemble inputs: {small_queries} queries with {small['incidents']:,} incidents, {full_queries} with "
          f"{year['incidents']:,}")

    problems = review_sql.differences(review_sql.figures(review), inputs)
    print("hand-written SQL (bench/review_sql.py) gives the same figures: "
          + ("yes" if not problems else f"NO, {len(problems)} differ: {problems[:3]}"))
    timed = review_sql.timed({"hand": lambda: review_sql.figures(review), "orm": lambda: assemble(review)},
                             args.runs)
    (hand, hand_queries), (orm, orm_queries) = timed["hand"], timed["orm"]
    print(f"  assemble(): {orm * 1000:,.0f} ms, {orm_queries} queries | hand-written SQL: {hand * 1000:,.0f} ms, "
          f"{hand_queries} queries | ratio {orm / hand:.2f}× (medians of {args.runs}, run in turn)")

    def render(label: str, language: str) -> None:
        output = subprocess.run(
            [sys.executable, __file__, "--render-child", str(review.pk), language, str(args.runs)],
            capture_output=True, text=True, check=True, env=os.environ,
        ).stdout.split()
        first, median, peak, size, pages, queries = output
        print(f"review PDF, {label} ({language}): {pages} pages, {int(size) // 1024} KB, {queries} queries; "
              f"first render {first} s, median of {args.runs} {median} s; peak memory of the rendering process "
              f"itself (its VmHWM, not this benchmark's) {peak} MB")

    # A draft assembles its inputs from the records at every render; a submitted review
    # (what executives read) prints its snapshot.
    render("draft, inputs assembled live", "ja")
    review = transition_record(review, "submit", by=manager)
    for language in ("ja", "en"):
        render("submitted snapshot", language)

    weigh_trail(year)
    if args.trail_sample:
        weigh_services(args.trail_sample, year)


if __name__ == "__main__":
    main()
