"""The admin of corrective and preventive actions: planned and re-planned through
action_create / action_update, carried out and verified by their transitions."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import Action, ActionState, Incident, group_has_several_companies
from ..workflow.admin import StateMachineAdmin, StateMachineAdminForm
from .company import CompanyColumnsMixin


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.open().exclude(state=ActionState.IMPLEMENTED).filter(
                due_date__lt=timezone.localdate()
            )
        return queryset


class ActionAdminForm(StateMachineAdminForm):
    """Refuses, per field, a department the user may not plan actions for."""

    def clean(self):
        cleaned = super().clean()
        department = cleaned.get("department")
        if department is not None and "department" in self.fields and (
            self.instance.pk is None or "department" in self.changed_data
        ) and not services.action_can_create(self.user, department=department, incident=cleaned.get("incident")):
            self.add_error("department", _("Only the PMS manager or the department's head may plan actions."))
        return cleaned


@admin.register(Action)
class ActionAdmin(CompanyColumnsMixin, StateMachineAdmin):
    form = ActionAdminForm
    list_display = [
        "reference", "title", "kind", "state", "incident", "department", "owner", "verifier", "due_date",
        "overdue",
    ]
    list_display_links = ["reference", "title"]
    list_select_related = ["incident", "department", "owner", "verifier"]
    list_filter = ["state", "kind", OverdueFilter, "department", "due_date"]
    search_fields = ["reference", "title", "description", "incident__reference"]
    date_hierarchy = "due_date"
    autocomplete_fields = ["owner", "verifier", "incident"]

    # The layout. Which of these fields this user may edit is Action.edit_policy's answer
    # (the plan, while the action is open; the notes are written by its steps).
    plan_fields = ["kind", "title", "description", "incident", "department", "owner", "verifier", "due_date"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": self.plan_fields})]
        # The company (the incident's, else the department's) is set by the system.
        company = ["company"] if group_has_several_companies() else []
        return [
            (None, {"fields": ["reference", "state", *self.plan_fields, *company]}),
            (_("Evidence"), {"fields": [
                "implementation_note", "implemented_at", "effectiveness_note", "verified_at", "cancel_reason",
            ]}),
            (_("Trail"), {"fields": ["created_by", "created_at", "updated_at", "trail_display"]}),
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "incident":
            # Actions are planned for open incidents only (services.action_create).
            current = getattr(self.edited_object(request), "incident_id", None)
            kwargs["queryset"] = Incident.objects.visible_to(request.user).filter(
                Q(pk__in=Incident.objects.open().values("pk")) | Q(pk=current)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_create(self, user, data):
        return services.action_create(by=user, **data)

    def service_update(self, record, user, data, version):
        return services.action_update(action=record, by=user, version=version, **data)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj) -> bool:
        return obj.is_overdue
