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

The reporting rules (RuleSet) are data and edited here. The reporting tracks are
read-only: they are created, re-timed, withdrawn and reinstated by the system
(incidents.tracks.sync_tracks), and a person records them as filed or not required
through the same transition page as incidents and actions. The log of sent reminders
is read-only too.

The PMS manager and office (role `pms_manager`, with `is_staff`) may use these pages
without Django model permissions; everyone else needs the usual admin permissions, and
the services still decide what they may do.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
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
    Attachment,
    CauseCategory,
    Department,
    EventClass,
    Incident,
    ReportingTrack,
    RuleSet,
    SentReminder,
    TrackState,
    UserProfile,
    person_name,
)
from .roles import Role, has_role, role_conflict
from .selectors import trail
from .templatetags.pms import time_left_text

User = get_user_model()


def _is_pms_office(request) -> bool:
    return has_role(request.user, Role.PMS_MANAGER)


def _error_text(error: WorkflowError | ValidationError) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return " ".join([str(error.message), *map(str, error.problems)])


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


class PMSOfficeReadOnlyMixin:
    """Records the system writes: the PMS office may look; nobody adds, changes or deletes."""

    def has_module_permission(self, request):
        return super().has_module_permission(request) or _is_pms_office(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _is_pms_office(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin:
    """Rows shown on the page of a record the user may already see, and changed only through
    that record's own steps: nobody adds, changes or deletes them here."""

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


class UserChangeForm(DjangoUserAdmin.form):
    """Refuses, on the roles (groups), the audit lead and the PMS manager in one person (domain.md §2.4)."""

    def clean_groups(self):
        groups = self.cleaned_data["groups"]
        problem = role_conflict([group.name for group in groups])
        if problem:
            raise ValidationError(problem)
        return groups


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, with the user's department and roles (groups)."""

    form = UserChangeForm
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
        asked = [field for field in type(record)._meta.fields if field.name in spec.fields]
        moments = [field.name for field in asked if field.get_internal_type() == "DateTimeField"]
        model_fields = fields_for_model(
            type(record), fields=spec.fields,
            widgets={
                **{field.name: text_widget for field in asked if field.get_internal_type() == "TextField"},
                # The admin's date and time pickers (for example when a report was filed).
                **{name: widgets.AdminSplitDateTime() for name in moments},
            },
            field_classes={name: forms.SplitDateTimeField for name in moments},
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




class TransitionAdminMixin:
    """Transition buttons on the change form, the `<pk>/transition/<name>/` page and the trail.

    Every transition goes through services.transition_record, which checks the user's
    permission and the conditions: the admin adds no rule of its own.
    """

    change_form_template = "admin/incidents/change_form_with_transitions.html"
    transition_template = "admin/incidents/transition_form.html"

    @admin.display(description=_("trail"))
    def trail_display(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        rows = [
            (
                timezone.localtime(entry.timestamp).strftime("%Y-%m-%d %H:%M"),
                services.trail_label(self.model, entry.transition),
                entry.get_source_state_display() if entry.source_state else "-",
                entry.get_state_display(),
                (person_name(entry.by) or entry.by.get_username()) if entry.by else "-",
                entry.description or "",
            )
            for entry in trail(obj)
        ]
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("when"), _("step"), _("from"), _("to"), _("by"), _("comment"),
        )
        body = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td style=\"white-space: pre-line\">{}</td></tr>",
            rows,
        )
        return format_html("<table>{}{}</table>", header, body)

    def transition_summary(self, record) -> str:
        """A line shown above a transition's form (for example a report's limit)."""
        return ""

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
                            "label": spec.label, "record": getattr(done, "reference", None) or str(done),
                            "state": done.get_state_display(),
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
            "summary": self.transition_summary(record),
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.transition_template, context, status=status)


class StateMachineAdmin(TransitionAdminMixin, PMSOfficeAccessMixin, admin.ModelAdmin):
    """Shared by the incident and action admins: service-backed saves and transitions."""

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
        # No many-to-many fields, and the inlines are read-only: the service saved everything.
        pass

    def construct_change_message(self, request, form, formsets, add=False):
        # The read-only inlines were not saved, so they changed nothing.
        return super().construct_change_message(request, form, [], add)


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


def _moment(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def _time_left(track: ReportingTrack) -> str:
    """“2d 5h left”, “3h overdue” (as the web UI says it), or what became of the report."""
    if track.state != TrackState.PENDING:
        return track.get_state_display()
    return time_left_text(track.limit_at, timezone.now())


class TrackDisplayMixin:
    @admin.display(description=_("target"), ordering="due_at")
    def due_display(self, obj):
        return _moment(obj.due_at)

    @admin.display(description=_("limit"), ordering="limit_at")
    def limit_display(self, obj):
        return _moment(obj.limit_at)

    @admin.display(description=_("Time left"), ordering="limit_at")
    def time_left_display(self, obj):
        return _time_left(obj)

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
    readonly_fields = ("reporter", "reportable", "reportable_reasons_display", "rule_set", "contained_at", "closed_at")
    transition_only_fields = ("dismissal_reason",)
    inlines = [ReportingTrackInline]

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
                *self.appi_fieldset[1]["fields"], "reportable", "reportable_reasons_display", "rule_set",
            ]}),
            (_("Response"), {"fields": [
                "containment_summary", "correction_taken", "root_cause", "dismissal_reason",
            ]}),
            (_("PPC report (rule art. 8(1))"), {
                "fields": [
                    "discovery_route", "secondary_harm", "subject_response", "publication",
                    "recurrence_prevention", "other_information",
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


# ---------------------------------------------------------------------------
# Reporting: the rules, the tracks and the reminders sent


@admin.register(RuleSet)
class RuleSetAdmin(PMSOfficeAccessMixin, admin.ModelAdmin):
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
        (_("PPC reports (rule art. 8; guideline 3-5-3-3, 3-5-3-4)"), {"fields": [
            "preliminary_target_days", "preliminary_limit_days", "final_days", "final_unauthorized_purpose_days",
            "first_day_counts", "roll_past_closed_days",
        ]}),
        (_("PrivacyMark assessment body (PMK500)"), {"fields": [
            "pmark_preliminary_target_days", "pmark_preliminary_limit_days", "pmark_final_days",
            "pmark_final_unauthorized_purpose_days",
        ]}),
        (_("Entrusting business (委託元) and data subjects (本人通知)"), {
            "fields": ["entrusting_party_target_days", "entrusting_party_limit_days", "data_subjects_target_days"],
            "description": _("The law says “promptly” for these: the numbers are the company's own targets."),
        }),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(incident_count=Count("incidents"))

    @admin.display(description=_("incidents"), ordering="incident_count")
    def incident_count(self, obj) -> int:
        return obj.incident_count


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
            "target": _moment(record.due_at), "limit": _moment(record.limit_at), "left": _time_left(record),
        }


@admin.register(SentReminder)
class SentReminderAdmin(PMSOfficeReadOnlyMixin, admin.ModelAdmin):
    """The log of `send_reminders`: what was sent, to whom, when. Written by the command only."""

    list_display = ["sent_at", "recipient", "subject"]
    list_select_related = ["recipient"]
    list_filter = ["sent_at"]
    search_fields = ["subject", "key", "recipient__username", "recipient__email"]
    date_hierarchy = "sent_at"
    fields = ["sent_at", "recipient", "subject", "key"]
    readonly_fields = fields



@admin.register(Attachment)
class AttachmentAdmin(PMSOfficeReadOnlyMixin, admin.ModelAdmin):
    """Evidence files, to look up; uploads go through the record's page. The stored file is
    never linked directly: downloads go through the view that checks who may see the record."""

    list_display = ["uploaded_at", "original_name", "content_type", "object_id", "mime_type", "size", "uploaded_by"]
    list_select_related = ["uploaded_by", "content_type"]
    list_filter = ["content_type", "mime_type"]
    search_fields = ["original_name", "description", "sha256"]
    fields = ["original_name", "download", "content_type", "object_id", "mime_type", "size", "sha256",
              "description", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    @admin.display(description=_("download"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("attachment_download", args=[obj.pk]), obj.original_name)
