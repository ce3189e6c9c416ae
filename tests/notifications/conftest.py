from unittest import mock

import pytest
from django_tasks_db.management.commands.db_worker import Worker


def run_tasks(max_tasks: int | None = None) -> None:
    """Run every task that is ready now, as the worker (manage.py run_worker) would, then return.

    The worker closes stale connections between tasks; inside a test's transaction Django
    would take that for a stale one, so that one step is left out here."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        _worker(max_tasks).run()


def _worker(max_tasks):
    return Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=max_tasks, worker_id="test-worker", excluded_queue_names=[])


@pytest.fixture
def worker():
    return run_tasks
