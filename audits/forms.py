"""Forms of the audits pages. They only validate; the views hand the cleaned data to
audits.services. The widgets, filter bar and action form are the incidents app's own.

Edit forms are VersionedForms: their fields are the record type's edit policy, those the
user may not write now are left out, and a hidden `version` carries the version the page
was read at, so that a save over someone else's change is shown as a conflict instead.
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from incidents.filters import MenuFilter
from incidents.forms import ActionForm, DateInput, prepare_filter_widgets
from incidents.models import (
    ActionKind,
    Company,
    Department,
    group_has_several_companies,
    headed_department_ids,
)
from incidents.people_forms import PersonField, PersonMultipleField
from incidents.roles import Role, has_role, role_companies
from incidents.sorting import choice_order
from incidents.workflow.forms import VersionedForm

from .filters import AuditFilter, FindingFilter
from .models import (
    NONCONFORMITIES,
    Audit,
    AuditKind,
    AuditState,
    ChecklistItem,
    ChecklistResult,
    Finding,
    FindingState,
    Grade,
    Requirement,
    Standard,
)

# The clause group shown open on the plan form: the current edition of the PMS standard.
DEFAULT_CLAUSE_GROUP = (Standard.JIS_Q_15001, "2023")
# The order of the standards' groups on the plan form: the PMS standard, the PrivacyMark
# guideline's J items (the assessment's own checklist), then the others.
STANDARD_ORDER = (Standard.JIS_Q_15001, Standard.PMARK_GUIDELINE, Standard.ISO_27001)


def _standard_rank(standard: str) -> int:
    return STANDARD_ORDER.index(standard) if standard in STANDARD_ORDER else len(STANDARD_ORDER)


def _edition_year(edition: str) -> int:
    """The year an edition starts with ("2023", "2023v1.0"), 0 without one."""
    match = re.match(r"\d+", edition)
    return int(match.group()) if match else 0


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _search(queryset, fields: tuple[str, ...], value: str):
    value = value.strip()
    if not value:
        return queryset
    query = Q()
    for name in fields:
        query |= Q(**{f"{name}__icontains": value})
    return queryset.filter(query)


# ---------------------------------------------------------------------------
# Planning


class DepartmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, department) -> str:
        return department.name


class CompanyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, company) -> str:
        return company.name


class ClauseChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, requirement) -> str:
        return f"{requirement.clause} {requirement.title}"


class ClauseField(forms.ModelChoiceField):
    label_from_instance = ClauseChoiceField.label_from_instance


class DepartmentField(forms.ModelChoiceField):
    label_from_instance = DepartmentChoiceField.label_from_instance


# The audit team: whether a member may audit a scope depends on their department, which the
# person picker shows (under one heading per department, with its company in a group).
LEAD_AUDITOR_ROLES = (Role.AUDITOR, Role.AUDIT_LEAD, Role.DEPARTMENT_HEAD)
AUDITOR_ROLES = (Role.AUDITOR, Role.AUDIT_LEAD)


def plannable_companies(user, *, keep=None):
    """The companies `user` plans audits of: those they are the audit lead of, and those of
    the departments they head (their operational checks); `keep`, the audit's own, stays."""
    companies = Company.objects.order_by("position", "code")
    led = role_companies(user, Role.AUDIT_LEAD)
    if led is None:
        return companies
    headed = Department.objects.filter(pk__in=headed_department_ids(user)).values("company_id")
    return companies.filter(Q(pk__in=led) | Q(pk__in=headed) | Q(pk=keep)).distinct()


class AuditForm(VersionedForm):
    """Plan or re-plan an audit: the company audited (when the group has several), scope
    (departments, clauses), team and dates.

    Whether the team is independent of the scope, and whether the departments belong to the
    company audited, is the service's decision; its refusal is shown on this form. With one
    company the form has no company field: nothing is posted and the service names it.
    """

    company = CompanyChoiceField(
        queryset=Company.objects.none(), label=capfirst(_("company audited")), empty_label=None,
        help_text=_("An audit covers the departments of one group company."),
    )
    departments = DepartmentChoiceField(
        queryset=Department.objects.all(), widget=forms.CheckboxSelectMultiple, label=capfirst(_("departments audited")),
    )
    clauses = ClauseChoiceField(
        queryset=Requirement.objects.all(), widget=forms.CheckboxSelectMultiple, required=True,
        label=capfirst(_("clauses")),
        help_text=_("Each clause chosen becomes an item of the audit's checklist."),
    )
    lead_auditor = PersonField(
        role=LEAD_AUDITOR_ROLES, label=capfirst(_("lead auditor")),
        help_text=_("An internal auditor; for an operational check, someone of the department may lead it."),
    )
    auditors = PersonMultipleField(
        role=AUDITOR_ROLES, required=False, label=capfirst(_("auditors")),
        help_text=_("Nobody audits their own department: the department is shown after each name."),
    )

    class Meta:
        model = Audit
        fields = list(Audit.edit_policy.fields)
        widgets = {"kind": forms.RadioSelect, "planned_start": DateInput(), "planned_end": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        audit = self.instance
        self.several_companies = group_has_several_companies()
        self.fields["kind"].choices = AuditKind.choices
        current_team = [audit.lead_auditor_id] + ([a.pk for a in audit.auditors.all()] if audit.pk else [])
        for name in ("lead_auditor", "auditors"):
            if name in self.fields:
                self.fields[name].limit(keep=current_team)
        self.fields["departments"].queryset = Department.objects.select_related("company").order_by(
            "company__position", "company__code", "code")
        if not has_role(user, Role.AUDIT_LEAD):
            # A department head plans the operational check of their own department only.
            self.fields["kind"].choices = [(AuditKind.OPERATIONAL_CHECK.value, AuditKind.OPERATIONAL_CHECK.label)]
            self.fields["departments"].queryset = self.fields["departments"].queryset.filter(
                pk__in=headed_department_ids(user))
            if not audit.pk:
                self.initial.setdefault("kind", AuditKind.OPERATIONAL_CHECK)
        if "company" in self.fields:
            self._prepare_company(user)

    def _prepare_company(self, user) -> None:
        """One company: no field (the service names it). Several: those the user plans audits
        of, their own company first chosen on a new plan."""
        if not self.several_companies:
            del self.fields["company"]
            return
        field = self.fields["company"]
        field.queryset = plannable_companies(user, keep=self.instance.company_id if self.instance.pk else None)
        if not self.instance.pk and "company" not in self.initial:
            profile = getattr(user, "profile", None)
            home = profile.department.company_id if profile is not None and profile.department_id else None
            choices = list(field.queryset.values_list("pk", flat=True))
            if home in choices:
                self.initial["company"] = home
            elif choices:
                self.initial["company"] = choices[0]

    def department_groups(self) -> list[dict]:
        """The department checkboxes under one heading per company (one group, unnamed, when
        the group has a single company)."""
        groups: dict[int, dict] = {}
        for choice in self["departments"]:
            department = choice.data["value"].instance
            group = groups.setdefault(department.company_id, {
                "company": department.company.name if self.several_companies else "", "choices": [],
            })
            group["choices"].append(choice)
        return list(groups.values())

    def clause_groups(self) -> list[dict]:
        """The clause checkboxes by standard and edition, each with its nesting depth."""
        groups: dict[tuple[str, str], dict] = {}
        checked = {str(value) for value in (self["clauses"].value() or [])}
        for choice in self["clauses"]:
            requirement = choice.data["value"].instance
            key = (requirement.standard, requirement.edition)
            group = groups.setdefault(key, {
                "key": key,
                "title": f"{requirement.get_standard_display()}:{requirement.edition}",
                "choices": [],
                "checked": 0,
            })
            depth = requirement.depth
            group["choices"].append({"choice": choice, "requirement": requirement, "depth": min(depth, 4)})
            if str(requirement.pk) in checked:
                group["checked"] += 1
        for group in groups.values():
            if group["choices"] and group["key"][1] == "2017" and group["key"][0] == Standard.JIS_Q_15001:
                group["title"] = _("%(standard)s (Annex A)") % {"standard": group["title"]}
            group["open"] = group["key"] == DEFAULT_CLAUSE_GROUP or group["checked"] > 0
        # JIS Q 15001 first, newest edition first, then the PrivacyMark guideline's J items, then ISO.
        return sorted(groups.values(), key=lambda g: (_standard_rank(g["key"][0]), -_edition_year(g["key"][1])))


# ---------------------------------------------------------------------------
# Checklist


def _same_text(posted: str, initial) -> bool:
    """Two texts equal but for how line breaks are sent and the spaces around them."""
    return posted.replace("\r\n", "\n").strip() == str(initial or "").replace("\r\n", "\n").strip()


class ChecklistItemForm(VersionedForm):
    """One checklist item's result; a nonconformity also gives the finding's grade and text.

    The hidden `version` is the item's as the page showed it: a result saved over a
    teammate's meanwhile is shown as a conflict.
    """

    grade = forms.ChoiceField(
        label=_("Grade of the finding"), required=False,
        choices=[("", "---------"), *Grade.choices],
        help_text=_("A nonconformity is raised as a minor one unless you choose major. "
                    "Choose a grade for an observation to raise it as a finding too."),
    )
    description = forms.CharField(
        label=_("Finding"), required=False, widget=_textarea(2),
        help_text=_("What does not conform, as the department will read it. Defaults to the note."),
    )

    class Meta:
        model = ChecklistItem
        fields = list(ChecklistItem.edit_policy.fields)
        widgets = {"result": forms.RadioSelect, "evidence": _textarea(2), "note": _textarea(2)}

    department = forms.ModelChoiceField(
        label=_("Department of the finding"), queryset=Department.objects.none(), required=False,
        help_text=_("The audit covers several departments: say which one the finding is about."),
    )

    def __init__(self, *args, has_finding: bool, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["result"].required = True
        self.fields["result"].choices = ChecklistResult.choices
        self.has_finding = has_finding
        if has_finding:
            # The item's finding is already raised; it is followed up on its own page.
            del self.fields["grade"]
            del self.fields["description"]
        if has_finding or len(departments) < 2:
            del self.fields["department"]  # one department: the finding is about it
        else:
            self.fields["department"].queryset = Department.objects.filter(pk__in=[d.pk for d in departments])

    def clean(self):
        cleaned_data = super().clean()
        result, grade = cleaned_data.get("result"), cleaned_data.get("grade") or ""
        if "grade" not in self.fields:
            return cleaned_data
        if result == ChecklistResult.NONCONFORMING and grade and grade not in NONCONFORMITIES:
            self.add_error("grade", _("A nonconforming result is a major or a minor nonconformity."))
        elif result == ChecklistResult.OBSERVATION and grade in NONCONFORMITIES:
            self.add_error("grade", _("An observation is not a nonconformity: record the result as nonconforming."))
        elif result not in (ChecklistResult.NONCONFORMING, ChecklistResult.OBSERVATION):
            grade = ""
        cleaned_data["grade"] = grade or None
        return cleaned_data

    def typed(self) -> bool:
        """Whether the user typed or chose anything on this item (the audit page posts every
        item at once; only the items changed are saved).

        Compared with the item as the page showed it, at the version the form carries: a
        result a teammate recorded since is not a change of this user's. Line breaks count
        the same however the browser sends them (a textarea posts CRLF).
        """
        shown = self._as_shown()
        for name, field in self.fields.items():
            if name == "version":
                continue
            posted = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            initial = shown[name] if name in shown else self.get_initial_for_field(field, name)
            if not field.has_changed(initial, posted):
                continue
            if isinstance(posted, str) and _same_text(posted, initial):
                continue
            return True
        return False

    def _as_shown(self) -> dict:
        """The item's recorded values at the version the form posts, when it is not the current one."""
        seen = str(self.data.get(self.add_prefix("version"), ""))
        if not seen.isdigit() or int(seen) == self.instance.version:
            return {}
        row = self.instance.history.filter(version=int(seen)).first()
        return {} if row is None else {name: getattr(row, name) for name in ChecklistItem.edit_policy.fields}

    def record_data(self) -> dict:
        """The keyword arguments of services.checklist_record."""
        data = {name: self.cleaned_data[name] for name in ("result", "evidence", "note", "version")}
        if "grade" in self.fields:
            data.update(grade=self.cleaned_data["grade"], description=self.cleaned_data["description"])
        if "department" in self.fields:
            data["department"] = self.cleaned_data["department"]
        return data


# ---------------------------------------------------------------------------
# Findings


class FindingForm(VersionedForm):
    """Edit a finding: the audit team its wording while it is open, the department's head
    the draft cause and plan until the team accepts them (the fields of Finding.edit_policy
    the user may write now; the others are left out)."""

    requirement = ClauseField(queryset=Requirement.objects.none(), label=capfirst(_("clause")))
    department = DepartmentField(queryset=Department.objects.none(), label=capfirst(_("department")))

    class Meta:
        model = Finding
        fields = list(Finding.edit_policy.fields)
        widgets = {
            "description": _textarea(4), "evidence": _textarea(3), "cause": _textarea(4), "plan": _textarea(4),
            "response_due": DateInput(),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        finding = self.instance
        if "grade" in self.fields:
            self.fields["grade"].choices = Grade.choices
        if "department" in self.fields:
            self.fields["department"].queryset = finding.audit.departments.order_by("code")
        if "requirement" in self.fields:
            # The audit's clauses, and the one the finding names if it is not among them.
            self.fields["requirement"].queryset = Requirement.objects.filter(
                Q(audits=finding.audit) | Q(pk=finding.requirement_id)
            ).distinct().order_by("standard", "position", "clause")


class FindingActionForm(ActionForm):
    """A corrective action for a finding: the incidents' action form, without the incident."""

    def __init__(self, *args, finding: Finding, **kwargs):
        kwargs.setdefault("initial", {}).update({"kind": ActionKind.CORRECTIVE, "department": finding.department_id})
        super().__init__(*args, **kwargs)
        del self.fields["incident"]


# ---------------------------------------------------------------------------
# List filters (the shared FilterSets of audits.filters, with a search box and a filter bar)


def _fiscal_year_choices():
    years = Audit.objects.order_by("-fiscal_year").values_list("fiscal_year", flat=True).distinct()
    return [(year, _("FY%(year)s") % {"year": year}) for year in years]


class AuditListFilter(AuditFilter):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    # Shown only when the group has several companies (prepare_filter_widgets).
    company = MenuFilter(queryset=Company.objects.all(), label=_("company"))
    # A pick-list of the years that have audits rather than a number box.
    fiscal_year = django_filters.ChoiceFilter(choices=_fiscal_year_choices, label=_("fiscal year"),
                                              empty_label=_("All"))

    # The keys of ?sort= (incidents.sorting).
    sorts = {
        "reference": ("reference",),
        "title": ("title",),
        "kind": (choice_order("kind", AuditKind.choices),),
        "company": ("company__position", "company__code"),
        "dates": ("planned_start", "planned_end"),
        "state": (choice_order("state", AuditState.choices),),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prepare_filter_widgets(self, choices=("state", "kind"), yes_no=(), ticks=())
        self.filters["q"].extra["widget"] = forms.TextInput(
            attrs={"placeholder": _("Reference or title"), "type": "search"}
        )

    def search(self, queryset, name, value):
        return _search(queryset, ("reference", "title"), value)


class FindingListFilter(FindingFilter):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    company = MenuFilter(queryset=Company.objects.all(), label=_("company"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open only"))
    response_overdue = django_filters.BooleanFilter(method="filter_response_overdue",
                                                    label=_("response overdue only"))

    sorts = {
        "reference": ("reference",),
        "grade": (choice_order("grade", Grade.choices),),
        "clause": ("requirement__standard", "requirement__position", "requirement__clause"),
        "company": ("company__position", "company__code"),
        "department": ("department__code",),
        "audit": ("audit__reference",),
        "state": (choice_order("state", FindingState.choices),),
        "response_due": ("response_due",),
        "raised": ("created_at",),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prepare_filter_widgets(self, choices=("state", "grade"), yes_no=(), ticks=("open", "response_overdue"))
        self.filters["q"].extra["widget"] = forms.TextInput(
            attrs={"placeholder": _("Reference or description"), "type": "search"}
        )

    def search(self, queryset, name, value):
        return _search(queryset, ("reference", "description", "audit__reference"), value)

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.open() if value else queryset.filter(state=FindingState.CLOSED)
