from __future__ import annotations

from django.db import models
from django_fsm import ConcurrentTransitionMixin


class StateMachineRecord(ConcurrentTransitionMixin, models.Model):
    """Base of every record with a protected `state` field.

    Model validation assigns each field back to itself, which a protected FSM field
    refuses; the state is never user input, so it is left out of validation.
    """

    class Meta:
        abstract = True

    def full_clean(self, exclude=None, validate_unique=True, validate_constraints=True):
        exclude = {*(exclude or ()), "state"}
        super().full_clean(exclude=exclude, validate_unique=validate_unique, validate_constraints=validate_constraints)
