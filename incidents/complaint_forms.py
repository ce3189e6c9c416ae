"""The forms of the complaint pages (苦情・相談, issue 15).

They only validate: the views hand the cleaned data to incidents.case_services, which
decides who may write what (Complaint.edit_policy) and links what a complaint leads to.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _

from .filters import MenuFilter
from .forms import (
    ActionForm,
    DateInput,
    DateTimeLocalInput,
    FilterSelect,
    OnlyIfChecked,
    group_departments_by_company,
)
from .models import (
    ActionKind,
    CaseChannel,
    Complaint,
    ComplaintClass,
    ComplaintState,
    Department,
    Incident,
    IncidentKind,
    RequestKind,
    group_has_several_companies,
)
from .people_forms import PersonField
from .sorting import choice_order
from .workflow.forms import TransitionForm, VersionedForm

# ---------------------------------------------------------------------------
# The list's filter bar


class ComplaintListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    state = django_filters.MultipleChoiceFilter(choices=ComplaintState.choices, label=_("state"))
    classification = django_filters.MultipleChoiceFilter(choices=ComplaintClass.choices, label=_("classification"))
    channel = django_filters.MultipleChoiceFilter(choices=CaseChannel.choices, label=_("channel"))
    department = MenuFilter(queryset=Department.objects.all(), label=_("department"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open only"))
    received_from = django_filters.DateFilter(field_name="received_on", lookup_expr="gte", label=_("received from"))
    received_to = django_filters.DateFilter(field_name="received_on", lookup_expr="lte", label=_("received to"))

    # The keys of ?sort= (incidents.sorting).
    sorts = {
        "reference": ("reference",),
        "received": ("received_on",),
        "classification": (choice_order("classification", ComplaintClass.choices),),
        "company": ("company__position", "company__code"),
        "department": ("department__code",),
        "state": (choice_order("state", ComplaintState.choices),),
    }

    class Meta:
        model = Complaint
        fields = ["state", "classification", "channel", "department"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("state", "classification", "channel"):
            self.filters[name].extra["widget"] = FilterSelect
            self.filters[name].field.empty_label = _("All")
        self.filters["open"].extra["widget"] = OnlyIfChecked
        for name in ("received_from", "received_to"):
            self.filters[name].extra["widget"] = DateInput()
        self.filters["department"].extra["empty_label"] = _("All")
        self.filters["q"].extra["widget"] = forms.TextInput(
            attrs={"placeholder": _("Reference, name or what was said"), "type": "search"}
        )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value) | Q(complainant_name__icontains=value) | Q(summary__icontains=value)
        )

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.open() if value else queryset.exclude(pk__in=queryset.open().values("pk"))


# ---------------------------------------------------------------------------
# Intake and edit


COMPLAINT_WIDGETS = {
    "channel": forms.RadioSelect,
    "classification": forms.RadioSelect,
    "received_on": DateInput(),
    "first_response_on": DateInput(),
    "answered_on": DateInput(),
    "summary": forms.Textarea(attrs={"rows": 4}),
    "outcome": forms.Textarea(attrs={"rows": 4}),
    "weakness_note": forms.Textarea(attrs={"rows": 3}),
}


def _handler_field(company=None, keep=()) -> PersonField:
    return PersonField(
        company=company, keep=keep, required=False, empty_label=_("No handler"),
        label=capfirst(Complaint._meta.get_field("handler").verbose_name),
        help_text=Complaint._meta.get_field("handler").help_text,
    )


def _prepare_shared(form: forms.ModelForm) -> None:
    """The company only where the group has several; the departments grouped by company."""
    several = group_has_several_companies()
    if "company" in form.fields:
        if several:
            form.fields["company"].empty_label = _("The department's company (or the default)")
        else:
            del form.fields["company"]
    if "department" in form.fields:
        form.fields["department"].empty_label = _("Not yet known")
        group_departments_by_company(form.fields["department"], several=several)
    for name in ("channel", "classification"):
        if name in form.fields:
            form.fields[name].choices = type(form.instance)._meta.get_field(name).choices


class ComplaintIntakeForm(forms.ModelForm):
    """What a staff member records in under a minute; the PMS office may also assign the case."""

    class Meta:
        model = Complaint
        fields = ["channel", "received_on", "complainant_name", "complainant_contact", "summary", "classification",
                  "company", "department", "handler"]
        widgets = COMPLAINT_WIDGETS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = set(Complaint.edit_policy.creatable(user))
        for name in [name for name in self.fields if name not in allowed]:
            del self.fields[name]
        if "handler" in self.fields:
            self.fields["handler"] = _handler_field()
        _prepare_shared(self)
        self.initial.setdefault("received_on", timezone.localdate())
        self.initial.setdefault("classification", ComplaintClass.COMPLAINT)
        self.fields["received_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    @property
    def assigns(self) -> bool:
        return "handler" in self.fields or "department" in self.fields


class ComplaintEditForm(VersionedForm):
    """The case's fields the user may write now (the reply letter has its own page)."""

    class Meta:
        model = Complaint
        fields = [name for name in Complaint.edit_policy.fields if name != "reply_body"]
        widgets = {**COMPLAINT_WIDGETS, "channel": forms.Select, "classification": forms.Select}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if "handler" in self.fields:
            self.fields["handler"] = _handler_field(company=self.instance.company_id, keep=[self.instance.handler_id])
        _prepare_shared(self)

    def groups(self) -> list[tuple]:
        """The fields under their headings, for the page (headings with no field left out)."""
        sections = (
            (_("What was received"), ("channel", "received_on", "complainant_name", "complainant_contact", "summary",
                                      "classification", "company")),
            (_("Who handles it"), ("department", "handler")),
            (_("Handling"), ("first_response_on", "answered_on", "outcome", "reveals_weakness", "weakness_note")),
        )
        return [(title, [self[name] for name in names if name in self.fields]) for title, names in sections
                if any(name in self.fields for name in names)]


class ComplaintLetterForm(VersionedForm):
    """The reply letter's text, drafted from the case and edited before printing."""

    class Meta:
        model = Complaint
        fields = ["reply_body"]
        widgets = {"reply_body": forms.Textarea(attrs={"rows": 18, "class": "letter-text"})}

    def __init__(self, *args, user, draft: str = "", **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if "reply_body" in self.fields and not self.instance.reply_body:
            self.initial["reply_body"] = draft

    def edits(self) -> dict:
        # The draft shown in an empty box is what is saved, even when left untouched.
        edits = super().edits()
        if "reply_body" in self.fields and "reply_body" in self.cleaned_data and not self.instance.reply_body:
            edits["reply_body"] = self.cleaned_data["reply_body"]
        return edits


class ComplaintAnswerForm(TransitionForm):
    """The step "Record the answer": the date with a date picker, today by default."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "answered_on" in self.fields:
            self.fields["answered_on"].widget = DateInput()
            self.fields["answered_on"].required = True
            if not self.initial.get("answered_on"):
                self.initial["answered_on"] = timezone.localdate()
        if "outcome" in self.fields:
            self.fields["outcome"].required = True
            self.fields["outcome"].widget.attrs["rows"] = 4


# ---------------------------------------------------------------------------
# What a complaint leads to


class ConvertForm(forms.Form):
    """Which of the six requests the complaint turns out to be (one or several)."""

    kinds = forms.MultipleChoiceField(
        label=_("What the person asks for"), choices=RequestKind.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one of the six requests.")},
        help_text=_("The request keeps the complaint's channel, date and person: its clock runs from the day the "
                    "complaint was received."),
    )


def _title_from(summary: str) -> str:
    first_line = next((line.strip() for line in summary.splitlines() if line.strip()), "")
    return Truncator(first_line).chars(60)


class RaiseIncidentForm(forms.ModelForm):
    """The incident a complaint reports: the report's short form, filled from the complaint."""

    class Meta:
        model = Incident
        fields = ["title", "department", "kind", "discovered_at"]
        widgets = {"discovered_at": DateTimeLocalInput(), "kind": forms.RadioSelect}

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = IncidentKind.choices
        self.fields["discovered_at"].help_text = _(
            "When the company first knew: the day the complaint was received, unless someone knew earlier."
        )
        group_departments_by_company(self.fields["department"])
        if not self.is_bound:
            self.initial.setdefault("title", _title_from(complaint.summary))
            self.initial.setdefault("department", complaint.department_id)
            self.initial.setdefault("discovered_at", timezone.make_aware(
                dt.datetime.combine(complaint.received_on, dt.time(9))))


class ComplaintActionForm(ActionForm):
    """A corrective action for what the complaint revealed (the action form, without an incident)."""

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("incident", None)
        if not self.is_bound:
            self.initial.setdefault("kind", ActionKind.CORRECTIVE)
            self.initial.setdefault("department", complaint.department_id)
            self.initial.setdefault("description", complaint.weakness_note)


# Registered with the workflow engine by IncidentsConfig.ready().
COMPLAINT_TRANSITION_FORMS = {(Complaint, "answer"): ComplaintAnswerForm}
