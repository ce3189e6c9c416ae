"""The admin's transition page, and the helpers the workflow engine's admin modules share.

`TransitionAdminMixin` adds to a record's admin the buttons of the steps the user may take
now, the `<pk>/transition/<name>/` page with the step's form (`AdminTransitionForm`), and
the trail. Every step goes through `service.transition_record`, which checks the
permission and the conditions: the admin adds no rule of its own. (django-fsm-2's
FSMAdminMixin is not used on purpose: its POST path does not check transition permissions.)

Import these names from `incidents.workflow.admin`, the admin's public module.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms.models import fields_for_model, model_to_dict
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..exceptions import (
    ConcurrentChange,
    ConditionsNotMet,
    NotPermitted,
    StaleEdit,
    UnknownTransition,
    WorkflowError,
)
from ..models import PickList, person_name
from .forms import show_conflict
from .service import fsm_transition, transition_record, transition_spec, transitions_for
from .service import validation_messages as service_validation_messages
from .specs import TransitionSpec
from .timeline import timeline

__all__ = [
    "AdminTransitionForm", "TransitionAdminMixin", "add_errors", "error_text", "limit_picklists", "moment",
    "stale_edit_text",
]


def error_text(error: WorkflowError | ValidationError) -> str:
    """A service's refusal as one line for the admin's messages."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return " ".join([str(error.message), *map(str, error.problems)])


def moment(value) -> str:
    """A time as the admin shows it: Japan time, to the minute; "-" when there is none."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def stale_edit_text(error: StaleEdit) -> str:
    """The refusal of a stale edit, naming each field changed since and who changed it."""
    changes = "; ".join(
        "{} ({}, {})".format(
            capfirst(change.label),
            (person_name(change.changed_by) or change.changed_by.get_username()) if change.changed_by else "-",
            moment(change.changed_at),
        )
        for change in error.changes
    )
    if not changes:
        return str(error.message)
    return "{} {}".format(error.message, gettext("Changed since you opened it: %(changes)s.") % {"changes": changes})


def limit_picklists(form_fields, values: dict) -> None:
    """Offer only active pick-list entries (event classes, causes), plus the record's own."""
    for name, field in form_fields.items():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and issubclass(queryset.model, PickList):
            field.queryset = queryset.filter(Q(active=True) | Q(pk=values.get(name)))


def add_errors(form: forms.Form, errors: dict) -> None:
    """{field: message(s)} onto the form: on the field when the form has it, else above it."""
    for name, problems in errors.items():
        form.add_error(name if name in form.fields else None, problems)


# ---------------------------------------------------------------------------
# Transitions


class AdminTransitionForm(forms.Form):
    """The fields a transition asks for (its TransitionSpec.fields) plus a comment.

    `from_state` and `version` carry what the user saw: a step taken from a page read
    before someone else moved the record on, or changed what the step writes, is refused.
    """

    from_state = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, record, spec: TransitionSpec, **kwargs):
        initial = {**model_to_dict(record, fields=spec.fields), "from_state": record.state, "version": record.version}
        super().__init__(*args, initial=initial, **kwargs)
        self.spec = spec
        self.conflict = None
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
        limit_picklists(model_fields, initial)
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

    Every transition goes through service.transition_record, which checks the user's
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
                moment(line.at),
                line.label,
                line.source_display or "-",
                line.state_display or "-",
                line.actor_name or (person_name(line.by) or line.by.get_username() if line.by else "-"),
                "\n".join(filter(None, [line.comment or "", *(
                    f"{change.label}: {change.old_display} → {change.new_display}" for change in line.shown_changes)])),
            )
            for line in timeline(obj)
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
            context["transitions"] = transitions_for(obj, request.user)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def change_url(self, record) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[record.pk], current_app=self.admin_site.name,
        )

    def transition_view(self, request, object_id, name):
        record = self.get_object(request, unquote(object_id))
        if record is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, record):
            raise PermissionDenied
        try:
            spec = transition_spec(self.model, name)
        except UnknownTransition:
            raise Http404(gettext("There is no such transition.")) from None
        change_url = self.change_url(record)
        option = next((o for o in transitions_for(record, request.user) if o.name == name), None)
        status = 200
        if request.method == "POST":
            form = AdminTransitionForm(request.POST, record=record, spec=spec)
            if form.is_valid():
                changes = form.changes()
                try:
                    if form.cleaned_data["from_state"] != record.state:
                        raise ConcurrentChange()
                    done = transition_record(
                        record, name, by=request.user, comment=form.cleaned_data["comment"], changes=changes,
                        # As on the web page: a step that writes fields carries the version it was read at.
                        version=form.cleaned_data["version"] if changes else None,
                    )
                except StaleEdit as error:
                    # Someone changed the record meanwhile: the entries stay, the changes are listed.
                    show_conflict(form, error)
                    form.add_error(None, stale_edit_text(error))
                    status = 409
                except NotPermitted as error:
                    self.message_user(request, error_text(error), messages.ERROR)
                    status = 403
                except ConditionsNotMet as error:
                    for problem in error.problems or [error.message]:
                        form.add_error(None, problem)
                    self.message_user(request, error_text(error), messages.ERROR)
                except ValidationError as error:
                    add_errors(form, service_validation_messages(error))
                except WorkflowError as error:
                    # Not available from this state, or someone else moved it on.
                    self.message_user(request, error_text(error), messages.ERROR)
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
            form = AdminTransitionForm(record=record, spec=spec)
            if option is None:
                # Not offered to this user now: say why, without a form to submit.
                if fsm_transition(record, name) is not None:
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
