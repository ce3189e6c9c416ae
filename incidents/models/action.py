"""Actions (CAPA): corrections, corrective, preventive and improvement actions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import transition

from incidents.workflow.fields import StateField
from trail.history import TrailedHistory

from ..record_urls import record_url
from ..roles import Role, has_role, seen_companies
from ..workflow import Editable, EditPolicy, TransitionSpec, condition, permission, specs
from .base import StateMachineRecord
from .organisation import Department, headed_department_ids


def implementers_of(action_ids) -> set[int]:
    """Everyone who implemented these actions, in any round (from ActionRound, not the trail).

    An action found ineffective and implemented again keeps the implementers of both rounds.
    """
    action_ids = list(action_ids)
    if not action_ids:
        return set()
    return set(
        ActionRound.objects.filter(action_id__in=action_ids, implemented_by__isnull=False)
        .values_list("implemented_by_id", flat=True)
    )


class ActionKind(models.TextChoices):
    CORRECTION = "correction", _("Correction")
    CORRECTIVE = "corrective", _("Corrective action")
    PREVENTIVE = "preventive", _("Preventive action")
    IMPROVEMENT = "improvement", _("Improvement")


class ActionState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    IMPLEMENTED = "implemented", _("Implemented")
    EFFECTIVE = "effective", _("Verified effective")
    CANCELLED = "cancelled", _("Cancelled")


def _incident_company_id(incident_id: int) -> int | None:
    from .incident import Incident

    return Incident.objects.filter(pk=incident_id).values_list("company_id", flat=True).first()


# The states in which an action's owner still has work to do (and can be late with it).
ACTION_WORK_STATES = (ActionState.PLANNED, ActionState.IN_PROGRESS)


class ActionQuerySet(models.QuerySet):
    def visible_to(self, user) -> ActionQuerySet:
        """Owners and verifiers see their actions; department heads their departments'."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        companies = seen_companies(user)  # the PMS roles: every action of their companies
        if companies is None:
            return self
        visible = Q(owner=user) | Q(verifier=user) | Q(company_id__in=companies)
        departments = headed_department_ids(user)
        if departments:
            visible |= Q(department_id__in=departments)
        return self.filter(visible)

    def open(self) -> ActionQuerySet:
        return self.exclude(state__in=[ActionState.EFFECTIVE, ActionState.CANCELLED])

    def overdue(self) -> ActionQuerySet:
        """Not yet implemented and past the due date (Asia/Tokyo)."""
        return self.filter(state__in=ACTION_WORK_STATES, due_date__lt=timezone.localdate())


def _owner_or_manager(action: Action, user) -> str | None:
    if user.pk == action.owner_id or has_role(user, Role.PMS_MANAGER, company=action.company_id):
        return None
    return _("Only the action's owner or the PMS manager may do this.")


def _independent_verifier(action: Action, user) -> str | None:
    if user.pk != action.verifier_id:
        return _("Only the action's verifier may check its effectiveness.")
    if user.pk == action.owner_id or user.pk in action.implementer_ids():
        return _("The effectiveness check must be done by someone who did not implement the action.")
    return None


def _manager_only(action: Action, user) -> str | None:
    if has_role(user, Role.PMS_MANAGER, company=action.company_id):
        return None
    return _("Only the PMS manager may do this.")


def _has_implementation_note(action: Action) -> str | None:
    return None if action.implementation_note.strip() else _("Describe what was done.")


def _has_effectiveness_note(action: Action) -> str | None:
    return None if action.effectiveness_note.strip() else _("Record the evidence of the effectiveness check.")


def _has_cancel_reason(action: Action) -> str | None:
    return None if action.cancel_reason.strip() else _("Give the reason for cancelling the action.")


def _plans_actions(action: Action | None, user) -> str | None:
    """The PMS manager (of the action's company), or the head of the action's department
    (of some department, for a new one)."""
    company = action.company_id if action is not None and action.pk else None
    if has_role(user, Role.PMS_MANAGER, company=company):
        return None
    departments = headed_department_ids(user)
    if action is None or action.department_id is None:
        return None if departments else _("Only the PMS manager or the department's head may plan actions.")
    if action.department_id in departments:
        return None
    return _("Only the PMS manager or the department's head may change an action.")


def _action_open(action: Action) -> str | None:
    return None if action.is_open else _("This record is closed and can no longer be edited.")


ACTION_TRANSITIONS = specs(
    TransitionSpec("start", _("Start work")),
    TransitionSpec("implement", _("Mark implemented"), ("implementation_note",), required=("implementation_note",)),
    TransitionSpec("verify_effective", _("Verified effective"), ("effectiveness_note",),
                   required=("effectiveness_note",)),
    TransitionSpec("verify_ineffective", _("Not effective: back to work"), ("effectiveness_note",), danger=True,
                   required=("effectiveness_note",)),
    TransitionSpec("cancel", pgettext_lazy("action transition", "Cancel"), ("cancel_reason",), danger=True,
                   required=("cancel_reason",)),
)

# The plan of an action; what was done and whether it worked are written by its steps.
ACTION_PLAN_FIELDS = ("kind", "title", "description", "incident", "department", "owner", "verifier", "due_date")


class Action(StateMachineRecord):
    transition_specs = ACTION_TRANSITIONS
    edit_policy = EditPolicy(
        Editable(ACTION_PLAN_FIELDS, who=_plans_actions),
        editable=_action_open,
        by_transition={
            "implementation_note": ACTION_TRANSITIONS["implement"].label,
            "effectiveness_note": ACTION_TRANSITIONS["verify_effective"].label,
            "cancel_reason": ACTION_TRANSITIONS["cancel"].label,
        },
    )
    system_trail_labels = {"create": _("Action planned")}

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=ActionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", verbose_name=_("incident"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="actions",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="actions"
    )
    # Its incident's company, else its department's (set on save): whose PMS office runs it.
    company = models.ForeignKey(
        "incidents.Company", verbose_name=_("company"), on_delete=models.PROTECT, editable=False,
        related_name="actions",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="owned_actions"
    )
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("verifier"), on_delete=models.PROTECT,
        related_name="verified_actions",
    )
    due_date = models.DateField(_("due date"))
    implementation_note = models.TextField(_("what was done"), blank=True)
    effectiveness_note = models.TextField(_("effectiveness check"), blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
        related_name="created_actions",
    )
    state = StateField(_("state"), default=ActionState.PLANNED, choices=ActionState.choices, protected=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    implemented_at = models.DateTimeField(_("implemented at"), null=True, blank=True, editable=False)
    # Who did the current round's work and who verified it effective, written by the steps.
    # Every round, the earlier ones included, is in `rounds` (ActionRound).
    implemented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("implemented by"), on_delete=models.PROTECT, null=True,
        blank=True, editable=False, related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, editable=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("verified by"), on_delete=models.PROTECT, null=True,
        blank=True, editable=False, related_name="+",
    )

    objects = ActionQuerySet.as_manager()
    history = TrailedHistory()

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        indexes = [
            # The list's order, and the overdue ones (due before today) first (bench/query_plans.md).
            models.Index(fields=["due_date", "id"], name="action_due"),
            # The list filtered by state, in that order.
            models.Index(fields=["state", "due_date", "id"], name="action_state_due"),
            # Everyone's to-do page: their own open actions, the nearest due first, and the
            # counts of those overdue and due this week (bench/query_plans.md).
            models.Index(fields=["owner", "state", "due_date"], name="action_owner_state_due"),
            # The to-do page's actions to verify: the verifier's implemented ones, the nearest
            # due first, and their count (bench/query_plans.md).
            models.Index(fields=["verifier", "state", "due_date"], name="action_verifier_state_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(owner=models.F("verifier")), name="action_verifier_is_not_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return record_url("action_detail", self.pk)

    def announce_transition(self, name: str, *, by) -> None:
        """Implemented: the verifier checks its effectiveness (each time it is implemented)."""
        if name == "implement":
            from ..events import action_to_verify

            action_to_verify(self, by=by)

    def save(self, *args, **kwargs) -> None:
        company = self._company()
        if company is not None and company != self.company_id:
            self.company_id = company
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "company"}
        super().save(*args, **kwargs)

    def _company(self) -> int | None:
        if self.incident_id:
            return _incident_company_id(self.incident_id)
        if self.department_id:
            return Department.objects.filter(pk=self.department_id).values_list("company_id", flat=True).first()
        return None

    def clean(self) -> None:
        from .reporting import date_bound_errors

        errors = date_bound_errors(self, "due_date")  # the web form and the admin too, not only the API
        if self.owner_id and self.owner_id == self.verifier_id:
            errors["verifier"] = _("The verifier must be someone other than the owner.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.state not in (ActionState.EFFECTIVE, ActionState.CANCELLED)

    @property
    def is_overdue(self) -> bool:
        """The same rule as ActionQuerySet.overdue(), for one action in hand."""
        return self.state in ACTION_WORK_STATES and self.due_date < timezone.localdate()

    def implementer_ids(self) -> set[int]:
        """The owner and whoever implemented any round of the action: none of them checks it."""
        return {self.owner_id} | implementers_of([self.pk])

    def implementation_rounds(self):
        """The rounds of work and effectiveness checks, first first, with their people."""
        return self.rounds.select_related("implemented_by", "checked_by").order_by("number")

    def _open_round(self, by, when) -> ActionRound:
        """A new round: `by` implemented the action at `when` (the action's row is locked by the service)."""
        last = self.rounds.order_by("-number").values_list("number", flat=True).first() or 0
        work = ActionRound(action=self, number=last + 1, implemented_by=by, implemented_at=when,
                           implementation_note=self.implementation_note)
        work._history_user = by
        work.save()
        return work

    def _close_round(self, by, when, outcome: str) -> None:
        """The effectiveness check of the round under way: who checked, when, what they found."""
        work = self.rounds.filter(outcome__isnull=True).order_by("-number").first()
        if work is None:  # implemented before rounds were kept, and not recovered from the trail
            work = self._open_round(self.implemented_by, self.implemented_at)
        work.checked_by, work.checked_at, work.outcome = by, when, outcome
        work.check_note = self.effectiveness_note
        work._history_user = by
        work.save(update_fields=["checked_by", "checked_at", "outcome", "check_note"])

    @transition(field=state, source=ActionState.PLANNED, target=ActionState.IN_PROGRESS,
                permission=permission(_owner_or_manager))
    def start(self, by=None, description=None):
        """Work on the action has begun."""

    @transition(field=state, source=ActionState.IN_PROGRESS, target=ActionState.IMPLEMENTED,
                conditions=[condition(_has_implementation_note)], permission=permission(_owner_or_manager))
    def implement(self, by=None, description=None):
        """The action is carried out; its effectiveness is still to be checked."""
        self.implemented_at = timezone.now()
        self.implemented_by = by
        self._open_round(by, self.implemented_at)

    @transition(field=state, source=ActionState.IMPLEMENTED, target=ActionState.EFFECTIVE,
                conditions=[condition(_has_effectiveness_note)], permission=permission(_independent_verifier))
    def verify_effective(self, by=None, description=None):
        """The verifier confirmed that the action removed the cause."""
        self.verified_at = timezone.now()
        self.verified_by = by
        self._close_round(by, self.verified_at, RoundOutcome.EFFECTIVE)

    @transition(field=state, source=ActionState.IMPLEMENTED, target=ActionState.IN_PROGRESS,
                conditions=[condition(_has_effectiveness_note)], permission=permission(_independent_verifier))
    def verify_ineffective(self, by=None, description=None):
        """The action did not work: it goes back to its owner (its round stays on record)."""
        self._close_round(by, timezone.now(), RoundOutcome.INEFFECTIVE)
        self.implemented_at = None
        self.implemented_by = None

    @transition(field=state, source=[ActionState.PLANNED, ActionState.IN_PROGRESS], target=ActionState.CANCELLED,
                conditions=[condition(_has_cancel_reason)], permission=permission(_manager_only))
    def cancel(self, by=None, description=None):
        """Dropped, with a reason (for example superseded by another action)."""


class RoundOutcome(models.TextChoices):
    EFFECTIVE = "effective", _("Effective")
    INEFFECTIVE = "ineffective", _("Not effective")


class ActionRound(models.Model):
    """One round of work on an action and the effectiveness check that followed it.

    `implement` opens a round (who, when, what was done); `verify_effective` or
    `verify_ineffective` closes it (who checked, when, what they found). An action found
    ineffective is implemented again in a new round, so every implementer stays on record.
    The steps write these rows in the transaction that saves the step; separation of duties
    reads them (`implementers_of`), never the trail, so it holds whatever becomes of the
    people's names or accounts.
    """

    action = models.ForeignKey(Action, verbose_name=_("action"), on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("round"))
    implemented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("implemented by"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )
    implemented_at = models.DateTimeField(_("implemented at"), null=True, blank=True)
    implementation_note = models.TextField(_("what was done"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    check_note = models.TextField(_("effectiveness check"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=RoundOutcome.choices, null=True, blank=True)

    history = TrailedHistory()

    class Meta:
        ordering = ["action_id", "number"]
        verbose_name = _("implementation round")
        verbose_name_plural = _("implementation rounds")
        constraints = [
            models.UniqueConstraint(fields=["action", "number"], name="action_round_number_unique"),
            models.UniqueConstraint(fields=["action"], condition=Q(outcome__isnull=True),
                                    name="action_round_one_under_way"),
            models.CheckConstraint(condition=Q(outcome__isnull=True) | Q(checked_at__isnull=False),
                                   name="action_round_outcome_is_dated"),
            models.CheckConstraint(condition=~Q(checked_by=models.F("implemented_by")),
                                   name="action_round_checker_did_not_implement"),
        ]

    def __str__(self) -> str:
        return f"{self.action.reference} ({self.number})"
