"""The trail is append-only in the database and tamper-evident through its hash chain."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient

from incidents import services
from incidents.models import Incident
from tests.incidents.factories import reported_incident
from tests.threads import race
from trail.chain import chained_models, verify
from trail.guard import lifted, unguarded_tables
from trail.models import AppendOnly, ChainHead, TrailEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited(staff, manager):
    incident = reported_incident(staff)
    return services.incident_update(incident=incident, version=incident.version, by=manager, title="件名の訂正")


@pytest.fixture
def unguarded():
    """What a database superuser could do: write with the guard switched off."""
    def run(sql, params=()):
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
                    cursor.execute(sql, params)
            else:
                with lifted(), connection.cursor() as cursor:
                    cursor.execute(sql, params)
    return run


def verify_trail() -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("verify_trail", stdout=out)
    except CommandError as error:
        return 1, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_every_trail_and_history_table_is_guarded():
    tables = {model._meta.db_table for model in chained_models()}
    assert {"trail_trailentry", "incidents_historicalincident", "incidents_historicalaction",
            "audits_historicalfinding", "trail_historicaluser", "incidents_historicalattachment",
            "audits_historicalrequirement", "incidents_historicalruleset", "trail_historicalgroup"} <= tables
    assert unguarded_tables() == []


@pytest.mark.parametrize("table", ["trail_trailentry", "incidents_historicalincident"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET actor_name = 'someone else'", "DELETE FROM {table}"])
def test_the_database_refuses_to_change_or_remove_an_entry(edited, table, statement):
    with pytest.raises(DatabaseError, match="append-only|Cannot update or delete"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement.format(table=table))
    assert TrailEntry.objects.filter(actor_name="someone else").count() == 0


def test_the_orm_refuses_too(edited):
    entry = TrailEntry.objects.first()
    with pytest.raises(AppendOnly):
        TrailEntry.objects.filter(pk=entry.pk).update(description="書き換え")
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises((AppendOnly, DatabaseError)), transaction.atomic():
        Incident.history.all().delete()  # simple-history's own queryset: the database refuses
    assert Incident.history.exists()


def test_an_untouched_trail_verifies(edited):
    code, output = verify_trail()
    assert code == 0, output
    assert "every link checked" in output


def test_a_changed_entry_is_named_with_what_was_expected(edited, unguarded):
    row = Incident.history.get(title="件名の訂正")
    unguarded(f"UPDATE {row._meta.db_table} SET title = %s WHERE history_id = %s", ["別の件名", row.history_id])
    code, output = verify_trail()
    assert code == 1
    assert f"entry {row.chain_seq} (incidents_historicalincident id {row.history_id})" in output
    assert "expected" in output and "stored" in output
    assert output.count("BROKEN") == 1  # the next entries still link to the stored hash


def test_a_removed_entry_and_a_removed_end_are_found(edited, unguarded):
    entries = list(TrailEntry.objects.order_by("chain_seq"))
    unguarded("DELETE FROM trail_trailentry WHERE id = %s", [entries[0].pk])
    problems = [str(problem) for problem in verify()]
    assert any(f"entry {entries[0].chain_seq} missing" in p for p in problems), problems
    last = max((m._base_manager.order_by("-chain_seq").first() for m in chained_models()
                if m._base_manager.exists()), key=lambda e: e.chain_seq)
    unguarded(f"DELETE FROM {last._meta.db_table} WHERE {last._meta.pk.column} = %s", [last.pk])
    assert any("end of the trail" in str(p) for p in verify())


def test_an_export_is_checked_later_against_the_live_trail(edited, unguarded, tmp_path):
    path = tmp_path / "trail.json"
    call_command("export_trail", record=f"incidents.incident:{edited.pk}", output=str(path))
    exported = json.loads(path.read_text(encoding="utf-8"))["entries"]
    assert exported and all(len(row["hash"]) == 64 for row in exported)
    # The file checks itself: each hash is SHA-256 of the previous hash and the content.
    import hashlib

    for row in exported:
        assert hashlib.sha256(f"{row['previous_hash']}\n{row['content']}".encode()).hexdigest() == row["hash"]
    call_command("verify_trail", against=str(path), stdout=__import__("io").StringIO())
    row = Incident.history.filter(id=edited.pk).order_by("history_id").first()
    unguarded(f"UPDATE {row._meta.db_table} SET title = %s WHERE history_id = %s", ["改ざん", row.history_id])
    with pytest.raises(CommandError):
        call_command("verify_trail", against=str(path), stdout=__import__("io").StringIO())


def test_a_period_is_exported_as_csv_with_the_hashes(edited, tmp_path):
    import csv
    import datetime as dt

    path = tmp_path / "trail.csv"
    today = dt.date.today()
    call_command("export_trail", since=today - dt.timedelta(days=1), until=today + dt.timedelta(days=1),
                 format="csv", output=str(path))
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert len(rows) == ChainHead.objects.get().seq - _migration_entries(rows)
    assert [int(row["position"]) for row in rows] == sorted(int(row["position"]) for row in rows)


def _migration_entries(rows) -> int:
    """Entries the migrations wrote (the catalogue, the rule sets) are dated when the test database was built."""
    return ChainHead.objects.get().seq - len(rows)


def test_signing_in_is_not_an_edit_of_the_user(client, staff):
    User = get_user_model()
    staff.set_password("pw-for-the-test-1")
    staff.save()
    before = User.history.filter(id=staff.pk).count()
    assert client.login(username="staff", password="pw-for-the-test-1")
    assert User.history.filter(id=staff.pk).count() == before
    assert User.objects.get(pk=staff.pk).last_login is not None
    assert "password" not in {f.name for f in User.history.model._meta.fields}


def test_a_role_given_in_the_admin_is_in_the_users_history(admin_client, superuser, staff):
    from django.contrib.auth.models import Group

    staff.groups.add(Group.objects.get(name="auditor"))
    rows = list(get_user_model().history.filter(id=staff.pk).order_by("history_id"))
    assert "auditor" in [g.name for g in Group.objects.filter(
        pk__in=rows[-1].groups.values_list("group_id", flat=True))]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writers_at_once_never_fork_the_chain(staff, manager, office, head):
    incidents = [reported_incident(staff) for _ in range(4)]

    def edit(incident, by, title):
        def call():
            client = APIClient()
            client.force_authenticate(by)
            return client.patch(f"/api/incidents/{incident.pk}/", {"version": incident.version, "title": title},
                                format="json").status_code
        return call

    for round_ in range(3):
        fresh = [Incident.objects.get(pk=i.pk) for i in incidents]
        outcomes = race(*[edit(incident, by, f"訂正{round_}-{n}")
                          for n, (incident, by) in enumerate(zip(fresh, [manager, office, manager, office], strict=True))])
        assert outcomes == [200] * 4, outcomes
    assert list(verify()) == []
    assert ChainHead.objects.get().seq == sum(m._base_manager.count() for m in chained_models())


def test_an_unmigrated_database_is_told_to_migrate_first(tmp_path):
    """Not a traceback about a missing table: what to do."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run([sys.executable, "manage.py", "verify_trail"], cwd=Path(__file__).resolve().parents[2],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "The database is not migrated" in done.stderr and "run `manage.py migrate` first" in done.stderr
    assert "Traceback" not in done.stderr

