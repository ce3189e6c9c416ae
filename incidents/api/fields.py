"""The API's plumbing, shared by every record type's serializers.

A person as every record shows them, the error shape, named enums in the schema, a
DateTimeField that never overflows into a 500, and the refusal of fields a client may not
write (a 400 naming each) instead of dropping them silently.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from functools import cache

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_field
from rest_framework import serializers
from rest_framework.fields import SkipField, is_simple_callable
from rest_framework.relations import PKOnlyObject
from rest_framework.utils import html

from ..models import person_name

__all__ = [
    "ChoiceLabelField", "DateTimeField", "ErrorSerializer", "ModelSerializer", "NamedChoiceField",
    "RejectUnexpectedFieldsMixin", "STATE_IS_READ_ONLY", "UserRefSerializer", "active", "named_choice_field",
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


class ChoiceLabelField(serializers.CharField):
    """The label of a choice field's value in the reader's language: what the model's
    get_<field>_display() returns (the value itself when it is no choice; null for null).

    Read from the choices once per list instead of calling get_<field>_display() per row:
    DRF inspects the signature of every method it calls, and the method rebuilds (and
    translates) the whole table of labels at each call; together a tenth of a list's time.
    """

    def __init__(self, choice_field: str, **kwargs):
        self.choice_field = choice_field
        kwargs["read_only"] = True
        super().__init__(source=choice_field, **kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        self.labels = dict(parent.Meta.model._meta.get_field(self.choice_field).flatchoices)

    def to_representation(self, value):
        return str(self.labels.get(value, value))


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

    def default_timezone(self):
        # Read once per field, which lives for one request: the current time zone is a
        # context-local lookup, made for every moment of every row of a list otherwise.
        if "_zone" not in self.__dict__:
            self._zone = super().default_timezone()
        return self._zone


def _plain_attribute(field) -> str | None:
    """The model attribute a field reads as it is (DRF's own Field.get_attribute of a one-step
    source), else None: the field reads it its own way (a related field, a nested serializer)."""
    if type(field).get_attribute is serializers.Field.get_attribute and len(field.source_attrs) == 1:
        return field.source_attrs[0]
    return None


class ModelSerializer(serializers.ModelSerializer):
    """ModelSerializer with the state and kind choices as named enums in the schema."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping, models.DateTimeField: DateTimeField
    }
    named_enums = frozenset({"state", "kind"})

    def get_fields(self):
        # Built once per serializer class, then copied for each instance (as DRF copies the
        # declared ones): building them reads every model field, its choices and validators,
        # 4 ms for an incident at every request of a list.
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy.deepcopy(built)

    def to_representation(self, instance):
        """DRF's Serializer.to_representation, the same dict key for key, made for the many rows
        of a list: the readable fields are listed once, not walked again for every row, and a
        field that reads a model attribute as it is reads it straight (DRF's general reader
        checks for a mapping, then for a method to call, on each of them); anything else, and
        any attribute that is missing or a method, goes through DRF's own get_attribute."""
        readable = self.__dict__.get("_readable")
        if readable is None:
            readable = self._readable = [
                (field, field.field_name, _plain_attribute(field)) for field in self._readable_fields
            ]
        plain_object = not isinstance(instance, Mapping)
        ret = {}
        for field, name, attribute_name in readable:
            try:
                if attribute_name is not None and plain_object:
                    try:
                        attribute = getattr(instance, attribute_name)
                    except ObjectDoesNotExist:
                        attribute = None
                    except (AttributeError, KeyError):
                        attribute = field.get_attribute(instance)
                    else:
                        if is_simple_callable(attribute):
                            attribute = field.get_attribute(instance)
                else:
                    attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check_for_none is None else field.to_representation(attribute)
        return ret

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
