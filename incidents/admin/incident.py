"""The admin of incidents: edited through incident_report / incident_update, moved on by
their transitions, with their reporting clocks listed (read-only) on their page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .. import people, services
from ..models import Incident, ProgressEntry, group_has_several_companies
from ..roles import Role
from ..workflow.admin import PMSOfficeReadOnlyMixin, ReadOnlyInlineMixin, StateMachineAdmin
from .company import CompanyColumnsMixin
from .reporting import ReportingTrackInline


class ProgressEntryInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The incident's progress log, to read: entries are written on the incident's page (or
    through the API) and never changed or removed."""

    model = ProgressEntry
    fields = ["occurred_at", "text", "written_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("written_by")


@admin.register(ProgressEntry)
class ProgressEntryAdmin(PMSOfficeReadOnlyMixin, admin.ModelAdmin):
    """The progress log entries of the incidents the user sees, to look up: nobody adds,
    changes or deletes one here (the model refuses it too)."""

    list_display = ["occurred_at", "incident", "text_start", "written_by", "created_at"]
    list_select_related = ["incident", "written_by"]
    search_fields = ["incident__reference", "text"]
    date_hierarchy = "occurred_at"
    fields = ["incident", "occurred_at", "text", "written_by", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(
            incident__in=Incident.objects.visible_to(request.user).values("pk"))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("what happened or was done"))
    def text_start(self, obj) -> str:
        return obj.text if len(obj.text) <= 60 else f"{obj.text[:60]}…"


@admin.register(Incident)
class IncidentAdmin(CompanyColumnsMixin, StateMachineAdmin):
    list_display = [
        "reference", "title", "state", "kind", "severity", "department", "reporter", "reportable",
        "discovered_at",
    ]
    list_display_links = ["reference", "title"]
    list_select_related = ["department", "reporter"]
    company_field = "company"
    list_filter = ["state", "kind", "severity", "reportable", "department", "event_class", "cause"]
    search_fields = ["reference", "title", "description"]
    date_hierarchy = "discovered_at"
    readonly_fields = ("reportable_reasons_display",)
    inlines = [ReportingTrackInline, ProgressEntryInline]

    # The layout. Which of these fields this user may edit is Incident.edit_policy's answer.
    report_fieldset = (None, {"fields": [
        "title", "description", "department", "kind", "occurred_at", "discovered_at",
    ]})
    classification_fieldset = (_("Classification"), {"fields": [
        "severity", "event_class", "cause", "data_items", "affected_count", "affected_count_estimated",
    ]})
    appi_fieldset = (_("APPI reportability (rule art. 7)"), {"fields": [
        "involves_sensitive_data", "risk_of_financial_damage", "suspected_unauthorized_purpose",
        "data_in_collection", "strongly_encrypted", "entrusted_by", "involves_joint_use",
    ]})

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [self.report_fieldset, self.classification_fieldset, self.appi_fieldset]
        # The company (the department's) and the one responsible for the jointly used data,
        # set by the system: named only when the group has several companies.
        company = ["company"] if group_has_several_companies() else []
        joint_use = ["joint_use_company"] if company else []
        return [
            (None, {"fields": ["reference", "state", "reporter", *self.report_fieldset[1]["fields"], *company,
                               "handler"]}),
            self.classification_fieldset,
            (self.appi_fieldset[0], {"fields": [
                *self.appi_fieldset[1]["fields"], *joint_use, "reportable", "reportable_reasons_display",
                "rule_set",
            ]}),
            (_("Response"), {"fields": [
                "containment_summary", "correction_taken", "root_cause", "dismissal_reason",
            ]}),
            (_("PrivacyMark (PMK500)"), {"fields": [
                "pmark_event", "pmark_suspected", "not_personal_data", "is_my_number", "my_number_network_system",
                "my_number_publicly_viewable", "pmark_judged_serious", "pmark_judged_serious_reason",
                "pmark_notice_received_on", "pmark_notice_requests", "pmark_notice_due_on",
            ]}),
            (_("Notice to data subjects: small risk (2026 amendment)"), {"fields": [
                "subjects_low_risk", "subjects_low_risk_reason", "substitute_measure",
            ]}),
            (_("PPC report (rule art. 8(1))"), {
                "fields": [
                    "discovery_route", "secondary_harm", "subject_response", "publication",
                    "recurrence_prevention", "other_information", "ppc_unknown_items",
                ],
                "description": _("The items of the report that the classification and the response above do "
                                 "not already hold. The reports owed and their clocks are listed below."),
            }),
            (_("Trail"), {"fields": ["created_at", "updated_at", "contained_at", "closed_at", "trail_display"]}),
        ]

    def get_inline_instances(self, request, obj=None):
        # The reports exist once the incident does: none on the add page.
        return super().get_inline_instances(request, obj) if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("event_class", "cause"):
            current = getattr(self.edited_object(request), f"{db_field.name}_id", None)
            kwargs["queryset"] = db_field.related_model.objects.filter(Q(active=True) | Q(pk=current))
        if db_field.name == "handler":
            # The PMS office of the incident's company (the service checks it again).
            incident = self.edited_object(request)
            if incident is not None:
                kwargs["queryset"] = people.eligible(Role.PMS_MANAGER, company=incident.company_id,
                                                     keep=[incident.handler_id])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_create(self, user, data):
        return services.incident_report(reporter=user, **data)

    def service_update(self, record, user, data, version):
        return services.incident_update(incident=record, by=user, version=version, **data)

    @admin.display(description=_("reportable reasons"))
    def reportable_reasons_display(self, obj):
        return format_html_join("", "<p>{}</p>", ((r["message"],) for r in obj.reportable_reasons))
