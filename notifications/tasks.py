"""The work the task runner does (django-tasks; the database backend's queue in production).

Arguments are ids, never records: the worker reads the row as it is when it runs.
"""

from __future__ import annotations

from django_tasks import task

from . import delivery
from .periodic import run_job


@task()
def deliver_mail(notification_id: int) -> str:
    return delivery.deliver_mail(notification_id)


@task()
def post_to_channel(post_id: int) -> str:
    return delivery.post_to_channel(post_id)


@task()
def periodic(name: str) -> str:
    return run_job(name)
