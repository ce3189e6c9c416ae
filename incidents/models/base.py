from __future__ import annotations

from functools import cache

from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMFieldMixin

from ..exceptions import ConcurrentChange


@cache
def choice_labels(field) -> dict:
    """{value: label} of a choice field, built once: the labels stay lazy, so each is read in
    the language of the moment it is shown."""
    return dict(field.flatchoices)


class ChoiceLabels(models.Model):
    """get_<field>_display() read from a table built once per field.

    Django's own rebuilds the field's table at each call, hashing every choice and so
    translating every label of it: the to-do page called it some 190 times, a tenth of the
    time its template took. Same answer: the label of the value in the active language, the
    value itself when it is no choice.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            label = choice_labels(field).get(value, value)
        except TypeError:  # a value that cannot be a key (a list): Django's own way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)


class VersionedRecord(ChoiceLabels):
    """A record whose every save carries the version it was read at.

    `version` starts at 1 and goes up by one with every save. The UPDATE is made
    conditional on the version the instance was read at, so a save from a stale copy
    changes nothing and raises ConcurrentChange, whichever code path it comes from
    (a service, the admin, a script). The services lock the row and compare the
    version the editor saw before they get that far, and answer with what changed.
    """

    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False,
        help_text=_("Goes up by one with every change. An edit must carry the version its editor saw."),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding and self.pk is not None:
            self._read_version = self.version
            self.version = self.version + 1
            if kwargs.get("update_fields") is not None:
                # A save of some fields still moves the version and the "updated at" stamp.
                stamped = {f.name for f in self._meta.concrete_fields if getattr(f, "auto_now", False)}
                kwargs["update_fields"] = {*kwargs["update_fields"], "version", *stamped}
        try:
            super().save(*args, **kwargs)
        except BaseException:
            if getattr(self, "_read_version", None) is not None:
                self.version = self._read_version
            raise
        finally:
            self._read_version = None

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update, *args, **kwargs):
        read_version = getattr(self, "_read_version", None)
        if read_version is not None and base_qs.model is type(self)._meta.concrete_model:
            base_qs = base_qs.filter(version=read_version)
            updated = super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update,
                                         *args, **kwargs)
            if not updated:
                # The row exists (the save is an update) but no longer at the version read.
                raise ConcurrentChange()
            return updated
        return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update, *args, **kwargs)


class StateMachineRecord(ConcurrentTransitionMixin, VersionedRecord):
    """Base of every record with a protected `state` field.

    Model validation assigns each field back to itself, which a protected FSM field
    refuses; the state is never user input, so it is left out of validation.
    """

    class Meta:
        abstract = True

    @property
    def state_fields(self):
        # django-fsm-2 reads the state of every instance as it is built (to refuse a save from
        # a stale state), and finds the state fields by testing each field of the model, for
        # every row fetched: 3% of a busy server's time. The fields of a model do not change.
        model = type(self)
        found = model.__dict__.get("_state_fields")
        if found is None:
            found = tuple(field for field in self._meta.fields if isinstance(field, FSMFieldMixin))
            model._state_fields = found
        return found

    def full_clean(self, exclude=None, validate_unique=True, validate_constraints=True):
        exclude = {*(exclude or ()), "state"}
        super().full_clean(exclude=exclude, validate_unique=validate_unique, validate_constraints=validate_constraints)
