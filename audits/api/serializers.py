"""What the audits API reads and writes, built on the incidents API's pieces.

As there: output serializers describe records, with the `version` an edit must send back;
input serializers take only the fields of the record type's edit policy
(`Model.edit_policy`) and refuse anything else (`state` above all); none saves, the views
hand validated data to audits.services, which decide who may write which field now.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.serializers import (
    ActionSerializer,
    ActionSummarySerializer,
    ChoiceLabelField,
    ModelSerializer,
    RejectUnexpectedFieldsMixin,
    UserRefSerializer,
    company_name_field,
    edit_input_serializer,
    named_choice_field,
    visible_related,
)
from incidents.models import Action, Department, Incident
from incidents.workflow.api import VERSION_HELP

from ..models import NONCONFORMITIES, Audit, ChecklistItem, ChecklistResult, Finding, Grade, Requirement

User = get_user_model()


class AuditsModelSerializer(ModelSerializer):
    """The incidents API's ModelSerializer, with the audits' own choice fields as named enums too
    (AuditStateEnum, FindingStateEnum, FindingGradeEnum, ChecklistItemResultEnum, …)."""

    named_enums = frozenset({*ModelSerializer.named_enums, "grade", "result", "standard"})


# ---------------------------------------------------------------------------
# Shared pieces


class DepartmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name"]
        read_only_fields = fields


class RequirementSerializer(AuditsModelSerializer):
    """A clause of the catalogue; `title` is in the language of the request."""

    standard_display = ChoiceLabelField("standard")
    title = serializers.CharField(read_only=True, help_text=_("The title in the language of the request."))

    class Meta:
        model = Requirement
        fields = [
            "id", "standard", "standard_display", "edition", "clause", "parent", "title_ja", "title_en",
            "title", "verified",
        ]
        read_only_fields = fields


class RequirementRefSerializer(AuditsModelSerializer):
    """A clause as records show it."""

    title = serializers.CharField(read_only=True, help_text=_("The title in the language of the request."))

    class Meta:
        model = Requirement
        fields = ["id", "standard", "edition", "clause", "title"]
        read_only_fields = fields


class IncidentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = ["id", "reference", "title"]
        read_only_fields = fields


class FindingRefSerializer(AuditsModelSerializer):
    """A finding as its audit and its checklist item show it."""

    grade_display = ChoiceLabelField("grade")
    state_display = ChoiceLabelField("state")

    class Meta:
        model = Finding
        fields = ["id", "reference", "grade", "grade_display", "state", "state_display"]
        read_only_fields = fields


# ---------------------------------------------------------------------------
# Audits


class ChecklistItemSerializer(AuditsModelSerializer):
    """One clause of an audit's checklist, with the result recorded during fieldwork."""

    # With context["visible_findings"] (a set of ids), the finding of an item is shown only
    # when the reader may see it.

    requirement = RequirementRefSerializer(read_only=True)
    result_display = ChoiceLabelField("result")
    recorded_by = UserRefSerializer(read_only=True, allow_null=True)
    finding = serializers.SerializerMethodField(help_text=_("The finding the result raised, if any."))

    class Meta:
        model = ChecklistItem
        fields = [
            "id", "position", "requirement", "result", "result_display", "evidence", "note", "recorded_by",
            "recorded_at", "finding", "version",
        ]
        read_only_fields = fields

    @extend_schema_field(FindingRefSerializer(allow_null=True))
    def get_finding(self, item) -> dict | None:
        finding = getattr(item, "finding", None)
        visible = self.context.get("visible_findings")
        if finding is None or (visible is not None and finding.pk not in visible):
            return None
        return FindingRefSerializer(finding, context=self.context).data


class AuditSerializer(AuditsModelSerializer):
    kind_display = ChoiceLabelField("kind")
    state_display = ChoiceLabelField("state")
    departments = DepartmentRefSerializer(many=True, read_only=True)
    clauses = RequirementRefSerializer(many=True, read_only=True)
    lead_auditor = UserRefSerializer(read_only=True)
    auditors = UserRefSerializer(many=True, read_only=True)
    company_name = company_name_field()

    class Meta:
        model = Audit
        fields = [
            "id", "reference", "title", "kind", "kind_display", "company", "company_name", "fiscal_year",
            "state", "state_display", "departments", "clauses", "lead_auditor", "auditors", "planned_start", "planned_end",
            "created_at", "updated_at", "version",
        ]
        read_only_fields = fields


class AuditDetailSerializer(AuditSerializer):
    """An audit with its checklist and the findings it raised (those the reader may see)."""

    # Reads audit.visible_findings, prefetched by the view for the reader.

    created_by = UserRefSerializer(read_only=True)
    checklist = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField(help_text=_("The findings of the audit you may see."))

    class Meta(AuditSerializer.Meta):
        fields = [
            *AuditSerializer.Meta.fields, "conclusion", "cancel_reason", "created_by", "started_at",
            "reported_at", "closed_at", "checklist", "findings",
        ]
        read_only_fields = fields

    @staticmethod
    def _visible_findings(audit) -> list[Finding]:
        findings = getattr(audit, "visible_findings", None)
        return list(audit.findings.all()) if findings is None else findings

    @extend_schema_field(ChecklistItemSerializer(many=True))
    def get_checklist(self, audit) -> list[dict]:
        visible = {finding.pk for finding in self._visible_findings(audit)}
        context = {**self.context, "visible_findings": visible}
        return ChecklistItemSerializer(audit.checklist.all(), many=True, context=context).data

    @extend_schema_field(FindingRefSerializer(many=True))
    def get_findings(self, audit) -> list[dict]:
        return FindingRefSerializer(self._visible_findings(audit), many=True, context=self.context).data


class AuditInputBase(RejectUnexpectedFieldsMixin, AuditsModelSerializer):
    """Plan an audit or re-plan it before fieldwork: scope (department and clause ids), team
    (user ids) and dates. The checklist follows the clauses; a re-plan carries `version`."""

    read_only_names = frozenset(AuditDetailSerializer.Meta.fields) - set(Audit.edit_policy.fields)

    class Meta:
        model = Audit
        fields = list(Audit.edit_policy.fields)
        extra_kwargs = {
            "lead_auditor": {"queryset": User.objects.filter(is_active=True)},
            "auditors": {"queryset": User.objects.filter(is_active=True)},
            "departments": {"allow_empty": False},
        }


AuditInputSerializer = edit_input_serializer(Audit, AuditInputBase)


class ChecklistRecordSerializer(RejectUnexpectedFieldsMixin, AuditsModelSerializer):
    """The result of one checklist item. A nonconforming result raises a finding (a minor
    nonconformity unless `grade` says major); an observation raises one when `grade` is given
    (observation or opportunity). `description` is the finding's, by default the note.
    `version` is the item's as you read it: a result recorded on an item changed since is
    refused with 409 and what changed."""

    grade = named_choice_field("FindingGradeEnum")(
        choices=Grade.choices, required=False, help_text=_("Grade of the finding the result raises."),
    )
    description = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Description of the finding the result raises."),
    )
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True, default=None,
        help_text=_("The department the finding is about; required when the audit covers several."),
    )

    version = serializers.IntegerField(required=False, min_value=1, write_only=True, help_text=VERSION_HELP)

    class Meta:
        model = ChecklistItem
        fields = ["result", "evidence", "note", "grade", "description", "department", "version"]
        extra_kwargs = {"result": {"required": True, "allow_blank": False}}

    def validate(self, attrs):
        result, grade = attrs.get("result"), attrs.get("grade")
        if grade:
            if result == ChecklistResult.NONCONFORMING and grade not in NONCONFORMITIES:
                raise serializers.ValidationError(
                    {"grade": [_("A nonconforming result raises a nonconformity: major or minor.")]}
                )
            if result == ChecklistResult.OBSERVATION and grade in NONCONFORMITIES:
                raise serializers.ValidationError(
                    {"grade": [_("An observation raises an observation or an opportunity for improvement.")]}
                )
            if result not in (ChecklistResult.NONCONFORMING, ChecklistResult.OBSERVATION):
                raise serializers.ValidationError(
                    {"grade": [_("Only a nonconforming result or an observation raises a finding.")]}
                )
        return attrs


# ---------------------------------------------------------------------------
# Findings


class AuditRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Audit
        fields = ["id", "reference", "title"]
        read_only_fields = fields


class FindingSerializer(AuditsModelSerializer):
    audit = AuditRefSerializer(read_only=True)
    requirement = RequirementRefSerializer(read_only=True)
    department = DepartmentRefSerializer(read_only=True)
    grade_display = ChoiceLabelField("grade")
    state_display = ChoiceLabelField("state")
    raised_by = UserRefSerializer(read_only=True)
    company_name = company_name_field()
    response_overdue = serializers.BooleanField(
        read_only=True, help_text=_("Still open after the day its response was due (Asia/Tokyo)."),
    )
    responded_late = serializers.BooleanField(
        read_only=True, help_text=_("Answered (it left the open state) after the day its response was due."),
    )

    class Meta:
        model = Finding
        fields = [
            "id", "reference", "audit", "company", "company_name", "requirement", "department", "grade",
            "grade_display", "state", "state_display", "description", "response_due", "response_overdue",
            "responded_late", "raised_by", "created_at", "updated_at", "closed_at", "version",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "company": {"help_text": _("The group company of the finding: its audit's.")},
            "response_due": {"help_text": _(
                "The date by which the audited department answers (回答期限); null: no answer required. Set "
                "from the grade when the finding is raised; the audit team may change it until the department "
                "responds.")},
        }


class FindingDetailSerializer(FindingSerializer):
    """A finding with the response, its corrective actions and the incidents it relates to."""

    incidents = serializers.SerializerMethodField(
        help_text=_("The related incidents you may see; the others are left out.")
    )
    # Its corrective actions are part of the finding, as on its page: whoever may see the
    # finding sees their summaries. Related incidents are records of their own: only those
    # the reader may see are listed.
    actions = ActionSummarySerializer(many=True, read_only=True)
    responded_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta(FindingSerializer.Meta):
        fields = [
            *FindingSerializer.Meta.fields, "evidence", "checklist_item", "incidents", "actions", "cause",
            "plan", "responded_by", "responded_at",
        ]
        read_only_fields = fields

    @extend_schema_field(IncidentRefSerializer(many=True))
    def get_incidents(self, finding) -> list[dict]:
        incidents = visible_related(self, finding, "incidents", Incident)
        return IncidentRefSerializer(incidents, many=True, context=self.context).data


# Raising a finding: its audit, what Finding.edit_policy lets the team give at creation,
# and the incidents it relates to.
FINDING_RAISE_FIELDS = ["audit", *Finding.edit_policy.create_fields, "incidents"]


class FindingInputSerializer(RejectUnexpectedFieldsMixin, AuditsModelSerializer):
    """Raise a finding (the audit team): the audit, the clause, the department (one of the
    audit's; the first by default), the grade, the description and evidence, and the ids
    of the incidents it relates to."""

    read_only_names = frozenset(FindingDetailSerializer.Meta.fields) - set(FINDING_RAISE_FIELDS)

    class Meta:
        model = Finding
        fields = FINDING_RAISE_FIELDS
        extra_kwargs = {"department": {"required": False, "allow_null": True}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Records the user may not see "do not exist".
            self.fields["audit"].queryset = Audit.objects.visible_to(request.user)
            self.fields["incidents"].child_relation.queryset = Incident.objects.visible_to(request.user)

    def validate(self, attrs):
        audit, department = attrs.get("audit"), attrs.get("department")
        if audit is not None and department is not None and not audit.departments.filter(pk=department.pk).exists():
            raise serializers.ValidationError(
                {"department": [_("The department is not in the audit's scope.")]}
            )
        return attrs


class FindingEditBase(RejectUnexpectedFieldsMixin, AuditsModelSerializer):
    """Edit a finding, with the `version` you read: the audit team rewords it (clause,
    department, grade, description, evidence) while it is open; the head of its department
    drafts and refines the cause and the plan until the team accepts them. A field you may
    not write now is a 400 naming it."""

    read_only_names = frozenset(FindingDetailSerializer.Meta.fields) - set(Finding.edit_policy.fields)

    class Meta:
        model = Finding
        fields = list(Finding.edit_policy.fields)


FindingEditSerializer = edit_input_serializer(Finding, FindingEditBase)


FINDING_ACTION_WRITABLE = ["kind", "title", "description", "owner", "verifier", "due_date"]


class FindingActionInputSerializer(RejectUnexpectedFieldsMixin, ModelSerializer):
    """A corrective action for the finding, in the finding's department. `owner` and
    `verifier` are user ids."""

    read_only_names = frozenset(ActionSerializer.Meta.fields) - set(FINDING_ACTION_WRITABLE)

    class Meta:
        model = Action
        fields = FINDING_ACTION_WRITABLE
        extra_kwargs = {
            "owner": {"queryset": User.objects.filter(is_active=True)},
            "verifier": {"queryset": User.objects.filter(is_active=True)},
        }
