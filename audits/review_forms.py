"""Forms of the management review pages. They only validate: the views hand the cleaned
data to audits.services (review_create, review_update, review_approve). The review's
form is a VersionedForm: an edit carries the version its page was read at.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from incidents.forms import DateInput
from incidents.models import Company, Department, group_has_several_companies
from incidents.people_forms import PersonField
from incidents.roles import Role, role_companies
from incidents.workflow.forms import VersionedForm

from .fiscal import fiscal_year_bounds, fiscal_year_of
from .models import DecisionKind, Review, ReviewDecision
from .models.review import TEXT_INPUTS

# The inputs only people know, in the order of ISO/IEC 27001 9.3.2: (b), (c), (e), (f), (g).
REVIEW_TEXT_FIELDS = (*TEXT_INPUTS, "improvement_notes")
INPUT_LETTERS = dict(zip(REVIEW_TEXT_FIELDS, "bcefg", strict=True))


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class CompanyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, company) -> str:
        return company.name


WHOLE_GROUP = _("Whole group")


class ReviewForm(VersionedForm):
    """The company reviewed (when the group has several), the period, the meeting and the
    inputs only people know (PMS manager, draft only).

    The company is offered among those the user prepares reviews for, and the whole group
    (グループ全体, posted as empty) to the group's PMS manager; whether they may prepare the
    one posted is the service's decision. With one company there is no company field and
    the service reviews the default company.
    """

    company = CompanyChoiceField(
        queryset=Company.objects.all(), required=False, empty_label=WHOLE_GROUP,
        label=capfirst(_("company reviewed")),
        help_text=_("A review of one group company, or of the whole group with a breakdown by company."),
    )

    class Meta:
        model = Review
        fields = list(Review.edit_policy.fields)
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "held_on": DateInput(),
            "attendees": _textarea(2),
            **{name: _textarea(4) for name in REVIEW_TEXT_FIELDS},
        }
        help_texts = {
            "held_on": _("Can also be set when top management approves the review."),
            "attendees": _("For example: the president, the PMS manager, the audit lead."),
            "improvement_notes": _("Besides the findings graded as opportunities for improvement, which are "
                                   "listed from the audits."),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        company = None
        if "company" in self.fields:
            company = self._prepare_company(user)
        if not self.instance.pk and not self.is_bound:
            # By default the review of the current fiscal year (of the company offered first).
            first, last = fiscal_year_bounds(fiscal_year_of(timezone.localdate(), company), company)
            self.initial.setdefault("period_start", first)
            self.initial.setdefault("period_end", last)
        for name, letter in INPUT_LETTERS.items():
            if name in self.fields:
                self.fields[name].label = f"({letter}) {self.fields[name].label}"

    def _prepare_company(self, user) -> Company | None:
        """The company field's choices (see the class); the company a new review starts on."""
        if not group_has_several_companies():
            del self.fields["company"]
            return None
        field = self.fields["company"]
        companies = list(Company.objects.order_by("position", "code"))
        held = role_companies(user, Role.PMS_MANAGER) if user is not None else frozenset()
        current = self.instance.company_id if self.instance.pk else None
        offered = [c for c in companies if held is None or c.pk in held or c.pk == current]
        group = held is None or (self.instance.pk and current is None)
        field.choices = [*([("", field.empty_label)] if group else []), *((c.pk, c.name) for c in offered)]
        if self.instance.pk:
            return self.instance.company
        # A new review: the user's own company if they prepare its review, else the first offered.
        profile = getattr(user, "profile", None)
        home = profile.department.company_id if profile is not None and profile.department_id else None
        start = next((c for c in offered if c.pk == home), offered[0] if offered else None)
        self.initial.setdefault("company", start.pk if start else None)
        return start

    def text_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in REVIEW_TEXT_FIELDS if name in self.fields]


class ReviewApproveForm(forms.Form):
    """Top management's conclusion and the meeting; the decisions come in a formset."""

    conclusion = forms.CharField(
        label=capfirst(Review._meta.get_field("conclusion").verbose_name), widget=_textarea(4),
        help_text=Review._meta.get_field("conclusion").help_text,
    )
    held_on = forms.DateField(label=capfirst(Review._meta.get_field("held_on").verbose_name), widget=DateInput())
    attendees = forms.CharField(
        label=capfirst(Review._meta.get_field("attendees").verbose_name), widget=_textarea(2), required=False,
    )
    comment = forms.CharField(label=_("Comment"), widget=_textarea(2), required=False,
                              help_text=_("Optional: recorded in the trail with the approval."))

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("conclusion", review.conclusion)
            self.initial.setdefault("held_on", review.held_on or timezone.localdate())
            self.initial.setdefault("attendees", review.attendees)


def _decision_label(name: str) -> str:
    return capfirst(ReviewDecision._meta.get_field(name).verbose_name)


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, department) -> str:
        return department.name


class DecisionForm(forms.Form):
    """One decision of top management; it becomes an improvement action."""

    kind = forms.ChoiceField(label=_decision_label("kind"), choices=DecisionKind.choices,
                             initial=DecisionKind.IMPROVEMENT)
    title = forms.CharField(label=_("What was decided"), max_length=200)
    detail = forms.CharField(label=_decision_label("detail"), widget=_textarea(2), required=False)
    # Anyone holding a role in the PMS, as for every action's owner and verifier.
    owner = PersonField(label=_decision_label("owner"))
    department = DepartmentChoiceField(
        queryset=Department.objects.none(), label=_decision_label("department"), required=False,
        empty_label=_("The owner's department"),
    )
    due_date = forms.DateField(label=_decision_label("due_date"), widget=DateInput())
    verifier = PersonField(
        label=capfirst(_("verifier")), required=False,
        empty_label=_("Me (the approving executive)"),
        help_text=_("Checks the action's effectiveness; must be someone other than the owner."),
    )

    def __init__(self, *args, review: Review | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.select_related("company").order_by("company__position", "company__code",
                                                                             "code")
        if review is not None and review.company_id:
            # A company's review decides for its own departments.
            departments = departments.filter(company_id=review.company_id)
        field = self.fields["department"]
        field.queryset = departments
        if review is not None and review.company_id is None and group_has_several_companies():
            # A group review: the departments under one heading per company.
            groups: dict = {}
            for department in departments:
                groups.setdefault(department.company.name, []).append((department.pk, department.name))
            field.choices = [("", field.empty_label), *groups.items()]

    def decision(self) -> dict:
        """The cleaned data as review_approve takes it."""
        return {name: self.cleaned_data.get(name) for name in self.fields}


class BaseDecisionFormSet(forms.BaseFormSet):
    def filled_forms(self) -> list[DecisionForm]:
        """The rows the executive filled in (blank extra rows are left out)."""
        return [form for form in self.forms if form.has_changed()]


# Three rows to start with: the first must be filled in, blank ones are ignored.
DecisionFormSet = forms.formset_factory(
    DecisionForm, formset=BaseDecisionFormSet, extra=2, min_num=1, validate_min=True, max_num=30,
    validate_max=True,
)
