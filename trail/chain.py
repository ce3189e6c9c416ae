"""The hash chain through every trail and history entry.

Each entry's hash is SHA-256 over the hash of the entry before it and the entry's own
content (its table and every column but its id and its hash, as canonical JSON). Change
a value, remove an entry or insert one out of turn and the chain no longer adds up from
that point: `verify()` names each broken link.

Columns added later to a history table must not change what an old entry hashes to, so
a column holding its default (or nothing) is left out of the content.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import heapq
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.db import models

from .models import GENESIS, ChainHead

__all__ = ["BrokenLink", "chained_models", "claim", "content", "link", "seal", "seal_existing", "verify"]


def chained_models(apps=global_apps) -> list[type[models.Model]]:
    """Every model whose rows are trail entries (in a migration: the state's models)."""
    return sorted(
        (model for model in apps.get_models()
         if any(field.name == "chain_hash" for field in model._meta.concrete_fields)),
        key=lambda model: model._meta.db_table,
    )


def claim(using: str = "default", head_model=ChainHead) -> ChainHead:
    """Lock the end of the chain for this transaction and return it.

    The services claim it before they lock any record, so that two transactions never
    hold a record each while waiting for the chain (which would deadlock).
    """
    from django.db import connections

    if not connections[using].in_atomic_block:
        # Autocommit (a script, a factory): nothing to hold; each entry's own save claims it.
        return head_model.objects.using(using).get_or_create(pk=1)[0]
    head = head_model.objects.using(using).select_for_update().filter(pk=1).first()
    if head is None:  # a flushed test database: the chain starts again
        head_model.objects.using(using).get_or_create(pk=1)
        head = head_model.objects.using(using).select_for_update().get(pk=1)
    return head


def _plain(value):
    """A column value as JSON, the same before the insert and after reading it back."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        # To the millisecond, as Django's serialisers keep it: a dumpdata/loaddata copy of
        # the trail still verifies.
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, dt.time):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, sort_keys=True, default=str))
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or None
    return str(value)


def _is_default(field, value) -> bool:
    if value is None:
        return True
    if field.has_default() and not callable(field.default):
        return _plain(value) == _plain(field.default)
    return False


def content(entry) -> str:
    """The entry's own content as canonical JSON (what its hash covers besides the link)."""
    meta = type(entry)._meta
    values = {}
    for field in meta.concrete_fields:
        if field.name == "chain_hash" or (field.primary_key and isinstance(field, models.AutoField)):
            continue
        value = getattr(entry, field.attname)
        if not _is_default(field, value):
            values[field.column] = _plain(value)
    return json.dumps([meta.db_table, values], sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link(previous: str, entry) -> str:
    return hashlib.sha256(f"{previous}\n{content(entry)}".encode()).hexdigest()


def seal(entry, *, using: str = "default") -> None:
    """Give a new entry its door, actor's name, place in the chain and hash (before its insert)."""
    from .doors import current_door
    from .people import actor_name

    if entry.chain_hash:
        return
    if not entry.door:
        entry.door = current_door()
    if not entry.actor_name:
        user = _actor(entry)
        entry.actor_name = actor_name(user) if user is not None else ""
    head = claim(using)
    entry.chain_seq = head.seq + 1
    entry.chain_hash = link(head.digest, entry)
    ChainHead.objects.using(using).filter(pk=head.pk).update(seq=entry.chain_seq, digest=entry.chain_hash)


def _actor(entry):
    for name in ("by", "history_user"):
        if any(field.name == name for field in type(entry)._meta.concrete_fields):
            if getattr(entry, f"{name}_id", None) is None:
                return None
            return getattr(entry, name)
    history = getattr(entry, "history", None)  # a many-to-many snapshot: its save's actor
    return getattr(history, "history_user", None) if hasattr(history, "history_user_id") else None


@dataclass
class BrokenLink:
    position: int | None
    table: str
    entry_id: object
    problem: str

    def __str__(self) -> str:
        where = f"entry {self.position}" if self.position is not None else "the trail"
        return f"{where} ({self.table} id {self.entry_id}): {self.problem}"


def _walk(model, *, using: str) -> Iterator[tuple[int, str, object]]:
    rows = model._base_manager.using(using).filter(chain_seq__isnull=False).order_by("chain_seq")
    for entry in rows.iterator(chunk_size=2000):
        yield entry.chain_seq, model._meta.db_table, entry


def verify(*, using: str = "default", apps=global_apps) -> Iterator[BrokenLink]:
    """Walk the whole chain in order; yield each broken link (nothing when it holds)."""
    chained = chained_models(apps)
    for model in chained:
        unsealed = model._base_manager.using(using).filter(chain_seq__isnull=True)
        for pk in unsealed.values_list("pk", flat=True)[:20]:
            yield BrokenLink(None, model._meta.db_table, pk, "entry has no place in the chain")
    previous, expected_seq = GENESIS, 1
    for seq, table, entry in heapq.merge(*(_walk(model, using=using) for model in chained), key=lambda row: row[0]):
        if seq != expected_seq:
            missing = f"entry {expected_seq}" if seq == expected_seq + 1 else f"entries {expected_seq}–{seq - 1}"
            yield BrokenLink(seq, table, entry.pk, f"{missing} missing before it (removed?)")
        computed = link(previous, entry)
        if computed != entry.chain_hash:
            yield BrokenLink(
                seq, table, entry.pk,
                f"hash does not match its content and the entry before it: stored {entry.chain_hash}, "
                f"expected {computed}",
            )
        # Go on from the stored hash: one changed entry is one broken link, not all after it.
        previous, expected_seq = entry.chain_hash, seq + 1
    head = ChainHead.objects.using(using).filter(pk=1).first()
    if head is not None and (head.seq, head.digest) != (expected_seq - 1, previous):
        yield BrokenLink(
            head.seq, "trail_chainhead", 1,
            f"the end of the trail is entry {head.seq} ({head.digest}), but the last entry found is "
            f"{expected_seq - 1} ({previous}): entries removed from the end?",
        )


def seal_existing(apps, schema_editor) -> None:
    """A migration step: seal the entries written before the chain existed, table by table.

    Runs before the tables' append-only guards are installed (it writes each entry's seal).
    """
    from .people import actor_name

    using = schema_editor.connection.alias
    head_model = apps.get_model("trail", "ChainHead")
    head = claim(using, head_model)
    seq, digest = head.seq, head.digest
    for model in chained_models(apps):
        manager = model._base_manager.using(using)
        for entry in manager.filter(chain_seq__isnull=True).order_by("pk").iterator(chunk_size=2000):
            user = _actor(entry)
            entry.actor_name = entry.actor_name or (actor_name(user) if user is not None else "")
            seq += 1
            entry.chain_seq = seq
            entry.chain_hash = link(digest, entry)
            digest = entry.chain_hash
            manager.filter(pk=entry.pk).update(
                actor_name=entry.actor_name, chain_seq=seq, chain_hash=digest,
            )
    head_model.objects.using(using).filter(pk=head.pk).update(seq=seq, digest=digest)
