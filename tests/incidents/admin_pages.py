"""What the tests of the admin share: its URLs, its messages, a form posted back as a browser would."""


from django import forms
from django.contrib.messages import get_messages
from django.urls import reverse


def change_url(record):
    return reverse(f"admin:incidents_{record._meta.model_name}_change", args=[record.pk])


def transition_url(record, name):
    return reverse(f"admin:incidents_{record._meta.model_name}_transition", args=[record.pk, name])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(response) -> dict:
    """The POST data of an admin form as the browser would send it back unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    # The read-only inlines (the reporting clocks) send their management forms and each row's
    # hidden key, as in a browser.
    for inline in response.context.get("inline_admin_formsets") or []:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = str(value)
        for row in formset.initial_forms:
            for name in (formset.model._meta.pk.name, formset.fk.name):
                data[row.add_prefix(name)] = str(row[name].value())
    return data


def reload(record):
    return type(record).objects.get(pk=record.pk)
