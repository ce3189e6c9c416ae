"""Management reviews (マネジメントレビュー) and the decisions top management takes in them.

A review covers a period, usually a fiscal year. Its inputs (ISO/IEC 27001 9.3.2 a–g,
domain.md §2.4 and §3) come from the records, except the few that only people know (the
text fields below). Submitting freezes the inputs as a snapshot, so what executives approve
and what the PDF shows cannot change under them; approving records their decisions, each of
which becomes an improvement action (audits.services.review_approve).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import transition

from incidents.models import Department, StateMachineRecord
from incidents.models.reporting import date_bound_errors
from incidents.record_urls import record_url
from incidents.roles import Role, has_role, role_companies, seen_companies
from incidents.workflow import Editable, EditPolicy, TransitionSpec, condition, permission, specs
from incidents.workflow.fields import StateField
from trail.history import TrailedHistory


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", pgettext_lazy("review state", "Submitted")
    APPROVED = "approved", _("Approved")


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReviewQuerySet:
        """The review is the PMS office's and top management's document; auditors read it too.
        A company's review is read by those roles of the company, the group's by those of
        the group."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        companies = seen_companies(user)
        if companies is None:
            return self
        return self.filter(company_id__in=companies)


# The inputs only people know, with what each one answers (ISO/IEC 27001 9.3.2 and the
# older JIS Q 15001 list, which asks for law, social, technical and business changes).
TEXT_INPUTS = ("issues_changes", "interested_parties", "feedback", "risk_status")


def holds_role_for_review(user, role: str, review: Review | None) -> bool:
    """The role for the review's company; for a group review (no company), for the whole group."""
    if review is None or review.pk is None:
        return has_role(user, role)
    if review.company_id is None:
        return role_companies(user, role) is None
    return has_role(user, role, company=review.company_id)


def _prepares(review: Review, user) -> str | None:
    if holds_role_for_review(user, Role.PMS_MANAGER, review):
        return None
    return _("Only the PMS manager prepares the review.")


def _top_management(review: Review, user) -> str | None:
    if not holds_role_for_review(user, Role.EXECUTIVE, review):
        return _("Only top management may do this.")
    return None


def approval_problem(review: Review, user) -> str | None:
    """Why `user` may not approve `review` (None when they may): top management, not the submitter."""
    problem = _top_management(review, user)
    if problem:
        return problem
    if user.pk == review.submitted_by_id:
        return _("The review must be approved by someone other than the person who submitted it.")
    return None


def _text_inputs_written(review: Review) -> str | None:
    missing = [str(review._meta.get_field(name).verbose_name) for name in TEXT_INPUTS
               if not getattr(review, name).strip()]
    if missing:
        return _("Write these inputs (write “none” where there is nothing to report): %(inputs)s.") % {
            "inputs": " / ".join(missing)
        }
    return None


def _has_conclusion(review: Review) -> str | None:
    return None if review.conclusion.strip() else _("Write top management's conclusion.")


def _has_decisions(review: Review) -> str | None:
    return None if review.decisions.exists() else _("Record at least one decision.")


def _still_draft(review: Review) -> str | None:
    if review.state == ReviewState.DRAFT:
        return None
    return _("Only a draft review can be edited: ask top management to return it for revision.")


REVIEW_TRANSITIONS = specs(
    TransitionSpec("submit", _("Submit to top management")),
    TransitionSpec("return_for_revision", _("Return for revision"), comment_required=True, danger=True),
    # Its decisions come with it: take it through review_approve.
    TransitionSpec("approve", _("Approve with decisions"), ("conclusion", "held_on", "attendees"),
                   required=("conclusion",)),
)

REVIEW_FIELDS = ("company", "period_start", "period_end", "held_on", "attendees", *TEXT_INPUTS, "improvement_notes")


class Review(StateMachineRecord):
    transition_specs = REVIEW_TRANSITIONS
    # The PMS manager writes the draft; the conclusion is top management's, with the approval.
    edit_policy = EditPolicy(
        Editable(REVIEW_FIELDS, who=_prepares),
        editable=_still_draft,
        by_transition={"conclusion": REVIEW_TRANSITIONS["approve"].label},
    )
    system_trail_labels = {"prepare": _("Review prepared")}

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    # The company reviewed; none for a review of the whole group.
    company = models.ForeignKey(
        "incidents.Company", verbose_name=_("company"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="reviews", help_text=_("Empty for a review of the whole group."),
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    held_on = models.DateField(_("meeting date"), null=True, blank=True)
    attendees = models.TextField(_("attendees"), blank=True)
    # (b) and the JIS list's law, social, technical and business changes
    issues_changes = models.TextField(
        _("changes in internal and external issues"), blank=True,
        help_text=_("Law and guideline changes, changes in society, technology and the business."),
    )
    # (c)
    interested_parties = models.TextField(
        _("changes in interested parties' needs"), blank=True,
        help_text=_("Data subjects, customers, entrusting businesses, the PrivacyMark body, regulators."),
    )
    # (e)
    feedback = models.TextField(
        _("feedback from interested parties"), blank=True,
        help_text=_("Complaints and enquiries, disclosure requests, opinions from outside."),
    )
    # (f)
    risk_status = models.TextField(
        _("risk assessment and treatment"), blank=True,
        help_text=_("Results of the risk assessment and the status of the treatment plan."),
    )
    # (g), besides the findings graded as opportunities for improvement
    improvement_notes = models.TextField(_("other opportunities for improvement"), blank=True)
    conclusion = models.TextField(
        _("top management's conclusion"), blank=True,
        help_text=_("Is the management system still suitable, adequate and effective?"),
    )
    snapshot = models.JSONField(_("inputs as submitted"), null=True, blank=True, editable=False)
    state = StateField(_("state"), default=ReviewState.DRAFT, choices=ReviewState.choices, protected=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("prepared by"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+", editable=False,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+", editable=False,
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ReviewQuerySet.as_manager()
    history = TrailedHistory(excluded_fields=["snapshot"])

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name = _("management review")
        verbose_name_plural = _("management reviews")
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="review_period_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return record_url("review_detail", self.pk)

    def announce_transition(self, name: str, *, by) -> None:
        """Submitted: top management approves it."""
        if name == "submit":
            from ..events import review_submitted

            review_submitted(self, by=by)

    # A review looks back over a year, two at the most (a first review after a long gap);
    # a period of centuries is a typing mistake, and its figures could not be computed.
    LONGEST_PERIOD = dt.timedelta(days=2 * 366)

    def clean(self) -> None:
        errors = date_bound_errors(self, "period_start", "period_end", "held_on")
        if errors:
            raise ValidationError(errors)
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The period cannot end before it starts.")})
        if self.period_start and self.period_end and self.period_end - self.period_start > self.LONGEST_PERIOD:
            raise ValidationError({"period_end": _("A review covers two years at the most.")})

    @property
    def is_draft(self) -> bool:
        return self.state == ReviewState.DRAFT

    def inputs(self) -> dict:
        """What the review reads: the frozen snapshot once submitted, the records while a draft."""
        if self.snapshot is not None:
            return self.snapshot
        from ..review_inputs import assemble

        return assemble(self)

    @transition(field=state, source=ReviewState.DRAFT, target=ReviewState.SUBMITTED,
                conditions=[condition(_text_inputs_written)], permission=permission(_prepares))
    def submit(self, by=None, description=None):
        """Freeze the inputs and hand the review to top management."""
        from ..review_inputs import assemble

        self.snapshot = assemble(self)
        self.submitted_by = by
        self.submitted_at = timezone.now()

    @transition(field=state, source=ReviewState.SUBMITTED, target=ReviewState.DRAFT,
                permission=permission(_top_management))
    def return_for_revision(self, by=None, description=None):
        """Back to the PMS manager (with the reason); the inputs follow the records again."""
        self.snapshot = None
        self.submitted_by = None
        self.submitted_at = None

    @transition(field=state, source=ReviewState.SUBMITTED, target=ReviewState.APPROVED,
                conditions=[condition(_has_conclusion), condition(_has_decisions)],
                permission=permission(approval_problem))
    def approve(self, by=None, description=None):
        """Top management approves the review with its decisions."""
        self.approved_by = by
        self.approved_at = timezone.now()


class DecisionKind(models.TextChoices):
    """The outputs ISO/IEC 27001 9.3.3 asks for; JIS Q 15001 adds resources."""

    IMPROVEMENT = "improvement", _("Improvement")
    SYSTEM_CHANGE = "system_change", _("Change to the management system")
    RESOURCES = "resources", _("Resources")


def _top_management_may_decide(decision, user) -> str | None:
    review = decision.review if decision is not None and decision.review_id else None
    return None if holds_role_for_review(user, Role.EXECUTIVE, review) else _("Only top management may do this.")


def _decided_with_the_approval(decision) -> str | None:
    return _("A decision is recorded with the approval and not edited afterwards; its action carries the work.")


class ReviewDecision(models.Model):
    # Written once, by review_approve; the work goes on in its improvement action.
    edit_policy = EditPolicy(
        Editable(("kind", "title", "detail", "owner", "department", "due_date"), who=_top_management_may_decide),
        editable=_decided_with_the_approval,
    )

    review = models.ForeignKey(Review, verbose_name=_("management review"), on_delete=models.CASCADE,
                               related_name="decisions")
    position = models.PositiveSmallIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=20, choices=DecisionKind.choices,
                            default=DecisionKind.IMPROVEMENT)
    title = models.CharField(_("decision"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                              related_name="+")
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="+")
    due_date = models.DateField(_("due date"))
    action = models.OneToOneField(
        "incidents.Action", verbose_name=_("improvement action"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="review_decision", editable=False,
    )

    history = TrailedHistory()

    class Meta:
        ordering = ["review", "position"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [models.UniqueConstraint(fields=["review", "position"], name="one_decision_per_number")]

    def __str__(self) -> str:
        return f"{self.review.reference}-{self.position} {self.title}"

    def clean(self) -> None:
        errors = date_bound_errors(self, "due_date")
        if errors:
            raise ValidationError(errors)
