"""Forms of the web UI.

Every form that writes is a ModelForm, so the model's own validation (clean(), field
validators) runs and its messages land on the field they concern. The forms only
validate: the views hand the cleaned data to the functions in services.py.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, Value
from django.db.models.functions import NullIf
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .filters import ActionFilter, ChoicesFilter, DayFilter, IncidentFilter, MenuFilter
from .models import (
    PPC_ITEM_KEYS,
    Action,
    ActionKind,
    ActionState,
    Company,
    Department,
    FilingMethod,
    Incident,
    IncidentKind,
    IncidentState,
    ProgressEntry,
    ReportingTrack,
    TrackKind,
    TrackState,
    group_has_several_companies,
    headed_department_ids,
)
from .people_forms import PersonField
from .roles import Role, has_role
from .sorting import choice_order
from .workflow.forms import TransitionForm, VersionedForm, transition_form_class  # noqa: F401

# ---------------------------------------------------------------------------
# Widgets


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class FilterSelect(forms.Select):
    """One value or "all" for a multiple-choice filter (a URL may still carry several)."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [value for value in values if value]


class OnlyIfChecked(forms.CheckboxInput):
    """A tick box for a yes/no filter: ticked filters, unticked doesn't filter at all."""

    def value_from_datadict(self, data, files, name):
        return True if data.get(name) in ("on", "true", "True", "1") else None


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _limit_picklist(field: forms.ModelChoiceField, current_id: int | None) -> None:
    """Offer active pick-list entries, plus the one the record already has."""
    field.queryset = field.queryset.filter(Q(active=True) | Q(pk=current_id))


def group_departments_by_company(field: forms.ModelChoiceField, *, several: bool | None = None) -> None:
    """The department choices under one heading (optgroup) per company, when there are several.

    The field still validates against its queryset: only the list the browser shows changes.
    """
    if not (group_has_several_companies() if several is None else several):
        return
    departments = field.queryset.select_related("company").order_by("company__position", "company__code", "code")
    groups: dict[Company, list] = {}
    for department in departments:
        groups.setdefault(department.company, []).append((department.pk, str(department)))
    choices = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = [*choices, *((company.name, options) for company, options in groups.items())]


def joint_use_help_text() -> str:
    """The joint-use tick box's help, naming the company responsible for the jointly used data."""
    manager = Company.objects.filter(joint_use_manager=True).first()
    if manager is None:
        return str(Incident._meta.get_field("involves_joint_use").help_text)
    return _("Personal data the group companies use jointly (共同利用) under the privacy policy. Ticked, "
             "%(company)s, responsible for it, is told at once and its PMS office sees this incident.") % {
        "company": manager.name}


def prepare_company_fields(form: forms.ModelForm) -> None:
    """The company-dependent fields of an incident form: the joint-use tick box only when the
    group has several companies (with one there is nobody else to tell), the departments
    grouped by company."""
    several = group_has_several_companies()
    if "involves_joint_use" in form.fields:
        if several:
            form.fields["involves_joint_use"].help_text = joint_use_help_text()
        else:
            del form.fields["involves_joint_use"]
    if "department" in form.fields:
        group_departments_by_company(form.fields["department"], several=several)


# ---------------------------------------------------------------------------
# List filters (the shared FilterSets, with a search box and widgets for a filter bar)


def _company_filter() -> MenuFilter:
    """The web lists' company filter (shown only where the group has several companies)."""
    return MenuFilter(queryset=Company.objects.all(), label=_("company"))


class IncidentListFilter(IncidentFilter):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    company = _company_filter()

    # The keys of ?sort= (incidents.sorting): blank values last either way, ties by id.
    sorts = {
        "reference": ("reference",),
        "title": ("title",),
        "kind": (choice_order("kind", IncidentKind.choices),),
        "severity": (NullIf("severity", Value("")),),
        "state": (choice_order("state", IncidentState.choices),),
        "company": ("company__position", "company__code"),
        "department": ("department__code",),
        "discovered": ("discovered_at",),
        "deadline": ("next_deadline",),  # incidents.registers.with_next_deadline
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prepare_filter_widgets(self, choices=("state", "kind", "severity"), yes_no=("reportable",),
                                ticks=("open", "overdue"))
        for name in ("discovered_from", "discovered_to", "reported_from", "reported_to"):
            self.filters[name].extra["widget"] = DateInput()
        self.filters["q"].extra["widget"] = forms.TextInput(
            attrs={"placeholder": _("Reference or title"), "type": "search"}
        )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))


class ActionListFilter(ActionFilter):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    company = _company_filter()

    sorts = {
        "reference": ("reference",),
        "title": ("title",),
        "kind": (choice_order("kind", ActionKind.choices),),
        "state": (choice_order("state", ActionState.choices),),
        "incident": ("incident__reference",),
        "company": ("company__position", "company__code"),
        "department": ("department__code",),
        "due": ("due_date",),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prepare_filter_widgets(self, choices=("state", "kind"), yes_no=(), ticks=("overdue",))
        self.filters["due_after"].extra["widget"] = DateInput()
        self.filters["due_before"].extra["widget"] = DateInput()
        self.filters["q"].extra["widget"] = forms.TextInput(
            attrs={"placeholder": _("Reference or title"), "type": "search"}
        )

    search = IncidentListFilter.search


class TrackListFilter(django_filters.FilterSet):
    """The filter bar of the reporting duties (報告義務一覧)."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    company = MenuFilter(field_name="incident__company", queryset=Company.objects.all(),
                                               label=_("company"))
    state = ChoicesFilter(choices=TrackState.choices, label=_("state"))
    kind = ChoicesFilter(choices=TrackKind.choices, label=_("report"))
    department = MenuFilter(field_name="incident__department",
                                                  queryset=Department.objects.all(), label=_("department"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue only"))
    # Days in Japan time, compared as ranges of moments that the limit's index serves.
    limit_from = DayFilter(field_name="limit_at", lookup_expr="gte", label=_("limit from"))
    limit_to = DayFilter(field_name="limit_at", lookup_expr="lte", label=_("limit to"))

    sorts = {
        "incident": ("incident__reference",),
        "company": ("incident__company__position", "incident__company__code"),
        "kind": (choice_order("kind", TrackKind.choices),),
        "state": (choice_order("state", TrackState.choices),),
        "target": ("due_at",),
        "limit": ("limit_at",),
        "filed": ("filed_at",),
    }

    class Meta:
        model = ReportingTrack
        fields = ["state", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prepare_filter_widgets(self, choices=("state", "kind"), yes_no=(), ticks=("overdue",))
        for name in ("limit_from", "limit_to"):
            self.filters[name].extra["widget"] = DateInput()
        self.filters["q"].extra["widget"] = forms.TextInput(
            attrs={"placeholder": _("Incident reference or title"), "type": "search"}
        )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(incident__reference__icontains=value) | Q(incident__title__icontains=value)
                               | Q(recipient_reference__icontains=value))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


def prepare_filter_widgets(filterset, *, choices, yes_no, ticks) -> None:
    # The filters are copies of the class's; a form field that anything built on the class
    # (the API schema does) is cached on them and would ignore the widgets set below.
    for list_filter in filterset.filters.values():
        list_filter.__dict__.pop("_field", None)
    for name in choices:
        filterset.filters[name].extra["widget"] = FilterSelect
        filterset.filters[name].field.empty_label = _("All")
    for name in yes_no:
        filterset.filters[name].extra["widget"] = forms.Select(
            choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]
        )
    for name in ticks:
        filterset.filters[name].extra["widget"] = OnlyIfChecked
    filterset.filters["department"].extra["empty_label"] = _("All")
    if "company" in filterset.filters:
        if group_has_several_companies():
            filterset.filters["company"].extra["empty_label"] = _("All")
        else:
            filterset.filters.pop("company")  # one company: nothing to choose


# ---------------------------------------------------------------------------
# Incidents

QUICK_REPORT_FIELDS = ["title", "description", "discovered_at", "department", "kind"]
REPORT_DETAIL_FIELDS = [
    "occurred_at", "data_items", "affected_count", "affected_count_estimated",
    "involves_sensitive_data", "risk_of_financial_damage", "suspected_unauthorized_purpose",
    "data_in_collection", "strongly_encrypted", "entrusted_by", "involves_joint_use",
]
APPI_TRIGGER_FIELDS = [
    "involves_sensitive_data", "risk_of_financial_damage", "suspected_unauthorized_purpose",
    "data_in_collection", "strongly_encrypted",
]
CLASSIFICATION_FIELDS = ["severity", "event_class", "cause"]
RESPONSE_FIELDS = ["containment_summary", "correction_taken", "root_cause"]
# What the report to the PPC asks for beyond the classification (rule art. 8(1)).
PPC_FIELDS = [
    "discovery_route", "secondary_harm", "subject_response", "publication", "recurrence_prevention",
    "other_information",
]
PPC_HELP_TEXTS = {
    "subject_response": _("Whether and how the data subjects were or will be notified (letter, e-mail), or "
                          "the substitute measure (publication, inquiry desk) when they cannot be reached."),
    "other_information": _("Anything else that helps the PPC: a police report, contact with the entrusting "
                           "business, an inquiry desk, and the like."),
}

INCIDENT_WIDGETS = {
    "description": _textarea(5),
    "discovered_at": DateTimeLocalInput(),
    "occurred_at": DateTimeLocalInput(),
    "data_items": _textarea(2),
    "containment_summary": _textarea(3),
    "correction_taken": _textarea(3),
    "root_cause": _textarea(3),
    "dismissal_reason": _textarea(3),
    **{name: _textarea(3) for name in PPC_FIELDS},
}


class IncidentReportForm(forms.ModelForm):
    """What a staff member fills in under a minute, with optional details."""

    detail_fields = REPORT_DETAIL_FIELDS

    class Meta:
        model = Incident
        fields = QUICK_REPORT_FIELDS + REPORT_DETAIL_FIELDS
        widgets = {**INCIDENT_WIDGETS, "kind": forms.RadioSelect}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = IncidentKind.choices
        self.fields["affected_count"].widget.attrs["min"] = 0
        prepare_company_fields(self)
        if not self.is_bound:
            self.initial.setdefault("discovered_at", timezone.now().replace(second=0, microsecond=0))
            profile = getattr(user, "profile", None)
            if profile is not None and profile.department_id:
                self.initial.setdefault("department", profile.department_id)

    @property
    def details_have_errors(self) -> bool:
        return any(name in self.errors for name in self.detail_fields)


# What the PrivacyMark test needs beyond the report (PMK500, domain.md §1.13): the PMS
# office completes it at triage, so the staff report form stays short.
PMARK_FIELDS = [
    "pmark_event", "pmark_suspected", "is_my_number", "my_number_network_system",
    "my_number_publicly_viewable", "pmark_judged_serious", "pmark_judged_serious_reason",
]
LOW_RISK_FIELDS = ["subjects_low_risk", "subjects_low_risk_reason", "substitute_measure"]
PMARK_NOTICE_FIELDS = ["pmark_notice_received_on", "pmark_notice_requests", "pmark_notice_due_on"]
# The items of the PPC report (ppc_report.ReportItem keys) with their numbers and names,
# for the "not yet known" inputs (domain.md §1.5a: the 確報 may go with them, a 追完 follows).
PPC_ITEMS = list(zip(PPC_ITEM_KEYS, (
    _("1 Overview"), _("2 Data items"), _("3 Number of data subjects"), _("4 Cause"), _("5 Secondary harm"),
    _("6 Response to data subjects"), _("7 Publication"), _("8 Recurrence prevention"), _("9 Other"),
), strict=True))


def unknown_field_name(key: str) -> str:
    return f"unknown_{key}"


class IncidentEditForm(VersionedForm):
    """The fields of Incident.edit_policy this user may write now: all of them for the PMS
    office, the report for its reporter until the response starts; once the incident is
    closed, only what a 追完 or the assessment body's notice still changes.

    The items of the PPC report still unknown (Incident.ppc_unknown_items) are one input
    per item, for the reason it is not yet known, instead of a JSON field."""

    class Meta:
        model = Incident
        fields = [name for name in Incident.edit_policy.fields if name != "ppc_unknown_items"]
        widgets = {
            **INCIDENT_WIDGETS,
            "pmark_judged_serious_reason": _textarea(2),
            "subjects_low_risk_reason": _textarea(2),
            "substitute_measure": _textarea(2),
            "pmark_notice_requests": _textarea(3),
            "pmark_notice_received_on": DateInput(),
            "pmark_notice_due_on": DateInput(),
        }
        help_texts = PPC_HELP_TEXTS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        writable = set(Incident.edit_policy.writable(self.instance, user)) if self.instance.pk else set()
        unknown_offered = self.instance.reportable or bool(self.instance.ppc_unknown_items)
        if "ppc_unknown_items" in writable and unknown_offered:
            unknown = self.instance.ppc_unknown_items or {}
            for key, label in PPC_ITEMS:
                self.fields[unknown_field_name(key)] = forms.CharField(
                    label=label, required=False, max_length=500, initial=unknown.get(key, ""),
                    help_text=_("Not yet known? Give the reason; leave empty when the item is known."),
                )
        if not self._low_risk_allowed():
            for name in LOW_RISK_FIELDS:
                self.fields.pop(name, None)
        if self.instance.pk and not self.instance.company.holds_privacymark:
            # An ISMS-only company has no assessment body to report to (domain.md §1.13).
            for name in [*PMARK_FIELDS, *PMARK_NOTICE_FIELDS]:
                self.fields.pop(name, None)
        if "kind" in self.fields:
            self.fields["kind"].choices = IncidentKind.choices
        if "affected_count" in self.fields:
            self.fields["affected_count"].widget.attrs["min"] = 0
        for name in ("event_class", "cause"):
            if name in self.fields:
                _limit_picklist(self.fields[name], getattr(self.instance, f"{name}_id"))
        prepare_company_fields(self)
        if "handler" in self.fields:
            self.fields["handler"] = handler_field(self.instance)

    def _low_risk_allowed(self) -> bool:
        """The 2026 amendment's relief is offered only where the incident's rules carry it."""
        rules = self.instance.rule_set if self.instance.rule_set_id else None
        return bool(rules and rules.data_subjects_low_risk_exemption) or self.instance.subjects_low_risk

    def edits(self) -> dict:
        edits = {name: value for name, value in super().edits().items() if not name.startswith("unknown_")}
        if any(unknown_field_name(key) in self.changed_data for key, _label in PPC_ITEMS):
            edits["ppc_unknown_items"] = {
                key: self.cleaned_data[unknown_field_name(key)].strip()
                for key, _label in PPC_ITEMS if self.cleaned_data.get(unknown_field_name(key), "").strip()
            }
        return edits

    def groups(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """(title, note, fields): the fields of the form in the sections of the detail page."""
        sections = [
            (_("Report"), "", [*QUICK_REPORT_FIELDS, "occurred_at", "involves_joint_use"]),
            (_("Handler"), "", ["handler"]),
            (_("Classification"), "", [*CLASSIFICATION_FIELDS, "data_items", "affected_count",
                                       "affected_count_estimated"]),
            (_("Reportability under APPI"), "", [*APPI_TRIGGER_FIELDS, "not_personal_data", "entrusted_by"]),
            (_("PrivacyMark (assessment body)"),
             _("PrivacyMark's own test: every 事故等 of nine kinds, even for one person, on any personal "
               "information, encrypted or not. Completed by the PMS office at triage."),
             PMARK_FIELDS),
            (_("Notice to data subjects: small risk"),
             _("From the date the 2026 amendment takes effect (in the rules in force on the day of discovery), "
               "no notice is owed where the risk to the data subjects is small: record why, and any substitute "
               "measure."),
             LOW_RISK_FIELDS),
            (_("Containment, cause and correction"), "", RESPONSE_FIELDS),
            (_("Items for the PPC report"),
             _("The report to the PPC (rule art. 8(1)) is assembled from these and from the fields above; "
               "its page shows which items are still empty. These stay editable after the incident is closed, "
               "for a supplement (追完)."),
             PPC_FIELDS),
            (_("Items not yet known at the 確報"),
             _("The 確報 cannot be filed while an item is empty, unless it is marked here as not yet known with "
               "the reason; a supplement (追完) to the PPC is then tracked."),
             [unknown_field_name(key) for key, _label in PPC_ITEMS]),
            (_("The assessment body's notice (事故措置の通知)"),
             _("After the PrivacyMark 確報 the assessment body sends its notice on the measures; record it here and "
               "the report on measures to prevent recurrence is tracked with the date it sets, also after the "
               "incident is closed."),
             PMARK_NOTICE_FIELDS),
        ]
        groups = []
        for title, note, names in sections:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                groups.append((title, note, fields))
        return groups


def handler_field(incident: Incident) -> forms.ModelChoiceField:
    """The incident's handler: a member of the PMS office of its company (or nobody)."""
    return PersonField(
        role=Role.PMS_MANAGER, company=incident.company_id, keep=[incident.handler_id], required=False,
        label=capfirst(Incident._meta.get_field("handler").verbose_name), empty_label=_("No handler"),
        help_text=_("A member of the PMS office of the incident's company, who runs the case."),
    )


class HandlerForm(forms.Form):
    """Assign or change the incident's handler, from the version the page was read at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"] = handler_field(incident)
        self.initial.setdefault("handler", incident.handler_id)
        self.initial.setdefault("version", incident.version)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the services check each file's type and size)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        clean_one = super().clean
        if isinstance(data, list | tuple):
            return [clean_one(item, initial) for item in data if item]
        return [clean_one(data, initial)] if data else []


class ProgressEntryForm(forms.ModelForm):
    """An entry of the incident's progress log (経過記録), with its files."""

    files = MultipleFileField(
        label=_("Files"), required=False,
        help_text=_("Optional. They go with the entry and cannot be added later."),
    )

    class Meta:
        model = ProgressEntry
        fields = ["occurred_at", "text"]
        widgets = {"occurred_at": DateTimeLocalInput(), "text": _textarea(3)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].required = False
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.now().replace(second=0, microsecond=0))


# ---------------------------------------------------------------------------
# Actions


class ActionForm(VersionedForm):
    """Plan or change a corrective, preventive, correction or improvement action."""

    # Anyone holding a role in the PMS (staff included: a staff member may own an action).
    owner = PersonField(label=capfirst(_("owner")))
    verifier = PersonField(
        label=capfirst(_("verifier")),
        help_text=_("Checks the action's effectiveness; must be someone other than the owner."),
    )

    class Meta:
        model = Action
        fields = list(Action.edit_policy.fields)
        widgets = {
            "incident": forms.HiddenInput,
            "description": _textarea(4),
            "due_date": DateInput(),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        named = [self.instance.owner_id, self.instance.verifier_id]
        for name in ("owner", "verifier"):
            if name in self.fields:
                self.fields[name].limit(keep=named)
        if not has_role(user, Role.PMS_MANAGER):
            self.fields["department"].queryset = Department.objects.filter(pk__in=headed_department_ids(user))
        if "department" in self.fields:
            group_departments_by_company(self.fields["department"])
        if self.instance.pk:
            self.fields.pop("incident", None)  # an action stays with its incident
        else:
            # Only open incidents the user can see can be given actions.
            self.fields["incident"].queryset = Incident.objects.visible_to(user).open()


# ---------------------------------------------------------------------------
# Transitions


# How a report may be made: to the PPC, the assessment body or the 委託元, and to the data
# subjects (where publication and an inquiry desk are the substitute measures, APPI art. 26(2)).
AUTHORITY_METHODS = [FilingMethod.ONLINE_FORM, FilingMethod.EMAIL, FilingMethod.POST, FilingMethod.PHONE]
DATA_SUBJECT_METHODS = [
    FilingMethod.NOTICE, FilingMethod.EMAIL, FilingMethod.POST, FilingMethod.PHONE, FilingMethod.PUBLICATION,
    FilingMethod.INQUIRY_DESK,
]


class TrackTransitionForm(TransitionForm):
    """A report's step: its own note or reason is the trail's comment, so there is no second box."""

    comment_field = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["comment"]

    def clean(self):
        cleaned_data = super().clean()
        cleaned_data["comment"] = cleaned_data.get(self.comment_field) or ""
        return cleaned_data


class TrackFilingForm(TrackTransitionForm):
    """Record a report as made: when (now by default), the recipient's reference, how."""

    comment_field = "filing_note"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        track = self.instance
        to_data_subjects = track.kind == TrackKind.DATA_SUBJECTS
        filed_at = self.fields["filed_at"]
        filed_at.required = True
        filed_at.widget = DateTimeLocalInput()
        filed_at.help_text = _("Japan time. Defaults to now; change it when the report was made earlier.")
        if not self.is_bound and self.initial.get("filed_at") is None:
            self.initial["filed_at"] = timezone.now().replace(second=0, microsecond=0)
        methods = DATA_SUBJECT_METHODS if to_data_subjects else AUTHORITY_METHODS
        self.fields["method"].choices = [("", "---------"), *((m.value, m.label) for m in methods)]
        self.fields["method"].required = to_data_subjects
        # The same rule as the step's condition: only a recipient that gives a receipt number
        # is asked for one; elsewhere the box is optional and named for what it may hold.
        reference = self.fields["recipient_reference"]
        reference.required = track.needs_receipt_number
        if track.needs_receipt_number:
            reference.help_text = _("The receipt number the recipient gave, or the name of the person who received it.")
        elif to_data_subjects:
            reference.label = _("Where it was published, or the notice's reference")
            reference.help_text = _("Optional: for example the address of the publication.")
        else:
            reference.label = _("Received by")
            reference.help_text = _("The name of the person who received it, if you know it.")

    def clean_filed_at(self):
        filed_at = self.cleaned_data["filed_at"]
        if filed_at > timezone.now():
            raise forms.ValidationError(_("The filing time cannot be in the future."))
        if filed_at < self.instance.incident.discovered_at:
            raise forms.ValidationError(_("The filing time cannot be before the discovery."))
        return filed_at


class TrackNotRequiredForm(TrackTransitionForm):
    comment_field = "not_required_reason"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["not_required_reason"].required = True
        self.fields["not_required_reason"].help_text = _(
            "For example: the entrusting business files the report itself; the data was strongly encrypted."
        )


class TriageForm(TransitionForm):
    """Start the response: the PrivacyMark kind of 事故等 is asked only of a mark holder, and
    left blank it follows the report's kind."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "pmark_event" in self.fields:
            if not self.instance.company.holds_privacymark:
                self.fields.pop("pmark_event")
            else:
                choices = list(self.fields["pmark_event"].choices)[1:]
                self.fields["pmark_event"].choices = [("", _("From the kind of the report")), *choices]


# The transition forms with more to say than the generic one (registered in IncidentsConfig.ready).
TRANSITION_FORMS: dict[tuple[type, str], type[TransitionForm]] = {
    (Incident, "triage"): TriageForm,
    (ReportingTrack, "file"): TrackFilingForm,
    (ReportingTrack, "not_required"): TrackNotRequiredForm,
}
