"""The REST API's share of the workflow engine: the transition endpoints, the trail, and
versioned edits, for every record type.

The edit contract (README "The edit contract"): every record shows its `version`; a PUT or
PATCH carries the `version` its client read; the service compares it under the row lock
and answers a stale one with 409, naming the fields changed since, their value then and
now, and who changed them, with the record as it is now. A field the client may not write
is a 400 naming it.
"""

from __future__ import annotations

from functools import cache

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ..api.fields import (
    ErrorSerializer,
    ModelSerializer,
    RejectUnexpectedFieldsMixin,
    UserRefSerializer,
    active,
)
from ..exceptions import StaleEdit
from .service import (
    TransitionOption,
    edit_record,
    transition_record,
    transition_spec,
    transitions_for,
)
from .timeline import timeline
from .versions import display_value

__all__ = [
    "ERROR_RESPONSES", "HistoryEntrySerializer", "RecordViewSet", "StaleEditSerializer", "TransitionOptionSerializer",
    "VERSION_HELP", "edit_input_serializer", "errors", "stale_edit_data", "transition_docs",
    "transition_input_serializer",
]

VERSION_HELP = _("The record's `version` as you read it (GET). An edit from an older version is refused with 409.")



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


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    old = serializers.JSONField(read_only=True, help_text=_("The stored value before (ids for related records)."))
    new = serializers.JSONField(read_only=True)
    old_display = serializers.CharField(read_only=True, help_text=_("The value before, as people read it."))
    new_display = serializers.CharField(read_only=True)


class HistoryEntrySerializer(serializers.Serializer):
    """One moment of the record's timeline: a step (who moved the record from which state to
    which, and why) or an edit (which fields, from what to what), with who, when, through
    which door, and its place and hash in the trail."""

    kind = serializers.ChoiceField(
        choices=["step", "edit", "created", "deleted"], read_only=True,
        help_text=_("A step of the state machine, an edit of fields, the record's creation or deletion."),
    )
    transition = serializers.CharField(read_only=True, allow_null=True)
    transition_label = serializers.CharField(source="label", read_only=True)
    from_state = serializers.CharField(source="source_state", read_only=True, allow_null=True)
    from_state_display = serializers.CharField(source="source_display", read_only=True, allow_null=True)
    to_state = serializers.CharField(source="state", read_only=True, allow_null=True)
    to_state_display = serializers.CharField(source="state_display", read_only=True, allow_null=True)
    subject = serializers.CharField(read_only=True, allow_null=True)
    by = UserRefSerializer(read_only=True, allow_null=True)
    actor_name = serializers.CharField(read_only=True, help_text=_("The actor's name as it was at the time."))
    door = serializers.CharField(read_only=True, help_text=_("web, api, admin or command."))
    timestamp = serializers.DateTimeField(source="at", read_only=True)
    comment = serializers.CharField(read_only=True, allow_null=True)
    changes = ChangeSerializer(many=True, read_only=True)
    position = serializers.IntegerField(read_only=True, allow_null=True, help_text=_("The entry's place in the trail."))
    hash = serializers.CharField(read_only=True, help_text=_("The entry's hash in the trail's chain."))


def _with_article(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


@cache
def transition_input_serializer(model: type, name: str | None = None) -> type[serializers.ModelSerializer]:
    """The payload of transition `name`: a comment and the model fields the step asks for.

    Built with ModelSerializer's field mapping, so types, choices and lengths are checked
    as for any other write. With `name=None`, the union of every transition of the model
    (used to document the endpoint).
    """
    specs = model.transition_specs
    field_names = list(dict.fromkeys(f for spec in specs.values() for f in spec.fields)) if name is None \
        else list(specs[name].fields)
    extra_kwargs = {f: {"required": False} for f in field_names}
    for f in field_names:
        related = model._meta.get_field(f).related_model
        if related is not None and hasattr(related, "active"):  # pick-lists: only entries in use
            extra_kwargs[f]["queryset"] = active(related)
    meta = type("Meta", (), {"model": model, "fields": ["comment", "version", *field_names], "extra_kwargs": extra_kwargs})
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
        "version": serializers.IntegerField(
            required=False, min_value=1, write_only=True,
            help_text=_("The record's `version` as you read it. When given, a step taken on a record changed "
                        "since is refused with 409 and what changed."),
        ),
        "unexpected_message": _("This step does not take this field."),
    }
    return type(
        f"{model.__name__}{title}TransitionSerializer",
        (RejectUnexpectedFieldsMixin, ModelSerializer),
        attrs,
    )


VERSION_REQUIRED = _("Send the `version` you read with the record: without it, an edit could overwrite changes "
                     "made since without anyone noticing.")


class ChangedFieldSerializer(serializers.Serializer):
    field = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    seen = serializers.JSONField(read_only=True, help_text=_("The value in the version you sent."))
    seen_display = serializers.CharField(read_only=True)
    current = serializers.JSONField(read_only=True, help_text=_("The value now."))
    current_display = serializers.CharField(read_only=True)
    changed_by = UserRefSerializer(read_only=True, allow_null=True)
    changed_at = serializers.DateTimeField(read_only=True, allow_null=True)


class StaleEditSerializer(ErrorSerializer):
    """A 409: the record is closed, not available in this state, or changed since your version."""

    seen_version = serializers.IntegerField(read_only=True, required=False)
    current_version = serializers.IntegerField(read_only=True, required=False)
    changed_fields = ChangedFieldSerializer(many=True, read_only=True, required=False)
    current = serializers.DictField(read_only=True, required=False, help_text=_("The record as it is now."))


def stale_edit_data(error: StaleEdit, current: dict | None) -> dict:
    record = error.record
    changes = [{
        **change.as_dict(),
        "seen_display": display_value(record, change.field, change.seen),
        "current_display": display_value(record, change.field, change.current),
    } for change in error.changes]
    return StaleEditSerializer({
        "detail": str(error.message), "code": "stale_edit", "seen_version": error.seen_version,
        "current_version": getattr(record, "version", None), "changed_fields": changes, "current": current,
    }).data


@cache
def edit_input_serializer(model: type, base: type[serializers.Serializer], *,
                          creatable: bool = True) -> type[serializers.Serializer]:
    """`base` (a ModelSerializer of `model`) restricted to the fields of model.edit_policy, plus `version`.

    The serializer checks types and choices; who may write which field is the service's
    question (FieldsNotWritable, 400 naming each field).
    """
    policy = model.edit_policy
    meta = type("Meta", (base.Meta,), {"fields": [*policy.fields, "version"]})
    return type(base.__name__, (base,), {
        "Meta": meta,
        "__module__": base.__module__,
        "__doc__": base.__doc__,
        "version": serializers.IntegerField(required=False, min_value=1, write_only=True, help_text=VERSION_HELP),
    })


ERROR_RESPONSES = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description=_("Invalid input: a list of messages per field.")),
    403: OpenApiResponse(ErrorSerializer, description=_("Not permitted, with the reason.")),
    404: OpenApiResponse(ErrorSerializer, description=_("No such record visible to you.")),
    409: OpenApiResponse(StaleEditSerializer, description=_(
        "The record is closed, or was changed since the version you sent: then `changed_fields` says what "
        "changed and who changed it, and `current` is the record as it is now.")),
}


def errors(*codes: int) -> dict:
    return {code: ERROR_RESPONSES[code] for code in codes}


def transition_docs(model: type, record_serializer: type[serializers.Serializer]) -> dict:
    """Schema of the transition endpoints of one record type, which answer with `record_serializer`."""
    specs = model.transition_specs
    asks = "; ".join(f"`{spec.name}`: {', '.join(spec.fields) or '-'}" for spec in specs.values())
    return {
        "transitions": extend_schema(
            summary=_("Transitions you may take now"),
            responses={200: TransitionOptionSerializer(many=True), **errors(404)},
        ),
        "transition": extend_schema(
            summary=_("Take a transition"),
            description=f"Fields each step takes besides `comment`: {asks}.",
            parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(specs))],
            request=transition_input_serializer(model),
            responses={
                200: record_serializer,
                400: OpenApiResponse(
                    OpenApiTypes.OBJECT,
                    description=_("Invalid payload (messages per field), or unmet conditions: "
                                  "`{\"detail\": …, \"unmet_conditions\": […]}`."),
                ),
                **errors(403, 404),
                409: OpenApiResponse(
                    StaleEditSerializer,
                    description=_("Not available from the current state, or changed since the version you sent."),
                ),
            },
        ),
        "history": extend_schema(
            summary=_("The record's timeline: steps and field changes"), responses={200: HistoryEntrySerializer(many=True), **errors(404)}
        ),
    }


class RecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List, detail and the transition pattern of one record type; subclasses add create and
    update where people create the records."""

    model: type
    list_serializer_class: type[serializers.Serializer]
    detail_serializer_class: type[serializers.Serializer]
    input_serializer_class: type[serializers.Serializer] | None = None

    def get_serializer_class(self):
        if self.action == "list":
            return self.list_serializer_class
        if self.action in ("create", "update", "partial_update"):
            return self.input_serializer_class
        if self.action == "transitions":
            return TransitionOptionSerializer
        if self.action == "transition":
            return transition_input_serializer(self.model)
        if self.action == "history":
            return HistoryEntrySerializer
        return self.detail_serializer_class

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "model": self.model}

    def filter_queryset(self, queryset):
        # One record by its id, with nothing in the query string: the list's filters, search
        # and order would leave the queryset as it is, and building the filter form for
        # nothing was a tenth of an API record request (bench/profile_summary.md). With a
        # query string they apply, as DRF does for a detail (a record they exclude is a 404).
        if getattr(self, "detail", False) and not self.request.query_params:
            return queryset
        return super().filter_queryset(queryset)

    def detail_response(self, record, status_code=status.HTTP_200_OK) -> Response:
        """The record as the detail endpoint shows it, read again with its related rows."""
        try:
            record = self.detail_queryset().get(pk=record.pk)
        except self.model.DoesNotExist:  # no longer visible: answer with what we have
            pass
        data = self.detail_serializer_class(record, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def detail_queryset(self):
        return self.get_queryset()

    def validated_input(self, instance=None, *, partial=False) -> dict:
        serializer = self.input_serializer_class(
            instance, data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def edit(self, record, data: dict):
        """Edit `record` with validated input through the record type's service.

        `edit_service(record, by, version, data)` (a class attribute) is the service to call;
        by default the generic workflow edit.
        """
        version = data.pop("version", None)
        if version is None:
            raise serializers.ValidationError({"version": [VERSION_REQUIRED]})
        service = getattr(self, "edit_service", None)
        if service is None:
            return edit_record(record, by=self.request.user, version=version, changes=data)
        return service(record, by=self.request.user, version=version, data=data)

    def update(self, request, pk=None, partial=False):
        record = self.get_object()
        record = self.edit(record, self.validated_input(record, partial=partial))
        return self.detail_response(record)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def conflict_data(self, error: StaleEdit) -> dict:
        """The body of a 409 for a stale edit: what changed, who changed it, the record now."""
        current = None
        if error.record is not None:
            try:
                record = self.detail_queryset().get(pk=error.record.pk)
            except self.model.DoesNotExist:
                record = error.record
            current = self.detail_serializer_class(record, context=self.get_serializer_context()).data
        return stale_edit_data(error, current)

    @action(detail=True, methods=["get"], url_path="transitions", pagination_class=None, filter_backends=[])
    def transitions(self, request, pk=None):
        record = self.get_object()
        options = transitions_for(record, request.user)
        return Response(self.get_serializer(options, many=True).data)

    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[^/.]+)",
            pagination_class=None, filter_backends=[])
    def transition(self, request, pk=None, name=None):
        record = self.get_object()
        transition_spec(self.model, name)  # unknown name: 404
        serializer = transition_input_serializer(self.model, name)(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        comment = changes.pop("comment", "")
        version = changes.pop("version", None)
        record = transition_record(record, name, by=request.user, comment=comment, changes=changes, version=version)
        return self.detail_response(record)

    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        record = self.get_object()
        return Response(self.get_serializer(timeline(record), many=True).data)


