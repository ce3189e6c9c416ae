"""The admin of reporting: the rules (data, edited here), the reporting tracks and the
reminders mailed before issue 14 (read-only).

The tracks are created, re-timed, withdrawn and reinstated by the system
(incidents.tracks.sync_tracks); a person records one as filed or not required through the
same transition page as incidents and actions. The reminders are notifications now (their
admin is the notifications app's); the log of the mails sent before stays here to read.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..models import ReportingTrack, RuleSet, SentReminder, TrackState
from ..roles import seen_companies
from ..templatetags.pms import time_left_text
from ..workflow.admin import (
    PMSOfficeAccessMixin,
    PMSOfficeReadOnlyMixin,
    ReadOnlyInlineMixin,
    TransitionAdminMixin,
    moment,
)


@admin.register(RuleSet)
class RuleSetAdmin(PMSOfficeAccessMixin, SimpleHistoryAdmin):
    """The rules are data (domain.md §1.12): the law changes, the code does not."""

    list_display = ["version", "name", "effective_from", "incident_count"]
    list_display_links = ["version", "name"]
    search_fields = ["version", "name"]
    fieldsets = [
        (None, {
            "fields": ["version", "name", "effective_from", "sources"],
            "description": _(
                "Each incident uses the rule set in force on the day it was discovered. When the law "
                "changes, add a new version with the date it takes effect: incidents discovered before "
                "that date keep their rules. Editing a rule set does not move any clock at once: the "
                "incidents discovered since its effective date are recomputed only when they are "
                "re-synced, that is the next time the incident or one of its reports changes; reports "
                "already filed or decided not required keep their state."
            ),
        }),
        (_("Reportability (rule art. 7)"), {"fields": [
            "subject_count_threshold", "collection_counts_for_unauthorized_purpose",
        ]}),
        (_("Notice to data subjects (APPI art. 26(2))"), {"fields": ["data_subjects_low_risk_exemption"]}),
        (_("PPC reports (rule art. 8; guideline 3-5-3-3, 3-5-3-4)"), {"fields": [
            "preliminary_target_days", "preliminary_limit_days", "final_days", "final_unauthorized_purpose_days",
            "first_day_counts", "roll_past_closed_days",
        ]}),
        (_("PrivacyMark assessment body (PMK500)"), {"fields": [
            "pmark_preliminary_target_days", "pmark_preliminary_limit_days", "pmark_final_days",
            "pmark_final_unauthorized_purpose_days", "pmark_subject_count_threshold", "pmark_my_number_threshold",
            "pmark_measures_target_days",
        ]}),
        (_("Entrusting business (委託元), data subjects (本人通知), joint use and the PPC 追完"), {
            "fields": ["entrusting_party_target_days", "entrusting_party_limit_days", "data_subjects_target_days",
                       "joint_use_target_days", "joint_use_limit_days", "ppc_supplement_target_days"],
            "description": _("The law says “promptly” for these: the numbers are the company's own targets."),
        }),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(incident_count=Count("incidents"))

    @admin.display(description=_("incidents"), ordering="incident_count")
    def incident_count(self, obj) -> int:
        return obj.incident_count


def time_left(track: ReportingTrack) -> str:
    """“2d 5h left”, “3h overdue” (as the web UI says it), or what became of the report."""
    if track.state != TrackState.PENDING or track.limit_at is None:
        return track.get_state_display()
    return time_left_text(track.limit_at, timezone.now())


class TrackDisplayMixin:
    @admin.display(description=_("target"), ordering="due_at")
    def due_display(self, obj):
        return moment(obj.due_at)

    @admin.display(description=_("limit"), ordering="limit_at")
    def limit_display(self, obj):
        return moment(obj.limit_at)

    @admin.display(description=_("Time left"), ordering="limit_at")
    def time_left_display(self, obj):
        return time_left(obj)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue_display(self, obj) -> bool:
        return obj.overdue

    @admin.display(description=_("Filed after its limit"), boolean=True)
    def late_display(self, obj) -> bool:
        return obj.late


class ReportingTrackInline(ReadOnlyInlineMixin, TrackDisplayMixin, admin.TabularInline):
    """The incident's reports and their clocks, read-only: they change only by their transitions."""

    model = ReportingTrack
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["kind", "state", "due_display", "limit_display", "time_left_display", "filed_at",
              "recipient_reference", "late_display"]
    readonly_fields = fields
    verbose_name_plural = _("reporting clocks (open a report to record it as filed or not required)")


class TrackClockFilter(admin.SimpleListFilter):
    title = _("Reporting clocks")
    parameter_name = "clock"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")), ("due_soon", _("Due within 24 hours")), ("late", _("Filed after its limit")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "due_soon":
            return queryset.due_soon()
        if self.value() == "late":
            return queryset.filter(state=TrackState.FILED, filed_at__gt=F("limit_at"))
        return queryset


@admin.register(ReportingTrack)
class ReportingTrackAdmin(PMSOfficeReadOnlyMixin, TrackDisplayMixin, TransitionAdminMixin, admin.ModelAdmin):
    """Read-only: a report changes only by its transitions (file, not required), through the
    services like everywhere else; the system withdraws and reinstates reports when the
    incident's classification changes."""

    list_display = [
        "incident", "kind", "state", "due_display", "limit_display", "time_left_display", "overdue_display",
        "late_display", "filed_at", "recipient_reference",
    ]
    list_display_links = ["incident", "kind"]
    list_select_related = ["incident"]
    list_filter = ["kind", "state", TrackClockFilter]
    search_fields = ["incident__reference", "incident__title", "recipient_reference"]
    date_hierarchy = "limit_at"
    fieldsets = [
        (None, {"fields": [
            "incident", "kind", "state", "due_display", "limit_display", "time_left_display", "overdue_display",
        ]}),
        (_("Filing"), {"fields": [
            "filed_at", "filed_by", "recipient_reference", "method", "filing_note", "late_display",
            "not_required_reason", "withdrawn_by_system",
        ]}),
        (_("Trail"), {"fields": ["created_at", "updated_at", "trail_display"]}),
    ]
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def transition_summary(self, record) -> str:
        return gettext("Target %(target)s, limit %(limit)s (Japan time): %(left)s.") % {
            "target": moment(record.due_at), "limit": moment(record.limit_at), "left": time_left(record),
        }


@admin.register(SentReminder)
class SentReminderAdmin(PMSOfficeReadOnlyMixin, admin.ModelAdmin):
    """The mails `send_reminders` sent before issue 14: what, to whom, when. History only:
    the reminders are notifications now, and nothing writes this log any more."""

    list_display = ["sent_at", "recipient", "subject"]
    list_select_related = ["recipient"]
    list_filter = ["sent_at"]
    search_fields = ["subject", "key", "recipient__username", "recipient__email"]
    date_hierarchy = "sent_at"
    fields = ["sent_at", "recipient", "subject", "key"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Subjects name incidents: a company's PMS office reads only what was sent to it.
        sent = super().get_queryset(request)
        return sent if seen_companies(request.user) is None else sent.filter(recipient=request.user)
