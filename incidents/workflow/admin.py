"""The admin's share of the workflow engine: the pieces every record type's admin builds on.

- `StateMachineAdmin`: the admin of a record with a protected state machine. Which fields
  are editable comes from the model's `edit_policy` (`writable(record, user)` on the
  change page, `creatable(user)` on the add page): every other field is shown read-only,
  so the admin lists no writable field of its own. The change form carries the version it
  was read at (a hidden field); saving goes through the record type's service with that
  version, and a save from a stale version shows the form again with the user's entries,
  the fields changed since and who changed them. Nothing is deleted.
- `TransitionAdminMixin` (defined in `admin_transitions`, with the helpers both modules
  share): the transition buttons on the change form, the `<pk>/transition/<name>/` page
  and the trail. Every step goes through `service.transition_record`, which checks the
  permission and the conditions: the admin adds no rule of its own.
- `PMSOfficeAccessMixin`, `PMSOfficeReadOnlyMixin`, `ReadOnlyInlineMixin`: who may open
  which pages. The PMS office (role `pms_manager`, with `is_staff`) uses them without
  Django model permissions; the services still decide what anyone may do.

An app's admin imports these names from this module, subclasses them and says only what
is particular to its records: the layout (fieldsets), the lists, and `service_create` /
`service_update`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpResponseRedirect

from ..exceptions import FieldsNotWritable, StaleEdit, WorkflowError
from ..roles import Role, has_role
from .admin_transitions import (
    AdminTransitionForm,
    TransitionAdminMixin,
    add_errors,
    error_text,
    limit_picklists,
    moment,
    stale_edit_text,
)
from .forms import show_conflict
from .service import validation_messages as service_validation_messages

__all__ = [
    "AdminTransitionForm",
    "PMSOfficeAccessMixin",
    "PMSOfficeReadOnlyMixin",
    "ReadOnlyInlineMixin",
    "StateMachineAdmin",
    "StateMachineAdminForm",
    "TransitionAdminMixin",
    "VersionField",
    "add_errors",
    "error_text",
    "is_pms_office",
    "limit_picklists",
    "moment",
    "stale_edit_text",
]


def is_pms_office(request) -> bool:
    return has_role(request.user, Role.PMS_MANAGER)


# ---------------------------------------------------------------------------
# Who may open which pages


class PMSOfficeAccessMixin:
    """The PMS office may view, add and change these models without model permissions."""

    def has_module_permission(self, request):
        return super().has_module_permission(request) or is_pms_office(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or is_pms_office(request)

    def has_add_permission(self, request):
        return super().has_add_permission(request) or is_pms_office(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or is_pms_office(request)


class PMSOfficeReadOnlyMixin:
    """Records the system writes: the PMS office may look; nobody adds, changes or deletes."""

    def has_module_permission(self, request):
        return super().has_module_permission(request) or is_pms_office(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or is_pms_office(request)

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
# Records with a state machine: edits through the services, from a version


class VersionField(forms.IntegerField):
    """The version the change form was read at (hidden). Never a change in itself."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_value=1, **kwargs)

    def has_changed(self, initial, data) -> bool:
        return False


class StateMachineAdminForm(forms.ModelForm):
    """The base of every StateMachineAdmin form.

    `user` is the user editing; `refusal` is the service's refusal of this very POST
    (a stale version, a field the user may not write, a rule across records), set when
    the admin shows the form again: its reasons become the form's errors, so the page
    keeps what the user entered instead of losing it.
    """

    user = None
    refusal: Exception | None = None

    def clean(self):
        cleaned = super().clean()
        refusal = self.refusal
        if isinstance(refusal, StaleEdit):
            self.add_error(None, stale_edit_text(refusal))
        elif isinstance(refusal, FieldsNotWritable):
            add_errors(self, refusal.fields)
        elif isinstance(refusal, ValidationError):
            add_errors(self, service_validation_messages(refusal))
        return cleaned


class StateMachineAdmin(TransitionAdminMixin, PMSOfficeAccessMixin, admin.ModelAdmin):
    """The admin of a record with a state machine: saves through its services, from a version.

    Subclasses give the layout (`get_fieldsets`), their display-only fields in
    `readonly_fields`, and `service_create(user, data)` / `service_update(record, user,
    data, version)`. Which fields are editable is the edit policy's answer only
    (`editable_fields`); `create_arguments` names what the create service takes besides the
    record's own fields (the audit a finding is raised in), asked on the add page only.
    """

    form = StateMachineAdminForm
    # Display-only fields every record's page shows.
    common_readonly_fields: tuple[str, ...] = ("trail_display",)
    create_arguments: tuple[str, ...] = ()
    # The service's refusal of the POST being shown again (an attribute of that request).
    refusal_attribute = "workflow_admin_refusal"

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None:
            # Closed records, and records this user may not edit, are shown read-only; a
            # closed record keeps the fields its policy leaves open after close (a 追完).
            policy = self.model.edit_policy
            return not (policy.closed_to(obj, request.user) or policy.user_problem(obj, request.user))
        return allowed

    def editable_fields(self, request, obj=None) -> tuple[str, ...]:
        """The fields `request.user` may write here: the model's edit policy decides."""
        policy = self.model.edit_policy
        if obj is None:
            creatable = policy.creatable(request.user)
            return (*creatable, *self.create_arguments) if creatable else ()
        return policy.writable(obj, request.user)

    def get_readonly_fields(self, request, obj=None):
        editable = set(self.editable_fields(request, obj))
        opts = self.model._meta
        fixed = [f.name for f in [*opts.fields, *opts.many_to_many] if not f.auto_created and f.name not in editable]
        return [*self.common_readonly_fields, *self.readonly_fields, *fixed]

    def edited_object(self, request):
        """The record of the change page being served, or None on the add page."""
        match = request.resolver_match
        object_id = match.kwargs.get("object_id") if match else None
        return self.get_object(request, unquote(object_id)) if object_id else None

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not issubclass(form, StateMachineAdminForm):
            raise ImproperlyConfigured(f"{type(self).__name__}.form must derive from StateMachineAdminForm.")
        attrs = {"user": request.user, "refusal": getattr(request, self.refusal_attribute, None)}
        if obj is not None and self.has_change_permission(request, obj):
            # The version the page is read at; the save is checked against it.
            attrs["version"] = VersionField(initial=obj.version)
        return type(form.__name__, (form,), attrs)

    # --- saving through the services

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The services may still refuse: the admin's transaction is then rolled back.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (StaleEdit, FieldsNotWritable, ValidationError) as error:
            if request.method != "POST":
                raise
            refusal = error
        except WorkflowError as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        # Nothing was saved. Show the form again, with what the user sent and the reasons
        # as its errors (StateMachineAdminForm.clean), read from the record as it is now.
        setattr(request, self.refusal_attribute, refusal)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (WorkflowError, ValidationError) as error:
            self.message_user(request, error_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        refusal = getattr(request, self.refusal_attribute, None)
        form = context["adminform"].form
        if isinstance(refusal, StaleEdit) and form.is_bound:
            # The table of what changed; the form's version moves to the current one, so
            # that saving again writes the user's entries knowingly.
            show_conflict(form, refusal)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            if data:
                # A fresh copy: the permission checks must see the record as stored,
                # not as the form has already changed it.
                record = self.model.objects.get(pk=obj.pk)
                self.service_update(record, request.user, data, form.cleaned_data["version"])
            return
        created = self.service_create(request.user, dict(form.cleaned_data))
        # The admin goes on with `obj` (messages, the change log, the redirect).
        for field in self.model._meta.concrete_fields:
            if field.name != "state":
                setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
        obj._state.db = created._state.db

    def service_create(self, user, data: dict):
        raise NotImplementedError

    def service_update(self, record, user, data: dict, version: int):
        """Edit `record` through its service, from `version` (the one the form was read at)."""
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        # The inlines are read-only and the services set the many-to-many fields.
        pass

    def construct_change_message(self, request, form, formsets, add=False):
        # The read-only inlines were not saved, so they changed nothing.
        return super().construct_change_message(request, form, [], add)
