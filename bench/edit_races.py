"""Two people editing the same records at the same moment, against a real server.

    .venv/bin/python bench/edit_races.py                 # 200 rounds per case
    .venv/bin/python bench/edit_races.py --rounds 1000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pms_races .venv/bin/python bench/edit_races.py

Starts gunicorn (4 workers, production settings: DEBUG off) on a free port of 127.0.0.1
over PostgreSQL (the database named in DATABASE_URL, by default `pms_races` on the local
cluster, is dropped and created). Each round, two API clients read the same record
(the same `version`), wait for each other, then PATCH a different field at the same moment:

- incident: the PMS manager ticks "involves sensitive personal information" while an
  office member changes the title (the case in which a lost update withdrew the PPC
  速報/確報 and the notice to data subjects);
- action: one changes the title, the other the description.

Afterwards it reads every record back and counts the lost updates: a change whose editor
was told 200 but which is not stored, or a reportable incident without its PPC reports.
It prints the count (0 is the only acceptable figure), the 409 rate and the latencies,
and exits 1 on any lost update or server error. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pms_races"
WORKERS = 4


def production_database(default_url: str, name: str) -> tuple[str, dict[str, str]]:
    """A fresh PostgreSQL database for a bench (DATABASE_URL, else `default_url`), and the
    environment its gunicorn runs with: production settings, DEBUG off. This process takes
    the same environment, so its own Django setup (migrate, seed) uses that database."""
    url = os.environ.get("DATABASE_URL") or default_url
    if not url.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "False",
           "SECRET_KEY": f"{name}-not-secret", "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "ERROR",
           "PYTHONWARNINGS": "ignore::UserWarning"}  # whitenoise: no collected static files here
    os.environ.update(env)
    setup_database(url)
    return url, env


def setup_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(rounds: int) -> dict:
    """Migrate, make the people and their tokens, and the records to race on."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from knox.models import AuthToken

    call_command("migrate", verbosity=0)
    from incidents import services
    from incidents.models import Department
    from tests.incidents.factories import UserFactory

    sales = Department.objects.create(code="SALES", name="営業部")
    it_dept = Department.objects.create(code="IT", name="情報システム部")
    staff = UserFactory(username="staff", roles=["staff"], department=sales)
    manager = UserFactory(username="manager", roles=["staff", "pms_manager"], department=it_dept)
    office = UserFactory(username="office", roles=["staff", "pms_manager"], department=it_dept)
    head = UserFactory(username="head", roles=["staff", "department_head"], department=sales)
    incidents, actions = [], []
    for number in range(rounds):
        incident = services.incident_report(
            reporter=staff, title=f"メール誤送信 {number}", description="宛先を誤って送信した。", department=sales,
            kind="leak", discovered_at=timezone.now() - timezone.timedelta(hours=2), affected_count=3,
        )
        incidents.append(incident.pk)
        action = services.action_create(
            by=manager, kind="corrective", title=f"宛先確認の徹底 {number}", department=sales, owner=head,
            verifier=manager, due_date=timezone.localdate() + timezone.timedelta(days=30),
        )
        actions.append(action.pk)
    return {
        "tokens": {user.username: AuthToken.objects.create(user=user)[1] for user in (manager, office)},
        "incidents": incidents,
        "actions": actions,
    }


def request(base: str, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict, float]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json",
    })
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    elapsed = time.perf_counter() - started
    return status, (json.loads(payload) if payload else {}), elapsed


def race_round(base: str, tokens: dict, path: str, edits: list[tuple[str, str, object]]) -> list[tuple[int, float]]:
    versions = [request(base, tokens[user], "GET", path)[1]["version"] for user, _f, _v in edits]
    assert len(set(versions)) == 1, versions
    barrier = threading.Barrier(len(edits))
    results: list = [None] * len(edits)

    def run(index: int, user: str, field: str, value: object) -> None:
        barrier.wait()
        status, _body, elapsed = request(base, tokens[user], "PATCH", path, {"version": versions[index], field: value})
        results[index] = (status, elapsed)

    threads = [threading.Thread(target=run, args=(i, *edit)) for i, edit in enumerate(edits)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="rounds per case (default 200)")
    args = parser.parse_args()

    _, env = production_database(DEFAULT_URL, "bench-edit-races")
    data = prepare(args.rounds)

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=ROOT, env=env, stderr=subprocess.DEVNULL,  # each 409 is logged as a warning; the counts say it all
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):  # until a worker answers (401 without a token)
            try:
                urllib.request.urlopen(base + "/api/incidents/", timeout=5)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
        cases = {
            "incident (sensitive-data tick vs title)": [
                (f"/api/incidents/{pk}/", [("manager", "involves_sensitive_data", True),
                                          ("office", "title", f"件名の訂正 {pk}")])
                for pk in data["incidents"]
            ],
            "action (title vs description)": [
                (f"/api/actions/{pk}/", [("manager", "title", f"手順書の改訂 {pk}"),
                                        ("office", "description", f"二重チェックを追加 {pk}")])
                for pk in data["actions"]
            ],
        }
        outcomes = {name: [(path, edits, race_round(base, data["tokens"], path, edits)) for path, edits in rounds]
                    for name, rounds in cases.items()}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    from incidents.models import Action, Incident, TrackKind

    failed = False
    print(f"gunicorn, {WORKERS} workers, PostgreSQL; {args.rounds} rounds per case, two editors each")
    for name, rounds in outcomes.items():
        lost = errors = conflicts = both_saved = 0
        latencies = []
        for path, edits, results in rounds:
            pk = int(path.rstrip("/").rsplit("/", 1)[1])
            stored = (Incident if "incidents" in path else Action).objects.get(pk=pk)
            codes = [status for status, _elapsed in results]
            latencies.extend(elapsed for _status, elapsed in results)
            errors += sum(code not in (200, 409) for code in codes)
            conflicts += codes.count(409)
            both_saved += codes == [200, 200]
            for (_user, field, value), code in zip(edits, codes, strict=True):
                if code == 200 and getattr(stored, field) != value:
                    lost += 1
            if isinstance(stored, Incident) and stored.involves_sensitive_data:
                pending = set(stored.tracks.pending().values_list("kind", flat=True))
                if not {TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL} <= pending:
                    lost += 1
        requests_sent = 2 * len(rounds)
        print(f"\n{name}")
        print(f"  lost updates:              {lost}")
        print(f"  server errors (not 200/409): {errors}")
        print(f"  409 answers:               {conflicts} of {requests_sent} PATCHes ({conflicts / requests_sent:.0%}), "
              f"in {conflicts} of {len(rounds)} rounds")
        print(f"  rounds with both saved:    {both_saved}")
        print(f"  PATCH latency: median {statistics.median(latencies) * 1000:.0f} ms, "
              f"90th percentile {statistics.quantiles(latencies, n=10)[-1] * 1000:.0f} ms")
        failed |= bool(lost or errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
