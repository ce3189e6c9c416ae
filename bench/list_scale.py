"""How the lists scale: every list page and API list against a hand-written view of the same rows.

    .venv/bin/python bench/list_scale.py --incidents 10000                # a new SQLite file in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pms_bench_lists \\
        .venv/bin/python bench/list_scale.py --incidents 100000            # dropped, created, built
    DATABASE_URL=… .venv/bin/python bench/list_scale.py --reuse            # measure it again
    DATABASE_URL=… .venv/bin/python bench/list_scale.py --reuse --plans    # bench/query_plans.md

Builds the demo company (seed_demo) and a fiscal year of `--incidents` incidents with twice
as many actions and a finding per twenty (bench/dataset.py), then, signed in as a PMS office
user (`--user`; default `manager`, who holds the role for the whole group: every record is
visible, no visibility filter; `ins_manager` holds it for one company), requests each list as
an HTML page and as an API list, on its first and its 50th page (its last when it has fewer),
50 rows a page, warm (one request first), `--runs` times, and prints the median.

Next to each, the "raw limit": a hand-written view of the same request, served by the same
stack (middleware, session, the signed-in user): a plain `values()` of the same rows (the same
visibility filter, order and page) with the count the page shows, the people the rows name in
one query, the API's nested rows in one query each, returned as a `JsonResponse`, or the
page's columns rendered in a bare table. It computes nothing the rows do not hold (no
reporting assessment, no clocks) and draws no page around them (no menu, no filter bar): the
floor a list could reach. The list and its raw limit take turns, so that the load of a
shared machine weighs on both alike.

Queries are counted with a `connection.execute_wrapper` (Django's debug log stops at 9,000
entries), at 5 and at 50 rows a page: the same count is the goal. DEBUG is off, as in
production. `--reuse` keeps a database built before and only migrates it (new indexes) and
measures; on PostgreSQL the tables are vacuumed and analysed first, as autovacuum leaves them.
`--explain MS` prints the plans of every query slower than MS instead; `--plans` the query of
each list index planned without and with it. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import types
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# As in production: no query log, no template debugging. The test client's host and a
# plain-HTTP session cookie; a throw-away key (nothing is kept).
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "list-scale-benchmark-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SESSION_COOKIE_SECURE", "False")
os.environ.setdefault("CSRF_COOKIE_SECURE", "False")

PAGE_ROWS = 50
DEEP_PAGE = 50


def setup_database(reuse: bool) -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        if reuse:
            sys.exit("--reuse needs DATABASE_URL (a SQLite file or a PostgreSQL database built before)")
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='pms-lists-')}/bench.sqlite3"
    elif url.startswith("postgres") and not reuse:
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')


# ---------------------------------------------------------------------------
# Counting queries


class QueryCounter:
    """Counts every query run through the default connection while installed."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting():
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


class QueryTimer:
    """Records every query with its parameters and its time (ms) while installed."""

    def __init__(self):
        self.queries: list[tuple[str, object, float]] = []

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, params, (time.perf_counter() - began) * 1000))


def explain(client, url: str, slower_than: float, lines: int) -> None:
    """The plans (EXPLAIN ANALYZE) of the queries of GET url that took more than `slower_than` ms."""
    from django.db import connection

    client.get(url)  # warm
    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        client.get(url)
    for sql, params, ms in timer.queries:
        if ms < slower_than or not sql.lstrip().upper().startswith("SELECT"):
            continue
        prefix = "EXPLAIN (ANALYZE, BUFFERS)" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
        with connection.cursor() as cursor:
            cursor.execute(f"{prefix} {sql}", params)
            plan = [" ".join(str(part) for part in row) for row in cursor.fetchall()]
        print(f"\n  {ms:.1f} ms: {sql[:1500]}")
        print(f"    params: {params}")
        for line in plan[:lines]:
            print(f"    | {line}")
        if len(plan) > lines:
            print(f"    | … ({len(plan) - lines} more lines)")


# The query each index is for: (index, the page whose query it serves, the table the page lists).
# Each is explained twice on PostgreSQL: with the index dropped (in a transaction rolled back)
# and with it, warm (the second of two runs).
INDEX_PAGES = [
    ("incident_created", "/api/incidents/?page=50&page_size=50", "incidents_incident"),
    ("incident_created", "/incidents/?page=1", "incidents_incident"),
    ("incident_company_created", "/api/incidents/?company=3&page=50&page_size=50", "incidents_incident"),
    ("incident_discovered", "/api/incidents/?discovered_from=2025-06-01&discovered_to=2025-06-07&page_size=50",
     "incidents_incident"),
    ("action_due", "/api/actions/?page=50&page_size=50", "incidents_action"),
    ("action_state_due", "/api/actions/?state=planned&page=50&page_size=50", "incidents_action"),
    ("track_limit", "/api/tracks/?page=50&page_size=50", "incidents_reportingtrack"),
    ("track_pending_first", "/tracks/?page=50", "incidents_reportingtrack"),
    ("track_state_limit", "/api/tracks/?overdue=true&page_size=50", "incidents_reportingtrack"),
    ("finding_created", "/api/findings/?page=50&page_size=50", "audits_finding"),
    ("finding_state_created", "/api/findings/?state=open&page=10&page_size=50", "audits_finding"),
    ("audit_planned", "/api/audits/", "audits_audit"),
    ("request_received", "/api/requests/", "incidents_rightsrequest"),
    ("complaint_received", "/api/complaints/", "incidents_complaint"),
]


def page_query(client, url: str, table: str) -> tuple[str, object]:
    """The statement of GET url that reads the page's rows of `table` (its slowest SELECT … LIMIT)."""
    from django.db import connection

    client.get(url)
    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        client.get(url)
    found = [(ms, sql, params) for sql, params, ms in timer.queries
             if f'FROM "{table}"' in sql and "LIMIT" in sql and "COUNT(" not in sql]
    _ms, sql, params = max(found, key=lambda item: item[0])
    return sql, params


def plan_lines(sql: str, params, table: str, drop: str | None) -> list[str]:
    """EXPLAIN ANALYZE of the statement (warm), with index `drop` dropped for the while, trimmed to
    its top, the nodes that read or sort `table`, and the planning and execution times."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if drop:
            cursor.execute(f'DROP INDEX "{drop}"')
        for _ in range(2):
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
            plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    keep = []
    for n, line in enumerate(plan):
        node = line.strip().lstrip("-> ").strip()
        if (n < 2 or node.startswith(("Planning Time", "Execution Time"))
                or (table in line and ("Scan" in line or "Index" in line))
                or node.startswith(("Sort Key", "Sort Method", "Index Cond", "Filter", "Rows Removed", "Incremental Sort",
                                    "Sort (", "Presorted Key"))):
            keep.append(line.rstrip())
    return keep


def print_plans(client) -> None:
    for index, url, table in INDEX_PAGES:
        sql, params = page_query(client, url, table)
        print(f"\n### {index}: GET {url}\n\n    {sql[:160]}… ORDER BY / LIMIT as the page asks; params {params}")
        for label, drop in (("without the index", index), ("with it", None)):
            print(f"\n  {label}:")
            for line in plan_lines(sql, params, table, drop):
                print(f"    {line}")
    print_day_filter_plans()


def print_day_filter_plans() -> None:
    """A week of discovery, as the filter was (the local date of every row) and is (a range)."""
    import datetime as dt

    from incidents.filters import IncidentFilter
    from incidents.models import Incident

    week = {"discovered_from": "2025-06-01", "discovered_to": "2025-06-07"}
    for ordering in (("-created_at", "-id"), ("discovered_at", "id")):
        was = Incident.objects.filter(discovered_at__date__gte=dt.date(2025, 6, 1),
                                      discovered_at__date__lte=dt.date(2025, 6, 7)).order_by(*ordering)[:50]
        now = IncidentFilter(week, queryset=Incident.objects.all()).qs.order_by(*ordering)[:50]
        print(f"\n### incident_discovered: the week 2025-06-01..07, ordered by {', '.join(ordering)}")
        for label, queryset in (("discovered_at__date (before)", was), ("a range of moments (now)", now)):
            sql, params = queryset.query.sql_with_params()
            print(f"\n  {label}: …WHERE {sql.split(' WHERE ')[1][:200]}")
            for line in plan_lines(sql, params, "incidents_incident", None):
                print(f"    {line}")


# ---------------------------------------------------------------------------
# The lists, and the hand-written view of each


@dataclass(frozen=True)
class Child:
    """Rows the API nests in each row, read in one query for the page: `relation` on the row,
    from `model` by `key` (a column of the child, or a many-to-many path)."""

    relation: str
    model: str
    key: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListCase:
    name: str
    html: str
    api: str
    model: str
    order: tuple  # the list's default order (the API's; the page's unless `html_order`)
    html_columns: tuple[str, ...]
    api_columns: tuple[str, ...]  # joined, beyond the row's own columns (values())
    people: tuple[str, ...] = ()  # the API's people (foreign keys to users), read in one query
    html_people: tuple[str, ...] = ()  # the page's, likewise
    children: tuple[Child, ...] = ()
    html_order: tuple | None = None
    html_annotate: str | None = None


PERSON = ("username", "last_name", "first_name")


def people(*relations: str) -> tuple[str, ...]:
    return tuple(f"{relation}__{name}" for relation in relations for name in PERSON)


def cases() -> list[ListCase]:
    from django.db.models import Case, F, When

    from incidents.models import TrackState

    pending_limit = Case(When(state=TrackState.PENDING, then=F("limit_at")))
    return [
        ListCase(
            "incidents", "/incidents/", "/api/incidents/", "incidents.Incident", ("-created_at", "-id"),
            ("reference", "title", "kind", "severity", "state", "company__name", "department__name",
             "discovered_at", "next_deadline", "reportable"),
            ("company__name", "joint_use_company__name", "rule_set__version"),
            people=("reporter", "handler"), html_people=("handler",),
            children=(Child("tracks", "incidents.ReportingTrack", "incident_id", people("filed_by")),),
            html_annotate="next_deadline",
        ),
        ListCase(
            "actions", "/actions/", "/api/actions/", "incidents.Action", ("due_date", "id"),
            ("reference", "title", "kind", "state", "incident__reference", "company__name", "department__name",
             "due_date"),
            ("company__name",),
            people=("owner", "verifier", "created_by", "implemented_by", "verified_by"),
            html_people=("owner", "verifier"),
            children=(Child("rounds", "incidents.ActionRound", "action_id", people("implemented_by", "checked_by")),),
        ),
        ListCase(
            "tracks", "/tracks/", "/api/tracks/", "incidents.ReportingTrack", ("limit_at", "id"),
            ("incident__reference", "incident__title", "kind", "state", "incident__company__name",
             "incident__department__name", "due_at", "limit_at", "filed_at"),
            ("incident__reference", "incident__title", "incident__company_id", "incident__company__name"),
            people=("filed_by",),
            html_order=(pending_limit.asc(nulls_last=True), F("limit_at").desc(), "id"),
        ),
        ListCase(
            "findings", "/audits/findings/", "/api/findings/", "audits.Finding", ("-created_at", "-id"),
            ("reference", "grade", "description", "requirement__clause", "requirement__title_ja", "company__name",
             "department__name", "audit__reference", "state", "response_due", "created_at"),
            ("audit__reference", "audit__title", "requirement__standard", "requirement__edition",
             "requirement__clause", "requirement__title_ja", "department__code", "department__name",
             "company__name"),
            people=("raised_by",),
        ),
        ListCase(
            "audits", "/audits/", "/api/audits/", "audits.Audit", ("-planned_start", "-id"),
            ("reference", "title", "kind", "company__name", "planned_start", "planned_end", "state"),
            ("company__name",), people=("lead_auditor",), html_people=("lead_auditor",),
            children=(Child("departments", "incidents.Department", "audits", ("code", "name")),
                      Child("clauses", "audits.Requirement", "audits", ("standard", "edition", "clause", "title_ja")),
                      Child("auditors", "auth.User", "audits_as_auditor", PERSON)),
        ),
        ListCase(
            "requests", "/requests/", "/api/requests/", "incidents.RightsRequest", ("-received_on", "-id"),
            ("reference", "state", "channel", "company__name", "department__name", "received_on", "due_on"),
            ("company__name",), people=("handler", "received_by"), html_people=("handler",),
            children=(Child("items", "incidents.RequestItem", "request_id", ("kind",)),),
        ),
        ListCase(
            "complaints", "/complaints/", "/api/complaints/", "incidents.Complaint", ("-received_on", "-id"),
            ("reference", "state", "channel", "classification", "company__name", "department__name", "received_on"),
            ("company__name",), people=("handler", "received_by"), html_people=("handler",),
        ),
    ]


RAW_TABLE = """<table><tbody>{% for row in rows %}<tr>{% for value in row %}<td>{{ value }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table><p>{{ count }}</p>"""


def raw_view(request, name: str, fmt: str):
    """The hand-written list: `values()` of the same rows, as JSON or a bare table."""
    from django.apps import apps
    from django.core.serializers.json import DjangoJSONEncoder
    from django.db.models import F
    from django.http import HttpResponse, JsonResponse
    from django.template import Context, Template

    case = CASES[name]
    model = apps.get_model(case.model)
    size = int(request.GET.get("page_size", PAGE_ROWS))
    page = int(request.GET.get("page", 1))
    rows = model.objects.visible_to(request.user)
    count = rows.count()
    window = slice((page - 1) * size, page * size)
    if fmt == "api":
        columns = [f.attname for f in model._meta.concrete_fields]
        data = list(rows.order_by(*case.order).values(*columns, *case.api_columns)[window])
        people = persons(data, case.people)
        for row in data:
            for relation in case.people:
                row[relation] = people.get(row[f"{relation}_id"])
        ids = [row["id"] for row in data]
        for child in case.children:
            related = apps.get_model(child.model)
            nested: dict = {}
            if child.key.endswith("_id"):  # the child's own rows, with the names they show
                key, shown = child.key, [f.attname for f in related._meta.concrete_fields]
            else:  # a many-to-many: the linked rows as the list shows them
                key, shown = f"{child.key}__id", ["id"]
            for row in related.objects.filter(**{f"{key}__in": ids}).values(
                    *shown, *child.columns, list_parent=F(key)):
                nested.setdefault(row.pop("list_parent"), []).append(row)
            for row in data:
                row[child.relation] = nested.get(row["id"], [])
        return JsonResponse({"count": count, "results": data}, encoder=DjangoJSONEncoder,
                            json_dumps_params={"ensure_ascii": False})
    if case.html_annotate:
        from incidents.registers import with_next_deadline

        rows = with_next_deadline(rows)
    id_columns = [f"{relation}_id" for relation in case.html_people]
    values = list(rows.order_by(*(case.html_order or case.order)).values_list(
        *case.html_columns, *id_columns)[window])
    people = persons([dict(zip(id_columns, row[len(case.html_columns):], strict=True)) for row in values], case.html_people)
    labels = {}
    for position, column in enumerate(case.html_columns):
        if "__" not in column and column in {f.name for f in model._meta.concrete_fields}:
            choices = model._meta.get_field(column).flatchoices
            if choices:
                labels[position] = dict(choices)
    shown = []
    for row in values:
        cells = [labels[n].get(value, value) if n in labels else value for n, value in enumerate(row[:len(case.html_columns)])]
        for person_id in row[len(case.html_columns):]:
            person = people.get(person_id)
            cells.append(f"{person['last_name']} {person['first_name']}".strip() or person["username"] if person else "—")
        shown.append(cells)
    return HttpResponse(Template(RAW_TABLE).render(Context({"rows": shown, "count": count})))


def persons(rows: list[dict], relations: tuple[str, ...]) -> dict:
    """{user id: the person as lists show them} for the people `rows` name, in one query."""
    from django.contrib.auth import get_user_model

    ids = {row[f"{relation}_id"] for row in rows for relation in relations} - {None}
    if not ids:
        return {}
    return {person["id"]: person for person in get_user_model().objects.filter(pk__in=ids).values("id", *PERSON)}


CASES: dict[str, ListCase] = {}


def install_raw_urls() -> None:
    """The project's URLs and the hand-written views under /bench-raw/<list>/<api|html>/."""
    from django.conf import settings
    from django.urls import clear_url_caches, path

    import config.urls

    module = types.ModuleType("bench_list_urls")
    module.urlpatterns = [path("bench-raw/<str:name>/<str:fmt>/", raw_view), *config.urls.urlpatterns]
    for handler in ("handler403", "handler404", "handler500"):
        setattr(module, handler, getattr(config.urls, handler))
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()


# ---------------------------------------------------------------------------
# Measuring


def measure(client, urls: list[str], runs: int) -> list[tuple[float, int, int]]:
    """(median ms, queries, status) of GET each url, after one warm-up request each; the urls
    take turns, so that the load of a shared machine weighs on each alike."""
    times: list[list[float]] = [[] for _ in urls]
    counts, statuses = [0] * len(urls), [0] * len(urls)
    for url in urls:
        client.get(url)
    for _ in range(runs):
        for n, url in enumerate(urls):
            with counting() as counter:
                began = time.perf_counter()
                response = client.get(url)
                times[n].append((time.perf_counter() - began) * 1000)
            counts[n], statuses[n] = counter.count, response.status_code
    return [(statistics.median(times[n]), counts[n], statuses[n]) for n in range(len(urls))]


def queries_at(client, url: str, rows: int, html: bool) -> tuple[int, int]:
    """(queries, rows shown) of the first page at `rows` a page."""
    from django.test.utils import setup_test_environment, teardown_test_environment

    import incidents.workflow.web as web

    if html:
        # The test environment lets the client see the page's context (its rows); not timed.
        saved, web.PAGE_SIZE = web.PAGE_SIZE, rows
        setup_test_environment()
        try:
            with counting() as counter:
                response = client.get(url)
        finally:
            web.PAGE_SIZE = saved
            teardown_test_environment()
        page = response.context["page"] if response.context else None
        shown = len(page.object_list) if page is not None else -1
        return counter.count, shown
    with counting() as counter:
        response = client.get(f"{url}{'&' if '?' in url else '?'}page_size={rows}")
    return counter.count, len(response.json().get("results", []))


def last_page(client, url: str) -> tuple[int, int]:
    """(the 50th page, or the last when there are fewer; the rows of the list)."""
    count = client.get(f"{url}?page_size={PAGE_ROWS}").json()["count"]
    return max(1, min(DEEP_PAGE, -(-count // PAGE_ROWS))), count


def run(args) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from incidents.models import Action, Incident

    user = get_user_model().objects.get(username=args.user)
    client = Client()
    client.force_login(user)
    print(f"database: {connection.vendor}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
          f"{Incident.objects.count():,} incidents, {Action.objects.count():,} actions; signed in as {args.user}; "
          f"median of {args.runs}, {PAGE_ROWS} rows a page")
    header = (f"{'list':<22} {'page':>4} {'ms':>8} {'raw ms':>7} {'ratio':>6} {'queries':>7} {'raw q':>5}"
              f"   queries at 5 / 50 rows")
    print(header)
    print("-" * len(header))
    if args.plans:
        print_plans(client)
        return
    only = set(args.only.split(",")) if args.only else None
    for case in CASES.values():
        if only and case.name not in only:
            continue
        deep, total = last_page(client, case.api)
        if args.explain is not None:
            for kind, url in (("html", case.html), ("api", case.api)):
                for page in sorted({1, deep}):
                    size = "" if kind == "html" else f"&page_size={PAGE_ROWS}"
                    print(f"\n{case.name} {kind}, page {page}:")
                    explain(client, f"{url}?page={page}{size}", args.explain, args.plan_lines)
            continue
        for kind, url in (("html", case.html), ("api", case.api)):
            sep = "&" if "?" in url else "?"
            q5, rows5 = queries_at(client, url, 5, kind == "html")
            q50, rows50 = queries_at(client, url, 50, kind == "html")
            for page in sorted({1, deep}):
                size = "" if kind == "html" else f"&page_size={PAGE_ROWS}"
                raw = f"/bench-raw/{case.name}/{kind}/?page={page}&page_size={PAGE_ROWS}"
                (ms, queries, status), (raw_ms, raw_queries, _) = measure(
                    client, [f"{url}{sep}page={page}{size}", raw], args.runs)
                same = "same" if q5 == q50 else "DIFFERENT"
                print(f"{case.name + ' ' + kind:<22} {page:>4} {ms:>8.1f} {raw_ms:>7.1f} {ms / raw_ms:>5.1f}× "
                      f"{queries:>7} {raw_queries:>5}   {q5} / {q50} ({rows5} / {rows50} rows, {same})"
                      f"{'' if status == 200 else f'  status {status}'}")
        print(f"{'':<22} ({total:,} rows in the API list)")


def build(args) -> None:
    from django.core.management import call_command
    from django.db import connection

    from bench.dataset import build as build_year
    from bench.dataset import sizes

    call_command("migrate", verbosity=0)
    if args.reuse:
        return
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 (departments, people, pick-lists)
    began = time.perf_counter()
    build_year(sizes(args.incidents), start=sizes(0), rng=random.Random(2026))
    print(f"built {args.incidents:,} incidents, {2 * args.incidents:,} actions, {args.incidents // 20:,} findings "
          f"in {time.perf_counter() - began:.0f} s ({connection.vendor})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000, help="incidents to build (default 10,000)")
    parser.add_argument("--runs", type=int, default=5, help="requests to take the median of (default 5)")
    parser.add_argument("--user", default="manager", help="who is signed in (default manager: the group's PMS office)")
    parser.add_argument("--only", default="", help="comma-separated lists to measure (default: every list)")
    parser.add_argument("--explain", type=float, metavar="MS", default=None,
                        help="instead of timing, print the plan of every query of each list slower than MS ms")
    parser.add_argument("--plans", action="store_true",
                        help="instead of timing, print each list index's query planned without and with it "
                             "(PostgreSQL; bench/query_plans.md)")
    parser.add_argument("--plan-lines", type=int, default=40, help="lines of each plan to print (default 40)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database named in DATABASE_URL as it is (built before): migrate, measure")
    args = parser.parse_args()

    setup_database(args.reuse)
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")

    django.setup()
    from django.conf import settings
    from django.db import connection

    # No collectstatic here: pages name their static files without the manifest.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    CASES.update({case.name: case for case in cases()})
    install_raw_urls()
    build(args)
    if connection.vendor == "postgresql":
        # As autovacuum leaves a table at rest: statistics, and the visibility map that lets a
        # COUNT(*) read an index alone.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    run(args)


if __name__ == "__main__":
    main()
