"""The workers' cost of the day's mix in CPU instructions: a figure that does not move with the load.

    .venv/bin/python bench/mix_instructions.py                       # every GET of the mix, once per weight
    .venv/bin/python bench/mix_instructions.py --kind "incident page" --repeat 10

Timed runs on a shared machine differ by 40% from one run to the next (bench/load_mix.py);
instruction counts under valgrind's callgrind do not (the same code, data and inputs give the
same count, whatever else runs). This runs the mix's GET requests (bench/load_mix.py's MIX, each
kind as many times as its weight, or `--repeat` times one `--kind`) through Django's test
client in one process, as a worker would serve them, twice under callgrind: once warming up
only, once warming up and then serving the requests. The difference is the requests' own
instructions; printed per request. PostgreSQL's own work is not counted (it runs in its own
processes); Python's and the driver's are.

Needs `valgrind` (Debian's package) and the database `bench/load_mix.py` built (DATABASE_URL,
else `pms_bench_load` on the local cluster). Run it on two checkouts against the same
database to compare them. Each run takes a few minutes: callgrind runs the code about fifty
times slower.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pms_bench_load"


def serve(kind: str | None, repeat: int, measured: bool) -> None:
    """Inside callgrind: warm every kind up, then (if `measured`) serve the requests."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from knox.models import AuthToken

    from bench.load_mix import MIX
    from incidents.models import Action, Incident

    incidents = list(Incident.objects.filter(reference__startswith="INC-B-").order_by("pk")
                     .values_list("pk", flat=True)[:400])
    actions = list(Action.objects.filter(reference__startswith="ACT-B-").order_by("pk")
                   .values_list("pk", flat=True)[:400])
    rows = [row for row in MIX if row[3] == "GET" and (kind is None or row[0] == kind)]
    if not rows or not incidents:
        sys.exit(f"nothing to serve: kind {kind!r}, {len(incidents)} benchmark incidents (run bench/load_mix.py)")
    people = {who: get_user_model().objects.get(username=who) for who in {row[2] for row in rows}}
    clients, tokens = {}, {}
    for who, person in people.items():
        clients[who] = Client(HTTP_HOST="127.0.0.1")
        clients[who].force_login(person)
        AuthToken.objects.filter(user=person).delete()  # one token a person, whatever the runs before (load_mix.py)
        tokens[who] = AuthToken.objects.create(person)[1]

    def one(row: tuple, n: int) -> None:
        _name, _weight, who, _method, path = row
        # The same records in every run (no randomness: the count must repeat).
        url = path.format(incident=incidents[n * 37 % len(incidents)], action=actions[n * 41 % len(actions)])
        extra = {"HTTP_AUTHORIZATION": f"Token {tokens[who]}"} if url.startswith("/api/") else {}
        response = clients[who].get(url, **extra)
        if response.status_code != 200:
            sys.exit(f"{url}: {response.status_code}")

    for row in rows:
        for n in range(2):
            one(row, 1000 + n)
    if measured:
        for row in rows:
            for n in range(repeat if kind else row[1]):
                one(row, n)


def instructions(kind: str | None, repeat: int, measured: bool, env: dict) -> int:
    with tempfile.TemporaryDirectory() as folder:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/out",
                   sys.executable, __file__, "--inside", "--repeat", str(repeat)]
        if kind:
            command += ["--kind", kind]
        if measured:
            command.append("--measured")
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        found = re.findall(r"Collected : (\d+)", done.stderr)
        if done.returncode != 0 or not found:
            sys.exit(f"the run under callgrind failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return int(found[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", help="one kind of request of the mix (its name in bench/load_mix.py)")
    parser.add_argument("--repeat", type=int, default=10, help="requests of that kind (default 10)")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measured", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        serve(args.kind, args.repeat, args.measured)
        return 0
    from bench.load_mix import MIX

    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL") or DEFAULT_URL,
           "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "False", "SECRET_KEY": "bench-instructions",
           "ALLOWED_HOSTS": "127.0.0.1", "STATIC_FROM_SOURCE": "True", "PYTHONHASHSEED": "0",
           "LOG_LEVEL": "ERROR", "PYTHONWARNINGS": "ignore::UserWarning"}
    count = args.repeat if args.kind else sum(row[1] for row in MIX if row[3] == "GET")
    warm = instructions(args.kind, args.repeat, False, env)
    whole = instructions(args.kind, args.repeat, True, env)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True).stdout.strip()
    if subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, text=True,
                      capture_output=True).stdout.strip():
        head += " with uncommitted changes"
    print(f"{head}: {args.kind or 'the GET requests of the mix'}, {count} requests: "
          f"{(whole - warm) / count / 1e6:,.1f} million instructions a request "
          f"(callgrind: {warm:,} warming up, {whole:,} with the requests)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
