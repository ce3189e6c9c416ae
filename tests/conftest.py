"""Shared fixtures: one user per role, API clients, the admin; and what keeps one test's
state out of the next (the suite runs in random order, on several processes)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db.models.query_utils import DeferredAttribute
from django.utils import translation
from rest_framework.test import APIClient

from tests.incidents.factories import DepartmentFactory, UserFactory


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the site's language (Japanese) and leaves it so.

    LocaleMiddleware activates the language of each request in the thread that serves it
    and nothing deactivates it afterwards; in a test that thread is the test's own, so one
    request in English used to leave English active for whatever test came next."""
    translation.deactivate()
    yield
    translation.deactivate()


def pytest_terminal_summary(terminalreporter, config):
    """The random order's seed, at the end where a failure is read (with -q pytest-randomly's own
    header line is not shown)."""
    seed = config.getoption("randomly_seed", default=None)
    if isinstance(seed, int):
        terminalreporter.write_line(
            f"Random order, seed {seed}: replay it with --randomly-seed={seed} (file order: -p no:randomly)"
        )


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded files go to the test's own folder, never to the project's media/ that every
    test process would share (and that would outlive the test)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def run_tasks(max_tasks: int | None = None) -> None:
    """Run every task that is ready now, as the worker (manage.py run_worker) would, then return.

    The worker closes stale connections between tasks; inside a test's transaction Django
    would take that for a stale one, so that one step is left out here."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=max_tasks, worker_id="test-worker", excluded_queue_names=[])
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        worker.run()


@pytest.fixture(scope="session", autouse=True)
def no_stray_connections_at_the_end(django_db_setup, django_db_blocker):
    """Let the test database be dropped at the end of the run: on PostgreSQL a connection a
    server thread left open (a live-server or concurrency test's) would keep it, and every run
    would leave one database behind."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture(scope="module")
def demo_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo group seeded once for a whole test module; what seed_demo printed.

    Seeding takes seconds and dozens of tests only read what it made, so the module's tests
    share one seed: it is written inside a transaction that stays open until the module's last
    test and is then rolled back. Each test still runs in its own savepoint within it (the `db`
    fixture), so what one test changes is undone before the next. Only for modules whose every
    test wants the demo: a test there that asks for an empty database would find it seeded.
    The module's tests are kept on one worker (`xdist_group`, `make test` runs --dist
    loadgroup), so the demo is seeded once per module, not once per worker."""
    from io import StringIO

    from django.core.management import call_command
    from django.db import transaction
    from django.test import override_settings

    media_root = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        out = StringIO()
        with override_settings(MEDIA_ROOT=media_root):
            call_command("seed_demo", stdout=out)
    try:
        yield {"output": out.getvalue(), "media_root": media_root}
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(demo_once, db, settings):
    """The module's seeded demo (demo_once) for one test, its files where the seed wrote them."""
    settings.MEDIA_ROOT = demo_once["media_root"]
    return demo_once["output"]


@pytest.fixture
def worker():
    """worker() runs the queued tasks (the notifications' mails) as the real worker does."""
    return run_tasks


@pytest.fixture
def no_lazy_columns(monkeypatch):
    """Fails the test when a column left out of a query (QuerySet.only) is read afterwards, at a
    query per record: Django loads such a column only through DeferredAttribute.__get__."""
    load = DeferredAttribute.__get__

    def refuse(self, instance, cls=None):
        if instance is not None and self.field.attname not in instance.__dict__:
            raise AssertionError(f"{type(instance).__name__}.{self.field.attname} was not read with the row")
        return load(self, instance, cls)

    monkeypatch.setattr(DeferredAttribute, "__get__", refuse)


@pytest.fixture
def sales(db):
    return DepartmentFactory(code="SALES", name="営業部")


@pytest.fixture
def it_dept(db):
    return DepartmentFactory(code="IT", name="情報システム部")


@pytest.fixture
def staff(sales):
    """A staff member of the sales department."""
    return UserFactory(username="staff", roles=["staff"], department=sales)


@pytest.fixture
def other_staff(it_dept):
    """A staff member of another department: an outsider to `staff`'s records."""
    return UserFactory(username="other_staff", roles=["staff"], department=it_dept)


@pytest.fixture
def manager(it_dept):
    """The PMS manager (個人情報保護管理者)."""
    return UserFactory(username="manager", roles=["staff", "pms_manager"], department=it_dept)


@pytest.fixture
def office(it_dept):
    """A second member of the PMS office, who can close what the manager implemented."""
    return UserFactory(username="office", roles=["staff", "pms_manager"], department=it_dept)


@pytest.fixture
def head(sales):
    """The head of the sales department."""
    user = UserFactory(username="head", roles=["staff", "department_head"], department=sales)
    sales.head = user
    sales.save()
    return user


@pytest.fixture
def executive(it_dept):
    return UserFactory(username="executive", roles=["executive"], department=it_dept)


@pytest.fixture
def auditor(it_dept):
    return UserFactory(username="auditor", roles=["staff", "auditor"], department=it_dept)


@pytest.fixture
def superuser(db):
    """A Django superuser who holds no PMS role."""
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as(api):
    """api_as(user) -> an APIClient authenticated as that user."""

    def login(user):
        api.force_authenticate(user=user)
        return api

    return login


@pytest.fixture
def admin_client(client):
    """admin_client(user) -> the test client logged in as that user, asking for English so
    that messages can be compared. (Replaces pytest-django's fixture of the same name.)"""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def login(user):
        client.force_login(user)
        return client

    return login


def pytest_configure(config):
    """Tests that commit (transactional_db) are cleaned up with `flush` and get the migrations'
    data back by deserialising it: on SQLite those are a DELETE of every table and an UPDATE
    before each INSERT, which the trail's append-only guard refuses. The suite lifts the guard
    for those two only (PostgreSQL's flush is a TRUNCATE, which the guard allows)."""
    from django.core.management.commands import flush
    from django.db.backends.base.creation import BaseDatabaseCreation

    from trail.guard import lifted

    if getattr(flush.Command.handle, "lifts_trail_guard", False):
        return
    handle = flush.Command.handle
    deserialize = BaseDatabaseCreation.deserialize_db_from_string

    def handle_with_guard_lifted(self, **options):
        with lifted(options.get("database") or "default"):
            return handle(self, **options)

    def deserialize_with_guard_lifted(self, data):
        with lifted(self.connection.alias):
            return deserialize(self, data)

    handle_with_guard_lifted.lifts_trail_guard = True
    flush.Command.handle = handle_with_guard_lifted
    BaseDatabaseCreation.deserialize_db_from_string = deserialize_with_guard_lifted
