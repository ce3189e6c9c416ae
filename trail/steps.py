"""Trail entries for the steps of every state machine, and for what the system writes itself.

Every django-fsm-2 transition sends post_transition; this writes its entry (who, from
which state to which, the comment) in the transaction that saves the record.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from .models import TrailEntry

__all__ = ["entries_of", "record_step", "write_entry"]


def write_entry(record, *, transition: str, source_state, state, by=None, description=None) -> TrailEntry:
    return TrailEntry.objects.create(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk,
        transition=transition, source_state=source_state, state=state, by=by,
        description=description or None,
    )


def record_step(sender, instance, name, source, target, method_kwargs=None, exception=None, **kwargs) -> None:
    if exception is not None:
        return
    method_kwargs = method_kwargs or {}
    entry = write_entry(instance, transition=name, source_state=source, state=target,
                        by=method_kwargs.get("by"), description=method_kwargs.get("description"))
    instance._trail_step = entry.pk  # the record's next saved version belongs to this step


def entries_of(model: type, object_ids) -> QuerySet[TrailEntry]:
    """The trail entries of these records of `model`, oldest first."""
    return (
        TrailEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), object_id__in=list(object_ids))
        .select_related("by")
        .order_by("timestamp", "id")
    )
