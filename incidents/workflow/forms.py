"""The web forms' share of the workflow engine: versioned edit forms, transition forms, and
the conflict an editor sees when someone else saved first.

Every edit form carries the version its page was read at (a hidden field). When the
service refuses it as stale, the form is shown again with what the user typed, the
current values and who changed them, and the current version, so that saving again is
a decision taken knowingly and nothing typed is lost.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..exceptions import StaleEdit
from .specs import TransitionSpec
from .versions import display_value

__all__ = [
    "TransitionForm", "VersionedForm", "register_transition_form", "show_conflict", "transition_form_class",
]


class VersionedForm(forms.ModelForm):
    """A ModelForm whose fields come from the model's edit policy, with the version it was read at.

    Pass `user`: the fields the user may not write now are left out (the service would
    refuse them). Subclasses list `Meta.fields` as `Model.edit_policy.fields`.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    conflict: list[dict] | None = None

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict = None
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)
            if user is not None:
                writable = set(type(self.instance).edit_policy.writable(self.instance, user))
                for name in [n for n in self.fields if n != "version" and n in self._meta.fields]:
                    if name not in writable:
                        del self.fields[name]
        else:
            del self.fields["version"]

    def edits(self) -> dict:
        """The values the user changed, to hand to the service (the version apart).

        Only what differs from the record as the page showed it: a field left alone is not
        written, so it cannot overwrite anything. A time shown to the minute (the browser's
        date-time input) counts as unchanged while it is the same minute: saving a form
        must not shave the seconds off a recorded discovery time.
        """
        edits = {}
        for name in self.changed_data:
            if name == "version" or name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            if isinstance(self.fields[name], forms.DateTimeField) and _same_minute(self[name].initial, value):
                continue
            edits[name] = value
        return edits


def _same_minute(initial, value) -> bool:
    if initial is None or value is None or not hasattr(initial, "replace"):
        return False
    return initial.replace(second=0, microsecond=0) == value.replace(second=0, microsecond=0)


def show_conflict(form: forms.Form, error: StaleEdit) -> None:
    """Show a stale edit on its form, keeping what the user typed and nothing they did not.

    For each field changed meanwhile: if the user changed it too, their entry stays in the
    form (a real conflict, flagged); if they left it as they found it, the form takes the
    current value, so that saving again cannot silently undo the other person's change.
    The form's version moves to the current one: "Save" now means "my entries, over the
    current record", which the panel says.
    """
    record = error.record
    data = form.data.copy()
    rows = []
    for change in error.changes:
        name = change.field
        in_form = name in form.fields
        entered = form[name].value() if in_form else None
        # Did this user change the field on their page? (compared with what they were shown)
        touched = in_form and form.fields[name].has_changed(change.seen, form[name].data)
        if in_form and not touched:
            _put(form, data, name, change.current)
        rows.append({
            "label": change.label,
            "seen": display_value(record, name, change.seen),
            "current": display_value(record, name, change.current),
            "by": change.changed_by,
            "at": timezone.localtime(change.changed_at) if change.changed_at else None,
            "yours": _entered(form, name, entered) if touched else None,
            "in_form": in_form,
            "clash": touched,
        })
    form.conflict = rows
    form.conflict_message = error.message
    data[form.add_prefix("version")] = str(record.version)
    form.data = data


def _put(form, data, name: str, value) -> None:
    """Put a stored value into the form's data, as its widget would post it."""
    key = form.add_prefix(name)
    field = form.fields[name]
    if isinstance(field, forms.BooleanField):
        if value:
            data[key] = "on"
        else:
            data.pop(key, None)
        return
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        value = timezone.localtime(value)
    prepared = field.widget.format_value(field.prepare_value(value))
    data[key] = "" if prepared is None else str(prepared)


def _entered(form, name: str, value) -> str:
    if name not in form.fields or value in (None, ""):
        return "—"
    field = form.fields[name]
    if isinstance(field, forms.BooleanField):
        return str(_("Yes") if value in (True, "on", "true", "True", "1") else _("No"))
    if isinstance(field, forms.ModelChoiceField):
        try:
            chosen = field.clean(value)
        except forms.ValidationError:
            return str(value)
        # As the field offered it: a person by name (PersonField), never by login.
        if isinstance(field, forms.ModelMultipleChoiceField):
            from ..models.incident import list_separator

            return list_separator().join(str(field.label_from_instance(item)) for item in chosen) or "—"
        return str(field.label_from_instance(chosen))
    if getattr(field, "choices", None):
        return str(dict(field.choices).get(value, value))
    return str(value)


class TransitionForm(forms.ModelForm):
    """The fields a transition asks for (its TransitionSpec.fields) and a comment.

    `expected_state` and `version` carry what the user saw, so that a step taken on a
    stale page is refused instead of being applied to a record that has moved on.
    """

    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    expected_state = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, spec: TransitionSpec, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.conflict = None
        self.initial.setdefault("expected_state", self.instance.state)
        self.initial.setdefault("version", self.instance.version)
        if spec.comment_required:
            # The service insists on the comment too; this asks for it beside the box (and
            # lets the browser ask first).
            self.fields["comment"].required = True
            self.fields["comment"].error_messages["required"] = _("Add a comment explaining this step.")
        for name in spec.required:
            # What the step's conditions always insist on is marked and asked for here,
            # beside its field, rather than refused afterwards as an unmet condition.
            if name in self.fields:
                self.fields[name].required = True
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Textarea) and name != "comment":
                field.widget.attrs["rows"] = 3
        if "kind" in self.fields:
            # A kind is always set: no empty choice.
            self.fields["kind"].choices = type(self.instance)._meta.get_field("kind").choices
        for name in ("event_class", "cause"):
            field = self.fields.get(name)
            related = getattr(getattr(field, "queryset", None), "model", None)
            if related is not None and hasattr(related, "active"):
                # Pick-lists: the entries in use, plus the one the record already has.
                current = getattr(self.instance, f"{name}_id", None)
                field.queryset = field.queryset.filter(active=True) | field.queryset.filter(pk=current)

    def changes(self) -> dict:
        """The step's fields this form asks (a registered form may leave one out: the
        PrivacyMark kind of 事故等 is not asked of a company without the mark)."""
        return {name: self.cleaned_data[name] for name in self.spec.fields if name in self.fields}


# Forms with more to say than the generic one, by (model, transition name); registered by
# the apps in their AppConfig.ready().
TRANSITION_FORMS: dict[tuple[type, str], type[TransitionForm]] = {}
_built: dict[tuple[type, str], type[TransitionForm]] = {}


def register_transition_form(model: type, name: str, form_class: type[TransitionForm]) -> None:
    TRANSITION_FORMS[(model, name)] = form_class
    _built.pop((model, name), None)


def transition_form_class(model: type, spec: TransitionSpec) -> type[TransitionForm]:
    key = (model, spec.name)
    if key not in _built:
        base = TRANSITION_FORMS.get(key, TransitionForm)
        _built[key] = forms.modelform_factory(model, form=base, fields=list(spec.fields))
    return _built[key]
