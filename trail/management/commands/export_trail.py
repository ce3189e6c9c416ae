"""Export the trail of a record or of a period, with the hashes, as CSV or JSON."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from trail.export import as_csv, as_json, period_entries, record_entries


class Command(BaseCommand):
    help = (
        "Export trail entries with their hashes. Either --record app.model:id (for example "
        "incidents.incident:12) or --since/--until (dates, inclusive). Check the file later with "
        "`verify_trail --against FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--record", help="app_label.model:id")
        parser.add_argument("--since", type=dt.date.fromisoformat)
        parser.add_argument("--until", type=dt.date.fromisoformat)
        parser.add_argument("--format", choices=["csv", "json"], default="json")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, record=None, since=None, until=None, format="json", output=None, **options):
        if record:
            try:
                label, pk = record.split(":", 1)
                model = apps.get_model(label)
                entries = record_entries(model._default_manager.get(pk=pk))
            except (ValueError, LookupError) as error:
                raise CommandError(f"--record {record}: {error}") from None
            except Exception as error:  # DoesNotExist of whichever model
                raise CommandError(f"--record {record}: no such record ({error})") from None
        elif since and until:
            if since > until:
                raise CommandError("--since is after --until.")
            entries = period_entries(since, until)
        else:
            raise CommandError("Give --record, or --since and --until.")
        text = as_csv(entries) if format == "csv" else as_json(entries)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as file:
                file.write(text)
            self.stderr.write(f"{len(entries)} entries written to {output}")
        else:
            self.stdout.write(text, ending="")
