"""Two application instances over one PostgreSQL database, under concurrent clients.

    .venv/bin/python bench/scale_out.py                      # 30 s of load
    .venv/bin/python bench/scale_out.py --duration 60 --reporters 6 --editors 6
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pms_bench .venv/bin/python bench/scale_out.py

Starts two gunicorn instances of `config.wsgi` (2 workers each, production settings:
DEBUG off) on two free ports of 127.0.0.1, over one fresh PostgreSQL database (the one
named in DATABASE_URL, by default `pms_bench` on the local cluster: dropped, created and
migrated, dropped again at the end unless --keep). Then, for --duration seconds, client
threads alternate between the two instances request by request:

- reporters POST new incidents (`POST /api/incidents/`);
- editors edit the same few incidents: each reads one (GET, with its `version`) from one
  instance and PATCHes it on the other, appending a token of its own to `other_information`
  (read-modify-write); on 409 it reads again and retries.

Afterwards it checks, from the database:

- the incident references are unique and without gaps within each year
  (services.next_reference), and every 201 answered is a stored incident;
- no lost update: every token whose PATCH was answered 200 is in the stored text;
- no answer was a server error (5xx) or a broken connection;
- `send_reminders`, run by two processes at the same moment (one with each instance's
  environment), each followed by a batch of the task worker mailing into a file-based mail
  directory, notifies each due reminder once and mails each notification once.

Prints the figures (requests, req/s, p50/p95 latency per kind) and the checks, and exits 1
if any check fails. Traffic goes to 127.0.0.1 only. Needs the dev extras (time-machine,
factory-boy: the seed uses the test factories, as bench/edit_races.py does).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import email
import email.header
import itertools
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.edit_races import free_port, production_database, request  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pms_bench"
INSTANCES = 2
WORKERS = 2
PASSWORD = "pass-for-tests"  # the test factories' password
EDITED_INCIDENTS = 6  # few, so that editors meet on the same records and get 409s
REFERENCE = re.compile(r"^INC-(\d{4})-(\d+)$")
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what the file-based backend writes after each message


# ---------------------------------------------------------------------------
# The database and the instances


def prepare(reporters: int, editors: int) -> dict:
    """Migrate; the people (their passwords: tokens come from the API), the incidents the
    editors share, and reminders due: reports overdue, actions due within a week or overdue."""
    import django

    django.setup()
    import time_machine
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from incidents import services
    from incidents.models import Department
    from tests.incidents.factories import ActionFactory, UserFactory

    sales = Department.objects.create(code="SALES", name="営業部")
    it_dept = Department.objects.create(code="IT", name="情報システム部")
    reporter_users = [UserFactory(username=f"reporter{n}", roles=["staff"], department=sales)
                      for n in range(reporters)]
    editor_users = [UserFactory(username=f"editor{n}", roles=["staff", "pms_manager"], department=it_dept)
                    for n in range(editors)]
    UserFactory(username="executive", roles=["executive"], department=it_dept)
    head = UserFactory(username="head", roles=["staff", "department_head"], department=sales)
    sales.head = head
    sales.save()

    now = timezone.now()
    edited = [
        services.incident_report(
            reporter=reporter_users[0], title=f"メール誤送信 {n}", description="宛先を誤って送信した。",
            department=sales, kind="leak", discovered_at=now - dt.timedelta(hours=2), affected_count=3,
        ).pk
        for n in range(EDITED_INCIDENTS)
    ]
    # Reportable leaks discovered six days ago: the PPC 速報 (5 days) is overdue.
    with time_machine.travel(now - dt.timedelta(days=6), tick=False):
        for n in range(2):
            services.incident_report(
                reporter=reporter_users[0], title=f"不正アクセス {n}", description="外部からの不正アクセス。",
                department=sales, kind="leak", discovered_at=timezone.now() - dt.timedelta(hours=1),
                affected_count=1200, suspected_unauthorized_purpose=True, data_items="氏名、住所",
            )
    owners = [UserFactory(username=f"owner{n}", roles=["staff"], department=sales) for n in range(4)]
    today = timezone.localdate()
    for n in range(20):  # due in 1..5 days (the week before) or 1..5 days overdue
        days = (n % 5) + 1
        ActionFactory(owner=owners[n % len(owners)], verifier=editor_users[0], department=sales,
                      title=f"再発防止策 {n}", due_date=today + dt.timedelta(days=days if n % 2 else -days))
    return {"reporters": [u.username for u in reporter_users], "editors": [u.username for u in editor_users],
            "edited": edited}


def start_instance(port: int, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )


def wait_ready(base: str) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{base} did not answer")


def obtain_token(base: str, username: str) -> str:
    # The API contract: username and password -> {"token": …}, sent as `Authorization: Token …`.
    import json

    data = json.dumps({"username": username, "password": PASSWORD}).encode()
    req = urllib.request.Request(base + "/api/auth/token/", data=data, method="POST",
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read())["token"]


# ---------------------------------------------------------------------------
# The load


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    statuses: dict[str, collections.Counter] = field(default_factory=lambda: collections.defaultdict(collections.Counter))
    created: list[str] = field(default_factory=list)  # references answered 201
    acknowledged: dict[int, list[str]] = field(default_factory=lambda: collections.defaultdict(list))
    retries: int = 0

    def note(self, kind: str, status: int, elapsed: float) -> None:
        with self.lock:
            self.latencies[kind].append(elapsed)
            self.statuses[kind][status] += 1


def call(base: str, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict, float]:
    """edit_races.request, with a broken connection or an unreadable answer as status 0."""
    started = time.perf_counter()
    try:
        return request(base, token, method, path, body)
    except (OSError, ValueError):
        return 0, {}, time.perf_counter() - started


def reporter(bases: list[str], token: str, name: str, deadline: float, tally: Tally) -> None:
    for number in itertools.count():
        if time.monotonic() >= deadline:
            return
        base = bases[number % len(bases)]
        discovered = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
        status, body, elapsed = call(base, token, "POST", "/api/incidents/", {
            "title": f"誤送信 {name}-{number}", "description": "取引先宛のメールに別の顧客の資料を添付した。",
            "discovered_at": discovered, "kind": "leak",
        })
        tally.note("POST /api/incidents/", status, elapsed)
        if status == 201:
            with tally.lock:
                tally.created.append(body["reference"])


def editor(bases: list[str], token: str, name: str, edited: list[int], deadline: float, tally: Tally) -> None:
    turn = itertools.count()
    for number in itertools.count():
        if time.monotonic() >= deadline:
            return
        pk = edited[(number + hash(name)) % len(edited)]
        path = f"/api/incidents/{pk}/"
        stamp = f"{name}.{number}"
        while time.monotonic() < deadline:
            # Read from one instance, write through the other.
            status, body, elapsed = call(bases[next(turn) % len(bases)], token, "GET", path)
            tally.note("GET /api/incidents/<id>/", status, elapsed)
            if status != 200:
                break
            text = (body.get("other_information") or "").strip()
            status, _body, elapsed = call(bases[next(turn) % len(bases)], token, "PATCH", path, {
                "version": body["version"], "other_information": f"{text} {stamp}".strip(),
            })
            tally.note("PATCH /api/incidents/<id>/", status, elapsed)
            if status == 200:
                with tally.lock:
                    tally.acknowledged[pk].append(stamp)
                break
            if status != 409:
                break
            with tally.lock:
                tally.retries += 1


# ---------------------------------------------------------------------------
# Reminders from two instances at once


def reminders_worker(directory: str, at: float) -> int:
    """`send_reminders` started at the wall-clock moment `at`, then the worker's mails (a
    file-based mail backend) until the queue is empty."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = directory
    time.sleep(max(0.0, at - time.time()))
    call_command("send_reminders", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
    return 0


def read_mails(directory: Path) -> list[tuple[str, str]]:
    """(recipient, subject) of every message the file-based backend wrote."""
    found = []
    for path in sorted(directory.iterdir()):
        for chunk in path.read_bytes().split(MAIL_SEPARATOR):
            if not chunk.strip():
                continue
            message = email.message_from_bytes(chunk)
            subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
            found.append((message["To"], subject))
    return found


def run_reminders(envs: list[dict]) -> tuple[int, int, int]:
    """(mails written, distinct mails, runs that failed) for one run per environment at once."""
    with tempfile.TemporaryDirectory(prefix="pms-mails-") as directory:
        at = time.time() + 4  # both processes set up Django first, then start together
        runs = [subprocess.Popen([sys.executable, __file__, "--reminders-worker", directory, "--at", str(at)],
                                 cwd=ROOT, env=env) for env in envs]
        failed = sum(run.wait(timeout=120) != 0 for run in runs)
        mails = read_mails(Path(directory))
    return len(mails), len(set(mails)), failed


# ---------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds of load (default 30)")
    parser.add_argument("--reporters", type=int, default=4, help="client threads POSTing incidents (default 4)")
    parser.add_argument("--editors", type=int, default=4, help="client threads PATCHing incidents (default 4)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reminders-worker", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reminders_worker:
        return reminders_worker(args.reminders_worker, args.at)

    url, env = production_database(DEFAULT_URL, "bench-scale-out")
    started = time.perf_counter()
    data = prepare(args.reporters, args.editors)
    print(f"database {url.rsplit('/', 1)[1]} migrated and seeded in {time.perf_counter() - started:.0f} s")

    ports = [free_port() for _ in range(INSTANCES)]
    envs = [{**env, "INSTANCE": name} for name in "ab"[:INSTANCES]]
    logs = Path(tempfile.mkdtemp(prefix="pms-scale-out-"))
    servers = [start_instance(port, instance_env, logs / f"gunicorn-{instance_env['INSTANCE']}.log")
               for port, instance_env in zip(ports, envs, strict=True)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    tally = Tally()
    try:
        for base in bases:
            wait_ready(base)
        people = data["reporters"] + data["editors"]
        tokens = {name: obtain_token(bases[n % len(bases)], name) for n, name in enumerate(people)}
        deadline = time.monotonic() + args.duration
        threads = [threading.Thread(target=reporter, args=(bases, tokens[name], name, deadline, tally))
                   for name in data["reporters"]]
        threads += [threading.Thread(target=editor, args=(bases, tokens[name], name, data["edited"], deadline, tally))
                    for name in data["editors"]]
        load_started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - load_started
        sent, distinct, failed_runs = run_reminders(envs)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)

    from incidents.models import Incident
    from notifications.kinds import Kind
    from notifications.models import MailState, Notification

    # The figures
    print(f"\n{INSTANCES} gunicorn instances x {WORKERS} workers, one PostgreSQL; {args.reporters} reporters and "
          f"{args.editors} editors for {elapsed:.0f} s, alternating instances request by request\n")
    rows = [("kind", "requests", "req/s", "p50 ms", "p95 ms", "5xx", "answers")]
    total = errors = 0
    for kind, latencies in tally.latencies.items():
        statuses = tally.statuses[kind]
        server_errors = sum(count for status, count in statuses.items() if status >= 500 or status == 0)
        total += len(latencies)
        errors += server_errors
        rows.append((kind, str(len(latencies)), f"{len(latencies) / elapsed:.1f}",
                     f"{percentile(latencies, 0.5) * 1000:.0f}", f"{percentile(latencies, 0.95) * 1000:.0f}",
                     str(server_errors), " ".join(f"{status}:{count}" for status, count in sorted(statuses.items()))))
    rows.append(("all", str(total), f"{total / elapsed:.1f}", "", "", str(errors), ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) if i in (0, 6) else cell.rjust(width)
                        for i, (cell, width) in enumerate(zip(row, widths, strict=True))).rstrip())
    print(f"409 answers re-read and retried: {tally.retries}")

    # The checks
    checks: list[tuple[str, bool, str]] = []
    references = list(Incident.objects.values_list("reference", flat=True))
    by_year: dict[str, list[int]] = collections.defaultdict(list)
    malformed = 0
    for reference in references:
        match = REFERENCE.match(reference)
        if match:
            by_year[match[1]].append(int(match[2]))
        else:
            malformed += 1
    gapless = all(sorted(numbers) == list(range(1, len(numbers) + 1)) for numbers in by_year.values())
    checks.append(("references unique and gapless per year",
                   not malformed and len(set(references)) == len(references) and gapless,
                   ", ".join(f"{year}: {len(numbers)} numbers, 1..{max(numbers)}" for year, numbers in by_year.items())))
    stored = set(references)
    missing = [reference for reference in tally.created if reference not in stored]
    checks.append(("every 201 is a stored incident", not missing and len(set(tally.created)) == len(tally.created),
                   f"{len(tally.created)} created, {len(missing)} missing"))
    lost = 0
    acknowledged = 0
    for pk, stamps in tally.acknowledged.items():
        present = set(Incident.objects.get(pk=pk).other_information.split())
        acknowledged += len(stamps)
        lost += sum(stamp not in present for stamp in stamps)
    checks.append(("lost updates", lost == 0, f"{lost} of {acknowledged} edits answered 200"))
    checks.append(("server errors (5xx, broken connections)", errors == 0, str(errors)))
    reminders = Notification.objects.filter(kind__in=[Kind.REPORT_DEADLINE, Kind.ACTION_DEADLINE])
    recorded = reminders.filter(mail_state=MailState.SENT).count()
    unsent = reminders.exclude(mail_state__in=[MailState.SENT, MailState.NOT_MAILED]).count()
    # The mails may include other notifications the worker delivered (new reports): none twice.
    checks.append(("send_reminders from 2 processes at once: duplicates",
                   sent == distinct and recorded > 0 and not unsent and not failed_runs,
                   f"{sent - distinct} ({sent} mails, {distinct} distinct, {recorded} reminders mailed, "
                   f"{unsent} not delivered, {failed_runs} runs failed)"))
    print()
    for name, ok, detail in checks:
        print(f"{'ok  ' if ok else 'FAIL'}  {name}: {detail}")
    failed = not all(ok for _name, ok, _detail in checks)
    if failed or errors:
        print(f"gunicorn logs: {logs}")

    if not args.keep:
        from django.db import connections

        connections.close_all()
        import psycopg

        base_url, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base_url}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
