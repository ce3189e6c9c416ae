"""What the API reads and writes.

Output serializers describe records as clients read them. Input serializers take only
the fields a client may write and refuse anything else (above all `state`, which only a
transition changes). No serializer saves: the views hand validated data to the services.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_field
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Action, CauseCategory, EventClass, Incident, ReportingTrack, person_name
from ..services import TRANSITIONS, TransitionOption, trail_label

User = get_user_model()

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


class ReportableReasonSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    category = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("Category 1-4 of APPI rule art. 7, when one applies.")
    )
    message = serializers.CharField(read_only=True)


class RejectUnexpectedFieldsMixin:
    """Answer keys the serializer does not write with a 400 instead of dropping them.

    A client that sends `state`, a read-only field or a misspelt name would otherwise
    believe it changed something that was silently ignored.
    """

    read_only_names: frozenset[str] = frozenset()
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
        return value


def _active(model):
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

    def get_name(self) -> str:
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

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_name in self.named_enums and issubclass(field_class, serializers.ChoiceField):
            field_class = named_choice_field(f"{model_field.model.__name__}{field_name.title()}Enum")
        return field_class, kwargs


# ---------------------------------------------------------------------------
# Actions


class ActionSummarySerializer(ModelSerializer):
    """An action as listed on its incident."""

    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Action
        fields = ["id", "reference", "kind", "state", "state_display", "title"]
        read_only_fields = fields


class ActionSerializer(ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    owner = UserRefSerializer(read_only=True)
    verifier = UserRefSerializer(read_only=True)
    created_by = UserRefSerializer(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Action
        fields = [
            "id", "reference", "kind", "kind_display", "title", "description", "incident", "department",
            "owner", "verifier", "due_date", "state", "state_display", "implementation_note",
            "effectiveness_note", "cancel_reason", "created_by", "created_at", "updated_at",
            "implemented_at", "verified_at", "is_overdue",
        ]
        read_only_fields = fields


ACTION_WRITABLE = [
    "kind", "title", "description", "incident", "department", "owner", "verifier", "due_date",
    "implementation_note", "effectiveness_note", "cancel_reason",
]


class ActionInputSerializer(RejectUnexpectedFieldsMixin, ModelSerializer):
    """Plan an action or change it. `owner` and `verifier` are user ids."""

    read_only_names = frozenset(ActionSerializer.Meta.fields) - set(ACTION_WRITABLE)

    class Meta:
        model = Action
        fields = ACTION_WRITABLE
        extra_kwargs = {
            "owner": {"queryset": User.objects.filter(is_active=True)},
            "verifier": {"queryset": User.objects.filter(is_active=True)},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only link actions to incidents the user may see; others "do not exist".
            self.fields["incident"].queryset = Incident.objects.visible_to(request.user)


# ---------------------------------------------------------------------------
# Reporting tracks


class TrackSerializer(ModelSerializer):
    """A report the incident owes (PPC, PrivacyMark assessment body, 委託元, data subjects).

    Tracks are created, re-timed, withdrawn and reinstated by the system as the
    classification changes; people only file them or record why they are not required.
    """

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    due_at = DateTimeField(read_only=True, help_text=_("The target: file by then."))
    limit_at = DateTimeField(read_only=True, help_text=_("The legal (or policy) limit."))
    filed_by = UserRefSerializer(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(read_only=True, help_text=_("Still pending after its limit."))
    late = serializers.BooleanField(
        read_only=True, help_text=_("Filed after its limit; it stays marked so.")
    )

    class Meta:
        model = ReportingTrack
        fields = [
            "id", "kind", "kind_display", "state", "state_display", "due_at", "limit_at", "filed_at",
            "filed_by", "recipient_reference", "method", "filing_note", "not_required_reason", "overdue",
            "late",
        ]
        read_only_fields = fields


class TrackDetailSerializer(TrackSerializer):
    """A track with the incident it belongs to, as /api/tracks/ shows it."""

    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    incident_title = serializers.CharField(source="incident.title", read_only=True)

    class Meta(TrackSerializer.Meta):
        fields = [
            "id", "incident", "incident_reference", "incident_title", *TrackSerializer.Meta.fields[1:],
            "created_at", "updated_at",
        ]
        read_only_fields = fields


# ---------------------------------------------------------------------------
# Incidents


class IncidentSerializer(ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    severity_display = serializers.CharField(source="get_severity_display", read_only=True)
    reporter = UserRefSerializer(read_only=True)
    reportable_reasons = ReportableReasonSerializer(many=True, read_only=True)
    rule_set = serializers.SlugRelatedField(
        slug_field="version", read_only=True, allow_null=True,
        help_text=_("Version of the reporting rules in force on the day of discovery; they set the clocks."),
    )
    tracks = TrackSerializer(many=True, read_only=True, help_text=_("The reports the incident owes."))

    class Meta:
        model = Incident
        fields = [
            "id", "reference", "state", "state_display", "reporter", "title", "description", "department",
            "kind", "kind_display", "event_class", "cause", "severity", "severity_display", "occurred_at",
            "discovered_at", "discovery_route", "data_items", "affected_count", "affected_count_estimated",
            "involves_sensitive_data", "risk_of_financial_damage", "suspected_unauthorized_purpose",
            "data_in_collection", "strongly_encrypted", "entrusted_by", "reportable", "reportable_reasons",
            "rule_set", "tracks", "root_cause", "containment_summary", "correction_taken", "secondary_harm",
            "subject_response", "publication", "recurrence_prevention", "other_information", "dismissal_reason",
            "created_at", "updated_at", "contained_at", "closed_at",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    actions = ActionSummarySerializer(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "actions"]
        read_only_fields = fields


INCIDENT_WRITABLE = [
    "title", "description", "department", "kind", "event_class", "cause", "severity", "occurred_at",
    "discovered_at", "data_items", "affected_count", "affected_count_estimated", "involves_sensitive_data",
    "risk_of_financial_damage", "suspected_unauthorized_purpose", "data_in_collection",
    "strongly_encrypted", "entrusted_by", "root_cause", "containment_summary", "correction_taken",
    "dismissal_reason",
    # what the PPC report asks for besides the classification (rule art. 8(1)); the PMS office's
    "discovery_route", "secondary_harm", "subject_response", "publication", "recurrence_prevention",
    "other_information",
]


class IncidentInputSerializer(RejectUnexpectedFieldsMixin, ModelSerializer):
    """Report an incident or edit it. `department` defaults to the reporter's own."""

    read_only_names = frozenset(IncidentDetailSerializer.Meta.fields) - set(INCIDENT_WRITABLE)

    class Meta:
        model = Incident
        fields = INCIDENT_WRITABLE
        extra_kwargs = {
            "department": {"required": False},
            "event_class": {"queryset": _active(EventClass)},
            "cause": {"queryset": _active(CauseCategory)},
        }


# ---------------------------------------------------------------------------
# Transitions and the trail


class TransitionFieldSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)


class TransitionOptionSerializer(serializers.Serializer):
    """A transition you may take now, and what it asks for."""

    # Needs the record's model class as context["model"].

    name = serializers.CharField(read_only=True)
    label = serializers.CharField(source="spec.label", read_only=True)
    target = serializers.CharField(read_only=True, help_text=_("The state the record moves to."))
    target_display = serializers.SerializerMethodField()
    # `fields` and `get_fields` are taken by Serializer itself, hence the method name.
    fields = serializers.SerializerMethodField(
        method_name="get_asked_fields", help_text=_("The fields this step asks for.")
    )
    comment_required = serializers.BooleanField(source="spec.comment_required", read_only=True)
    unmet_conditions = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text=_("What is still missing; the fields this step asks for may provide it."),
    )

    def get_target_display(self, option: TransitionOption) -> str:
        return state_label(self.context["model"], option.target)

    @extend_schema_field(TransitionFieldSerializer(many=True))
    def get_asked_fields(self, option: TransitionOption) -> list[dict]:
        meta = self.context["model"]._meta
        return [{"name": name, "label": str(meta.get_field(name).verbose_name)} for name in option.spec.fields]


def state_label(model, state: str | None) -> str | None:
    if state is None:
        return None
    return str(dict(model._meta.get_field("state").choices).get(state, state))


class HistoryEntrySerializer(serializers.Serializer):
    """One step of the trail: who moved the record from which state to which, when, and why."""

    # Reads django-fsm-log StateLog rows; needs the record's model class as context["model"].

    transition = serializers.CharField(read_only=True)
    transition_label = serializers.SerializerMethodField()
    from_state = serializers.CharField(source="source_state", read_only=True, allow_null=True)
    from_state_display = serializers.SerializerMethodField()
    to_state = serializers.CharField(source="state", read_only=True)
    to_state_display = serializers.SerializerMethodField()
    by = UserRefSerializer(read_only=True, allow_null=True)
    timestamp = serializers.DateTimeField(read_only=True)
    comment = serializers.CharField(source="description", read_only=True, allow_null=True)

    def get_transition_label(self, entry) -> str:
        return str(trail_label(self.context["model"], entry.transition))

    def get_from_state_display(self, entry) -> str | None:
        return state_label(self.context["model"], entry.source_state)

    def get_to_state_display(self, entry) -> str:
        return state_label(self.context["model"], entry.state)


def _with_article(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


@cache
def transition_input_serializer(model: type, name: str | None = None) -> type[serializers.ModelSerializer]:
    """The payload of transition `name`: a comment and the model fields the step asks for.

    Built with ModelSerializer's field mapping, so types, choices and lengths are checked
    as for any other write. With `name=None`, the union of every transition of the model
    (used to document the endpoint).
    """
    specs = TRANSITIONS[model]
    field_names = list(dict.fromkeys(f for spec in specs.values() for f in spec.fields)) if name is None \
        else list(specs[name].fields)
    extra_kwargs = {f: {"required": False} for f in field_names}
    for f in field_names:
        related = model._meta.get_field(f).related_model
        if related in (EventClass, CauseCategory):
            extra_kwargs[f]["queryset"] = _active(related)
    meta = type("Meta", (), {"model": model, "fields": ["comment", *field_names], "extra_kwargs": extra_kwargs})
    title = "".join(part.title() for part in (name or "").split("_"))
    attrs = {
        "Meta": meta,
        "__module__": __name__,
        "__doc__": (
            f"The payload of a transition of {_with_article(model._meta.verbose_name_raw)}: a comment and "
            "the fields the step asks for (see GET …/transitions/)."
        ),
        "comment": serializers.CharField(
            required=False, allow_blank=True, default="", help_text=_("Recorded in the trail with the step.")
        ),
        "unexpected_message": _("This step does not take this field."),
    }
    return type(
        f"{model.__name__}{title}TransitionSerializer",
        (RejectUnexpectedFieldsMixin, ModelSerializer),
        attrs,
    )


# ---------------------------------------------------------------------------
# Documentation-only shapes


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text=_("Send it as `Authorization: Token <token>`."))


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True, required=False)
    unmet_conditions = serializers.ListField(child=serializers.CharField(), read_only=True, required=False)


# ---------------------------------------------------------------------------
# The report to the PPC (rule art. 8(1)) and the notice to data subjects (rule art. 10)


class ReportItemSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True, min_value=1, max_value=9,
                                      help_text=_("Item number of rule art. 8(1), 1-9."))
    key = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True, help_text=_("The item's heading in the PPC's form (Japanese)."))
    text = serializers.CharField(read_only=True, help_text=_("Paste-ready Japanese text."))
    empty = serializers.BooleanField(read_only=True, help_text=_("Nothing has been recorded for it yet."))


class PPCReportSerializer(serializers.Serializer):
    """The nine items of the report to the PPC, in Japanese, ready to paste into its online form."""

    incident = serializers.CharField(read_only=True, help_text=_("The incident's reference."))
    items = ReportItemSerializer(many=True, read_only=True)
    missing = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("Keys of the items still empty.")
    )
    text = serializers.CharField(read_only=True, help_text=_("The whole report as one text."))
    subject_notice = serializers.CharField(
        read_only=True, help_text=_("Draft of the notice to data subjects (items 1, 2, 4, 5 and 9).")
    )
