"""Forms of the pages of requests from individuals (開示等の請求等) and of the public form.

They only validate: the views hand the cleaned data to incidents.case_services, which
decides (who may write what, the clock, the trail). The forms of the steps "Record the
answer sent" and "Refuse the request" ask for the confirmation of the PrivacyMark
consequence, which no edit writes (RightsRequest.consequence_acknowledged).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .filters import MenuFilter
from .forms import (
    DateInput,
    FilterSelect,
    OnlyIfChecked,
    _company_filter,
    group_departments_by_company,
    prepare_filter_widgets,
)
from .models import (
    AnswerMethod,
    CaseChannel,
    ComplaintClass,
    Department,
    RequesterType,
    RequestItem,
    RequestKind,
    RequestState,
    RightsRequest,
    group_has_several_companies,
)
from .people_forms import PersonField
from .roles import Role, has_role
from .sorting import choice_order
from .workflow.forms import TransitionForm, VersionedForm


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


KIND_CHOICES = RequestKind.choices

# ---------------------------------------------------------------------------
# The list


class RequestListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    company = _company_filter()
    state = django_filters.MultipleChoiceFilter(choices=RequestState.choices, label=_("state"))
    kind = django_filters.MultipleChoiceFilter(choices=KIND_CHOICES, method="filter_kind", label=_("request"))
    channel = django_filters.MultipleChoiceFilter(choices=CaseChannel.choices, label=_("channel"))
    department = MenuFilter(queryset=Department.objects.all(), label=_("department"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue only"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open only"))
    received_from = django_filters.DateFilter(field_name="received_on", lookup_expr="gte", label=_("received from"))
    received_to = django_filters.DateFilter(field_name="received_on", lookup_expr="lte", label=_("received to"))

    # The keys of ?sort= (incidents.sorting).
    sorts = {
        "reference": ("reference",),
        "requester": ("requester_name",),
        "received": ("received_on",),
        "due": ("due_on",),
        "state": (choice_order("state", RequestState.choices),),
        "company": ("company__position", "company__code"),
    }

    class Meta:
        model = RightsRequest
        fields = ["state", "channel", "department"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prepare_filter_widgets(self, choices=("state", "kind", "channel"), yes_no=(), ticks=("overdue", "open"))
        for name in ("received_from", "received_to"):
            self.filters[name].extra["widget"] = DateInput()
        self.filters["q"].extra["widget"] = forms.TextInput(
            attrs={"placeholder": _("Reference or requester"), "type": "search"}
        )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(requester_name__icontains=value)
                               | Q(subject_name__icontains=value))

    def filter_kind(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=RequestItem.objects.filter(kind__in=value).values("request_id"))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.open() if value else queryset.exclude(pk__in=queryset.open().values("pk"))


# ---------------------------------------------------------------------------
# Intake and edit

REQUEST_WIDGETS = {
    "received_on": DateInput(),
    "requester_type": forms.RadioSelect,
    "requester_address": _textarea(2),
    "summary": _textarea(3),
    "enclosures": _textarea(2),
    "identity_checked_on": DateInput(),
    "identity_note": _textarea(2),
    "authority_evidence": _textarea(2),
    "data_searched": _textarea(3),
    "paper_reason": _textarea(2),
    "fee_received_on": DateInput(),
    "sent_on": DateInput(),
    "late_reason": _textarea(2),
}


def case_handler_field(record, **kwargs) -> PersonField:
    """Who runs the case: anyone holding a role in the PMS (the office or someone of the
    department concerned)."""
    return PersonField(
        keep=[getattr(record, "handler_id", None)], required=False,
        label=capfirst(RightsRequest._meta.get_field("handler").verbose_name), empty_label=_("No handler"),
        help_text=RightsRequest._meta.get_field("handler").help_text, **kwargs,
    )


class RequestIntakeForm(forms.ModelForm):
    """What a staff member records in under a minute when a request arrives by post, by
    telephone, by mail or at a desk. The office may also assign it."""

    kinds = forms.MultipleChoiceField(
        label=_("What the person asks for"), choices=KIND_CHOICES, widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick every one asked for: each is answered on its own."),
    )

    intake_fields = ["channel", "received_on", "requester_type", "requester_name", "requester_contact",
                     "requester_address", "subject_name", "summary", "method_requested", "enclosures",
                     "postage_by_requester"]

    class Meta:
        model = RightsRequest
        fields = ["company", "channel", "received_on", "requester_type", "requester_name", "requester_contact",
                  "requester_address", "subject_name", "summary", "method_requested", "enclosures",
                  "postage_by_requester", "department", "handler"]
        widgets = REQUEST_WIDGETS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester_type"].choices = RequesterType.choices
        if not group_has_several_companies():
            del self.fields["company"]
        else:
            self.fields["company"].required = False
            self.fields["company"].empty_label = _("From the department (or the main company)")
        if has_role(user, Role.PMS_MANAGER):
            self.fields["handler"] = case_handler_field(None)
            group_departments_by_company(self.fields["department"])
        else:
            # The PMS office assigns the case once it is recorded.
            del self.fields["department"]
            del self.fields["handler"]
        if not self.is_bound:
            self.initial.setdefault("received_on", timezone.localdate())

    @property
    def office_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("company", "department", "handler") if name in self.fields]

    def service_data(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items() if name != "kinds"}
        if data.get("company") is None:
            data.pop("company", None)
        return data


class RequestEditForm(VersionedForm):
    """The fields of RightsRequest.edit_policy this user may write now (the letter has its own page)."""

    class Meta:
        model = RightsRequest
        fields = [name for name in RightsRequest.edit_policy.fields
                  if name not in ("consequence_acknowledged", "letter_body")]
        widgets = REQUEST_WIDGETS

    sections = (
        (_("The request"), ("company", "channel", "received_on", "requester_type", "requester_name",
                            "requester_contact", "requester_address", "subject_name", "summary",
                            "method_requested", "enclosures", "postage_by_requester")),
        (_("Assignment"), ("department", "handler")),
        (_("Identity and authority (art. 37)"), ("identity_method", "identity_result", "identity_checked_on",
                                                 "identity_note", "authority_evidence")),
        (_("The answer"), ("data_searched", "method_used", "paper_reason", "fee_amount", "fee_received_on",
                           "sent_on", "late_reason")),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if "requester_type" in self.fields:
            self.fields["requester_type"].choices = RequesterType.choices
        if "company" in self.fields and not group_has_several_companies():
            del self.fields["company"]
        if "handler" in self.fields:
            self.fields["handler"] = case_handler_field(self.instance)
        if "department" in self.fields:
            group_departments_by_company(self.fields["department"])
        if "fee_amount" in self.fields:
            self.fields["fee_amount"].widget.attrs["min"] = 0

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        groups = []
        for title, names in self.sections:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                groups.append((title, fields))
        return groups


class RequestItemForm(VersionedForm):
    """The decision on one thing asked for (inline on the request's page)."""

    class Meta:
        model = RequestItem
        fields = list(RequestItem.edit_policy.fields)
        widgets = {"reason": _textarea(2), "outcome": _textarea(2)}


class RequestAddKindForm(forms.Form):
    kind = forms.ChoiceField(label=_("Also asked for"), choices=())

    def __init__(self, *args, request: RightsRequest, **kwargs):
        super().__init__(*args, **kwargs)
        asked = set(request.kinds())
        self.fields["kind"].choices = [(value, label) for value, label in KIND_CHOICES if value not in asked]


class PauseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Waiting for"), max_length=300,
                             help_text=_("What the company waits for from the requester: identity documents, "
                                         "the fee, what exactly is asked."))
    since = forms.DateField(label=_("Since"), required=False, widget=DateInput(),
                            help_text=_("Empty: today."))


class ResumeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    on = forms.DateField(label=_("Resumed on"), required=False, widget=DateInput(), help_text=_("Empty: today."))


class LetterForm(VersionedForm):
    class Meta:
        model = RightsRequest
        fields = ["letter_body"]
        widgets = {"letter_body": _textarea(24)}


class WrongfulRefusalForm(forms.Form):
    explanation = forms.CharField(
        label=_("Why the refusal was wrong"), widget=_textarea(4),
        help_text=_("It becomes the incident's description, with the request's reference and dates."),
    )
    department = forms.ModelChoiceField(
        label=_("Department responsible"), queryset=Department.objects.all(),
        help_text=_("The department that refused (the incident is theirs to answer)."),
    )

    def __init__(self, *args, request: RightsRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(company=request.company_id)
        if request.department_id:
            self.initial.setdefault("department", request.department_id)


# ---------------------------------------------------------------------------
# The steps that name the PrivacyMark consequence (registered with the workflow engine when
# this module is imported: by the URL configuration, through request_views)


CONSEQUENCE_TEXT = _(
    "A request refused wrongly, or not answered in time, is a PrivacyMark 事故等 (kind ⑧, 開示等の求め等の拒否) "
    "to be reported to the assessment body; the person may also sue once two weeks have passed from receipt "
    "(art. 39)."
)


class _ConsequenceForm(TransitionForm):
    """A step that asks the user to confirm the PrivacyMark consequence (no edit writes it:
    it is not in RightsRequest.edit_policy)."""

    consequence_acknowledged = forms.BooleanField(required=False)

    class Meta:
        widgets = {"sent_on": DateInput(), "paper_reason": _textarea(2), "late_reason": _textarea(2)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("consequence_acknowledged", False)
        if "sent_on" in self.fields:
            self.fields["sent_on"].required = True
            self.fields["sent_on"].widget = DateInput()
            if not self.is_bound and not self.initial.get("sent_on"):
                self.initial["sent_on"] = timezone.localdate()


class RequestAnswerForm(_ConsequenceForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.instance
        field = self.fields["consequence_acknowledged"]
        late = request.answered_late_on(timezone.localdate())
        self.late = late
        field.label = _("The answer is late: I confirm the PrivacyMark consequence.")
        field.help_text = CONSEQUENCE_TEXT
        if late:
            field.help_text = _("The answer was due %(due)s. %(consequence)s") % {
                "due": request.effective_due_on(), "consequence": CONSEQUENCE_TEXT}
            self.fields["late_reason"].required = True
        else:
            field.help_text = _("Only when the answer is sent after the due date (%(due)s). %(consequence)s") % {
                "due": request.effective_due_on(), "consequence": CONSEQUENCE_TEXT}
        self.fields["method_used"].required = True
        if not self.is_bound and not self.initial.get("method_used") and request.method_requested:
            self.initial["method_used"] = request.method_requested
        if request.method_requested != AnswerMethod.ELECTRONIC:
            self.fields["paper_reason"].help_text = _("Only when the person asked for electronic disclosure and "
                                                      "the answer is on paper (art. 33(2)).")


class RequestRefuseForm(_ConsequenceForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["consequence_acknowledged"]
        field.required = True
        field.label = _("I confirm the refusal and its PrivacyMark consequence.")
        field.help_text = CONSEQUENCE_TEXT
        self.fields["sent_on"].label = _("Refusal sent on")
        self.fields["comment"].help_text = _("The reason, as told to the person (art. 36).")


# Registered with the workflow engine by IncidentsConfig.ready().
REQUEST_TRANSITION_FORMS = {
    (RightsRequest, "answer"): RequestAnswerForm,
    (RightsRequest, "refuse"): RequestRefuseForm,
}


# ---------------------------------------------------------------------------
# The public form (settings.PUBLIC_INTAKE)


class PublicIntakeForm(forms.Form):
    """What a person files without an account: a request (the six of APPI arts. 32–35) or a
    complaint or consultation. `website` is a trap for robots: people never see it."""

    REQUEST, COMPLAINT, CONSULTATION = "request", "complaint", "consultation"

    topic = forms.ChoiceField(
        label=_("What would you like to do?"), widget=forms.RadioSelect, initial=REQUEST,
        choices=[(REQUEST, _("Make a request about my personal data (disclosure, correction, stop of use…)")),
                 (COMPLAINT, _("Make a complaint about how my personal data is handled")),
                 (CONSULTATION, _("Ask a question (consultation)"))],
    )
    kinds = forms.MultipleChoiceField(
        label=_("What you ask for"), choices=KIND_CHOICES, widget=forms.CheckboxSelectMultiple, required=False,
        help_text=_("For a request: tick every one you ask for."),
    )
    requester_type = forms.ChoiceField(label=_("You are"), choices=RequesterType.choices,
                                       initial=RequesterType.PERSON, widget=forms.RadioSelect)
    name = forms.CharField(label=_("Your name"), max_length=200)
    subject_name = forms.CharField(
        label=_("Name of the person the data is about"), max_length=200, required=False,
        help_text=_("When you act for someone else (your child, as their agent)."),
    )
    contact = forms.CharField(label=_("Telephone or e-mail"), max_length=200,
                              help_text=_("So that we can reach you about your request."))
    address = forms.CharField(label=_("Postal address"), required=False, widget=_textarea(2),
                              help_text=_("Where a written answer is sent."))
    method_requested = forms.ChoiceField(
        label=_("How you would like the answer"), required=False,
        choices=[("", _("No preference")), *AnswerMethod.choices],
    )
    summary = forms.CharField(label=_("Your request or message"), widget=_textarea(5), max_length=5000)
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("topic") == self.REQUEST:
            if not cleaned.get("kinds"):
                self.add_error("kinds", _("Tick at least one thing you ask for."))
            if cleaned.get("requester_type") != RequesterType.PERSON and not cleaned.get("subject_name", "").strip():
                self.add_error("subject_name", _("Name the person whose data you ask about."))
        return cleaned

    @property
    def is_robot(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def request_data(self) -> dict:
        data = self.cleaned_data
        return {
            "channel": CaseChannel.WEB_FORM, "received_on": timezone.localdate(),
            "requester_type": data["requester_type"], "requester_name": data["name"],
            "requester_contact": data["contact"], "requester_address": data["address"],
            "subject_name": data["subject_name"], "summary": data["summary"],
            "method_requested": data["method_requested"],
        }

    def complaint_data(self) -> dict:
        data = self.cleaned_data
        contact = data["contact"] if not data["address"].strip() else f"{data['contact']} / {data['address']}"
        return {
            "channel": CaseChannel.WEB_FORM, "received_on": timezone.localdate(),
            "complainant_name": data["name"], "complainant_contact": contact[:300], "summary": data["summary"],
            "classification": (ComplaintClass.CONSULTATION if data["topic"] == self.CONSULTATION
                               else ComplaintClass.COMPLAINT),
        }


__all__ = [
    "FilterSelect", "LetterForm", "OnlyIfChecked", "PauseForm", "PublicIntakeForm", "RequestAddKindForm",
    "RequestAnswerForm", "RequestEditForm", "RequestIntakeForm", "RequestItemForm", "RequestListFilter",
    "RequestRefuseForm", "ResumeForm", "WrongfulRefusalForm",
]
