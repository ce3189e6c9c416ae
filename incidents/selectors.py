"""Read queries shared by the web UI and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from trail.models import TrailEntry
from trail.steps import entries_of

from .models import Action, Incident


def incident_list(*, user) -> QuerySet[Incident]:
    return (
        Incident.objects.visible_to(user)
        .select_related("reporter", "handler", "department", "event_class", "cause", "rule_set", "company",
                        "joint_use_company")
    )


def action_list(*, user) -> QuerySet[Action]:
    return Action.objects.visible_to(user).select_related(
        "owner", "verifier", "department", "incident", "created_by", "company"
    )


def trail(record) -> QuerySet[TrailEntry]:
    """The transition trail of a record, oldest first (who, when, from, to, comment)."""
    return entries_of(type(record), [record.pk])
