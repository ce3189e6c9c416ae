"""The trail as an auditor takes it away: a record's entries or a period's, with their hashes.

Each exported entry carries its place in the chain, the hash of the entry before it, its
own content exactly as hashed, and its hash, so the export can be checked on its own
(SHA-256 of previous hash, a newline and the content gives the hash) and later against
the live chain (`manage.py verify_trail --against FILE`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max, Min
from django.utils import timezone

from .chain import chained_models, content
from .models import GENESIS, TrailEntry

__all__ = ["COLUMNS", "as_csv", "as_json", "period_entries", "record_entries", "rows"]

COLUMNS = ["position", "table", "entry_id", "when", "actor", "door", "record", "what", "previous_hash", "hash",
           "content"]


def _when_field(model) -> str | None:
    names = {field.name for field in model._meta.concrete_fields}
    return "timestamp" if "timestamp" in names else "history_date" if "history_date" in names else None


def _all_between(first: int, last: int) -> list:
    entries = []
    for model in chained_models():
        entries.extend(model._base_manager.filter(chain_seq__gte=first, chain_seq__lte=last))
    return sorted(entries, key=lambda entry: entry.chain_seq)


def period_entries(start: dt.date, end: dt.date) -> list:
    """Every entry written from `start` to `end` (local dates, inclusive), in chain order."""
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    bounds = []
    for model in chained_models():
        when = _when_field(model)
        if when is None:
            continue  # many-to-many snapshots: they come with their row, between the bounds
        found = model._base_manager.filter(**{f"{when}__gte": since, f"{when}__lt": until}).aggregate(
            first=Min("chain_seq"), last=Max("chain_seq"))
        if found["first"] is not None:
            bounds.append((found["first"], found["last"]))
    if not bounds:
        return []
    return _all_between(min(b[0] for b in bounds), max(b[1] for b in bounds))


def record_entries(record) -> list:
    """A record's step entries and saved versions (with their many-to-many snapshots), in chain order."""
    entries = list(TrailEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk))
    history = getattr(type(record), "history", None)
    if history is not None:
        versions = list(record.history.all())
        entries.extend(versions)
        for model in chained_models():  # the many-to-many snapshots of those versions
            snapshot_of = next((f.related_model for f in model._meta.concrete_fields if f.name == "history"), None)
            if snapshot_of is history.model:
                entries.extend(model._base_manager.filter(history__in=versions))
    return sorted((e for e in entries if e.chain_seq is not None), key=lambda entry: entry.chain_seq)


def _previous_hashes(entries) -> dict[int, str]:
    wanted = {entry.chain_seq - 1 for entry in entries} - {entry.chain_seq for entry in entries} - {0}
    found = {}
    for model in chained_models():
        found.update(model._base_manager.filter(chain_seq__in=wanted).values_list("chain_seq", "chain_hash"))
    found[0] = GENESIS
    for entry in entries:
        found[entry.chain_seq] = entry.chain_hash
    return found


def _what(entry) -> str:
    if isinstance(entry, TrailEntry):
        return f"{entry.transition}: {entry.source_state or '—'} → {entry.state}"
    kind = {"+": "created", "~": "changed", "-": "deleted"}.get(getattr(entry, "history_type", ""), "")
    return kind or "related records"


def _record(entry) -> str:
    if isinstance(entry, TrailEntry):
        return f"{entry.content_type.app_label}.{entry.content_type.model}:{entry.object_id}"
    if hasattr(entry, "instance_type"):
        model = entry.instance_type
        return f"{model._meta.app_label}.{model._meta.model_name}:{getattr(entry, model._meta.pk.attname, '')}"
    return ""


def _when(entry):
    value = getattr(entry, "timestamp", None) or getattr(entry, "history_date", None)
    return timezone.localtime(value).isoformat() if value else ""


def rows(entries) -> list[dict]:
    previous = _previous_hashes(entries)
    return [
        {
            "position": entry.chain_seq, "table": entry._meta.db_table, "entry_id": entry.pk, "when": _when(entry),
            "actor": entry.actor_name, "door": entry.door, "record": _record(entry), "what": _what(entry),
            "previous_hash": previous.get(entry.chain_seq - 1, ""), "hash": entry.chain_hash, "content": content(entry),
        }
        for entry in entries
    ]


def as_json(entries) -> str:
    return json.dumps({"format": "pms-trail-1", "entries": rows(entries)}, ensure_ascii=False, indent=1)


def as_csv(entries) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with a byte-order mark as UTF-8 (Japanese names stay readable)
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows(entries))
    return out.getvalue()


def check_against(exported: list[dict]) -> list[str]:
    """Each exported entry that the live chain no longer holds as it was."""
    problems = []
    live = {}
    positions = [int(row["position"]) for row in exported]
    for model in chained_models():
        live.update({seq: (model._meta.db_table, digest) for seq, digest in
                     model._base_manager.filter(chain_seq__in=positions).values_list("chain_seq", "chain_hash")})
    for row in exported:
        position = int(row["position"])
        found = live.get(position)
        if found is None:
            problems.append(f"entry {position} ({row['table']} id {row['entry_id']}): no longer in the trail")
        elif found != (row["table"], row["hash"]):
            problems.append(
                f"entry {position} ({row['table']} id {row['entry_id']}): exported hash {row['hash']}, "
                f"live {found[1]} in {found[0]}"
            )
    return problems
