"""Cold start: from a clean clone to the login page answering, as a newcomer meets it.

    python3 bench/cold_start.py              # clones this checkout's HEAD, runs `make run`
    python3 bench/cold_start.py --runs 3     # three clean clones, one after the other

Each run clones the committed HEAD into a new temporary folder (nothing of this checkout's
`.venv` or database is reused), starts `make run PORT=…` there with the default SQLite
database, and stamps the moment make starts each step of its recipe: the virtual
environment, the install, the migrations, the demo seeder, the trail check, the server. Once
the server is started it asks for `/accounts/login/` until the answer is 200. Prints each
step's seconds and the whole, then stops the server and the worker and removes the folder.

The package downloads count: their time depends on the index and its caches (uv keeps one in
~/.cache/uv, pip in ~/.cache/pip; --no-cache installs without either, as a new machine would). Traffic goes to 127.0.0.1 only, but for
the package index the install reaches.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
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

# The first words of the command make echoes for each step of `make run`, in order.
STEPS = [
    ("virtual environment", "python3 -m venv"),
    ("install (the project and its packages)", ".venv/bin/python -m pip install"),
    ("migrations", ".venv/bin/python manage.py migrate"),
    ("secret key", ".venv/bin/python -c"),
    ("demo seeder", ".venv/bin/python manage.py seed_demo"),
    ("trail check", ".venv/bin/python manage.py verify_trail"),
    ("server start", "Open http://"),
]


def login_answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/accounts/login/", headers={"Host": "127.0.0.1"})
        status = connection.getresponse().status
        connection.close()
        return status == 200
    except OSError:
        return False


def one_run(no_cache: bool) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="pms-cold-"))
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV"}}
    if no_cache:
        env.update(UV_NO_CACHE="1", PIP_NO_CACHE_DIR="1")
    port = free_port()
    began = time.perf_counter()
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(folder / "pms")], check=True)
    stamps: dict[str, float] = {"clone": time.perf_counter() - began}
    make = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=folder / "pms", env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    log = folder / "make.log"

    def read() -> None:
        with log.open("w") as out:
            for line in make.stdout:
                out.write(line)
                for name, start in STEPS:
                    if line.lstrip().startswith(start) and name not in stamps:
                        stamps[name] = time.perf_counter() - began

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while not login_answers(port):
            if make.poll() is not None:
                sys.exit(f"make run stopped ({make.returncode}); its output: {log}")
            time.sleep(0.1)
        stamps["login page"] = time.perf_counter() - began
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=30)
    shutil.rmtree(folder, ignore_errors=True)
    return stamps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="clean clones, one after the other (default 1)")
    parser.add_argument("--no-cache", action="store_true", help="install without uv's or pip's download cache")
    args = parser.parse_args()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True).stdout.strip()
    print(f"cold start of {head}: {os.cpu_count()} CPUs, {sys.version.split()[0]}, SQLite, "
          f"{'no download cache' if args.no_cache else 'download caches as found'}")
    runs = [one_run(args.no_cache) for _ in range(args.runs)]
    order = ["clone"] + [name for name, _ in STEPS] + ["login page"]
    print(f"\n  {'step':<46}" + "".join(f"{f'run {n + 1}':>9}" for n in range(len(runs))) + "   median")
    for index, name in enumerate(order):
        # A step lasts from its own stamp to the next one's (the last: until the page answered).
        lasted = []
        for stamps in runs:
            following = next((stamps[later] for later in order[index + 1:] if later in stamps), None)
            if name in stamps and following is not None:
                lasted.append(following - stamps[name] if name != "clone" else stamps[name])
        if name == "login page" or not lasted:
            continue
        print(f"  {name:<46}" + "".join(f"{value:9.1f}" for value in lasted) + f"{statistics.median(lasted):9.1f}")
    totals = [stamps["login page"] for stamps in runs]
    print(f"  {'clone to login page':<46}" + "".join(f"{value:9.1f}" for value in totals)
          + f"{statistics.median(totals):9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
