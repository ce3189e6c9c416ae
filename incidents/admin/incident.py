"""The admin of incidents: edited through incident_report / incident_update, moved on by
their transitions, with their reporting clocks listed (read-only) on their page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import Incident, group_has_several_companies
from ..workflow.admin import StateMachineAdmin
from .company import CompanyColumnsMixin
from .reporting import ReportingTrackInline


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
    inlines = [ReportingTrackInline]

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
            (None, {"fields": ["reference", "state", "reporter", *self.report_fieldset[1]["fields"], *company]}),
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
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_create(self, user, data):
        return services.incident_report(reporter=user, **data)

    def service_update(self, record, user, data, version):
        return services.incident_update(incident=record, by=user, version=version, **data)

    @admin.display(description=_("reportable reasons"))
    def reportable_reasons_display(self, obj):
        return format_html_join("", "<p>{}</p>", ((r["message"],) for r in obj.reportable_reasons))
