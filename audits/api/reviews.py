"""REST API for management reviews (マネジメントレビュー), built like the other record types.

RecordViewSet gives list, detail and the transition pattern; `submit` and
`return_for_revision` go through incidents.services.transition_record like every other
step, while `approve` carries top management's decisions and goes through
audits.services.review_approve (POST …/transitions/approve/, documented on its own). The
review report is GET …/pdf/. Reviews are visible to the PMS office, auditors, the audit
lead and top management; to anyone else every review is a 404.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import renderers, serializers, status
from rest_framework.decorators import action

from incidents.api.fields import within_date_bounds
from incidents.api.filters import company_filter
from incidents.api.serializers import (
    ErrorSerializer,
    ModelSerializer,
    RejectUnexpectedFieldsMixin,
    UserRefSerializer,
    company_name_field,
    edit_input_serializer,
    named_choice_field,
)
from incidents.api.views import EDIT_CONTRACT, ERROR_RESPONSES, RecordViewSet, transition_docs
from incidents.filters import ChoicesFilter, IntegerFilter
from incidents.models import Action, Company, Department

from .. import services  # registers the review's transitions
from ..fiscal import fiscal_year_of
from ..models import DecisionKind, Review, ReviewDecision, ReviewState
from ..models.review import TEXT_INPUTS
from ..pdf.base import pdf_response
from ..pdf.review_report import render_review_report, report_filename
from .filters import of_fiscal_year
from .serializers import DepartmentRefSerializer
from .views import PDFRenderer, pdf_docs, pdf_language_or_400

User = get_user_model()


def _errors(*codes: int) -> dict:
    return {code: ERROR_RESPONSES[code] for code in codes}


# ---------------------------------------------------------------------------
# Serializers


class DecisionActionSerializer(ModelSerializer):
    """The improvement action a decision became."""

    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Action
        fields = ["id", "reference", "state", "state_display", "due_date"]
        read_only_fields = fields


class ReviewDecisionSerializer(ModelSerializer):
    """A decision of top management, and the improvement action that carries it out."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    owner = UserRefSerializer(read_only=True)
    department = DepartmentRefSerializer(read_only=True)
    action = DecisionActionSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ReviewDecision
        fields = ["id", "position", "kind", "kind_display", "title", "detail", "owner", "department", "due_date",
                  "action"]
        read_only_fields = fields


REVIEW_COMPANY_HELP = _(
    "The group company reviewed; null for a review of the whole group (グループ全体). Opening a review "
    "without it reviews the default company; with null, the whole group (the group's PMS manager only)."
)


class ReviewSerializer(ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    fiscal_year = serializers.SerializerMethodField(
        help_text=_("The fiscal year the period starts in (the company's; the default company's for the group).")
    )
    company_name = company_name_field(
        allow_null=True, help_text=_("The name of the company reviewed; null for the whole group."),
    )
    created_by = UserRefSerializer(read_only=True)
    submitted_by = UserRefSerializer(read_only=True, allow_null=True)
    approved_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Review
        fields = [
            "id", "reference", "company", "company_name", "state", "state_display", "fiscal_year", "period_start",
            "period_end", "held_on", "created_by", "submitted_by", "submitted_at", "approved_by", "approved_at",
            "created_at", "updated_at", "version",
        ]
        read_only_fields = fields
        extra_kwargs = {"company": {"help_text": REVIEW_COMPANY_HELP}}

    def get_fiscal_year(self, review) -> int:
        # A group review counts in the default company's fiscal years, read once per answer
        # (a list would otherwise ask for it on every row).
        company = review.company
        if company is None:
            if "default_company" not in self.context:
                self.context["default_company"] = Company.objects.filter(is_default=True).first()
            company = self.context["default_company"]
        return fiscal_year_of(review.period_start, company)


class ReviewDetailSerializer(ReviewSerializer):
    """A review with its text inputs, the inputs assembled from the records, and the decisions."""

    decisions = serializers.SerializerMethodField(
        help_text=_("Top management's decisions; `action` is null for an action you may not see.")
    )
    inputs = serializers.SerializerMethodField(
        help_text=_(
            "The inputs (a)-(g) assembled from the records: previous review, incidents, reports, actions, "
            "audits, opportunities and the text inputs. Frozen at submission; while a draft they follow the "
            "records."
        )
    )
    inputs_frozen = serializers.SerializerMethodField(
        help_text=_("True once submitted: `inputs` is the snapshot top management approves.")
    )

    class Meta(ReviewSerializer.Meta):
        fields = [
            *ReviewSerializer.Meta.fields, "attendees", *TEXT_INPUTS, "improvement_notes", "conclusion",
            "decisions", "inputs", "inputs_frozen",
        ]
        read_only_fields = fields

    @extend_schema_field(ReviewDecisionSerializer(many=True))
    def get_decisions(self, review) -> list[dict]:
        decisions = list(review.decisions.all())
        request = self.context.get("request")
        data = ReviewDecisionSerializer(decisions, many=True, context=self.context).data
        if request is not None:
            # The improvement actions the reader may not see are left out (null).
            visible = set(Action.objects.visible_to(request.user)
                          .filter(pk__in=[d.action_id for d in decisions if d.action_id])
                          .values_list("pk", flat=True))
            for decision, row in zip(decisions, data, strict=True):
                if decision.action_id not in visible:
                    row["action"] = None
        return data

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_inputs(self, review) -> dict:
        return review.inputs()

    def get_inputs_frozen(self, review) -> bool:
        return review.snapshot is not None


class ReviewInputBase(RejectUnexpectedFieldsMixin, ModelSerializer):
    """Open a review or write its inputs while it is a draft (an edit carries `version`).
    Without a period, the current fiscal year; with only `period_start`, the fiscal year it
    falls in."""

    read_only_names = frozenset(ReviewDetailSerializer.Meta.fields) - set(Review.edit_policy.fields) | {"snapshot"}

    class Meta:
        model = Review
        fields = list(Review.edit_policy.fields)
        extra_kwargs = {
            "period_start": {"required": False},
            "period_end": {"required": False},
            "company": {"required": False, "help_text": REVIEW_COMPANY_HELP},
        }

    def validate(self, attrs):
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start and end and end < start:
            raise serializers.ValidationError({"period_end": [_("The period cannot end before it starts.")]})
        return attrs


ReviewInputSerializer = edit_input_serializer(Review, ReviewInputBase)


class DecisionInputSerializer(RejectUnexpectedFieldsMixin, serializers.Serializer):
    """One decision of top management; it becomes an improvement action."""

    title = serializers.CharField(max_length=200, help_text=_("What was decided."))
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), help_text=_("The user who carries the action out.")
    )
    due_date = serializers.DateField(validators=[within_date_bounds])
    kind = named_choice_field("ReviewDecisionKindEnum")(choices=DecisionKind.choices, required=False)
    detail = serializers.CharField(required=False, allow_blank=True)
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True,
        help_text=_("By default the owner's department."),
    )
    verifier = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True,
        help_text=_("Who verifies the action's effectiveness; by default the approving executive."),
    )


class ReviewApproveSerializer(RejectUnexpectedFieldsMixin, serializers.Serializer):
    """Top management approves the submitted review with its conclusion and decisions; each
    decision becomes an improvement action."""

    unexpected_message = _("This step does not take this field.")

    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Recorded in the trail with the step.")
    )
    conclusion = serializers.CharField(
        help_text=_("Is the management system still suitable, adequate and effective?")
    )
    held_on = serializers.DateField(
        required=False, allow_null=True, validators=[within_date_bounds],
        help_text=_("The meeting date; by default the one already recorded, or today."),
    )
    attendees = serializers.CharField(required=False, allow_blank=True)
    decisions = DecisionInputSerializer(many=True, allow_empty=False)


class ReviewTransitionSerializer(serializers.Serializer):
    """The payload of `submit` and `return_for_revision`: a comment (required to return the
    review). `approve` has its own payload: POST …/transitions/approve/."""

    # Documentation only: the view validates with incidents' transition_input_serializer.

    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Recorded in the trail with the step.")
    )


# ---------------------------------------------------------------------------
# Filters


class ReviewFilter(django_filters.FilterSet):
    state = ChoicesFilter(choices=ReviewState.choices, label=_("state"))
    fiscal_year = IntegerFilter(
        method="filter_fiscal_year", label=_("fiscal year"),
        help_text=_("Reviews whose period starts in this fiscal year (each company's own fiscal year)."),
    )
    covers = django_filters.DateFilter(
        method="filter_covers", label=_("covers"), help_text=_("Reviews whose period includes this day."),
    )
    company = company_filter(help_text=_(
        "Reviews of this group company (its id); repeat the parameter for several. The reviews of the whole "
        "group have no company: ask for them with `group=true`."
    ))
    group = django_filters.BooleanFilter(
        field_name="company", lookup_expr="isnull", label=_("review of the whole group"),
        help_text=_("true: only the reviews of the whole group (no company); false: only the companies' reviews."),
    )

    class Meta:
        model = Review
        fields = ["state", "fiscal_year", "covers", "company", "group"]

    def filter_fiscal_year(self, queryset, name, value):
        if value is None:
            return queryset
        return of_fiscal_year(queryset, value)

    def filter_covers(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(period_start__lte=value, period_end__gte=value)


# ---------------------------------------------------------------------------
# The viewset


def review_queryset(user):
    return Review.objects.visible_to(user).select_related("company", "created_by", "submitted_by", "approved_by")


def with_decisions(queryset):
    return queryset.prefetch_related(
        Prefetch("decisions", queryset=ReviewDecision.objects.select_related("owner", "department", "action"))
    )


_TRANSITION_DOCS = transition_docs(Review, ReviewDetailSerializer)
REVIEW_EDIT_RULES = _(
    "The PMS manager, only while the review is a draft (409 afterwards). Moving `period_start` to another "
    "fiscal year renames the review."
)
_GENERIC_TRANSITIONS = [name for name in services.REVIEW_TRANSITIONS if name != "approve"]


@extend_schema_view(
    list=extend_schema(summary=_("List management reviews")),
    retrieve=extend_schema(summary=_("A management review with its inputs and decisions"),
                           responses={200: ReviewDetailSerializer, **_errors(404)}),
    transitions=_TRANSITION_DOCS["transitions"],
    history=_TRANSITION_DOCS["history"],
    transition=extend_schema(
        summary=_("Take a transition"),
        description=_(
            "`submit` (the PMS manager: freezes the inputs) and `return_for_revision` (top management, "
            "with a comment). `approve` takes the decisions: see POST …/transitions/approve/."
        ),
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, enum=_GENERIC_TRANSITIONS)],
        request=ReviewTransitionSerializer,
        responses={
            200: ReviewDetailSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=_("Invalid payload (messages per field), or unmet conditions: "
                              "`{\"detail\": …, \"unmet_conditions\": […]}`."),
            ),
            **_errors(403, 404),
            409: OpenApiResponse(
                ErrorSerializer, description=_("Not available from the current state, or changed concurrently.")
            ),
        },
    ),
)
@extend_schema(tags=["reviews"])
class ReviewViewSet(RecordViewSet):
    """Management reviews (マネジメントレビュー, ISO/IEC 27001 9.3, JIS Q 15001). The PMS manager
    opens the review of a period and writes the inputs only people know; the rest is assembled
    from the records. Submitting freezes the inputs; top management returns the review for
    revision or approves it with decisions, each of which becomes an improvement action. A
    review covers one group company (`company`) or, with no company, the whole group
    (`?company=<id>` and `?group=true` filter). The PMS office, auditors, the audit lead and
    top management see the reviews of their companies, and the group's when they act for
    the whole group; anyone else gets a 404."""

    model = Review
    queryset = Review.objects.none()  # the real one depends on the user
    list_serializer_class = ReviewSerializer
    detail_serializer_class = ReviewDetailSerializer
    input_serializer_class = ReviewInputSerializer
    filterset_class = ReviewFilter
    search_fields = ["reference", "conclusion"]
    ordering_fields = [
        "reference", "state", "period_start", "period_end", "held_on", "submitted_at", "approved_at", "created_at",
        "updated_at",
    ]

    def get_serializer_class(self):
        if self.action == "approve":
            return ReviewApproveSerializer
        return super().get_serializer_class()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        queryset = review_queryset(self.request.user)
        if self.action == "retrieve":
            queryset = with_decisions(queryset)
        return queryset

    def detail_queryset(self):
        return with_decisions(review_queryset(self.request.user))

    @extend_schema(
        summary=_("Open a management review"),
        description=_(
            "The PMS manager of the company reviewed. Without `company`, a review of the default company; "
            "with `company: null`, a review of the whole group, which only the group's PMS manager opens. "
            "The period defaults to the current fiscal year (the company's)."
        ),
        request=ReviewInputSerializer,
        responses={201: ReviewDetailSerializer, **_errors(400, 403)},
    )
    def create(self, request):
        review = services.review_create(by=request.user, **self.validated_input())
        return self.detail_response(review, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Edit a management review"),
        description=format_lazy("{} {}", REVIEW_EDIT_RULES, EDIT_CONTRACT),
        request=ReviewInputSerializer,
        responses={200: ReviewDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def update(self, request, pk=None, partial=False):
        return super().update(request, pk, partial)

    @extend_schema(
        summary=_("Edit some fields of a management review"),
        description=format_lazy("{} {}", REVIEW_EDIT_RULES, EDIT_CONTRACT),
        request=ReviewInputSerializer,
        responses={200: ReviewDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)

    @staticmethod
    def edit_service(record, *, by, version, data):
        return services.review_update(review=record, by=by, version=version, **data)

    # Redeclared as an action (an override loses the route); approve has its own endpoint below,
    # which this one also answers for.
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[^/.]+)",
            pagination_class=None, filter_backends=[])
    def transition(self, request, pk=None, name=None):
        if name == "approve":
            return self._approve(request)
        return super().transition(request, pk, name)

    @extend_schema(
        summary=_("Approve the review with its decisions"),
        description=_(
            "Top management, other than the person who submitted the review, once it is submitted. "
            "Each decision becomes an improvement action; its verifier is the approving executive unless "
            "another is named. Invalid decisions are a 400 naming the decision; a step not available from "
            "the current state is a 409."
        ),
        request=ReviewApproveSerializer,
        responses={
            200: ReviewDetailSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=_("Invalid payload (messages per field, `decisions` per decision), or unmet "
                              "conditions: `{\"detail\": …, \"unmet_conditions\": […]}`."),
            ),
            **_errors(403, 404),
            409: OpenApiResponse(
                ErrorSerializer, description=_("Not available from the current state, or changed concurrently.")
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="transitions/approve", url_name="approve",
            pagination_class=None, filter_backends=[])
    def approve(self, request, pk=None):
        return self._approve(request)

    def _approve(self, request):
        review = self.get_object()
        serializer = ReviewApproveSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decisions = [{name: value for name, value in decision.items() if value is not None}
                     for decision in data["decisions"]]
        review = services.review_approve(
            review=review, by=request.user, decisions=decisions, conclusion=data["conclusion"],
            held_on=data.get("held_on") or review.held_on, attendees=data.get("attendees"),
            comment=data["comment"],
        )
        return self.detail_response(review)

    @extend_schema(**pdf_docs(
        _("The review report as a PDF"),
        _("The management review report (マネジメントレビュー報告書), in Japanese or English: the inputs (a)-(g), "
          "top management's decisions and conclusion, and the sign-off boxes. A draft shows the inputs as the "
          "records stand now, a submitted or approved review its snapshot. Whoever may see the review may "
          "download it; anyone else gets 404."),
    ))
    @action(detail=True, methods=["get"], url_path="pdf", url_name="pdf", pagination_class=None, filter_backends=[],
            renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def pdf(self, request, pk=None):
        review = self.get_object()
        language = pdf_language_or_400(request)
        return pdf_response(render_review_report(review, language=language), report_filename(review, language))
