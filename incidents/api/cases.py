"""REST API for requests from individuals (開示等の請求等) and complaints (苦情・相談), issue 15.

Built like the other record types' (incidents/api/views.py, audits/api/views.py): the
workflow engine's RecordViewSet gives list, detail, the versioned edit, the transitions
(…/transitions/, …/transitions/<name>/) and the trail (…/history/); AttachmentActionsMixin
the files (…/attachments/; a request's files each say what they are, `purpose`). Reads are
filtered by `visible_to` (the PMS office of the company, whoever handles or received the
case, the heads of its department): anything else is a 404. Every write goes through
incidents.case_services, whose refusals errors.exception_handler turns into status codes.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from .. import case_services
from ..exceptions import StaleEdit
from ..filters import DB_INTEGER_MAX, ChoicesFilter, IntegerFilter
from ..models import (
    Action,
    AnswerMethod,
    CaseChannel,
    Complaint,
    ComplaintClass,
    ComplaintState,
    Decision,
    Department,
    ExceptionGround,
    IdentityMethod,
    IdentityResult,
    Incident,
    RequesterType,
    RequestItem,
    RequestKind,
    RequestPause,
    RequestState,
    RightsRequest,
)
from ..workflow.api import ERROR_RESPONSES, VERSION_HELP, RecordViewSet, stale_edit_data, transition_docs
from .attachments import AttachmentActionsMixin
from .fields import ChoiceLabelField, within_date_bounds
from .filters import company_filter
from .serializers import (
    ActionSerializer,
    ModelSerializer,
    RejectUnexpectedFieldsMixin,
    UserRefSerializer,
    company_name_field,
    edit_input_serializer,
    named_choice_field,
)

User = get_user_model()

__all__ = ["ComplaintViewSet", "RightsRequestViewSet"]


def _errors(*codes: int) -> dict:
    return {code: ERROR_RESPONSES[code] for code in codes}


EDIT_CONTRACT = _(
    "Send the `version` you read with the record. If the record changed since, nothing is saved and the "
    "answer is 409 with `changed_fields` (each field changed since your version: its value then and now, who "
    "changed it and when) and `current` (the record now). A field you may not write in the record's current "
    "state is a 400 naming it; a value sent unchanged writes nothing."
)


RequestKindField = named_choice_field("RequestItemKindEnum")
CaseChannelField = named_choice_field("CaseChannelEnum")


def blank_choice(choices, field_class=serializers.ChoiceField, **kwargs) -> serializers.ChoiceField:
    """A read-only choice the record may leave blank: its enum in the schema allows "" (a field
    listed in read_only_fields would lose allow_blank, and the schema then refuses the answers)."""
    return field_class(choices=choices, allow_blank=True, read_only=True, **kwargs)


class AnswerMethodField(serializers.ChoiceField):
    """The method of an answer the person asked for (`method_requested`), published as
    `AnswerMethodEnum`: it shares its choices with `method_used`, which drf-spectacular would
    otherwise publish under two names."""


class AnswerMethodFieldExtension(OpenApiSerializerFieldExtension):
    target_class = AnswerMethodField

    def map_serializer_field(self, auto_schema, direction):
        enum = ResolvedComponent(
            name="AnswerMethodEnum", type=ResolvedComponent.SCHEMA, object="AnswerMethodEnum",
            schema={"type": "string", "enum": list(AnswerMethod.values),
                    "description": "\n".join(f"* `{value}` - {label}" for value, label in AnswerMethod.choices)},
        )
        auto_schema.registry.register_on_missing(enum)
        if not self.target.allow_blank:
            return enum.ref
        blank = ResolvedComponent(name="BlankEnum", type=ResolvedComponent.SCHEMA, object="BlankEnum",
                                  schema={"enum": [""]})
        auto_schema.registry.register_on_missing(blank)
        return {"oneOf": [enum.ref, blank.ref]}


class CasesModelSerializer(ModelSerializer):
    """The API's ModelSerializer, the cases' own choices as named enums too."""

    named_enums = frozenset({*ModelSerializer.named_enums, "classification"})

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_name == "method_requested":
            field_class = AnswerMethodField
        elif field_name == "channel":
            field_class = CaseChannelField  # one enum for requests and complaints
        return field_class, kwargs


# ---------------------------------------------------------------------------
# Requests: what they show


class RequestItemSerializer(CasesModelSerializer):
    """One thing the request asks for and the decision on it (art. 36: the article and the
    reason told to the person when it is not done in full). Decided with
    POST …/items/<item_id>/, with its own `version`."""

    kind_display = ChoiceLabelField("kind")
    decision = blank_choice(Decision.choices, help_text=_("Empty until decided."))
    decision_display = ChoiceLabelField("decision")
    ground = blank_choice(ExceptionGround.choices, help_text=_("The article relied on; empty when done in full."))
    ground_display = ChoiceLabelField("ground")

    class Meta:
        model = RequestItem
        fields = ["id", "kind", "kind_display", "decision", "decision_display", "ground", "ground_display",
                  "reason", "outcome", "version"]
        read_only_fields = fields


class RequestPauseSerializer(serializers.ModelSerializer):
    """A stretch of time the company waited for the requester: kept and shown, never hidden."""

    started_by = UserRefSerializer(read_only=True)

    class Meta:
        model = RequestPause
        fields = ["id", "started_on", "ended_on", "days", "reason", "started_by"]
        read_only_fields = fields


class ClockMixin(serializers.Serializer):
    """The clock of a request: the due date (moved by the pauses), the art. 39 mark."""

    effective_due_on = serializers.SerializerMethodField(
        help_text=_("The due date counting a pause still running up to today (Asia/Tokyo).")
    )
    lawsuit_mark_on = serializers.DateField(
        read_only=True, allow_null=True,
        help_text=_("Art. 39: two weeks from receipt, after which the person may sue. Never moved by a pause."),
    )
    overdue = serializers.BooleanField(
        read_only=True, help_text=_("Still unanswered after its due date, the clock running."))

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_effective_due_on(self, request):
        return request.effective_due_on()


class RightsRequestSerializer(ClockMixin, CasesModelSerializer):
    """A request from an individual as its list shows it."""

    state_display = ChoiceLabelField("state")
    channel_display = ChoiceLabelField("channel")
    company_name = company_name_field()
    handler = UserRefSerializer(read_only=True, allow_null=True,
                                help_text=_("Who runs the case (担当者); null until one is assigned."))
    received_by = UserRefSerializer(read_only=True, allow_null=True,
                                    help_text=_("Null: filed by the person through the public form."))
    kinds = serializers.SerializerMethodField(help_text=_("What the request asks for (one or more of the six)."))

    class Meta:
        model = RightsRequest
        fields = [
            "id", "reference", "state", "state_display", "company", "company_name", "department", "handler",
            "channel", "channel_display", "received_on", "received_by", "requester_type", "requester_name",
            "subject_name", "kinds", "due_on", "effective_due_on", "lawsuit_mark_on", "overdue", "paused_since",
            "sent_on", "incident", "created_at", "updated_at", "version",
        ]
        read_only_fields = fields
        extra_kwargs = {"due_on": {"help_text": _(
            "The target from receipt (the company's, set on the day of receipt), moved by the pauses that ended."
        )}}

    @extend_schema_field(serializers.ListField(child=RequestKindField(choices=RequestKind.choices)))
    def get_kinds(self, request) -> list[str]:
        return request.kinds()


class RightsRequestDetailSerializer(RightsRequestSerializer):
    """A request with everything recorded on it, the things it asks for and the pauses of its clock."""

    method_requested = blank_choice(AnswerMethod.choices, AnswerMethodField)
    method_used = blank_choice(AnswerMethod.choices)
    identity_method = blank_choice(IdentityMethod.choices)
    identity_result = blank_choice(IdentityResult.choices, help_text=_("Empty: not yet confirmed."))
    items = RequestItemSerializer(many=True, read_only=True)
    pauses = RequestPauseSerializer(many=True, read_only=True)
    answered_late = serializers.BooleanField(read_only=True)
    days_to_answer = serializers.IntegerField(read_only=True, allow_null=True)
    allows_fee = serializers.BooleanField(
        read_only=True, help_text=_("A fee may be charged: it asks for a notice of the purpose or a disclosure."))
    attachments_url = serializers.SerializerMethodField(help_text=_("The case's files (GET; POST to add one)."))

    class Meta(RightsRequestSerializer.Meta):
        fields = [
            *RightsRequestSerializer.Meta.fields, "requester_address", "requester_contact", "summary",
            "method_requested", "enclosures", "postage_by_requester", "identity_method", "identity_result",
            "identity_checked_on", "identity_note", "authority_evidence", "identity_documents_deleted_at",
            "data_searched", "method_used", "paper_reason", "fee_amount", "fee_received_on", "late_reason",
            "consequence_acknowledged", "letter_body", "target_days", "paused_days", "pause_reason", "items",
            "pauses", "answered_late", "days_to_answer", "allows_fee", "closed_at", "attachments_url",
        ]
        read_only_fields = fields

    def get_attachments_url(self, request) -> str:
        url = reverse("api:request-attachments", args=[request.pk])
        http = self.context.get("request")
        return http.build_absolute_uri(url) if http else url


# ---------------------------------------------------------------------------
# Requests: what they take


def _people():
    return User.objects.filter(is_active=True)


class RightsRequestInputBase(RejectUnexpectedFieldsMixin, CasesModelSerializer):
    """Edit a request, with the `version` you read. Which fields you may write depends on your
    role and the request's state (RightsRequest.edit_policy): the intake while it is
    unanswered, the identity check and the work for the PMS office and the handler,
    `department` and `handler` for the PMS office; the others are a 400 naming them."""

    read_only_names = frozenset(RightsRequestDetailSerializer.Meta.fields) - set(RightsRequest.edit_policy.fields)

    class Meta:
        model = RightsRequest
        fields = list(RightsRequest.edit_policy.fields)
        extra_kwargs = {"handler": {"queryset": _people()}}


RightsRequestInputSerializer = edit_input_serializer(RightsRequest, RightsRequestInputBase)

REQUEST_CREATE_FIELDS = [*RightsRequest.edit_policy.create_fields, "kinds"]


class RightsRequestCreateSerializer(RejectUnexpectedFieldsMixin, CasesModelSerializer):
    """Record a request received (anyone signed in may record one received by phone, by mail or
    at a desk): what it asks for (`kinds`, one or more of the six) and the intake. The
    department and the handler are the PMS office's to give."""

    read_only_names = frozenset(RightsRequestDetailSerializer.Meta.fields) - set(REQUEST_CREATE_FIELDS)
    kinds = serializers.ListField(
        child=RequestKindField(choices=RequestKind.choices), allow_empty=False, max_length=6,
        help_text=_("What the request asks for: one or more of the six."),
    )

    class Meta:
        model = RightsRequest
        fields = REQUEST_CREATE_FIELDS
        extra_kwargs = {"handler": {"queryset": _people()}}


class RequestItemInputSerializer(RejectUnexpectedFieldsMixin, CasesModelSerializer):
    """The decision on one thing asked for: in full, in part, by another measure (a deletion
    answered by stopping use), or refused, with the article relied on and the reason told to
    the person (art. 36) when not in full. With the item's `version` as you read it."""

    read_only_names = frozenset(RequestItemSerializer.Meta.fields) - {"decision", "ground", "reason", "outcome"}
    version = serializers.IntegerField(min_value=1, write_only=True, help_text=VERSION_HELP)

    class Meta:
        model = RequestItem
        fields = ["decision", "ground", "reason", "outcome", "version"]


class RequestKindInputSerializer(serializers.Serializer):
    kind = RequestKindField(choices=RequestKind.choices, help_text=_("Another thing the request asks for."))


class RequestPauseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text=_("What the company is waiting for."))
    since = serializers.DateField(required=False, validators=[within_date_bounds], help_text=_("The first day of the pause; today by default."))
    version = serializers.IntegerField(min_value=1, help_text=VERSION_HELP)


class RequestResumeInputSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, validators=[within_date_bounds], help_text=_("The day the clock runs again; today by default."))
    version = serializers.IntegerField(min_value=1, help_text=VERSION_HELP)


class WrongfulRefusalInputSerializer(serializers.Serializer):
    explanation = serializers.CharField(max_length=5000, help_text=_("Why the refusal was wrong."))
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True, default=None,
        help_text=_("The department responsible for the refusal; the request's by default."),
    )


class RaisedIncidentSerializer(serializers.ModelSerializer):
    """The incident a case raised."""

    url = serializers.SerializerMethodField(help_text=_("The incident in the API."))

    class Meta:
        model = Incident
        fields = ["id", "reference", "title", "url"]
        read_only_fields = fields

    def get_url(self, incident) -> str:
        url = reverse("api:incident-detail", args=[incident.pk])
        http = self.context.get("request")
        return http.build_absolute_uri(url) if http else url


# ---------------------------------------------------------------------------
# Requests: the filters


class RequestApiFilter(django_filters.FilterSet):
    state = ChoicesFilter(choices=RequestState.choices, label=_("state"))
    kind = django_filters.MultipleChoiceFilter(field_name="items__kind", choices=RequestKind.choices,
                                               label=_("request"), distinct=True)
    channel = ChoicesFilter(choices=CaseChannel.choices, label=_("channel"))
    requester_type = ChoicesFilter(choices=RequesterType.choices, label=_("requester"))
    company = company_filter()
    department = IntegerFilter(field_name="department_id", label=_("department"))
    handler = IntegerFilter(field_name="handler_id", label=_("handler"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open only"),
                                        help_text=_("true: still to be answered; false: everything else."))
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("overdue only"),
        help_text=_("true: unanswered past the due date, the clock running; false: everything else."),
    )

    class Meta:
        model = RightsRequest
        fields = ["state", "kind", "channel", "requester_type", "company", "department", "handler"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.open() if value else queryset.exclude(pk__in=queryset.open().values("pk"))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


# ---------------------------------------------------------------------------
# Requests: the endpoints


def requests_for(user):
    return RightsRequest.objects.visible_to(user).select_related("company", "handler", "received_by")


def with_items(queryset):
    return queryset.prefetch_related("items")


def with_everything(queryset):
    return queryset.prefetch_related(
        "items", Prefetch("pauses", queryset=RequestPause.objects.select_related("started_by")))


@extend_schema_view(
    list=extend_schema(summary=_("List requests from individuals")),
    retrieve=extend_schema(summary=_("A request with what it asks for and its clock"),
                           responses={200: RightsRequestDetailSerializer, **_errors(404)}),
    **transition_docs(RightsRequest, RightsRequestDetailSerializer),
)
@extend_schema(tags=["requests"])
class RightsRequestViewSet(AttachmentActionsMixin, RecordViewSet):
    """Requests from individuals (開示等の請求等, APPI arts. 32–39): to notify the purpose of use,
    disclose, disclose the records of provision to third parties, correct, add or delete,
    stop using, stop providing. The PMS office of the company, whoever handles or received
    the case and the heads of its department see it; anything else is a 404. The clock:
    `due_on` (the company's target from receipt, moved by the pauses), `effective_due_on`
    (counting a pause still running), `lawsuit_mark_on` (art. 39, never moved), `overdue`.
    The state changes only through the transitions; `refuse` and a late `answer` ask for
    `consequence_acknowledged`: a wrongful refusal is a PrivacyMark 事故等 (kind ⑧)."""

    model = RightsRequest
    queryset = RightsRequest.objects.none()  # the real one depends on the user
    list_serializer_class = RightsRequestSerializer
    detail_serializer_class = RightsRequestDetailSerializer
    input_serializer_class = RightsRequestInputSerializer
    filterset_class = RequestApiFilter
    search_fields = ["reference", "requester_name", "subject_name", "summary"]
    ordering_fields = ["reference", "state", "channel", "received_on", "due_on", "sent_on", "created_at",
                       "updated_at"]

    def get_serializer_class(self):
        serializers_by_action = {
            "create": RightsRequestCreateSerializer, "decide_item": RequestItemInputSerializer,
            "add_kind": RequestKindInputSerializer, "pause": RequestPauseInputSerializer,
            "resume": RequestResumeInputSerializer, "wrongful_refusal": WrongfulRefusalInputSerializer,
        }
        if self.action in serializers_by_action:
            return serializers_by_action[self.action]
        return super().get_serializer_class()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RightsRequest.objects.none()
        queryset = requests_for(self.request.user)
        if self.action == "list":
            return with_items(queryset)
        if self.action in ("retrieve",):
            return with_everything(queryset)
        return queryset

    def detail_queryset(self):
        return with_everything(requests_for(self.request.user))

    def conflict_data(self, error: StaleEdit) -> dict:
        """A stale decision answers with the item as it is now; a stale edit with the request."""
        if isinstance(error.record, RequestItem):
            item = RequestItem.objects.get(pk=error.record.pk)
            return stale_edit_data(error, RequestItemSerializer(item, context=self.get_serializer_context()).data)
        return super().conflict_data(error)

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(
        summary=_("Record a request received"),
        description=_(
            "Any signed-in user (a request received by phone, by mail or at a desk); the department and the "
            "handler only the PMS office gives. The due date is set from the company's target on the day of "
            "receipt; the PMS office is told."),
        request=RightsRequestCreateSerializer,
        responses={201: RightsRequestDetailSerializer, **_errors(400, 403)},
    )
    def create(self, request):
        data = self._input(RightsRequestCreateSerializer)
        kinds = data.pop("kinds")
        record = case_services.request_receive(by=request.user, kinds=kinds, **data)
        return self.detail_response(record, status.HTTP_201_CREATED)

    @extend_schema(summary=_("Edit a request"), description=EDIT_CONTRACT, request=RightsRequestInputSerializer,
                   responses={200: RightsRequestDetailSerializer, **_errors(400, 403, 404, 409)})
    def update(self, request, pk=None, partial=False):
        return super().update(request, pk, partial)

    @extend_schema(summary=_("Edit some fields of a request"), description=EDIT_CONTRACT,
                   request=RightsRequestInputSerializer,
                   responses={200: RightsRequestDetailSerializer, **_errors(400, 403, 404, 409)})
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)

    @staticmethod
    def edit_service(record, *, by, version, data):
        return case_services.request_update(request=record, by=by, version=version, **data)

    @extend_schema(
        summary=_("Decide one thing asked for"),
        description=_(
            "The PMS office or the handler, while the request is unanswered. Not in full: give the article "
            "relied on (`ground`) and the reason told to the person (`reason`, art. 36); by another measure "
            "answers only a deletion or an erasure. Send the item's `version` as you read it: if it changed "
            "since, nothing is saved and the answer is 409 with what changed and the item now."),
        parameters=[OpenApiParameter("item_id", int, OpenApiParameter.PATH, description=_("The item."))],
        request=RequestItemInputSerializer,
        responses={200: RequestItemSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path=r"items/(?P<item_id>[0-9]+)", url_name="item",
            pagination_class=None, filter_backends=[])
    def decide_item(self, request, pk=None, item_id=None):
        record = self.get_object()
        item = get_object_or_404(RequestItem.objects.filter(request=record), pk=_db_int(item_id))
        data = self._input(RequestItemInputSerializer)
        version = data.pop("version")
        item = case_services.request_item_update(item=item, by=request.user, version=version, **data)
        item = RequestItem.objects.get(pk=item.pk)
        return Response(RequestItemSerializer(item, context=self.get_serializer_context()).data)

    @extend_schema(
        summary=_("Add another thing asked for"),
        description=_("Found on reading the request; the PMS office or the handler, while it is unanswered "
                      "(409 afterwards). The answer is the new item."),
        request=RequestKindInputSerializer,
        responses={201: RequestItemSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="kinds", url_name="kinds", pagination_class=None,
            filter_backends=[])
    def add_kind(self, request, pk=None):
        record = self.get_object()
        data = self._input(RequestKindInputSerializer)
        item = case_services.request_add_kind(request=record, by=request.user, kind=data["kind"])
        return Response(RequestItemSerializer(item, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Stop the clock while waiting for the requester"),
        description=_(
            "The PMS office or the handler, while the request is unanswered: the pause is kept and shown, "
            "and the due date moves by its length when the clock runs again. The art. 39 mark never moves. "
            "With the request's `version` (409 when it changed since)."),
        request=RequestPauseInputSerializer,
        responses={200: RightsRequestDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="pause", url_name="pause", pagination_class=None,
            filter_backends=[])
    def pause(self, request, pk=None):
        record = self.get_object()
        data = self._input(RequestPauseInputSerializer)
        record = case_services.request_pause(request=record, by=request.user, **data)
        return self.detail_response(record)

    @extend_schema(
        summary=_("Run the clock again"),
        description=_("The requester answered: the due date moves by the days waited. With the request's "
                      "`version` (409 when it changed since)."),
        request=RequestResumeInputSerializer,
        responses={200: RightsRequestDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="resume", url_name="resume", pagination_class=None,
            filter_backends=[])
    def resume(self, request, pk=None):
        record = self.get_object()
        data = self._input(RequestResumeInputSerializer)
        record = case_services.request_resume(request=record, by=request.user, **data)
        return self.detail_response(record)

    @extend_schema(
        summary=_("Judge a refusal wrongful: raise the kind-⑧ incident"),
        description=_(
            "The PMS office, for a request refused in whole or in part and no longer open: an incident of "
            "PrivacyMark kind ⑧ (開示等の求め等の拒否) is raised, linked to the request, in one step; its reports "
            "then run like any incident's. 409 when the request was not refused or an incident was already "
            "raised."),
        request=WrongfulRefusalInputSerializer,
        responses={201: RaisedIncidentSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="wrongful-refusal", url_name="wrongful-refusal",
            pagination_class=None, filter_backends=[])
    def wrongful_refusal(self, request, pk=None):
        record = with_items(requests_for(request.user)).get(pk=self.get_object().pk)
        data = self._input(WrongfulRefusalInputSerializer)
        incident = case_services.request_raise_refusal_incident(request=record, by=request.user, **data)
        return Response(RaisedIncidentSerializer(incident, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


def _db_int(value) -> int:
    """A path id the database can hold (a larger one is no record: 404, not an overflow)."""
    number = int(value)
    if number > DB_INTEGER_MAX:
        raise Http404
    return number


# ---------------------------------------------------------------------------
# Complaints


class ComplaintSerializer(CasesModelSerializer):
    """A complaint or consultation as its list shows it."""

    state_display = ChoiceLabelField("state")
    channel_display = ChoiceLabelField("channel")
    classification_display = ChoiceLabelField("classification")
    company_name = company_name_field()
    handler = UserRefSerializer(read_only=True, allow_null=True,
                                help_text=_("Who runs the case (担当者); null until one is assigned."))
    received_by = UserRefSerializer(read_only=True, allow_null=True,
                                    help_text=_("Null: filed by the person through the public form."))

    class Meta:
        model = Complaint
        fields = [
            "id", "reference", "state", "state_display", "company", "company_name", "department", "handler",
            "channel", "channel_display", "received_on", "received_by", "complainant_name", "classification",
            "classification_display", "reveals_weakness", "first_response_on", "answered_on", "request",
            "incident", "created_at", "updated_at", "version",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "request": {"help_text": _("The request it was converted into (POST …/to-request/).")},
            "incident": {"help_text": _("The incident it raised (POST …/to-incident/).")},
        }


class ComplaintDetailSerializer(ComplaintSerializer):
    """A complaint with what the person said, the answer, and what it led to."""

    actions = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True,
        help_text=_("The corrective actions planned for the weakness it revealed (POST …/actions/)."),
    )
    attachments_url = serializers.SerializerMethodField(help_text=_("The case's files (GET; POST to add one)."))

    class Meta(ComplaintSerializer.Meta):
        fields = [
            *ComplaintSerializer.Meta.fields, "complainant_contact", "summary", "outcome", "weakness_note",
            "reply_body", "actions", "closed_at", "attachments_url",
        ]
        read_only_fields = fields

    def get_attachments_url(self, complaint) -> str:
        url = reverse("api:complaint-attachments", args=[complaint.pk])
        http = self.context.get("request")
        return http.build_absolute_uri(url) if http else url


class ComplaintInputBase(RejectUnexpectedFieldsMixin, CasesModelSerializer):
    """Record a complaint received, or edit one with the `version` you read. Which fields you may
    write depends on your role and the complaint's state (Complaint.edit_policy); the others are
    a 400 naming them. `department` and `handler` are the PMS office's to give."""

    read_only_names = frozenset(ComplaintDetailSerializer.Meta.fields) - set(Complaint.edit_policy.fields)

    class Meta:
        model = Complaint
        fields = list(Complaint.edit_policy.fields)
        extra_kwargs = {"handler": {"queryset": _people()}}


ComplaintInputSerializer = edit_input_serializer(Complaint, ComplaintInputBase)


class ComplaintToRequestSerializer(RejectUnexpectedFieldsMixin, CasesModelSerializer):
    """A complaint that is in truth a request to disclose etc. becomes one: what it asks for
    (`kinds`) and what the complaint does not say; the channel, the date of receipt, the
    person and the summary come from the complaint. Its clock runs from the day the complaint
    was received."""

    kinds = serializers.ListField(
        child=RequestKindField(choices=RequestKind.choices), allow_empty=False, max_length=6,
        help_text=_("What the request asks for: one or more of the six."),
    )

    class Meta:
        model = RightsRequest
        fields = ["kinds", "requester_type", "subject_name", "requester_address", "method_requested", "enclosures",
                  "postage_by_requester"]


class ComplaintToIncidentSerializer(RejectUnexpectedFieldsMixin, ModelSerializer):
    """The incident the complaint reports, raised as any report (the PMS office triages it):
    the department is the complaint's and the description its summary unless given."""

    class Meta:
        model = Incident
        fields = ["title", "kind", "description", "department", "occurred_at", "discovered_at"]
        extra_kwargs = {"department": {"required": False}, "description": {"required": False},
                        "discovered_at": {"required": False}}


COMPLAINT_ACTION_FIELDS = ["kind", "title", "description", "department", "owner", "verifier", "due_date"]


class ComplaintActionInputSerializer(RejectUnexpectedFieldsMixin, ModelSerializer):
    """A corrective action for the weakness the complaint revealed, in the complaint's department
    unless given. `owner` and `verifier` are user ids."""

    read_only_names = frozenset(ActionSerializer.Meta.fields) - set(COMPLAINT_ACTION_FIELDS)

    class Meta:
        model = Action
        fields = COMPLAINT_ACTION_FIELDS
        extra_kwargs = {
            "owner": {"queryset": _people()},
            "verifier": {"queryset": _people()},
            "department": {"required": False},
        }


class ComplaintApiFilter(django_filters.FilterSet):
    state = ChoicesFilter(choices=ComplaintState.choices, label=_("state"))
    classification = ChoicesFilter(choices=ComplaintClass.choices, label=_("classification"))
    channel = ChoicesFilter(choices=CaseChannel.choices, label=_("channel"))
    company = company_filter()
    department = IntegerFilter(field_name="department_id", label=_("department"))
    handler = IntegerFilter(field_name="handler_id", label=_("handler"))
    reveals_weakness = django_filters.BooleanFilter(label=_("reveals a weakness"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open only"),
                                        help_text=_("true: received or being handled; false: everything else."))

    class Meta:
        model = Complaint
        fields = ["state", "classification", "channel", "company", "department", "handler", "reveals_weakness"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.open() if value else queryset.exclude(pk__in=queryset.open().values("pk"))


def complaints_for(user):
    return Complaint.objects.visible_to(user).select_related("company", "handler", "received_by")


@extend_schema_view(
    list=extend_schema(summary=_("List complaints and consultations")),
    retrieve=extend_schema(summary=_("A complaint or consultation"),
                           responses={200: ComplaintDetailSerializer, **_errors(404)}),
    **transition_docs(Complaint, ComplaintDetailSerializer),
)
@extend_schema(tags=["complaints"])
class ComplaintViewSet(AttachmentActionsMixin, RecordViewSet):
    """Complaints and consultations (苦情・相談, APPI art. 40): received, handled, answered,
    closed. One that is in truth a request to disclose etc. converts into a request
    (`to-request`), one that reports an incident raises it (`to-incident`), one that reveals a
    weakness is closed only with a corrective action (`actions`). Seen by the PMS office of the
    company, whoever handles or received it and the heads of its department; anything else is
    a 404."""

    model = Complaint
    queryset = Complaint.objects.none()  # the real one depends on the user
    list_serializer_class = ComplaintSerializer
    detail_serializer_class = ComplaintDetailSerializer
    input_serializer_class = ComplaintInputSerializer
    filterset_class = ComplaintApiFilter
    search_fields = ["reference", "complainant_name", "summary"]
    ordering_fields = ["reference", "state", "channel", "classification", "received_on", "answered_on",
                       "created_at", "updated_at"]

    def get_serializer_class(self):
        serializers_by_action = {
            "to_request": ComplaintToRequestSerializer, "to_incident": ComplaintToIncidentSerializer,
            "add_action": ComplaintActionInputSerializer,
        }
        if self.action in serializers_by_action:
            return serializers_by_action[self.action]
        return super().get_serializer_class()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Complaint.objects.none()
        queryset = complaints_for(self.request.user)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("actions")
        return queryset

    def detail_queryset(self):
        return complaints_for(self.request.user).prefetch_related("actions")

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(
        summary=_("Record a complaint or consultation received"),
        description=_("Any signed-in user (one received by phone, by mail or at a desk); the department and the "
                      "handler only the PMS office gives. The PMS office is told."),
        request=ComplaintInputSerializer,
        responses={201: ComplaintDetailSerializer, **_errors(400, 403)},
    )
    def create(self, request):
        data = self.validated_input()
        data.pop("version", None)
        record = case_services.complaint_receive(by=request.user, **data)
        return self.detail_response(record, status.HTTP_201_CREATED)

    @extend_schema(summary=_("Edit a complaint"), description=EDIT_CONTRACT, request=ComplaintInputSerializer,
                   responses={200: ComplaintDetailSerializer, **_errors(400, 403, 404, 409)})
    def update(self, request, pk=None, partial=False):
        return super().update(request, pk, partial)

    @extend_schema(summary=_("Edit some fields of a complaint"), description=EDIT_CONTRACT,
                   request=ComplaintInputSerializer,
                   responses={200: ComplaintDetailSerializer, **_errors(400, 403, 404, 409)})
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)

    @staticmethod
    def edit_service(record, *, by, version, data):
        return case_services.complaint_update(complaint=record, by=by, version=version, **data)

    @extend_schema(
        summary=_("Convert the complaint into a request"),
        description=_(
            "The PMS office or the handler, while the complaint is not closed; once only (409 afterwards). "
            "The answer is the new request, linked to the complaint."),
        request=ComplaintToRequestSerializer,
        responses={201: RightsRequestDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="to-request", url_name="to-request", pagination_class=None,
            filter_backends=[])
    def to_request(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(ComplaintToRequestSerializer)
        kinds = data.pop("kinds")
        created = case_services.complaint_convert_to_request(complaint=complaint, by=request.user, kinds=kinds,
                                                             **data)
        created = with_everything(RightsRequest.objects.select_related("company", "handler", "received_by")) \
            .get(pk=created.pk)
        return Response(RightsRequestDetailSerializer(created, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Raise the incident the complaint reports"),
        description=_(
            "The PMS office or the handler, while the complaint is not closed; once only (409 afterwards). "
            "The incident is reported as any report, by you, and the PMS office triages it."),
        request=ComplaintToIncidentSerializer,
        responses={201: RaisedIncidentSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="to-incident", url_name="to-incident", pagination_class=None,
            filter_backends=[])
    def to_incident(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(ComplaintToIncidentSerializer)
        if data.get("department") is None:
            data.pop("department", None)
        incident = case_services.complaint_raise_incident(complaint=complaint, by=request.user, **data)
        return Response(RaisedIncidentSerializer(incident, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Plan a corrective action for the weakness the complaint revealed"),
        description=_(
            "The PMS office or the handler, while the complaint is not closed; the action runs through the "
            "transitions of /api/actions/ and the complaint is marked as revealing a weakness."),
        request=ComplaintActionInputSerializer,
        responses={201: ActionSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="actions", url_name="actions", pagination_class=None,
            filter_backends=[])
    def add_action(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(ComplaintActionInputSerializer)
        if data.get("department") is None:
            data.pop("department", None)
        created = case_services.complaint_add_action(complaint=complaint, by=request.user, **data)
        return Response(ActionSerializer(created, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)
