"""Forms of the management review pages. They only validate: the views hand the cleaned
data to audits.services (review_create, review_update, review_approve). The review's
form is a VersionedForm: an edit carries the version its page was read at.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from incidents.forms import DateInput, UserChoiceField
from incidents.models import Department
from incidents.workflow.forms import VersionedForm

from .fiscal import fiscal_year_bounds, fiscal_year_of
from .models import DecisionKind, Review, ReviewDecision
from .models.review import TEXT_INPUTS

# The inputs only people know, in the order of ISO/IEC 27001 9.3.2: (b), (c), (e), (f), (g).
REVIEW_TEXT_FIELDS = (*TEXT_INPUTS, "improvement_notes")
INPUT_LETTERS = dict(zip(REVIEW_TEXT_FIELDS, "bcefg", strict=True))


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ReviewForm(VersionedForm):
    """The period, the meeting and the inputs only people know (PMS manager, draft only)."""

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
        if not self.instance.pk and not self.is_bound:
            # By default the review of the current fiscal year.
            first, last = fiscal_year_bounds(fiscal_year_of(timezone.localdate()))
            self.initial.setdefault("period_start", first)
            self.initial.setdefault("period_end", last)
        for name, letter in INPUT_LETTERS.items():
            if name in self.fields:
                self.fields[name].label = f"({letter}) {self.fields[name].label}"

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
    owner = UserChoiceField(queryset=get_user_model().objects.none(), label=_decision_label("owner"))
    department = DepartmentChoiceField(
        queryset=Department.objects.none(), label=_decision_label("department"), required=False,
        empty_label=_("The owner's department"),
    )
    due_date = forms.DateField(label=_decision_label("due_date"), widget=DateInput())
    verifier = UserChoiceField(
        queryset=get_user_model().objects.none(), label=capfirst(_("verifier")), required=False,
        empty_label=_("Me (the approving executive)"),
        help_text=_("Checks the action's effectiveness; must be someone other than the owner."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")
        self.fields["owner"].queryset = users
        self.fields["verifier"].queryset = users
        self.fields["department"].queryset = Department.objects.order_by("code")

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
