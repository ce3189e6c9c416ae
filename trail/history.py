"""History of every field of a record, sealed into the trail (django-simple-history).

`history = TrailedHistory()` on a model keeps one row per save; each row is a
trail.models.ChainedEntry: it says through which door the change came and who made it
(by name as it was then), carries its place in the hash chain, and the database refuses
to change or remove it.
"""

from __future__ import annotations

from simple_history.models import HistoricalRecords

from .models import ChainedEntry, append_only


class TrailedHistory(HistoricalRecords):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("bases", (ChainedEntry,))
        kwargs.setdefault("m2m_bases", (ChainedEntry,))
        super().__init__(*args, **kwargs)

    def get_change_reason_for_object(self, instance, history_type, using):
        # A save that completes a step (trail.steps put the step's entry on the record) is
        # marked with it, so a timeline shows the fields the step wrote as part of the step.
        step = instance.__dict__.pop("_trail_step", None)
        if step is not None:
            return f"step:{step}"
        return super().get_change_reason_for_object(instance, history_type, using)

    def get_meta_options(self, model):
        return {**super().get_meta_options(model), "triggers": [append_only()]}

    def get_meta_options_m2m(self, through_model):
        return {**super().get_meta_options_m2m(through_model), "triggers": [append_only()]}
