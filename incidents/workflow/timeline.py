"""A record's timeline: the steps people took and every field they changed, in one list.

Steps come from the trail (trail.TrailEntry), field changes from the record's saved
versions (django-simple-history): each version is compared with the one before it. A
version saved by a step (marked "step:<entry id>" by trail.history) belongs to that step:
the fields the step wrote are listed under it rather than as a separate edit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from trail.models import TrailEntry
from trail.steps import entries_of

from .service import trail_label
from .versions import IGNORED, display_value

__all__ = ["Change", "Moment", "log_moments", "related_timeline", "timeline", "version_moment"]

# What a version row says about itself, not about the record.
_NOT_CONTENT = IGNORED | {"state"}


@dataclass
class Change:
    field: str
    label: str
    old: object
    new: object
    old_display: str
    new_display: str

    @property
    def long(self) -> bool:
        return any(len(text) > 60 or "\n" in text for text in (self.old_display, self.new_display))


@dataclass
class Moment:
    """One line of the timeline: a step, an edit, the record's creation, or an entry of a log
    kept beside the record (a progress entry, told at the time it tells of)."""

    kind: str  # "step", "edit", "created", "deleted", "log"
    at: dt.datetime
    by: object  # the user, or None
    actor_name: str  # the name as it was then
    door: str
    label: str
    subject: str | None = None  # a related record's name, when merged into another's timeline
    transition: str | None = None
    source_state: str | None = None
    state: str | None = None
    source_display: str | None = None
    state_display: str | None = None
    comment: str | None = None
    changes: list[Change] = field(default_factory=list)
    position: int | None = None
    hash: str = ""
    entry: object = None
    recorded_at: dt.datetime | None = None  # a log entry: when it was written (`at`: what it tells of)
    files: list = field(default_factory=list)  # a log entry's files, as the reader may download them

    @property
    def creation(self) -> bool:
        return self.kind == "created" or (self.kind == "step" and self.source_state is None)

    @property
    def note(self) -> bool:
        """A note the system wrote (what it recomputed), not a step someone took."""
        return self.kind == "step" and self.source_state is not None and self.source_state == self.state

    def sort_key(self):
        return (self.at, self.position or 0)

    @property
    def shown_changes(self) -> list[Change]:
        """The changes worth reading on a page: not the stamps that only repeat this line's
        who and when (recorded by X at T, on X's line at T). The API keeps them all."""
        return [change for change in self.changes if not self._is_stamp(change)]

    def _is_stamp(self, change: Change) -> bool:
        if change.old not in (None, ""):
            return False
        if isinstance(change.new, dt.datetime):
            return abs((change.new - self.at).total_seconds()) < 60
        return self.by is not None and change.new == self.by.pk and change.field.endswith("_by")


def _fields(model) -> list:
    kept = {f.name for f in model.history.model._meta.fields}
    return [f for f in model._meta.concrete_fields if f.name not in _NOT_CONTENT and f.name in kept]


def _many(model) -> list:
    return list(getattr(model.history.model, "_history_m2m_fields", []))


def _ids(row, many_field) -> list:
    return sorted(getattr(row, many_field.name).values_list(f"{many_field.m2m_reverse_field_name()}_id", flat=True))


def _changes(record, previous, row) -> list[Change]:
    model = type(record)
    changes = []
    for f in _fields(model):
        old, new = getattr(previous, f.attname), getattr(row, f.attname)
        if old != new:
            changes.append(Change(f.name, str(f.verbose_name), old, new,
                                  display_value(record, f.name, old), display_value(record, f.name, new)))
    for f in _many(model):
        old, new = _ids(previous, f), _ids(row, f)
        if old != new:
            changes.append(Change(f.name, str(f.verbose_name), old, new,
                                  display_value(record, f.name, old), display_value(record, f.name, new)))
    return changes


def _step(entry: TrailEntry, model, subject=None) -> Moment:
    states = dict(model._meta.get_field("state").flatchoices) if _has_state(model) else {}
    return Moment(
        kind="step", at=entry.timestamp, by=entry.by, actor_name=entry.actor_name, door=entry.door,
        label=str(trail_label(model, entry.transition)), subject=subject, transition=entry.transition,
        source_state=entry.source_state, state=entry.state,
        source_display=str(states.get(entry.source_state, entry.source_state)) if entry.source_state else None,
        state_display=str(states.get(entry.state, entry.state)), comment=entry.description,
        position=entry.chain_seq, hash=entry.chain_hash, entry=entry,
    )


def _has_state(model) -> bool:
    return any(f.name == "state" for f in model._meta.concrete_fields)


def timeline(record, *, subject=None) -> list[Moment]:
    """Everything that happened to `record`, oldest first."""
    return related_timeline([record], subject=lambda _record: subject)


def related_timeline(records, *, subject=lambda record: None, labels=None) -> list[Moment]:
    """The timelines of several records of one model in a few queries, merged, oldest first.

    `subject(record)` names each record's lines when they join another record's timeline
    (a checklist item's results on its audit's); `labels` renames kinds ("created" of a
    file is "File added").
    """
    records = list(records)
    if not records:
        return []
    model = type(records[0])
    pks = [record.pk for record in records]
    steps: dict[int, dict[int, Moment]] = {pk: {} for pk in pks}
    for entry in entries_of(model, pks):
        record = next(r for r in records if r.pk == entry.object_id)
        steps[entry.object_id][entry.pk] = _step(entry, model, subject(record))
    versions: dict[int, list] = {pk: [] for pk in pks}
    if getattr(model, "history", None) is not None:
        for row in model.history.filter(id__in=pks).select_related("history_user").order_by("history_date", "history_id"):
            versions[row.id].append(row)
    moments = []
    for record in records:
        moments.extend(steps[record.pk].values())
        moments.extend(_version_moments(record, versions[record.pk], steps[record.pk], subject(record), labels or {}))
    return sorted(moments, key=Moment.sort_key)


def _version_moments(record, versions, steps, subject, labels) -> list[Moment]:
    moments, previous, last = [], None, None  # last: the moment the previous version went to
    label = {"created": _("Created"), "deleted": _("Deleted"), "edit": _("Edited"), **labels}.get
    for row in versions:
        reason = row.history_change_reason or ""
        step = steps.get(int(reason[5:])) if reason.startswith("step:") and reason[5:].isdigit() else None
        # A save followed by its lists of related records set one by one: one version, several rows.
        same_save = previous is not None and getattr(row, "version", None) is not None \
            and getattr(row, "version", None) == getattr(previous, "version", None)
        if row.history_type == "-":
            last = version_moment(row, "deleted", label("deleted"), subject)
            moments.append(last)
        elif previous is None:
            # The first version: the record's creation, unless a creation step tells it already.
            last = None
            if row.history_type == "+" and not any(m.creation for m in steps.values()):
                last = version_moment(row, "created", label("created"), subject)
                moments.append(last)
        elif same_save and (last is None or last.creation):
            pass  # the rest of the creation: its first values are on the page
        else:
            changes = _changes(record, previous, row)
            target = step or (last if same_save else None)
            if target is not None:
                target.changes.extend(changes)
                last = target
            elif changes:
                last = version_moment(row, "edit", label("edit"), subject, changes)
                moments.append(last)
        previous = row
    return moments


def version_moment(row, kind, label, subject, changes=()) -> Moment:
    """A line of the timeline told by one saved version (an edit, a creation, a deletion)."""
    return Moment(
        kind=kind, at=row.history_date, by=row.history_user, actor_name=row.actor_name, door=row.door,
        label=str(label), subject=subject, changes=list(changes), position=row.chain_seq, hash=row.chain_hash,
        entry=row,
    )


def log_moments(entries, *, label, at: str = "occurred_at", text: str = "text") -> list[Moment]:
    """The entries of a log kept beside a record (an incident's progress log), as lines of
    the record's timeline, in a query: each placed at the time it tells of (`at`, which may
    be earlier than when it was written), so that it reads in order with the steps; who
    wrote it, through which door and its place in the trail come from its sealed creation
    (its first history row). `entry.files`, when set, go with the line."""
    entries = list(entries)
    if not entries:
        return []
    model = type(entries[0])
    created = {
        row.id: row for row in model.history.filter(id__in=[entry.pk for entry in entries], history_type="+")
        .select_related("history_user")
    }
    moments = []
    for entry in entries:
        row = created.get(entry.pk)
        moments.append(Moment(
            kind="log", at=getattr(entry, at), by=row.history_user if row else None,
            actor_name=row.actor_name if row else "", door=row.door if row else "", label=str(label),
            comment=getattr(entry, text), position=row.chain_seq if row else None, hash=row.chain_hash if row else "",
            entry=entry, recorded_at=row.history_date if row else None, files=list(getattr(entry, "files", []) or []),
        ))
    return sorted(moments, key=Moment.sort_key)
