"""Throughput of one server under a mix of pages, at a large group's scale.

    .venv/bin/python bench/load_mix.py                               # 10,000 incidents
    .venv/bin/python bench/load_mix.py --incidents 100000 --users 20,50 --duration 30
    .venv/bin/python bench/load_mix.py --reuse --profile 40          # same data, where the CPU goes

On a fresh PostgreSQL database (DATABASE_URL, else `pms_bench_load` on the local cluster:
dropped and created; --reuse keeps one built before) it seeds the demo company and adds a
fiscal year of `--incidents` incidents with their actions, reports and findings
(bench/dataset.py). Then it starts gunicorn (`--workers`, 4 by default, production settings,
DEBUG off) and measures:

1. each kind of request alone, warm, one at a time: the median of `--runs` and its queries;
2. the mix under load: for each number of `--users`, that many client threads for
   `--duration` seconds, each sending the next request of the mix as soon as the last one is
   answered (no think time): requests per second, p50 and p95, errors;
3. with --profile N: N requests of each kind in this process, under cProfile, and where the
   time goes by package (templates, ORM, database driver, serializers, the project's code).

The mix is what people do all day: the to-do page (the PMS office, staff, a department
head), the lists (incidents first and fiftieth page, actions, reporting duties, the API's
incident list), the record pages (incident, action, API incident) and new reports (API POST).
Prints figures and asserts nothing; the README quotes them. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import http.client
import io
import json
import os
import pstats
import pwd
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.edit_races import free_port  # noqa: E402
from bench.scale_out import percentile  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pms_bench_load"

# (name, weight, who, method, path): the paths are filled in once the data exists.
MIX = [
    ("home (PMS office)", 12, "manager", "GET", "/"),
    ("home (staff)", 5, "staff", "GET", "/"),
    ("home (department head)", 5, "head_sales", "GET", "/"),
    ("incident list, page 1", 10, "manager", "GET", "/incidents/"),
    ("incident list, page 50", 4, "manager", "GET", "/incidents/?page=50"),
    ("action list, page 1", 5, "manager", "GET", "/actions/"),
    ("reporting duties, page 1", 3, "manager", "GET", "/tracks/"),
    ("API incident list, page 1", 8, "manager", "GET", "/api/incidents/"),
    ("incident page", 15, "manager", "GET", "/incidents/{incident}/"),
    ("action page", 7, "manager", "GET", "/actions/{action}/"),
    ("API incident", 9, "manager", "GET", "/api/incidents/{incident}/"),
    ("new report (API POST)", 7, "staff", "POST", "/api/incidents/"),
]


def prepare(incidents: int, reuse: bool) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    # As in production: whitenoise serves the collected, hashed files (STATIC_ROOT).
    call_command("collectstatic", interactive=False, verbosity=0)

    from incidents.models import Incident

    if reuse and Incident.objects.filter(reference__startswith="INC-B-").count() >= incidents:
        call_command("migrate", verbosity=0)  # what the checkout adds (indexes) to the data built before
        print(f"reusing the database: {Incident.objects.count():,} incidents")
        return
    import random as rnd

    from bench.dataset import build, sizes

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    build(sizes(incidents), start=sizes(0), rng=rnd.Random(2026))
    call_command("createcachetable", verbosity=0)
    from django.db import connection

    with connection.cursor() as cursor:  # PostgreSQL only (main() refuses anything else)
        cursor.execute("VACUUM ANALYZE")
    print(f"built {Incident.objects.count():,} incidents in {time.perf_counter() - started:.0f} s")


def credentials() -> dict:
    """A session cookie per person (as after signing in) and an API token for staff."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from knox.models import AuthToken

    found = {}
    for who in {row[2] for row in MIX}:
        user = get_user_model().objects.get(username=who)
        session = SessionStore()
        session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                        HASH_SESSION_KEY: user.get_session_auth_hash(), "django_language": "ja"})
        session.create()
        # One token a person, as one API client holds (the tokens earlier runs left are dropped:
        # before accounts/auth.py, knox read all of a user's tokens on every request).
        AuthToken.objects.filter(user=user).delete()
        found[who] = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
                      "Authorization": f"Token {AuthToken.objects.create(user)[1]}"}
    return found


def targets() -> dict:
    """Records the PMS office sees, for the record pages: the benchmark year's."""
    from incidents.models import Action, Incident

    return {"incident": list(Incident.objects.filter(reference__startswith="INC-B-").values_list("pk", flat=True)
                             .order_by("?")[:500]),
            "action": list(Action.objects.filter(reference__startswith="ACT-B-").values_list("pk", flat=True)
                           .order_by("?")[:500])}


def report_body(department: int, n: int) -> bytes:
    import datetime as dt

    # The reporter's own department, as the report form fills it in.
    return json.dumps({
        "title": f"誤送信 {n}", "description": "取引先宛のメールに別の顧客の資料を添付した。", "kind": "leak",
        "discovered_at": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat(),
    }).encode()


class Client:
    """One request of the mix at a time over plain HTTP/1.1 (gunicorn's sync workers close
    each connection: no keep-alive, as a browser behind a proxy would see it)."""

    def __init__(self, port: int, people: dict, ids: dict, department: int, seed: int):
        self.port, self.people, self.ids, self.department = port, people, ids, department
        self.rng = random.Random(seed)
        self.count = 0

    def send(self, row: tuple) -> tuple[int, float]:
        name, _weight, who, method, path = row
        path = path.format(incident=self.rng.choice(self.ids["incident"]), action=self.rng.choice(self.ids["action"]))
        headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html", "Host": "127.0.0.1"}
        body = None
        if path.startswith("/api/"):
            headers["Authorization"] = self.people[who]["Authorization"]
        else:
            headers["Cookie"] = self.people[who]["Cookie"]
        if method == "POST":
            self.count += 1
            body = report_body(self.department, self.count)
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
            connection.close()
        except OSError:
            status = 0
        return status, time.perf_counter() - started


def one_at_a_time(client: Client, runs: int) -> None:
    print(f"\neach request alone, warm (median of {runs}, ms; queries from the profile run below):")
    for row in MIX:
        for _ in range(2):
            client.send(row)
        times, statuses = [], collections.Counter()
        for _ in range(runs):
            status, elapsed = client.send(row)
            times.append(elapsed)
            statuses[status] += 1
        print(f"  {row[0]:<28} {statistics.median(times) * 1000:7.0f}   status {dict(statuses)}")


def cpu_seconds(owner: str | None = None, parent: int | None = None) -> float:
    """User + system CPU seconds of the processes a user owns, or of a process's children."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if owner is not None and (entry / "status").read_text().split("Uid:")[1].split()[0] != owner:
                continue
        except (OSError, IndexError):
            continue
        if parent is not None and int(fields[1]) != parent:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def under_load(port: int, people: dict, ids: dict, department: int, users: int, duration: float,
               server: int) -> None:
    weights = [row[1] for row in MIX]
    latencies: dict[str, list[float]] = collections.defaultdict(list)
    statuses: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def user(seed: int) -> None:
        client = Client(port, people, ids, department, seed)
        while time.monotonic() < deadline:
            row = client.rng.choices(MIX, weights)[0]
            status, elapsed = client.send(row)
            with lock:
                latencies[row[0]].append(elapsed)
                statuses[row[0]][status] += 1

    threads = [threading.Thread(target=user, args=(seed,)) for seed in range(users)]
    postgres_uid = str(pwd.getpwnam("postgres").pw_uid)  # the local cluster's processes
    cpu_before = (os.times().user + os.times().system, cpu_seconds(parent=server), cpu_seconds(owner=postgres_uid))
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    cpu_after = (os.times().user + os.times().system, cpu_seconds(parent=server), cpu_seconds(owner=postgres_uid))
    every = [value for values in latencies.values() for value in values]
    errors = sum(n for counter in statuses.values() for status, n in counter.items() if status == 0 or status >= 500)
    wrong = sum(n for counter in statuses.values() for status, n in counter.items() if 300 <= status < 500)
    print(f"\n{users} users for {elapsed:.0f} s: {len(every):,} requests, {len(every) / elapsed:.1f} req/s, "
          f"p50 {percentile(every, 0.5) * 1000:.0f} ms, p95 {percentile(every, 0.95) * 1000:.0f} ms, "
          f"errors {errors}, answers other than 2xx {wrong}")
    client, workers, database = (after - before for before, after in zip(cpu_before, cpu_after, strict=True))
    print(f"  CPU over the run, in cores: gunicorn workers {workers / elapsed:.2f}, PostgreSQL {database / elapsed:.2f}, "
          f"this client {client / elapsed:.2f} (of {os.cpu_count()}); per request: workers "
          f"{workers / len(every) * 1000:.1f} ms, PostgreSQL {database / len(every) * 1000:.1f} ms, "
          f"client {client / len(every) * 1000:.1f} ms")
    for name, values in sorted(latencies.items(), key=lambda item: -percentile(item[1], 0.95)):
        print(f"  {name:<28} n={len(values):5}  p50 {percentile(values, 0.5) * 1000:6.0f}  "
              f"p95 {percentile(values, 0.95) * 1000:6.0f}  {dict(statuses[name])}")


GROUPS = [  # (label, path fragment), the first that matches a function's file counts it
    ("database driver (psycopg, waiting for PostgreSQL)", "/psycopg"),
    ("templates (django.template)", "/django/template/"),
    ("ORM: building and compiling SQL", "/django/db/models/sql/"),
    ("ORM: model instances, querysets, fields", "/django/db/"),
    ("serializers (rest_framework)", "/rest_framework/"),
    ("translation (gettext)", "gettext"),
    ("forms and filters", "/django/forms/"),
    ("django-filter", "/django_filters/"),
    ("the rest of Django (urls, middleware, auth, utils)", "/django/"),
    ("the project's code", str(ROOT) + "/"),
]


def profile(count: int, people: dict, ids: dict, department: int) -> None:
    """`count` requests of each kind through the test client (same settings), profiled."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client as TestClient

    print(f"\nwhere the time goes: {count} requests of each kind in one process (cProfile, own time by package)")
    clients = {}
    for who in {row[2] for row in MIX}:
        clients[who] = TestClient(HTTP_HOST="127.0.0.1")
        clients[who].force_login(get_user_model().objects.get(username=who))
    rng = random.Random(1)
    totals: collections.Counter = collections.Counter()
    whole = 0.0
    for row in MIX:
        name, _w, who, method, path = row
        queries: list[str] = []

        def counted(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        connection.execute_wrappers.append(counted)
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.enable()
        for n in range(count):
            url = path.format(incident=rng.choice(ids["incident"]), action=rng.choice(ids["action"]))
            extra = {"HTTP_AUTHORIZATION": people[who]["Authorization"]} if url.startswith("/api/") else {}
            if method == "POST":
                clients[who].post(url, report_body(department, 10_000 + n), content_type="application/json", **extra)
            else:
                clients[who].get(url, HTTP_ACCEPT="application/json" if url.startswith("/api/") else "text/html",
                                 **extra)
        profiler.disable()
        seconds = time.perf_counter() - began
        connection.execute_wrappers.pop()
        whole += seconds
        stats = pstats.Stats(profiler, stream=io.StringIO())
        by_group: collections.Counter = collections.Counter()
        for (filename, _line, _function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
            label = next((label for label, fragment in GROUPS if fragment in filename), "Python itself and the rest")
            by_group[label] += own
        totals.update(by_group)
        top = ", ".join(f"{label.split(' (')[0]} {share / sum(by_group.values()):.0%}"
                        for label, share in by_group.most_common(3))
        print(f"  {name:<28} {seconds / count * 1000:6.0f} ms, {len(queries) / count:5.1f} queries  ({top})")
    everything = sum(totals.values())
    print(f"  all kinds together, {whole:.1f} s profiled:")
    for label, own in totals.most_common():
        print(f"    {own / everything:6.1%}  {label}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000, help="incidents in the year (default 10,000)")
    parser.add_argument("--users", default="20,50", help="client threads, one load run each (default 20,50)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of each load run (default 30)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--runs", type=int, default=9, help="requests of each kind alone (default 9)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N requests of each kind")
    parser.add_argument("--reuse", action="store_true", help="keep and reuse the database built before")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "False",
           "SECRET_KEY": "bench-load-mix-not-secret", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "ERROR",
           "PYTHONWARNINGS": "ignore::UserWarning", "SESSION_COOKIE_SECURE": "False", "CSRF_COOKIE_SECURE": "False"}
    os.environ.update(env)
    if not args.reuse:
        from bench.edit_races import setup_database

        setup_database(url)
    prepare(args.incidents, args.reuse)
    from incidents.models import Department

    people, ids = credentials(), targets()
    department = Department.objects.filter(code="SALES").values_list("pk", flat=True).first() or \
        Department.objects.values_list("pk", flat=True).first()
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, gunicorn {args.workers} sync workers, "
          f"PostgreSQL")

    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="pms-load-")) / "gunicorn.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(args.workers),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )
    try:
        for _ in range(300):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        one_at_a_time(Client(port, people, ids, department, 0), args.runs)
        for users in (int(n) for n in args.users.split(",") if n):
            under_load(port, people, ids, department, users, args.duration, server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    if args.profile:
        profile(args.profile, people, ids, department)
    print(f"\n(gunicorn's log: {log})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
