"""Periodic jobs: the deadline reminders, the daily digest, the retry sweep.

settings.PERIODIC_JOBS names each job's function (a dotted path, imported when it runs, so
this app never imports the apps whose reminders it runs) and how often it runs. Every
worker process ticks (run_worker); the tick that moves a job's PeriodicRun.next_run_at
forward in one UPDATE enqueues it, so several workers run each job once per period.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import PeriodicRun

logger = logging.getLogger(__name__)

DEFAULT_JOBS = {
    "sweep": ("notifications.delivery.sweep", 60),
    "digests": ("notifications.digest.send_digests", 300),
}


def jobs() -> dict[str, tuple[str, int]]:
    return getattr(settings, "PERIODIC_JOBS", DEFAULT_JOBS)


def claim(name: str, every: int, *, now: dt.datetime | None = None) -> bool:
    """Whether this caller won the job's run for this period."""
    now = now or timezone.now()
    PeriodicRun.objects.get_or_create(name=name, defaults={"next_run_at": now})
    return bool(PeriodicRun.objects.filter(name=name, next_run_at__lte=now).update(
        next_run_at=now + dt.timedelta(seconds=every), last_run_at=now))


def tick(*, now: dt.datetime | None = None) -> list[str]:
    """Enqueue the jobs that are due; the names enqueued."""
    from .tasks import periodic

    enqueued = []
    for name, (_path, every) in jobs().items():
        if claim(name, every, now=now):
            periodic.enqueue(name)
            enqueued.append(name)
    return enqueued


def run_job(name: str) -> str:
    path, _every = jobs()[name]
    result = import_string(path)()
    logger.info("periodic job %s: %s", name, result)
    return str(result)


def prune_finished_tasks() -> str:
    """Forget the finished tasks of more than a week ago (the notifications keep what was sent)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - dt.timedelta(days=7)
    deleted, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=cutoff).delete()
    return f"{deleted} deleted"
