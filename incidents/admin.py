"""The Django admin: reference data, users, and the incidents and actions themselves.

Reference data (departments, pick-lists) is plain admin editing. Incidents and actions
are records with a protected state machine, so their admins never write a record
directly:

- adding and editing go through the services (`incident_report`, `incident_update`,
  `action_create`, `action_update`), so the same permission and validation rules apply
  as in the web UI and the API;
- `state`, `reference` and `reportable` are read-only (the FSM field is protected:
  posting a state is ignored, not saved);
- transitions have their own admin page, `<pk>/transition/<name>/`, which calls
  `services.transition_record` like every other door. django-fsm-2's FSMAdminMixin is
  not used on purpose: its normal POST path does not check transition permissions;
- nothing can be deleted: the records of a management system are evidence.

The PMS manager and office (role `pms_manager`, with `is_staff`) may use these pages
without Django model permissions; everyone else needs the usual admin permissions, and
the services still decide what they may do.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.forms.models import fields_for_model, model_to_dict
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .exceptions import ConcurrentChange, ConditionsNotMet, NotPermitted, UnknownTransition, WorkflowError
from .models import (
    Action,
    ActionState,
    CauseCategory,
    Department,
    EventClass,
    Incident,
    UserProfile,
)
from .roles import Role, has_role
from .selectors import trail

User = get_user_model()


def _is_pms_office(request) -> bool:
    return has_role(request.user, Role.PMS_MANAGER)


def _error_text(error: WorkflowError | ValidationError) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return " ".join([str(error.message), *map(str, error.problems)])


def _person(user) -> str:
    """A user as Japanese write names: family name first."""
    return " ".join(part for part in (user.last_name, user.first_name) if part) or user.get_username()


def _limit_picklists(form_fields, values: dict) -> None:
    """Offer only active pick-list entries, plus whatever the record already has."""
    for name, field in form_fields.items():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and queryset.model in (EventClass, CauseCategory):
            field.queryset = queryset.filter(Q(active=True) | Q(pk=values.get(name)))


class PMSOfficeAccessMixin:
    """The PMS office may view, add and change these models without model permissions."""

    def has_module_permission(self, request):
        return super().has_module_permission(request) or _is_pms_office(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _is_pms_office(request)

    def has_add_permission(self, request):
        return super().has_add_permission(request) or _is_pms_office(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or _is_pms_office(request)


# ---------------------------------------------------------------------------
# Organisation and users


@admin.register(Department)
class DepartmentAdmin(PMSOfficeAccessMixin, admin.ModelAdmin):
    list_display = ["code", "name", "head", "member_count"]
    list_select_related = ["head"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["head"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj) -> int:
        return obj.member_count


class UserProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False
    max_num = 1
    fields = ["department"]
    verbose_name = _("department")
    verbose_name_plural = _("department")


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, with the user's department and roles (groups)."""

    inlines = [UserProfileInline]
    list_display = ["username", "last_name", "first_name", "department", "roles", "is_staff", "is_active"]
    list_select_related = ["profile__department"]
    list_filter = [*DjangoUserAdmin.list_filter, "profile__department"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def has_module_permission(self, request):
        return super().has_module_permission(request) or _is_pms_office(request)

    def has_view_permission(self, request, obj=None):
        # The PMS office looks users up (department heads, action owners and verifiers)
        # but does not manage accounts.
        return super().has_view_permission(request, obj) or _is_pms_office(request)

    def get_inline_instances(self, request, obj=None):
        # The two-step "add user" page asks only for the username and password.
        return super().get_inline_instances(request, obj) if obj is not None else []

    @admin.display(description=_("department"), ordering="profile__department__code")
    def department(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.department if profile and profile.department else "-"

    @admin.display(description=_("roles"))
    def roles(self, obj) -> str:
        labels = {role.value: role.label for role in Role}
        return ", ".join(str(labels.get(group.name, group.name)) for group in obj.groups.all()) or "-"


# ---------------------------------------------------------------------------
# Pick-lists (JIPDEC taxonomy, editable)


class PickListAdmin(PMSOfficeAccessMixin, admin.ModelAdmin):
    list_display = ["code", "name_ja", "name_en", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name_ja", "name_en"]
    ordering = ["position", "code"]


@admin.register(EventClass)
class EventClassAdmin(PickListAdmin):
    pass


@admin.register(CauseCategory)
class CauseCategoryAdmin(PickListAdmin):
    pass


# ---------------------------------------------------------------------------
# Records with a state machine


class TransitionForm(forms.Form):
    """The fields a transition asks for (services.TRANSITIONS) plus a comment."""

    from_state = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, record, spec: services.TransitionSpec, **kwargs):
        initial = {**model_to_dict(record, fields=spec.fields), "from_state": record.state}
        super().__init__(*args, initial=initial, **kwargs)
        self.spec = spec
        text_widget = forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"})
        model_fields = fields_for_model(
            type(record), fields=spec.fields, widgets={
                field.name: text_widget for field in type(record)._meta.fields
                if field.name in spec.fields and field.get_internal_type() == "TextField"
            },
        )
        _limit_picklists(model_fields, initial)
        self.fields.update(model_fields)
        self.fields["comment"] = forms.CharField(
            label=_("Comment"), required=spec.comment_required,
            widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
            help_text=_("Recorded in the trail with this step."),
        )

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.spec.fields}


class StateMachineAdmin(PMSOfficeAccessMixin, admin.ModelAdmin):
    """Shared by the incident and action admins: service-backed saves and transitions."""

    change_form_template = "admin/incidents/change_form_with_transitions.html"
    transition_template = "admin/incidents/transition_form.html"
    # Fields that only the transitions write (through their own forms).
    transition_only_fields: tuple[str, ...] = ()
    common_readonly_fields = ("reference", "state", "created_at", "updated_at", "trail_display")

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None:
            # Closed records, and records this user may not edit, are shown read-only.
            return self.service_can_edit(obj, request.user)
        return allowed

    def service_can_edit(self, obj, user) -> bool:
        raise NotImplementedError

    def edited_object(self, request):
        """The record of the change page being served, or None on the add page."""
        match = request.resolver_match
        object_id = match.kwargs.get("object_id") if match else None
        return self.get_object(request, unquote(object_id)) if object_id else None

    def get_readonly_fields(self, request, obj=None):
        return [*self.common_readonly_fields, *self.readonly_fields, *self.transition_only_fields]

    # --- saving through the services

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The services may still refuse (a concurrent change, a rule the form could not
        # check). The admin's transaction is then rolled back and the reason shown.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (WorkflowError, ValidationError) as error:
            self.message_user(request, _error_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in (form.changed_data if change else form.cleaned_data)}
        if change:
            if data:
                # A fresh copy: the permission checks must see the record as stored,
                # not as the form has already changed it.
                self.service_update(self.model.objects.get(pk=obj.pk), request.user, data)
            return
        created = self.service_create(request.user, data)
        # The admin goes on with `obj` (messages, the change log, the redirect).
        for field in self.model._meta.concrete_fields:
            if field.name != "state":
                setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
        obj._state.db = created._state.db

    def service_create(self, user, data):
        raise NotImplementedError

    def service_update(self, record, user, data):
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        # No many-to-many fields or inlines: everything was saved by the service.
        pass

    # --- read-only displays

    @admin.display(description=_("trail"))
    def trail_display(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        specs = services.TRANSITIONS[self.model]
        creation = {"report": _("Reported"), "create": _("Created")}
        rows = [
            (
                timezone.localtime(entry.timestamp).strftime("%Y-%m-%d %H:%M"),
                specs[entry.transition].label if entry.transition in specs
                else creation.get(entry.transition, entry.transition),
                entry.get_source_state_display() if entry.source_state else "-",
                entry.get_state_display(),
                _person(entry.by) if entry.by else "-",
                entry.description or "",
            )
            for entry in trail(obj)
        ]
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("when"), _("step"), _("from"), _("to"), _("by"), _("comment"),
        )
        body = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
        )
        return format_html("<table>{}{}</table>", header, body)

    # --- transitions

    def get_urls(self):
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_transition",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["transitions"] = services.transitions_for(obj, request.user)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def transition_view(self, request, object_id, name):
        record = self.get_object(request, unquote(object_id))
        if record is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, record):
            raise PermissionDenied
        try:
            spec = services.transition_spec(self.model, name)
        except UnknownTransition:
            raise Http404(gettext("There is no such transition.")) from None
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[record.pk], current_app=self.admin_site.name,
        )
        option = next((o for o in services.transitions_for(record, request.user) if o.name == name), None)
        status = 200
        if request.method == "POST":
            form = TransitionForm(request.POST, record=record, spec=spec)
            if form.is_valid():
                try:
                    if form.cleaned_data["from_state"] != record.state:
                        raise ConcurrentChange()
                    done = services.transition_record(
                        record, name, by=request.user, comment=form.cleaned_data["comment"],
                        changes=form.changes(),
                    )
                except NotPermitted as error:
                    self.message_user(request, _error_text(error), messages.ERROR)
                    status = 403
                except ConditionsNotMet as error:
                    for problem in error.problems or [error.message]:
                        form.add_error(None, problem)
                    self.message_user(request, _error_text(error), messages.ERROR)
                except WorkflowError as error:
                    # Not available from this state, or someone else moved it on.
                    self.message_user(request, _error_text(error), messages.ERROR)
                    return HttpResponseRedirect(change_url)
                else:
                    self.log_change(request, done, gettext("Transition: %(label)s") % {"label": spec.label})
                    self.message_user(
                        request,
                        gettext("%(label)s: %(record)s is now “%(state)s”.") % {
                            "label": spec.label, "record": done.reference, "state": done.get_state_display(),
                        },
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(change_url)
        else:
            form = TransitionForm(record=record, spec=spec)
            if option is None:
                # Not offered to this user now: say why, without a form to submit.
                if services._fsm_transition(record, name) is not None:
                    status = 403
                    self.message_user(request, gettext("You are not allowed to take this step."), messages.ERROR)
                else:
                    self.message_user(
                        request, gettext("This step is not available in the record's current state."),
                        messages.ERROR,
                    )
                    return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": spec.label,
            "subtitle": str(record),
            "opts": self.opts,
            "original": record,
            "spec": spec,
            "option": option,
            "target_label": dict(self.model._meta.get_field("state").flatchoices).get(option.target)
            if option else None,
            "form": form,
            "refused": status == 403,
            "change_url": change_url,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.transition_template, context, status=status)


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


@admin.register(Incident)
class IncidentAdmin(StateMachineAdmin):
    list_display = [
        "reference", "title", "state", "kind", "severity", "department", "reporter", "reportable",
        "discovered_at",
    ]
    list_display_links = ["reference", "title"]
    list_select_related = ["department", "reporter"]
    list_filter = ["state", "kind", "severity", "reportable", "department", "event_class", "cause"]
    search_fields = ["reference", "title", "description"]
    date_hierarchy = "discovered_at"
    readonly_fields = ("reporter", "reportable", "reportable_reasons_display", "closed_at")
    transition_only_fields = ("dismissal_reason",)

    report_fieldset = (None, {"fields": [
        "title", "description", "department", "kind", "occurred_at", "discovered_at",
    ]})
    classification_fieldset = (_("Classification"), {"fields": [
        "severity", "event_class", "cause", "data_items", "affected_count", "affected_count_estimated",
    ]})
    appi_fieldset = (_("APPI reportability (rule art. 7)"), {"fields": [
        "involves_sensitive_data", "risk_of_financial_damage", "suspected_unauthorized_purpose",
        "data_in_collection", "strongly_encrypted", "entrusted_by",
    ]})

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [self.report_fieldset, self.classification_fieldset, self.appi_fieldset]
        return [
            (None, {"fields": ["reference", "state", "reporter", *self.report_fieldset[1]["fields"]]}),
            self.classification_fieldset,
            (self.appi_fieldset[0], {"fields": [
                *self.appi_fieldset[1]["fields"], "reportable", "reportable_reasons_display",
            ]}),
            (_("Response"), {"fields": [
                "containment_summary", "correction_taken", "root_cause", "dismissal_reason",
            ]}),
            (_("Trail"), {"fields": ["created_at", "updated_at", "closed_at", "trail_display"]}),
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("event_class", "cause"):
            current = getattr(self.edited_object(request), f"{db_field.name}_id", None)
            kwargs["queryset"] = db_field.related_model.objects.filter(Q(active=True) | Q(pk=current))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_can_edit(self, obj, user) -> bool:
        return services.incident_can_edit(obj, user)

    def service_create(self, user, data):
        return services.incident_report(reporter=user, **data)

    def service_update(self, record, user, data):
        return services.incident_update(incident=record, by=user, **data)

    @admin.display(description=_("reportable reasons"))
    def reportable_reasons_display(self, obj):
        return format_html_join("", "<p>{}</p>", ((r["message"],) for r in obj.reportable_reasons))


class ActionAdminForm(forms.ModelForm):
    """Refuses, per field, a department the user may not plan actions for."""

    user = None  # set by ActionAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        department = cleaned.get("department")
        if department is not None and "department" in self.fields and (
            self.instance.pk is None or "department" in self.changed_data
        ) and not services.action_can_create(self.user, department=department, incident=cleaned.get("incident")):
            self.add_error("department", _("Only the PMS manager or the department's head may plan actions."))
        return cleaned


@admin.register(Action)
class ActionAdmin(StateMachineAdmin):
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
    readonly_fields = ("created_by", "implemented_at", "verified_at")
    # Evidence recorded with the implement, verify and cancel steps.
    transition_only_fields = ("implementation_note", "effectiveness_note", "cancel_reason")

    plan_fields = ["kind", "title", "description", "incident", "department", "owner", "verifier", "due_date"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": self.plan_fields})]
        return [
            (None, {"fields": ["reference", "state", *self.plan_fields]}),
            (_("Evidence"), {"fields": [
                "implementation_note", "implemented_at", "effectiveness_note", "verified_at", "cancel_reason",
            ]}),
            (_("Trail"), {"fields": ["created_by", "created_at", "updated_at", "trail_display"]}),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "incident":
            # Actions are planned for open incidents only (services.action_create).
            current = getattr(self.edited_object(request), "incident_id", None)
            kwargs["queryset"] = Incident.objects.visible_to(request.user).filter(
                Q(pk__in=Incident.objects.open().values("pk")) | Q(pk=current)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_can_edit(self, obj, user) -> bool:
        return services.action_can_edit(obj, user)

    def service_create(self, user, data):
        return services.action_create(by=user, **data)

    def service_update(self, record, user, data):
        return services.action_update(action=record, by=user, **data)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj) -> bool:
        return obj.is_overdue
