"""How the management review scales: queries, time and memory with years of records.

    .venv/bin/python bench/review_scale.py                       # a new SQLite file in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pms_bench .venv/bin/python bench/review_scale.py

Builds a fiscal year with 100 records, assembles the review's inputs and counts the queries;
grows it to 10,000 incidents, 20,000 actions and 500 findings (plus reports, audits and
failed effectiveness checks) and counts again; then renders the review PDF in a fresh
process, in Japanese and in English, and prints its median time and the peak memory (maximum
resident set size) of that whole process, Django included.

Then it weighs the trail: the rows and the size on disk (indexes included) of every trail
table (the step entries and every history table) and of the whole database. The year's
records are bulk inserts, which write no history, so it also writes `--trail-sample`
incidents (default 200) through the services (report, an edit, a step) and as many
actions (plan, an edit, a step), measures what the trail tables grew by, and extrapolates
that to 10,000 incidents and 20,000 actions (printed as an extrapolation; 0 skips it).

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

PERIOD = (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
FULL = {"incidents": 10_000, "actions": 20_000, "findings": 500}
SMALL = {"incidents": 100, "actions": 200, "findings": 20}


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


def build(counts: dict, *, start: dict, rng: random.Random) -> None:
    """Add records to the period until it holds `counts` (bulk inserts: this is test data)."""
    from django.contrib.auth import get_user_model

    from audits.models import Audit, AuditKind, AuditState, Finding, Grade, Requirement
    from incidents.clocks import JAPAN
    from incidents.models import (
        Action,
        ActionKind,
        ActionRound,
        ActionState,
        CauseCategory,
        Department,
        Incident,
        IncidentKind,
        IncidentState,
        ReportingTrack,
        RoundOutcome,
        Severity,
        TrackKind,
        TrackState,
    )

    User = get_user_model()
    departments = list(Department.objects.all())
    users = list(User.objects.all())
    causes = list(CauseCategory.objects.all())
    clauses = list(Requirement.objects.all()[:40])
    days = (PERIOD[1] - PERIOD[0]).days + 1

    def moment(day_offset: int) -> dt.datetime:
        day = PERIOD[0] + dt.timedelta(days=day_offset)
        return dt.datetime.combine(day, dt.time(9, rng.randrange(60)), tzinfo=JAPAN)

    new_incidents = []
    for n in range(start["incidents"], counts["incidents"]):
        discovered = moment(rng.randrange(days))
        state = rng.choice([IncidentState.CLOSED] * 6 + [IncidentState.CORRECTING, IncidentState.DISMISSED])
        contained = discovered + dt.timedelta(hours=rng.randrange(1, 120))
        new_incidents.append(Incident(
            reference=f"INC-B-{n:06d}", title=f"事案 {n}", description="ベンチマーク用", reporter=rng.choice(users),
            department=(department := rng.choice(departments)), company_id=department.company_id,
            kind=rng.choice(IncidentKind.values),
            severity=rng.choice(Severity.values), cause=rng.choice(causes), discovered_at=discovered,
            contained_at=contained, state=state,
            closed_at=contained + dt.timedelta(days=rng.randrange(5, 90)) if state == IncidentState.CLOSED else None,
        ))
    Incident.objects.bulk_create(new_incidents, batch_size=1000)
    reportable = Incident.objects.filter(reference__in=[i.reference for i in new_incidents[::5]])
    ReportingTrack.objects.bulk_create([
        ReportingTrack(incident=incident, kind=kind, due_at=incident.discovered_at + dt.timedelta(days=3),
                       limit_at=incident.discovered_at + dt.timedelta(days=5),
                       state=rng.choice([TrackState.FILED] * 4 + [TrackState.PENDING, TrackState.NOT_REQUIRED]),
                       filed_at=incident.discovered_at + dt.timedelta(days=rng.randrange(1, 8)))
        for incident in reportable for kind in (TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL)
    ], batch_size=1000)

    new_actions = []
    for n in range(start["actions"], counts["actions"]):
        owner, verifier = rng.sample(users, 2)
        due = PERIOD[0] + dt.timedelta(days=rng.randrange(days))
        state = rng.choice(ActionState.values)
        done = state in (ActionState.IMPLEMENTED, ActionState.EFFECTIVE)
        new_actions.append(Action(
            reference=f"ACT-B-{n:06d}", kind=rng.choice(ActionKind.values), title=f"処置 {n}",
            department=(department := rng.choice(departments)), company_id=department.company_id, owner=owner,
            verifier=verifier, created_by=owner, due_date=due,
            state=state,
            implemented_at=dt.datetime.combine(due + dt.timedelta(days=rng.randrange(-20, 10)), dt.time(12),
                                               tzinfo=JAPAN) if done else None,
        ))
    Action.objects.bulk_create(new_actions, batch_size=1000)
    failed = Action.objects.filter(reference__in=[a.reference for a in new_actions[::40]])
    ActionRound.objects.bulk_create([  # a round of work whose effectiveness check failed
        ActionRound(action=action, number=1, implemented_by_id=action.owner_id, implemented_at=action.created_at,
                    checked_by_id=action.verifier_id, checked_at=action.created_at, outcome=RoundOutcome.INEFFECTIVE)
        for action in failed
    ], batch_size=1000)

    audits = []
    for n, department in enumerate(departments):
        planned = PERIOD[0] + dt.timedelta(days=30 + 20 * n)
        audit = Audit.objects.create(
            reference=f"AUD-B-{start['findings']}-{n}", title=f"{department.name} 内部監査", kind=AuditKind.INTERNAL,
            lead_auditor=rng.choice(users), created_by=rng.choice(users), planned_start=planned,
            planned_end=planned + dt.timedelta(days=2), state=rng.choice([AuditState.CLOSED, AuditState.REPORTED]),
            company_id=department.company_id,
        )
        audit.departments.set([department])
        audits.append(audit)
    Finding.objects.bulk_create([
        Finding(reference=f"FND-B-{n:05d}", audit=(audit := rng.choice(audits)), requirement=rng.choice(clauses),
                department=audit.departments.all()[0], company_id=audit.company_id, grade=rng.choice(Grade.values),
                description=f"指摘事項 {n}", raised_by=audit.lead_auditor,
                state=rng.choice(["open", "responded", "accepted", "verifying", "closed"]))
        for n in range(start["findings"], counts["findings"])
    ], batch_size=500)


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


def weigh_trail() -> None:
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
    print("  The year's 10,000 incidents, 20,000 actions and 500 findings are bulk inserts (test data): they "
          "wrote no history rows and no step entries. The rows above are the demo company's (seed_demo) and "
          "the review's.")


def weigh_services(sample: int) -> None:
    """What the trail grows by per incident and per action written through the services; ×10,000 and ×20,000."""
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
        ("incident", "incidents", FULL["incidents"], incident, "report, an edit of its title, the step triage"),
        ("action", "actions", FULL["actions"], action, "plan, an edit of its title, the step start"),
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


def count_queries(review) -> int:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from audits.review_inputs import assemble

    reset_queries()  # a full query log (9,000 entries, seed_demo's) would count as 0 new queries
    with CaptureQueriesContext(connection) as queries:
        assemble(review)
    return len(queries.captured_queries)


def median_seconds(call, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def render_child(review_pk: int, language: str, runs: int) -> None:
    """In a fresh process: render the PDF `runs` times, print the median and the peak memory."""
    django_setup()
    from audits.models import Review
    from audits.pdf.review_report import render_review_report

    review = Review.objects.get(pk=review_pk)
    began = time.perf_counter()
    first = render_review_report(review, language=language)
    first_seconds = time.perf_counter() - began
    median = median_seconds(lambda: render_review_report(Review.objects.get(pk=review_pk), language=language), runs)
    from io import BytesIO

    from pypdf import PdfReader

    pages = len(PdfReader(BytesIO(first)).pages)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(f"{first_seconds:.2f} {median:.2f} {peak_mb:.0f} {len(first)} {pages}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    from django.core.management import call_command
    from django.db import connection

    from audits import services
    from audits.models.review import TEXT_INPUTS
    from audits.review_inputs import assemble
    from incidents.services import transition_record

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 (departments, people, pick-lists)
    from django.contrib.auth import get_user_model

    manager = get_user_model().objects.get(username="manager")
    rng = random.Random(2026)
    print(f"database: {connection.vendor}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")

    build(SMALL, start={key: 0 for key in SMALL}, rng=rng)
    review = services.review_create(by=manager, period_start=PERIOD[0], period_end=PERIOD[1],
                                    **{name: "ベンチマーク用の記述。" for name in TEXT_INPUTS})
    small_queries = count_queries(review)
    small_seconds = median_seconds(lambda: assemble(review), args.runs)

    began = time.perf_counter()
    build(FULL, start=SMALL, rng=rng)
    print(f"built 10,000 incidents, 20,000 actions, 500 findings in {time.perf_counter() - began:.0f} s")
    full_queries = count_queries(review)
    full_seconds = median_seconds(lambda: assemble(review), args.runs)
    inputs = assemble(review)
    states = {row["state"]: row["count"] for row in inputs["actions"]["by_state"]}
    print(f"period holds: {inputs['incidents']['total'] + inputs['incidents']['dismissed']} incidents, "
          f"{sum(states.values())} actions due, {inputs['audits']['findings_total']} "
          f"findings, {inputs['tracks']['totals']['total']} reports")
    print(f"assemble inputs: {small_queries} queries with 100 incidents, {full_queries} with 10,000; "
          f"median {small_seconds * 1000:.0f} ms → {full_seconds * 1000:.0f} ms")

    def render(label: str, language: str) -> None:
        output = subprocess.run(
            [sys.executable, __file__, "--render-child", str(review.pk), language, str(args.runs)],
            capture_output=True, text=True, check=True, env=os.environ,
        ).stdout.split()
        first, median, peak, size, pages = output
        print(f"review PDF, {label} ({language}): {pages} pages, {int(size) // 1024} KB; first render {first} s, "
              f"median of {args.runs} {median} s; peak memory of the whole process {peak} MB")

    # A draft assembles its inputs from the records at every render; a submitted review
    # (what executives read) prints its snapshot.
    render("draft, inputs assembled live", "ja")
    review = transition_record(review, "submit", by=manager)
    for language in ("ja", "en"):
        render("submitted snapshot", language)

    weigh_trail()
    if args.trail_sample:
        weigh_services(args.trail_sample)

if __name__ == "__main__":
    main()
