"""Check the whole trail: every entry's hash, the order, the end, and the guards."""

from __future__ import annotations

import csv
import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from trail.chain import verify
from trail.export import check_against
from trail.guard import unguarded_tables
from trail.models import ChainHead


def _read_export(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            if path.endswith(".csv"):
                return list(csv.DictReader(file))
            return json.load(file)["entries"]
    except (OSError, ValueError, KeyError) as error:
        raise CommandError(f"Cannot read the export {path}: {error}") from None


class Command(BaseCommand):
    help = (
        "Walk the trail's hash chain and print each broken link (which entry, what was expected); "
        "exit 1 if there is any, or if a trail table has lost its append-only guard."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--against", metavar="FILE",
            help="also check an export (export_trail, CSV or JSON) against the live trail",
        )

    def handle(self, *args, database="default", against=None, **options):
        # A database not yet (or not fully) migrated has no trail to check: say so, rather
        # than fail on the first table missing.
        executor = MigrationExecutor(connections[database])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise CommandError(f"The database is not migrated ({len(pending)} migrations to apply): "
                               "run `manage.py migrate` first.")
        broken = 0
        if against:
            for problem in check_against(_read_export(against)):
                broken += 1
                self.stdout.write(f"CHANGED SINCE EXPORT {problem}")
        for problem in verify(using=database):
            broken += 1
            self.stdout.write(f"BROKEN {problem}")
        for table in unguarded_tables(database):
            broken += 1
            self.stdout.write(f"UNGUARDED {table}: the database would let this trail table be changed")
        head = ChainHead.objects.using(database).filter(pk=1).first()
        entries = head.seq if head else 0
        if broken:
            raise CommandError(f"The trail is broken: {broken} problem(s) in {entries} entries.")
        self.stdout.write(f"The trail holds: {entries} entries, every link checked, every table guarded.")
        if head is not None:
            self.stdout.write(f"End of the trail: entry {head.seq}, hash {head.digest}")
