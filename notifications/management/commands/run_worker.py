"""The task worker: delivers notifications and runs the periodic jobs.

    manage.py run_worker                 # one worker (make run starts one beside the server)
    manage.py run_worker --tick 30       # how often this worker looks for due periodic jobs

It is django-tasks-db's db_worker plus a thread that ticks the periodic jobs. Run as many as
you like, on one machine or several: each task is claimed by one worker (the database's
row lock), and each periodic job is run by one of them per period (periodic.claim).
"""

from __future__ import annotations

import logging
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from ...periodic import tick

logger = logging.getLogger("notifications")


class Command(BaseCommand):
    help = "Deliver notifications (mail, chat) and run the reminders and digests: the task worker."

    def add_arguments(self, parser):
        parser.add_argument("--tick", type=float, default=30.0,
                            help="Seconds between two looks for due periodic jobs (default 30).")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds the worker waits when the queue is empty (default 1).")
        parser.add_argument("--no-periodic", action="store_true",
                            help="Deliver only; leave the periodic jobs to other workers.")
        parser.add_argument("--worker-id", default=None,
                            help="A name unique among the running workers (default: a random one).")

    def handle(self, *args, tick: float, interval: float, no_periodic: bool, worker_id: str | None, **options):
        if not no_periodic:
            stop = threading.Event()
            thread = threading.Thread(target=self._ticker, args=(tick, stop), name="periodic", daemon=True)
            thread.start()
        worker = {"worker_id": worker_id} if worker_id else {}
        # No autoreload (db_worker's default under DEBUG): a task is never cut off mid-send.
        call_command("db_worker", interval=interval, reload=False, verbosity=options.get("verbosity", 1), **worker)

    def _ticker(self, every: float, stop: threading.Event) -> None:
        while not stop.is_set():
            close_old_connections()
            try:
                tick()
            except Exception:  # a locked or restarting database: try again next tick
                logger.exception("periodic tick failed")
            finally:
                connection.close()
            stop.wait(every)
