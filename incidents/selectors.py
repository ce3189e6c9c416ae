"""Read queries shared by the web UI and the API."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django_fsm_log.models import StateLog

from .models import Action, Incident


def incident_list(*, user) -> QuerySet[Incident]:
    return (
        Incident.objects.visible_to(user)
        .select_related("reporter", "department", "event_class", "cause", "rule_set")
    )


def action_list(*, user) -> QuerySet[Action]:
    return Action.objects.visible_to(user).select_related(
        "owner", "verifier", "department", "incident", "created_by"
    )


def trail(record) -> QuerySet[StateLog]:
    """The transition trail of a record, oldest first (who, when, from, to, comment)."""
    return (
        StateLog.objects.filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)
        .select_related("by")
        .order_by("timestamp", "id")
    )
