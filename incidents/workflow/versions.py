"""What changed on a record since the version an editor saw, and who changed it.

Every versioned record keeps its history (django-simple-history): one row per save, a
snapshot of every field with the version it produced and who saved it. When an edit
arrives from a stale version, the service answers with the fields that changed since,
their value then and now, and who changed them last.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings

__all__ = ["FieldChange", "baseline_history", "changes_since", "display_value"]

# Bookkeeping that changes with every save and says nothing to the editor.
IGNORED = frozenset({"version", "updated_at", "id"})


@dataclass
class FieldChange:
    field: str
    label: str
    seen: Any
    current: Any
    changed_by: Any  # a user, or None when unknown
    changed_at: Any

    def as_dict(self) -> dict:
        return {
            "field": self.field, "label": self.label, "seen": self.seen, "current": self.current,
            "changed_by": self.changed_by, "changed_at": self.changed_at,
        }


def _tracked_fields(model) -> list:
    kept = {field.name for field in model.history.model._meta.fields}  # the history may leave some out
    return [field for field in model._meta.concrete_fields if field.name not in IGNORED and field.name in kept]


def changes_since(record, version: int) -> list[FieldChange]:
    """The fields of `record` (as stored now) that differ from what version `version` held.

    Each comes with who changed it last and when. A field changed and changed back is not
    listed. When the history does not reach back to `version` (records older than it),
    the earliest row kept stands in for it.
    """
    history = getattr(type(record), "history", None)
    if history is None:
        return []
    rows = list(
        record.history.filter(version__gte=version).select_related("history_user").order_by("version", "history_id")
    )
    if not rows:
        return []
    fields = _tracked_fields(type(record))
    many = list(getattr(type(record).history.model, "_history_m2m_fields", []))
    # A version may have several saved rows (a save, then its lists of related records set one
    # by one): what the editor saw is the last of them.
    start = max((index for index, row in enumerate(rows) if row.version == version), default=0)
    rows = rows[start:]
    seen_row = rows[0]
    last_change: dict[str, Any] = {}
    for previous, row in zip(rows, rows[1:], strict=False):
        for field in fields:
            if getattr(row, field.attname) != getattr(previous, field.attname):
                last_change[field.name] = row
        for field in many:
            if _related_ids(row, field) != _related_ids(previous, field):
                last_change[field.name] = row
    changes = []
    for field in [*fields, *many]:
        if field.name not in last_change:
            continue
        if field.many_to_many:
            seen = sorted(_related_ids(seen_row, field))
            current = sorted(getattr(record, field.name).values_list("pk", flat=True))
        else:
            seen, current = getattr(seen_row, field.attname), getattr(record, field.attname)
        if seen == current:
            continue
        row = last_change[field.name]
        changes.append(FieldChange(
            field=field.name, label=str(field.verbose_name), seen=seen, current=current,
            changed_by=row.history_user, changed_at=row.history_date,
        ))
    return changes


def _related_ids(row, field) -> set:
    """The ids a many-to-many field held in one saved version (django-simple-history's m2m_fields)."""
    return set(getattr(row, field.name).values_list(f"{field.m2m_reverse_field_name()}_id", flat=True))


def display_value(record, field_name: str, raw) -> str:
    """A stored value as people read it: a choice's label, a related record's name."""
    field = type(record)._meta.get_field(field_name)
    if raw is None or raw == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(raw, raw))
    if field.many_to_many:
        related = field.related_model._default_manager.filter(pk__in=list(raw))
        from ..models.incident import list_separator

        return list_separator().join(str(item) for item in related) or "—"
    if field.is_relation:
        related = field.related_model._default_manager.filter(pk=raw).first()
        if related is None:
            return str(raw)
        if related._meta.label == settings.AUTH_USER_MODEL:  # people by name, as on every page
            from trail.people import person_name

            return person_name(related) or related.get_username()
        return str(related)
    if isinstance(raw, dt.datetime):
        from django.utils import timezone

        return timezone.localtime(raw).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(raw) else str(raw)
    if isinstance(raw, bool):
        from django.utils.translation import gettext

        return gettext("Yes") if raw else gettext("No")
    return str(raw)


def baseline_history(app_label: str, *model_names: str):
    """A migration step: a first saved version for each record that existed before versions were kept.

    Without it, an edit from the version a record had then could not say what changed since.
    """
    def forwards(apps, schema_editor):
        from django.utils import timezone

        now = timezone.now()
        for name in model_names:
            model = apps.get_model(app_label, name)
            historical = apps.get_model(app_label, f"Historical{name}")
            names = {field.attname for field in historical._meta.concrete_fields}
            rows = [
                historical(
                    **{field.attname: getattr(record, field.attname) for field in model._meta.concrete_fields
                       if field.attname in names},
                    history_date=now, history_type="~", history_change_reason="history starts",
                )
                for record in model.objects.all().iterator()
            ]
            historical.objects.bulk_create(rows, batch_size=500)

    return forwards
