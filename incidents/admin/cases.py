"""The admin of requests from individuals (開示等の請求等) and complaints (苦情・相談), issue 15.

Built on the workflow engine's admin like the incidents' and the actions': recorded through
case_services.request_receive / complaint_receive, edited through request_update /
complaint_update from the version the page was read at, moved on by their transitions
(`<pk>/transition/<name>/`, through transition_record). A request's things asked for are
decided in its page (each through request_item_update, from the item's own version); the
pauses of its clock are shown, never changed here. Nothing is deleted.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import case_services
from ..models import (
    Complaint,
    RequestItem,
    RequestKind,
    RequestPause,
    RightsRequest,
    group_has_several_companies,
)
from ..models.requests import REQUEST_OPEN_STATES
from ..workflow.admin import ReadOnlyInlineMixin, StateMachineAdmin, StateMachineAdminForm, VersionField
from .company import CompanyColumnsMixin


class RequestOverdueFilter(admin.SimpleListFilter):
    title = _("clock")
    parameter_name = "clock"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("due_soon", _("Due within 3 days")), ("paused", _("Paused"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "due_soon":
            return queryset.due_soon()
        if self.value() == "paused":
            return queryset.open().filter(paused_since__isnull=False)
        return queryset


class RightsRequestAdminForm(StateMachineAdminForm):
    """Adding a request asks what it asks for (`kinds`), which request_receive takes."""

    kinds = forms.MultipleChoiceField(
        label=_("what is asked for"), choices=RequestKind.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("One or more of the six requests."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # Another thing asked for is added on the request's page, through its own step.
            self.fields.pop("kinds", None)


class RequestItemInlineForm(forms.ModelForm):
    """One thing asked for, decided from the version the page was read at."""

    item_version = VersionField(required=False)

    class Meta:
        model = RequestItem
        fields = ["decision", "ground", "reason", "outcome"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2}), "outcome": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["item_version"].initial = self.instance.version


class RequestItemInline(admin.TabularInline):
    """The things the request asks for and the decision on each (art. 36: the article and the
    reason told to the person when not in full). Decided here by the PMS office or the handler
    while the request is unanswered; added on the request's page."""

    model = RequestItem
    form = RequestItemInlineForm
    fields = ["kind", "decision", "ground", "reason", "outcome", "item_version"]
    extra = 0
    max_num = 0
    can_delete = False

    def item_writable(self, request, obj) -> bool:
        return obj is not None and bool(RequestItem.edit_policy.writable(RequestItem(request=obj), request.user))

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return self.item_writable(request, obj)

    def get_fields(self, request, obj=None):
        if self.item_writable(request, obj):
            return self.fields
        return [name for name in self.fields if name != "item_version"]

    def get_readonly_fields(self, request, obj=None):
        return ["kind"] if self.item_writable(request, obj) else ["kind", "decision", "ground", "reason", "outcome"]


class RequestPauseInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The pauses of the clock: kept and shown, never changed or removed."""

    model = RequestPause
    fields = ["started_on", "ended_on", "days", "reason", "started_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("started_by")


@admin.register(RightsRequest)
class RightsRequestAdmin(CompanyColumnsMixin, StateMachineAdmin):
    form = RightsRequestAdminForm
    list_display = [
        "reference", "requester_name", "state", "channel", "kinds_display", "received_on", "due_on",
        "overdue_display", "handler", "department",
    ]
    list_display_links = ["reference", "requester_name"]
    list_select_related = ["handler", "department"]
    list_filter = ["state", RequestOverdueFilter, "channel", "requester_type", "items__kind", "department"]
    search_fields = ["reference", "requester_name", "subject_name", "summary"]
    date_hierarchy = "received_on"
    readonly_fields = ("effective_due_display", "lawsuit_mark_display", "overdue_display")
    inlines = [RequestItemInline, RequestPauseInline]

    # The layout. Which of these fields this user may edit is RightsRequest.edit_policy's answer.
    intake_fields = [
        "channel", "received_on", "requester_type", "requester_name", "requester_address", "requester_contact",
        "subject_name", "summary", "method_requested", "enclosures", "postage_by_requester",
    ]

    def get_fieldsets(self, request, obj=None):
        company = ["company"] if group_has_several_companies() else []
        if obj is None:
            return [(None, {"fields": ["kinds", *self.intake_fields, *company, "department", "handler"]})]
        return [
            (None, {"fields": ["reference", "state", *company, "department", "handler", "received_by"]}),
            (_("Intake"), {"fields": self.intake_fields}),
            (_("Identity and authority"), {"fields": [
                "identity_method", "identity_result", "identity_checked_on", "identity_note", "authority_evidence",
                "identity_documents_deleted_at",
            ]}),
            (_("Answer"), {"fields": [
                "data_searched", "method_used", "paper_reason", "fee_amount", "fee_received_on", "sent_on",
                "late_reason", "consequence_acknowledged", "letter_body",
            ]}),
            (_("Clock"), {"fields": [
                "target_days", "due_on", "effective_due_display", "lawsuit_mark_display", "overdue_display",
                "paused_since", "pause_reason", "paused_days",
            ]}),
            (_("Trail"), {"fields": ["incident", "created_at", "updated_at", "closed_at", "trail_display"]}),
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("items")

    def service_create(self, user, data):
        kinds = data.pop("kinds", None) or []
        if data.get("company") is None:
            data.pop("company", None)
        return case_services.request_receive(by=user, kinds=kinds, **data)

    def service_update(self, record, user, data, version):
        return case_services.request_update(request=record, by=user, version=version, **data)

    def save_related(self, request, form, formsets, change):
        """Each thing asked for whose decision changed is decided through its service, from the
        version the page was read at (a stale one is refused like a stale page)."""
        for formset in formsets:
            if formset.model is not RequestItem or not self.get_inline_instances(request, form.instance):
                continue
            for item_form in formset.initial_forms:
                changed = [name for name in item_form.changed_data if name != "item_version"]
                if not changed or not item_form.instance.pk:
                    continue
                item = RequestItem.objects.select_related("request").get(pk=item_form.instance.pk)
                case_services.request_item_update(
                    item=item, by=request.user, version=item_form.cleaned_data.get("item_version") or item.version,
                    **{name: item_form.cleaned_data[name] for name in changed},
                )

    @admin.display(description=_("asked for"))
    def kinds_display(self, obj) -> str:
        return "、".join(str(item.get_kind_display()) for item in obj.item_list()) or "-"

    @admin.display(description=_("due (counting a running pause)"))
    def effective_due_display(self, obj):
        return obj.effective_due_on() if obj is not None and obj.pk else "-"

    @admin.display(description=_("art. 39 mark (two weeks from receipt)"))
    def lawsuit_mark_display(self, obj):
        return (obj.lawsuit_mark_on if obj.state in REQUEST_OPEN_STATES else "-") if obj and obj.pk else "-"

    @admin.display(description=_("overdue"), boolean=True)
    def overdue_display(self, obj) -> bool:
        return bool(obj is not None and obj.pk and obj.overdue)

    def transition_summary(self, record) -> str:
        if record.state not in REQUEST_OPEN_STATES:
            return ""
        return _("Due %(due)s; art. 39 mark %(mark)s; today %(today)s.") % {
            "due": record.effective_due_on(), "mark": record.lawsuit_mark_on, "today": timezone.localdate()}


@admin.register(Complaint)
class ComplaintAdmin(CompanyColumnsMixin, StateMachineAdmin):
    list_display = [
        "reference", "complainant_name", "state", "classification", "channel", "received_on", "answered_on",
        "reveals_weakness", "handler", "department",
    ]
    list_display_links = ["reference", "complainant_name"]
    list_select_related = ["handler", "department"]
    list_filter = ["state", "classification", "channel", "reveals_weakness", "department"]
    search_fields = ["reference", "complainant_name", "summary", "outcome"]
    date_hierarchy = "received_on"

    intake_fields = ["channel", "received_on", "complainant_name", "complainant_contact", "summary",
                     "classification"]

    def get_fieldsets(self, request, obj=None):
        company = ["company"] if group_has_several_companies() else []
        if obj is None:
            return [(None, {"fields": [*self.intake_fields, *company, "department", "handler"]})]
        return [
            (None, {"fields": ["reference", "state", *company, "department", "handler", "received_by"]}),
            (_("Intake"), {"fields": self.intake_fields}),
            (_("Handling"), {"fields": [
                "first_response_on", "answered_on", "outcome", "reveals_weakness", "weakness_note", "reply_body",
            ]}),
            (_("What it led to"), {"fields": ["request", "incident", "actions"]}),
            (_("Trail"), {"fields": ["created_at", "updated_at", "closed_at", "trail_display"]}),
        ]

    def service_create(self, user, data):
        if data.get("company") is None:
            data.pop("company", None)
        return case_services.complaint_receive(by=user, **data)

    def service_update(self, record, user, data, version):
        return case_services.complaint_update(complaint=record, by=user, version=version, **data)

