"""REST API for incidents, actions and reporting tracks (design.md "Interfaces").

Reads come from the selectors, so a record the user may not see is a 404 on every
endpoint. Writes and transitions go through the services, which check permissions and
conditions; their errors are turned into status codes by errors.exception_handler.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from .. import attachments, selectors, services
from ..models import Action, Incident, ReportingTrack, department_of
from ..ppc_report import build_ppc_report
from ..workflow.api import ERROR_RESPONSES, RecordViewSet, errors, transition_docs
from .attachments import AttachmentActionsMixin
from .filters import ActionApiFilter, IncidentApiFilter, TrackFilter
from .progress import IncidentContextSerializer, ProgressEntryInputSerializer, ProgressEntrySerializer
from .serializers import (
    ActionInputSerializer,
    ActionSerializer,
    IncidentDetailSerializer,
    IncidentInputSerializer,
    IncidentSerializer,
    PPCReportSerializer,
    TrackDetailSerializer,
)

# What the apps built on this one import from here.
__all__ = ["ERROR_RESPONSES", "RecordViewSet", "errors", "transition_docs"]

_errors = errors


EDIT_CONTRACT = _(
    "Send the `version` you read with the record. If the record changed since, nothing is saved and the "
    "answer is 409 with `changed_fields` (each field changed since your version: its value then and now, who "
    "changed it and when) and `current` (the record now). A field you may not write in the record's current "
    "state is a 400 naming it; a value sent unchanged writes nothing."
)


def with_tracks(incidents):
    """Incidents with what their rows show: the rule set's version and the reports they owe."""
    return incidents.select_related("rule_set").prefetch_related(
        Prefetch("tracks", queryset=ReportingTrack.objects.select_related("filed_by"))
    )


# What a row of a list reads besides the record's own columns, joined, and nothing more: each
# join costs PostgreSQL's planner, the incident selector's eight 30 ms at 100,000 incidents
# (bench/query_plans.md). The department, the event class and the cause are ids; the people
# come in one query for the page (serializers.attach_people).
LIST_RELATIONS = ("company", "joint_use_company", "rule_set")
ACTION_LIST_RELATIONS = ("company",)


@extend_schema_view(
    list=extend_schema(summary=_("List incidents"), description=_(
        "The incidents you see in full. An incident you read only as the owner or verifier of one of its "
        "actions is not listed (a filter on what you may not read would tell it): open it from the action's "
        "`incident`.")),
    retrieve=extend_schema(
        summary=_("An incident with its actions and reports"),
        description=_(
            "The whole incident for those who see it. The owner or verifier of one of its actions (not "
            "cancelled) who may not otherwise see it reads what the work needs (`limited`: true: the "
            "description, the department, the root cause, the actions and their plans, the progress log), "
            "without the reporter, the reports, the PPC details, the files or the trail; every other endpoint "
            "of the incident but its progress log is then a 404, as for anyone else."),
        responses={200: PolymorphicProxySerializer(
            component_name="IncidentOrContext", serializers=[IncidentDetailSerializer, IncidentContextSerializer],
            resource_type_field_name=None,
        ), **_errors(404)},
    ),
    **transition_docs(Incident, IncidentDetailSerializer),
)
@extend_schema(tags=["incidents"])
class IncidentViewSet(AttachmentActionsMixin, RecordViewSet):
    """Incidents and near misses. Staff see what they reported, department heads their
    departments', the PMS office, auditors and top management those of their companies (the
    group's, every company's) and the incidents involving the jointly used data their company
    is responsible for; anything else is a 404. Each incident belongs to its department's
    company (`company`; `?company=<id>` filters). The state changes only through the
    transitions."""

    model = Incident
    queryset = Incident.objects.none()  # the real one comes from the selector, per user
    list_serializer_class = IncidentSerializer
    detail_serializer_class = IncidentDetailSerializer
    input_serializer_class = IncidentInputSerializer
    filterset_class = IncidentApiFilter
    search_fields = ["reference", "title", "description"]
    ordering_fields = [
        "reference", "title", "state", "kind", "severity", "occurred_at", "discovered_at", "affected_count",
        "created_at", "updated_at", "closed_at",
    ]

    def get_serializer_class(self):
        if self.action == "ppc_report":
            return PPCReportSerializer
        if self.action == "progress":
            return ProgressEntryInputSerializer if self.request.method == "POST" else ProgressEntrySerializer
        return super().get_serializer_class()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Incident.objects.none()
        if self.action == "progress":
            # The log is read and written by those working on the incident through an action too.
            return Incident.objects.readable_by(self.request.user).select_related("company")
        queryset = selectors.incident_list(user=self.request.user)
        if self.action == "list":
            queryset = with_tracks(queryset.select_related(None).select_related(*LIST_RELATIONS))
        elif self.action in ("retrieve", "ppc_report"):
            queryset = with_tracks(queryset).prefetch_related("actions")
        return queryset

    def detail_queryset(self):
        return with_tracks(selectors.incident_list(user=self.request.user)).prefetch_related("actions")

    def retrieve(self, request, pk=None):
        try:
            return super().retrieve(request, pk=pk)
        except Http404:
            if not str(pk).isdigit():
                raise
        # The owner or verifier of one of its actions: the limited view, or the same 404.
        incident = get_object_or_404(
            Incident.objects.through_actions(request.user).select_related("department", "company", "handler", "cause")
            .prefetch_related(Prefetch("actions", queryset=Action.objects.select_related("owner", "verifier"))),
            pk=pk,
        )
        incident.progress = services.progress_log(incident, request.user)
        return Response(IncidentContextSerializer(incident, context=self.get_serializer_context()).data)

    @extend_schema(
        methods=["GET"],
        summary=_("The incident's progress log"),
        description=_("Oldest first, for whoever may open the incident (in full or through one of their actions); "
                      "each entry with the files you may download."),
        responses={200: ProgressEntrySerializer(many=True), **_errors(404)},
    )
    @extend_schema(
        methods=["POST"],
        summary=_("Write a progress entry"),
        description=_(
            "The PMS office, the incident's handler, the head of its department and the owners of its actions, "
            "while it is open; the PMS office also after close (else 409). Read-only roles are refused (403). An "
            "entry is never changed or removed. JSON, or multipart with `files` repeated for its evidence files "
            "(checked like any attachment: type by content, size)."),
        request={"application/json": ProgressEntryInputSerializer, "multipart/form-data": ProgressEntryInputSerializer},
        responses={201: ProgressEntrySerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["get", "post"], url_path="progress", pagination_class=None, filter_backends=[],
            parser_classes=[JSONParser, MultiPartParser, FormParser])
    def progress(self, request, pk=None):
        incident = self.get_object()
        if request.method == "GET":
            entries = services.progress_log(incident, request.user)
            return Response(ProgressEntrySerializer(entries, many=True, context=self.get_serializer_context()).data)
        serializer = ProgressEntryInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        entry = services.add_progress(incident, by=request.user, **serializer.validated_data)
        entry.files = list(attachments.attachments_of(entry))  # its writer downloads them
        return Response(ProgressEntrySerializer(entry, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("The report to the PPC, ready to paste"),
        description=_(
            "The nine items of APPI rule art. 8(1) in Japanese, as the PPC's online form asks for them, "
            "which of them are still empty, the whole text, and the draft of the notice to data subjects "
            "(items 1, 2, 4, 5 and 9, rule art. 10)."
        ),
        responses={200: PPCReportSerializer, **_errors(404)},
    )
    @action(detail=True, methods=["get"], url_path="ppc-report", pagination_class=None, filter_backends=[])
    def ppc_report(self, request, pk=None):
        incident = self.get_object()
        report = build_ppc_report(incident)
        data = {
            "incident": incident.reference,
            "items": report.items,
            "missing": report.missing,
            "blocking_final": [item.key for item in report.unexplained_gaps],
            "not_yet_known": report.unknown,
            "text": report.text,
            "subject_notice": report.subject_notice,
        }
        return Response(self.get_serializer(data).data)

    @extend_schema(
        summary=_("Report an incident"),
        description=_("Any signed-in user. The department defaults to your own; the reporter is you."),
        request=IncidentInputSerializer,
        responses={201: IncidentDetailSerializer, **_errors(400, 403)},
    )
    def create(self, request):
        data = self.validated_input()
        if data.get("department") is None:
            data["department"] = department_of(request.user)
            if data["department"] is None:
                raise serializers.ValidationError({"department": [_("This field is required.")]})
        incident = services.incident_report(reporter=request.user, **data)
        return self.detail_response(incident, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Edit an incident"),
        description=EDIT_CONTRACT,
        request=IncidentInputSerializer,
        responses={200: IncidentDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def update(self, request, pk=None, partial=False):
        return super().update(request, pk, partial)

    @extend_schema(
        summary=_("Edit some fields of an incident"),
        description=EDIT_CONTRACT,
        request=IncidentInputSerializer,
        responses={200: IncidentDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)

    @staticmethod
    def edit_service(record, *, by, version, data):
        return services.incident_update(incident=record, by=by, version=version, **data)


@extend_schema_view(
    list=extend_schema(summary=_("List actions")),
    retrieve=extend_schema(summary=_("An action"), responses={200: ActionSerializer, **_errors(404)}),
    **transition_docs(Action, ActionSerializer),
)
@extend_schema(tags=["actions"])
class ActionViewSet(AttachmentActionsMixin, RecordViewSet):
    """Corrections, corrective, preventive and improvement actions (CAPA). Owners and
    verifiers see their actions, department heads their departments', the PMS office,
    auditors and top management those of their companies (the group's, every company's);
    anything else is a 404. Each action belongs to its incident's company, else its
    department's (`company`; `?company=<id>` filters). The state changes only through the
    transitions. Evidence files (`attachments/`) each say what they prove (`purpose`): its
    implementation (added by the owner) or its effectiveness (by the verifier); the PMS office
    adds either."""

    model = Action
    queryset = Action.objects.none()  # the real one comes from the selector, per user
    list_serializer_class = ActionSerializer
    detail_serializer_class = ActionSerializer
    input_serializer_class = ActionInputSerializer
    filterset_class = ActionApiFilter
    search_fields = ["reference", "title", "description"]
    ordering_fields = ["reference", "title", "state", "kind", "due_date", "created_at", "updated_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Action.objects.none()
        # Who implemented and verified it, with the row: the same queries whatever the page holds.
        queryset = selectors.action_list(user=self.request.user).select_related("implemented_by", "verified_by")
        if self.action == "list":
            # Joined: what a row reads (its incident and department are ids; the people come
            # in one query for the page), nothing more.
            return queryset.select_related(None).select_related(*ACTION_LIST_RELATIONS)
        return queryset

    @extend_schema(
        summary=_("Plan an action"),
        description=_("The PMS manager, or the head of the action's department."),
        request=ActionInputSerializer,
        responses={201: ActionSerializer, **_errors(400, 403, 409)},
    )
    def create(self, request):
        record = services.action_create(by=request.user, **self.validated_input())
        return self.detail_response(record, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Edit an action"),
        description=EDIT_CONTRACT,
        request=ActionInputSerializer,
        responses={200: ActionSerializer, **_errors(400, 403, 404, 409)},
    )
    def update(self, request, pk=None, partial=False):
        return super().update(request, pk, partial)

    @extend_schema(
        summary=_("Edit some fields of an action"),
        description=EDIT_CONTRACT,
        request=ActionInputSerializer,
        responses={200: ActionSerializer, **_errors(400, 403, 404, 409)},
    )
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)

    @staticmethod
    def edit_service(record, *, by, version, data):
        return services.action_update(action=record, by=by, version=version, **data)


@extend_schema_view(
    list=extend_schema(summary=_("List reporting tracks")),
    retrieve=extend_schema(summary=_("A reporting track"), responses={200: TrackDetailSerializer, **_errors(404)}),
    **transition_docs(ReportingTrack, TrackDetailSerializer),
)
@extend_schema(tags=["tracks"])
class TrackViewSet(RecordViewSet):
    """The reports incidents owe: to the PPC (速報, 確報), the PrivacyMark assessment body, the
    entrusting business (委託元) and the data subjects (本人通知), each with its own clock.

    The system creates them and re-times, withdraws or reinstates them when an incident's
    classification changes; the PMS office files them (`file`) or records why one is not
    required (`not_required`). Visible with their incident; anything else is a 404. Sorted
    by limit, soonest first, unless `ordering` says otherwise."""

    model = ReportingTrack
    queryset = ReportingTrack.objects.none()  # the real one depends on the user
    list_serializer_class = TrackDetailSerializer
    detail_serializer_class = TrackDetailSerializer
    filterset_class = TrackFilter
    search_fields = ["incident__reference", "incident__title", "recipient_reference"]
    ordering_fields = ["limit_at", "due_at", "filed_at", "kind", "state", "incident__reference", "updated_at"]
    ordering = ["limit_at", "id"]
    # Nothing of a report is edited (ReportingTrack.edit_policy): no PUT, no PATCH.
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReportingTrack.objects.none()
        return ReportingTrack.objects.visible_to(self.request.user).select_related(
            "incident", "incident__company", "filed_by"
        )
