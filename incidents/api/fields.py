"""The API's plumbing, shared by every record type's serializers.

A person as every record shows them, the error shape, named enums in the schema, a
DateTimeField that never overflows into a 500, and the refusal of fields a client may not
write (a 400 naming each) instead of dropping them silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_field
from rest_framework import serializers
from rest_framework.utils import html

from ..models import person_name

__all__ = [
    "DateTimeField", "ErrorSerializer", "ModelSerializer", "NamedChoiceField", "RejectUnexpectedFieldsMixin",
    "STATE_IS_READ_ONLY", "UserRefSerializer", "active", "named_choice_field",
]

STATE_IS_READ_ONLY = _(
    "The state cannot be written. It changes only through a transition: POST …/transitions/<name>/."
)
# Sent by the HTML forms of DRF's browsable API along with the fields.
_FORM_NOISE = frozenset({"csrfmiddlewaretoken"})


# ---------------------------------------------------------------------------
# Shared pieces


class UserRefSerializer(serializers.Serializer):
    """A person as every record shows them: reporter, owner, verifier, author of a step."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField(help_text=_("Full name, or the username when none is set."))

    def get_name(self, user) -> str:
        return person_name(user) or user.get_username()


class RejectUnexpectedFieldsMixin:
    """Answer keys the serializer does not write with a 400 instead of dropping them.

    A client that sends `state`, a read-only field or a misspelt name would otherwise
    believe it changed something that was silently ignored.
    """

    read_only_names: frozenset[str] = frozenset()

    @property
    def by_transition(self) -> dict:
        """Fields written by a step of the record's state machine, with the step's label."""
        model = getattr(getattr(self, "Meta", None), "model", None)
        policy = getattr(model, "edit_policy", None)
        return policy.by_transition if policy is not None else {}
    unexpected_message = _("Unknown field.")

    def unexpected_fields(self, data) -> dict[str, list[str]]:
        if not isinstance(data, Mapping):
            return {}
        problems = {}
        for key in data:
            field = self.fields.get(key)
            if (field is not None and not field.read_only) or key in _FORM_NOISE:
                continue
            if key == "state":
                message = STATE_IS_READ_ONLY
            elif key in self.by_transition:
                message = _("This field is written by the step “%(step)s”, not by an edit.") % {
                    "step": self.by_transition[key]}
            elif key in self.read_only_names:
                message = _("This field is read-only.")
            else:
                message = self.unexpected_message
            problems[key] = [message]
        return problems

    def to_internal_value(self, data):
        problems = self.unexpected_fields(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if problems and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **problems}) from None
            raise
        if problems:
            raise serializers.ValidationError(problems)
        if html.is_html_input(data):
            # A form leaves out an unticked box, which DRF reads as False: a box the client
            # did not send is not written (it may be one only the PMS office may write).
            for name, field in self.fields.items():
                if isinstance(field, serializers.BooleanField) and name not in data:
                    value.pop(name, None)
        return value


def active(model):
    return model.objects.filter(active=True)


class NamedChoiceField(serializers.ChoiceField):
    """A ChoiceField documented as a named enum component of the schema.

    Incidents and actions both have a `state` and a `kind`, with different choices;
    named components keep the schema readable (IncidentStateEnum, ActionKindEnum, …).
    """

    component_name = ""


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField
    match_subclasses = True

    def get_name(self) -> str | None:
        # A field that may also be blank or null (a checklist result not recorded yet) keeps
        # its enum inline, with "" or null: the named component stays the choices alone.
        if self.target.allow_blank or self.target.allow_null:
            return None
        return self.target.component_name

    def map_serializer_field(self, auto_schema, direction):
        schema = build_choice_field(self.target)
        schema.pop("x-spec-enum-id", None)
        return schema


@cache
def named_choice_field(component_name: str) -> type[NamedChoiceField]:
    return type(component_name + "Field", (NamedChoiceField,), {"component_name": component_name})


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, minus a 500.

    A naive value at the edge of the calendar (0001-01-01T00:00:00) overflows while DRF
    checks it after making it aware, outside DRF's own OverflowError handling.
    """

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


class ModelSerializer(serializers.ModelSerializer):
    """ModelSerializer with the state and kind choices as named enums in the schema."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping, models.DateTimeField: DateTimeField
    }
    named_enums = frozenset({"state", "kind"})

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        # DRF drops `allow_blank` from read-only fields, and the schema then leaves "" out of
        # their enums although the answer carries it (a severity not set yet): keep it.
        allow_blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if allow_blank and kwargs.get("read_only") and "choices" in kwargs:
            kwargs["allow_blank"] = True
        return kwargs

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_name in self.named_enums and issubclass(field_class, serializers.ChoiceField):
            field_class = named_choice_field(f"{model_field.model.__name__}{field_name.title()}Enum")
        if isinstance(model_field, models.DateField) and not kwargs.get("read_only"):
            # Every date people enter lies in 2000-01-01..2100-12-31 (the models' clean() agrees).
            kwargs["validators"] = [*kwargs.get("validators", []), within_date_bounds]
        return field_class, kwargs


def within_date_bounds(value) -> None:
    """A serializer validator: the date (or datetime) lies in EARLIEST_DATE..LATEST_DATE."""
    from ..models.reporting import EARLIEST_DATE, LATEST_DATE, date_out_of_bounds_message

    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise serializers.ValidationError(date_out_of_bounds_message())


class ErrorSerializer(serializers.Serializer):
    """An error: what went wrong, in the reader's language, and a stable code (`not_found`,
    `permission_denied`, `not_permitted`, `conditions_not_met`, …)."""

    detail = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True)
    # Sent only when a step's conditions are missing (required=False: absent otherwise).
    unmet_conditions = serializers.ListField(
        child=serializers.CharField(), read_only=True, required=False,
        help_text=_("What is missing for the step, one message each; only when conditions are not met."),
    )
