"""What the API reads and writes for incidents, actions and reporting tracks.

Output serializers describe records as clients read them. Input serializers take only
the fields the record type's edit policy lists (`Model.edit_policy`) and refuse anything
else (above all `state`, which only a transition changes). No serializer saves: the views
hand validated data to the services.
"""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Action, ActionRound, CauseCategory, EventClass, Incident, ReportingTrack, RuleSet
from ..workflow.api import (  # noqa: F401  (re-exported: the transition and trail shapes)
    HistoryEntrySerializer,
    TransitionOptionSerializer,
    edit_input_serializer,
    transition_input_serializer,
)
from .fields import (  # noqa: F401  (re-exported for the apps built on this one)
    STATE_IS_READ_ONLY,
    ChoiceLabelField,
    DateTimeField,
    ErrorSerializer,
    ModelSerializer,
    RejectUnexpectedFieldsMixin,
    UserRefSerializer,
    active,
    named_choice_field,
)

User = get_user_model()


class ReportableReasonSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    category = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("Category 1-4 of APPI rule art. 7, when one applies.")
    )
    message = serializers.CharField(read_only=True)


class PMarkAssessmentSerializer(serializers.Serializer):
    """The PrivacyMark test (PMK500): is it a 事故等, and is a 速報 owed, with the reasons."""

    applies = serializers.BooleanField(
        read_only=True, help_text=_("The incident's company holds PrivacyMark; otherwise nothing below is owed."))
    event = serializers.CharField(read_only=True, help_text=_("The kind of 事故等 (set, or taken from the kind)."))
    incident = serializers.BooleanField(read_only=True, help_text=_("A 事故等: the 確報 is owed."))
    preliminary = serializers.BooleanField(read_only=True, help_text=_("A 速報 is owed too."))
    reasons = ReportableReasonSerializer(many=True, read_only=True)
    preliminary_reasons = ReportableReasonSerializer(many=True, read_only=True)


# ---------------------------------------------------------------------------
# Linked records: only those the reader may see


def visible_prefetch(relation: str, model, user) -> Prefetch:
    """Prefetch `relation` restricted to what `user` may see, as `visible_<relation>`."""
    return Prefetch(relation, queryset=model.objects.visible_to(user), to_attr=f"visible_{relation}")


def visible_related(serializer, record, relation: str, model) -> list:
    """The records of `record.<relation>` the reader (the request's user) may see.

    Linked records the reader may not see are left out, as the web pages leave them out:
    neither their reference nor their title is shown. Reads `visible_<relation>` when the
    view prefetched it (visible_prefetch), so lists stay flat; without a request (the
    server serializing for itself) every linked record."""
    prefetched = getattr(record, f"visible_{relation}", None)
    if prefetched is not None:
        return prefetched
    related = getattr(record, relation).all()
    request = serializer.context.get("request")
    if request is None:
        return list(related)
    visible = set(model.objects.visible_to(request.user).filter(pk__in=[r.pk for r in related])
                  .values_list("pk", flat=True))
    return [r for r in related if r.pk in visible]


# ---------------------------------------------------------------------------
# The people a page of records names


def attach_people(records: list, *relations: str) -> None:
    """Fill `relations` (foreign keys to users) of every record from one query for the page.

    What select_related would fetch, without its joins: PostgreSQL plans a join of the users
    table per relation, and five of them took it longer to plan than the page takes to read
    (bench/query_plans.md). Relations already fetched with the records are left as they are."""
    missing = [(record, name) for record in records for name in relations
               if not record._meta.get_field(name).is_cached(record)]
    ids = {getattr(record, f"{name}_id") for record, name in missing} - {None}
    people = User.objects.in_bulk(ids) if ids else {}
    for record, name in missing:
        record._meta.get_field(name).set_cached_value(record, people.get(getattr(record, f"{name}_id")))


# ---------------------------------------------------------------------------
# The company a record belongs to


def company_name_field(source: str = "company.name", **kwargs) -> serializers.CharField:
    """The name of the record's company, next to its id (`company`)."""
    kwargs.setdefault("help_text", _("The company's name."))
    return serializers.CharField(source=source, read_only=True, **kwargs)


# ---------------------------------------------------------------------------
# Actions


class ActionSummarySerializer(ModelSerializer):
    """An action as listed on its incident."""

    state_display = ChoiceLabelField("state")

    class Meta:
        model = Action
        fields = ["id", "reference", "kind", "state", "state_display", "title"]
        read_only_fields = fields


class ActionRoundSerializer(ModelSerializer):
    """One round of work on an action and the effectiveness check that followed it."""

    implemented_by = UserRefSerializer(read_only=True, allow_null=True)
    checked_by = UserRefSerializer(read_only=True, allow_null=True)
    outcome_display = ChoiceLabelField("outcome", allow_null=True)

    class Meta:
        model = ActionRound
        fields = [
            "number", "implemented_by", "implemented_at", "implementation_note", "checked_by", "checked_at",
            "check_note", "outcome", "outcome_display",
        ]
        read_only_fields = fields
        extra_kwargs = {"outcome": {"help_text": _("effective or ineffective; null while the check is pending.")}}


def action_actors() -> tuple:
    """The people of an action's steps: the rounds with their people in one query, whatever
    the rounds hold. `implemented_by` and `verified_by` cost nothing once fetched with the
    actions (a list's attach_people); otherwise a query each when some action has one."""
    rounds = ActionRound.objects.select_related("implemented_by", "checked_by")
    return ("implemented_by", "verified_by", Prefetch("rounds", queryset=rounds))


# The people an action names.
ACTION_PEOPLE = ("owner", "verifier", "created_by", "implemented_by", "verified_by")


class ActionListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        actions = list(data.all() if hasattr(data, "all") else data)
        attach_people(actions, *ACTION_PEOPLE)
        prefetch_related_objects(actions, *action_actors())
        return super().to_representation(actions)


class ActionSerializer(ModelSerializer):
    kind_display = ChoiceLabelField("kind")
    state_display = ChoiceLabelField("state")
    owner = UserRefSerializer(read_only=True)
    verifier = UserRefSerializer(read_only=True)
    created_by = UserRefSerializer(read_only=True)
    implemented_by = UserRefSerializer(
        read_only=True, allow_null=True, help_text=_("Who implemented the round under way (null before).")
    )
    verified_by = UserRefSerializer(
        read_only=True, allow_null=True, help_text=_("Who verified the action effective (null before).")
    )
    rounds = ActionRoundSerializer(
        many=True, read_only=True,
        help_text=_("Every round of work and its effectiveness check, the first first: an action found "
                    "ineffective is implemented again in a new round."),
    )
    is_overdue = serializers.BooleanField(read_only=True)
    company_name = company_name_field()

    class Meta:
        model = Action
        fields = [
            "id", "reference", "kind", "kind_display", "title", "description", "incident", "department",
            "company", "company_name", "owner", "verifier", "due_date", "state", "state_display", "implementation_note",
            "effectiveness_note", "cancel_reason", "created_by", "created_at", "updated_at",
            "implemented_at", "implemented_by", "verified_at", "verified_by", "rounds", "is_overdue", "version",
        ]
        read_only_fields = fields
        list_serializer_class = ActionListSerializer
        extra_kwargs = {"company": {"help_text": _(
            "The group company of the action: its incident's, else its department's (set by the system)."
        )}}

    def to_representation(self, instance):
        if not isinstance(self.parent, ActionListSerializer):
            prefetch_related_objects([instance], *action_actors())
        return super().to_representation(instance)


class ActionInputBase(RejectUnexpectedFieldsMixin, ModelSerializer):
    """Plan an action or change its plan. `owner` and `verifier` are user ids; an edit carries `version`."""

    read_only_names = frozenset(ActionSerializer.Meta.fields) - set(Action.edit_policy.fields)

    class Meta:
        model = Action
        fields = list(Action.edit_policy.fields)
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


ActionInputSerializer = edit_input_serializer(Action, ActionInputBase)


# ---------------------------------------------------------------------------
# Reporting tracks


class TrackSerializer(ModelSerializer):
    """A report the incident owes (PPC, PrivacyMark assessment body, 委託元, data subjects).

    Tracks are created, re-timed, withdrawn and reinstated by the system as the
    classification changes; people only file them or record why they are not required.
    """

    kind_display = ChoiceLabelField("kind")
    state_display = ChoiceLabelField("state")
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
            "late", "version",
        ]
        read_only_fields = fields


class TrackDetailSerializer(TrackSerializer):
    """A track with the incident it belongs to, as /api/tracks/ shows it."""

    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    incident_title = serializers.CharField(source="incident.title", read_only=True)
    company = serializers.IntegerField(
        source="incident.company_id", read_only=True,
        help_text=_("The group company of the incident: the business that owes the report."),
    )
    company_name = company_name_field("incident.company.name")

    class Meta(TrackSerializer.Meta):
        fields = [
            "id", "incident", "incident_reference", "incident_title", "company", "company_name",
            *TrackSerializer.Meta.fields[1:],
            "created_at", "updated_at",
        ]
        read_only_fields = fields


# ---------------------------------------------------------------------------
# Incidents


def lend_rules_in_force(incidents: list[Incident]) -> None:
    """Incidents saved without a rule set (loaded in bulk: the services always set one) read
    the rules in force on their day of discovery (Incident.rules) from one query for the page
    instead of one each; the others read their own, fetched with them."""
    unlinked = [incident for incident in incidents if incident.rule_set_id is None and incident.discovered_at]
    if not unlinked:
        return
    rule_sets = list(RuleSet.objects.order_by("-effective_from"))  # as RuleSet.objects.in_force_on
    for incident in unlinked:
        day = timezone.localdate(incident.discovered_at)
        in_force = next((rules for rules in rule_sets if rules.effective_from <= day), None)
        # Shadows the model's method on this instance only (what it would have queried).
        incident._rules_in_force = lambda in_force=in_force: in_force


class IncidentListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        incidents = list(data.all() if hasattr(data, "all") else data)
        attach_people(incidents, "reporter", "handler")
        lend_rules_in_force(incidents)
        return super().to_representation(incidents)


class IncidentSerializer(ModelSerializer):
    state_display = ChoiceLabelField("state")
    kind_display = ChoiceLabelField("kind")
    severity_display = ChoiceLabelField("severity")
    reporter = UserRefSerializer(read_only=True)
    handler = UserRefSerializer(
        read_only=True, allow_null=True,
        help_text=_("The member of the PMS office who runs the case (担当者); null until one is assigned."),
    )
    reportable_reasons = ReportableReasonSerializer(many=True, read_only=True)
    rule_set = serializers.SlugRelatedField(
        slug_field="version", read_only=True, allow_null=True,
        help_text=_("Version of the reporting rules in force on the day of discovery; they set the clocks."),
    )
    tracks = TrackSerializer(many=True, read_only=True, help_text=_("The reports the incident owes."))
    pmark_assessment = serializers.SerializerMethodField(
        help_text=_("PrivacyMark's own test (PMK500), which differs from APPI's."))
    company_name = company_name_field()
    joint_use_company_name = company_name_field(
        "joint_use_company.name", allow_null=True,
        help_text=_("The name of the company responsible for the jointly used data; null without joint use."),
    )

    class Meta:
        model = Incident
        fields = [
            "id", "reference", "state", "state_display", "reporter", "handler", "title", "description", "department",
            "company", "company_name", "kind", "kind_display", "event_class", "cause", "severity", "severity_display", "occurred_at",
            "discovered_at", "discovery_route", "data_items", "affected_count", "affected_count_estimated",
            "involves_sensitive_data", "risk_of_financial_damage", "suspected_unauthorized_purpose",
            "data_in_collection", "strongly_encrypted", "entrusted_by", "involves_joint_use", "joint_use_company",
            "joint_use_company_name", "reportable", "reportable_reasons",
            "rule_set", "tracks", "root_cause", "containment_summary", "correction_taken", "secondary_harm",
            "subject_response", "publication", "recurrence_prevention", "other_information", "dismissal_reason",
            "not_personal_data", "pmark_event", "pmark_suspected", "is_my_number", "my_number_network_system",
            "my_number_publicly_viewable", "pmark_judged_serious", "pmark_judged_serious_reason", "pmark_assessment",
            "subjects_low_risk", "subjects_low_risk_reason", "substitute_measure", "ppc_unknown_items",
            "pmark_notice_received_on", "pmark_notice_requests", "pmark_notice_due_on",
            "created_at", "updated_at", "contained_at", "closed_at", "version",
        ]
        read_only_fields = fields
        list_serializer_class = IncidentListSerializer
        extra_kwargs = {
            "company": {"help_text": _(
                "The group company of the incident, its department's (set by the system): the business "
                "that owes the reports."
            )},
            "joint_use_company": {"help_text": _(
                "When jointly used personal data (共同利用) is involved, the company responsible for it "
                "(共同利用の管理責任者), which is told at once; null otherwise (set by the system)."
            )},
        }


    @cached_property
    def pmark_serializer(self) -> PMarkAssessmentSerializer:
        # One for every row of a list: building a serializer (a deep copy of its fields) per
        # row cost more than the assessment itself.
        return PMarkAssessmentSerializer()

    @extend_schema_field(PMarkAssessmentSerializer)
    def get_pmark_assessment(self, incident) -> dict:
        assessment = incident.pmark_assessment
        return self.pmark_serializer.to_representation({
            "applies": incident.company.holds_privacymark,
            "event": incident.pmark_event_effective,
            "incident": assessment.incident,
            "preliminary": assessment.preliminary,
            "reasons": [reason.as_dict() for reason in assessment.reasons],
            "preliminary_reasons": [reason.as_dict() for reason in assessment.preliminary_reasons],
        })


class IncidentDetailSerializer(IncidentSerializer):
    # The incident's actions are part of it, as on its page: whoever may see the incident sees
    # their summaries (opening one takes the right to see the action).
    actions = ActionSummarySerializer(many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "actions"]
        read_only_fields = fields


class IncidentInputBase(RejectUnexpectedFieldsMixin, ModelSerializer):
    """Report an incident or edit it. `department` defaults to the reporter's own; an edit carries `version`.

    Which fields you may write depends on your role and the incident's state
    (Incident.edit_policy); the others are refused with a 400 naming them. `handler` (a user
    id, or null) is the PMS office's to set, to a member of the office of the incident's company.
    """

    read_only_names = frozenset(IncidentDetailSerializer.Meta.fields) - set(Incident.edit_policy.fields)

    class Meta:
        model = Incident
        fields = list(Incident.edit_policy.fields)
        extra_kwargs = {
            "department": {"required": False},
            "event_class": {"queryset": active(EventClass)},
            "cause": {"queryset": active(CauseCategory)},
            "handler": {"queryset": User.objects.all()},
        }


IncidentInputSerializer = edit_input_serializer(Incident, IncidentInputBase)


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
    blocking_final = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text=_("Keys of the empty items not marked as not yet known: the 確報 cannot be filed while any remain."),
    )
    not_yet_known = serializers.DictField(
        child=serializers.CharField(), read_only=True,
        help_text=_("Items marked as not yet known at the 確報, with the reason: a 追完 follows."),
    )
    text = serializers.CharField(read_only=True, help_text=_("The whole report as one text."))
    subject_notice = serializers.CharField(
        read_only=True, help_text=_("Draft of the notice to data subjects (items 1, 2, 4, 5 and 9).")
    )
