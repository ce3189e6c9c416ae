"""REST API for the clause catalogue, audits and findings (design.md "Interfaces").

Built on the incidents API: RecordViewSet gives list, detail and the transition pattern
(…/transitions/, …/transitions/<name>/, …/history/), AttachmentActionsMixin the evidence
files (…/attachments/, rules in audits.attachments), incidents.api.errors turns the
services' errors into status codes. Reads come from audits.selectors, so a record the user
may not see is a 404 everywhere; writes go through audits.services.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from incidents.api.attachments import AttachmentActionsMixin
from incidents.api.serializers import ActionSerializer, visible_prefetch
from incidents.api.views import EDIT_CONTRACT, ERROR_RESPONSES, RecordViewSet, transition_docs
from incidents.exceptions import StaleEdit
from incidents.models import Incident
from incidents.workflow.api import stale_edit_data

from .. import selectors, services  # services registers the audits' transitions
from ..filters import RequirementFilter
from ..models import Audit, ChecklistItem, Finding, Requirement
from ..pdf.audit_report import render_audit_report, report_filename
from ..pdf.base import pdf_language, pdf_response
from .filters import AuditApiFilter, FindingApiFilter
from .serializers import (
    AuditDetailSerializer,
    AuditInputSerializer,
    AuditSerializer,
    ChecklistItemSerializer,
    ChecklistRecordSerializer,
    FindingActionInputSerializer,
    FindingDetailSerializer,
    FindingEditSerializer,
    FindingInputSerializer,
    FindingSerializer,
    RequirementSerializer,
)


def _errors(*codes: int) -> dict:
    return {code: ERROR_RESPONSES[code] for code in codes}


class PDFRenderer(renderers.BaseRenderer):
    """Lets a client ask for `Accept: application/pdf` (Swagger UI does) on the PDF
    endpoints, which answer with the PDF itself; their errors still go out as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return renderers.JSONRenderer().render(data, "application/json", renderer_context)


def pdf_docs(summary, description) -> dict:
    """The schema of a PDF endpoint: `?lang=`, the PDF, or JSON errors."""
    return {
        "summary": summary,
        "description": description,
        "parameters": [OpenApiParameter(
            "lang", str, OpenApiParameter.QUERY, required=False, enum=[code for code, _name in settings.LANGUAGES],
            description=_("The language of the document; by default the language of the request, else Japanese."),
        )],
        "responses": {
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The PDF, as a download.")),
            (400, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT,
                                                       description=_("Unknown language: `{\"lang\": [...]}`.")),
            (404, "application/json"): ERROR_RESPONSES[404],
        },
    }


def pdf_language_or_400(request) -> str:
    """The language asked for with `?lang=` (else the request's), or a 400 naming the choices."""
    try:
        return pdf_language(request.query_params.get("lang"))
    except ValueError as error:
        raise serializers.ValidationError({"lang": [str(error)]}) from None


# ---------------------------------------------------------------------------
# The clause catalogue


@extend_schema_view(
    list=extend_schema(summary=_("List the clauses of the catalogue")),
    retrieve=extend_schema(summary=_("A clause"), responses={200: RequirementSerializer, **_errors(404)}),
)
@extend_schema(tags=["clauses"])
class RequirementViewSet(viewsets.ReadOnlyModelViewSet):
    """The requirements audits check against (JIS Q 15001, ISO/IEC 27001), as data edited in
    the admin. `verified` marks entries checked against the text of the standard. Titles
    come in Japanese, in English, and as `title` in the language of the request."""

    queryset = Requirement.objects.all()
    serializer_class = RequirementSerializer
    filterset_class = RequirementFilter
    search_fields = ["clause", "title_ja", "title_en"]
    ordering_fields = ["standard", "edition", "clause", "position"]


# ---------------------------------------------------------------------------
# Audits


def audit_detail_queryset(queryset, user):
    """Audits with their checklist and the findings `user` may see (as `visible_findings`)."""
    return queryset.select_related("created_by").prefetch_related(
        Prefetch(
            "checklist",
            queryset=ChecklistItem.objects.select_related("requirement", "recorded_by", "finding"),
        ),
        Prefetch(
            "findings", queryset=Finding.objects.visible_to(user).order_by("reference"), to_attr="visible_findings"
        ),
    )


@extend_schema_view(
    list=extend_schema(summary=_("List audits")),
    retrieve=extend_schema(summary=_("An audit with its checklist and findings"),
                           responses={200: AuditDetailSerializer, **_errors(404)}),
    **transition_docs(Audit, AuditDetailSerializer),
)
@extend_schema(tags=["audits"])
class AuditViewSet(AttachmentActionsMixin, RecordViewSet):
    """Internal audits (内部監査) and operational checks (運用の確認). The audit lead plans them;
    the lead auditor starts the fieldwork, the team records the checklist, the lead auditor
    reports and the audit lead closes. Auditors never audit their own department and a PMS
    manager never leads an audit: such plans are refused (403) with the reason. The PMS
    roles see every audit of their companies (the group's, every company's), department
    heads those of their departments, the team its own; anything else is a 404. An audit
    audits one group company (`company`; `?company=<id>` filters): named when planning it,
    else its departments' company."""

    model = Audit
    queryset = Audit.objects.none()  # the real one comes from the selector, per user
    list_serializer_class = AuditSerializer
    detail_serializer_class = AuditDetailSerializer
    input_serializer_class = AuditInputSerializer
    filterset_class = AuditApiFilter
    search_fields = ["reference", "title"]
    ordering_fields = [
        "reference", "title", "kind", "state", "fiscal_year", "planned_start", "planned_end", "created_at",
        "updated_at",
    ]

    def get_serializer_class(self):
        if self.action == "record_checklist":
            return ChecklistRecordSerializer
        return super().get_serializer_class()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Audit.objects.none()
        queryset = selectors.audit_list(user=self.request.user).select_related("company").prefetch_related("clauses")
        if self.action == "retrieve":
            queryset = audit_detail_queryset(queryset, self.request.user)
        return queryset

    def detail_queryset(self):
        return audit_detail_queryset(
            selectors.audit_list(user=self.request.user).select_related("company").prefetch_related("clauses"),
            self.request.user,
        )

    @staticmethod
    def _scope_and_team(data: dict) -> dict:
        return {name: data.pop(name) for name in ("departments", "clauses", "auditors") if name in data}

    @staticmethod
    def edit_service(record, *, by, version, data):
        return services.audit_update(audit=record, by=by, version=version, **data)

    def conflict_data(self, error: StaleEdit) -> dict:
        """A stale checklist result answers with the item as it is now; a stale re-plan with the audit."""
        if not isinstance(error.record, ChecklistItem):
            return super().conflict_data(error)
        item = ChecklistItem.objects.select_related("requirement", "recorded_by", "finding").get(pk=error.record.pk)
        visible = set(Finding.objects.visible_to(self.request.user).filter(checklist_item=item)
                      .values_list("pk", flat=True))
        context = {**self.get_serializer_context(), "visible_findings": visible}
        return stale_edit_data(error, ChecklistItemSerializer(item, context=context).data)

    @extend_schema(
        summary=_("Plan an audit"),
        description=_(
            "The audit lead (a department head may plan its own department's operational check). "
            "The checklist is built from the clauses. A team that is not independent of the scope "
            "is refused with 403 and the reason, naming the person and the department."
        ),
        request=AuditInputSerializer,
        responses={201: AuditDetailSerializer, **_errors(400, 403)},
    )
    def create(self, request):
        data = self.validated_input()
        scope = self._scope_and_team(data)
        scope.setdefault("clauses", [])
        audit = services.audit_plan(by=request.user, **scope, **data)
        return self.detail_response(audit, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Re-plan an audit"),
        description=format_lazy(
            "{} {}", _("Only while the audit is planned (409 afterwards); the same rules as planning it. "
                       "Departments, clauses and auditors compare as sets."), EDIT_CONTRACT,
        ),
        request=AuditInputSerializer,
        responses={200: AuditDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def update(self, request, pk=None, partial=False):
        return super().update(request, pk, partial)

    @extend_schema(
        summary=_("Re-plan some fields of an audit"),
        description=format_lazy(
            "{} {}", _("Only while the audit is planned (409 afterwards); the same rules as planning it. "
                       "Departments, clauses and auditors compare as sets."), EDIT_CONTRACT,
        ),
        request=AuditInputSerializer,
        responses={200: AuditDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)

    @extend_schema(**pdf_docs(
        _("The audit report as a PDF"),
        _("The internal audit report (内部監査報告書) for top management: scope, team, checklist results, "
          "findings with their actions, conclusion and sign-off boxes, in Japanese or English. It lists "
          "the findings you may see. Whoever may see the audit may download it; anyone else gets 404."),
    ))
    @action(detail=True, methods=["get"], url_path="pdf", url_name="pdf", pagination_class=None, filter_backends=[],
            renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def pdf(self, request, pk=None):
        audit = self.get_object()
        language = pdf_language_or_400(request)
        pdf = render_audit_report(audit, language=language, user=request.user)
        return pdf_response(pdf, report_filename(audit, language))

    @extend_schema(
        summary=_("Record a checklist result"),
        description=_(
            "During fieldwork, by the audit team. A nonconforming result raises a finding (a minor "
            "nonconformity unless `grade` says major); an observation raises one when `grade` is given. "
            "Send the item's `version` as you read it: if the item changed since, nothing is saved and the "
            "answer is 409 with `changed_fields` (what changed, who changed it) and `current` (the item "
            "now). The answer is the item, with the finding it raised."
        ),
        parameters=[OpenApiParameter("item_id", int, OpenApiParameter.PATH, description=_("The checklist item."))],
        request=ChecklistRecordSerializer,
        responses={200: ChecklistItemSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path=r"checklist/(?P<item_id>[0-9]+)", url_name="checklist",
            pagination_class=None, filter_backends=[])
    def record_checklist(self, request, pk=None, item_id=None):
        audit = self.get_object()
        item = get_object_or_404(ChecklistItem.objects.select_related("requirement"), audit=audit, pk=item_id)
        item.audit = audit
        serializer = ChecklistRecordSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        services.checklist_record(item=item, by=request.user, **serializer.validated_data)
        item = ChecklistItem.objects.select_related("requirement", "recorded_by", "finding").get(pk=item.pk)
        return Response(ChecklistItemSerializer(item, context=self.get_serializer_context()).data)


# ---------------------------------------------------------------------------
# Findings


FINDING_EDIT_RULES = _(
    "The audit team (or the audit lead) rewords the finding — clause, department, grade, description, "
    "evidence — while it is open; the head of its department drafts and refines the cause and the plan "
    "until the team accepts them (the `respond` step submits them)."
)


# What a row of the finding list reads besides the finding's own columns.
LIST_RELATIONS = ("audit", "requirement", "department", "raised_by", "company")


def with_visible_links(queryset, user):
    """Findings with their actions and the related incidents `user` may see."""
    return queryset.prefetch_related("actions", visible_prefetch("incidents", Incident, user))


@extend_schema_view(
    list=extend_schema(summary=_("List findings")),
    retrieve=extend_schema(summary=_("A finding with its response and corrective actions"),
                           responses={200: FindingDetailSerializer, **_errors(404)}),
    **transition_docs(Finding, FindingDetailSerializer),
)
@extend_schema(tags=["findings"])
class FindingViewSet(AttachmentActionsMixin, RecordViewSet):
    """Audit findings: major and minor nonconformities, observations, opportunities for
    improvement. The audit team raises them; the head of the department responds with the
    cause, the plan and corrective actions; an auditor accepts or rejects the response; once
    the actions are implemented an auditor other than the responder verifies and closes.
    The PMS roles see every finding of their companies (the group's, every company's),
    department heads their departments', the audit team its audit's; anything else is a
    404. A finding belongs to its audit's company (`company`; `?company=<id>` filters). `awaiting_my_response=true` lists the open
    findings of the departments you head."""

    model = Finding
    queryset = Finding.objects.none()  # the real one comes from the selector, per user
    list_serializer_class = FindingSerializer
    detail_serializer_class = FindingDetailSerializer
    input_serializer_class = FindingEditSerializer
    filterset_class = FindingApiFilter
    search_fields = ["reference", "description", "audit__reference", "requirement__clause"]
    ordering_fields = ["reference", "grade", "state", "department__code", "response_due", "created_at", "updated_at",
                       "closed_at"]

    def get_serializer_class(self):
        if self.action == "add_action":
            return FindingActionInputSerializer
        if self.action == "create":
            return FindingInputSerializer
        return super().get_serializer_class()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Finding.objects.none()
        queryset = selectors.finding_list(user=self.request.user).select_related("company")
        if self.action == "list":
            # Joined: what a row shows, nothing more; each join costs PostgreSQL's planner more
            # than the page costs to read (bench/query_plans.md).
            return queryset.select_related(None).select_related(*LIST_RELATIONS)
        if self.action == "retrieve":
            queryset = with_visible_links(queryset, self.request.user)
        return queryset

    def detail_queryset(self):
        return with_visible_links(selectors.finding_list(user=self.request.user).select_related("company"),
                                  self.request.user)

    @extend_schema(
        summary=_("Raise a finding"),
        description=_("The audit team or the audit lead, during fieldwork or while the report is written."),
        request=FindingInputSerializer,
        responses={201: FindingDetailSerializer, **_errors(400, 403, 409)},
    )
    def create(self, request):
        serializer = FindingInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        finding = services.finding_raise(
            audit=data.pop("audit"), by=request.user, incidents=data.pop("incidents", []), **data
        )
        return self.detail_response(finding, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Edit a finding"),
        description=format_lazy("{} {}", FINDING_EDIT_RULES, EDIT_CONTRACT),
        request=FindingEditSerializer,
        responses={200: FindingDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def update(self, request, pk=None, partial=False):
        return super().update(request, pk, partial)

    @extend_schema(
        summary=_("Edit some fields of a finding"),
        description=format_lazy("{} {}", FINDING_EDIT_RULES, EDIT_CONTRACT),
        request=FindingEditSerializer,
        responses={200: FindingDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)

    @staticmethod
    def edit_service(record, *, by, version, data):
        return services.finding_update(finding=record, by=by, version=version, **data)

    @extend_schema(
        summary=_("Plan a corrective action for the finding"),
        description=_(
            "The head of the finding's department (or the PMS manager), while the finding is open or its "
            "plan is being agreed. The action belongs to the finding's department and runs through the "
            "transitions of /api/actions/."
        ),
        request=FindingActionInputSerializer,
        responses={201: ActionSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="actions", url_name="actions",
            pagination_class=None, filter_backends=[])
    def add_action(self, request, pk=None):
        finding = self.get_object()
        serializer = FindingActionInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        created = services.finding_add_action(finding=finding, by=request.user, **serializer.validated_data)
        return Response(ActionSerializer(created, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)
