"""Audit findings and their way through corrective action to a verified close."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import transition

from incidents.models import (
    Action,
    ActionKind,
    ActionState,
    Department,
    StateMachineRecord,
    department_of,
    headed_department_ids,
    implementers_of,
    person_name,
)
from incidents.models.reporting import date_bound_errors
from incidents.record_urls import record_url
from incidents.roles import Role, has_role, seen_companies
from incidents.workflow import Editable, EditPolicy, TransitionSpec, condition, permission, specs
from incidents.workflow.fields import StateField
from trail.history import TrailedHistory


class Grade(models.TextChoices):
    MAJOR = "major", _("Major nonconformity")
    MINOR = "minor", _("Minor nonconformity")
    OBSERVATION = "observation", _("Observation")
    OPPORTUNITY = "opportunity", _("Opportunity for improvement")


NONCONFORMITIES = (Grade.MAJOR, Grade.MINOR)


class FindingState(models.TextChoices):
    OPEN = "open", _("Open")
    RESPONDED = "responded", _("Responded")
    ACCEPTED = "accepted", _("Plan accepted")
    VERIFYING = "verifying", pgettext_lazy("finding state", "Verifying")
    CLOSED = "closed", _("Closed")


class FindingQuerySet(models.QuerySet):
    def visible_to(self, user) -> FindingQuerySet:
        """The PMS roles see every finding; department heads their departments'; the audit team its own."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        companies = seen_companies(user)  # the PMS roles: every finding of their companies
        if companies is None:
            return self
        visible = Q(audit__lead_auditor=user) | Q(audit__auditors=user) | Q(company_id__in=companies)
        departments = headed_department_ids(user)
        if departments:
            visible |= Q(department_id__in=departments)
        return self.filter(pk__in=self.filter(visible).values("pk"))

    def open(self) -> FindingQuerySet:
        return self.exclude(state=FindingState.CLOSED)

    def readable_for_work(self, user) -> FindingQuerySet:
        """What visible_to shows, and the findings whose actions `user` owns or verifies (issue 14,
        item 5): the person fixing a nonconformity, or checking the fix, reads what it is about.

        Only to read, and only the finding itself (its description, clause, cause, plan and
        actions): the finding's page shows such a reader no edit, no step, no trail, files
        or related incidents, and nothing of the rest of the audit. Everything else (lists,
        the API, the audit's page, the transitions) keeps to visible_to.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        works_on = Action.objects.filter(Q(owner=user) | Q(verifier=user), findings=OuterRef("pk"))
        return self.filter(Q(pk__in=self.visible_to(user).values("pk")) | Exists(works_on))

    def awaiting_response_from(self, user) -> FindingQuerySet:
        return self.filter(state=FindingState.OPEN, department_id__in=headed_department_ids(user))

    # Response deadlines (回答期限). "Answered" is leaving the open state: the response
    # (or a close without one); a rejected response is open, and due, again.

    def response_overdue(self, today: dt.date | None = None) -> FindingQuerySet:
        """Open findings whose response was due before `today` (Asia/Tokyo)."""
        today = today or timezone.localdate()
        return self.filter(state=FindingState.OPEN, response_due__lt=today)

    def response_due_soon(self, today: dt.date | None = None, days: int = 3) -> FindingQuerySet:
        """Open findings whose response is due from `today` to `days` days later, both included."""
        today = today or timezone.localdate()
        return self.filter(state=FindingState.OPEN, response_due__gte=today,
                           response_due__lte=today + dt.timedelta(days=days))


def _person(user) -> str:
    return person_name(user) or user.get_username()


def _heads_the_department(finding: Finding, user) -> str | None:
    if finding.department_id in headed_department_ids(user):
        return None
    return _("Only the head of the audited department may answer the finding.")


def _audits(finding: Finding, user) -> str | None:
    team = {finding.audit.lead_auditor_id, *finding.audit.auditors.values_list("pk", flat=True)}
    if user.pk in team or has_role(user, Role.AUDIT_LEAD, company=finding.company_id):
        return None
    return _("Only the audit team or the audit lead may judge the response.")


def _verifies_independently(finding: Finding, user) -> str | None:
    """Who closes a finding: an internal auditor independent of the audited department (neither
    a member nor its head) who neither responded to the finding nor implemented its actions."""
    if not has_role(user, Role.AUDITOR, Role.AUDIT_LEAD):
        return _("Only an internal auditor may verify and close a finding.")
    if finding.responded_by_id == user.pk:
        return _("The finding must be verified by an auditor other than the person who responded to it.")
    if user.pk in finding.implementer_ids():
        return _("The finding must be verified by someone who did not implement its actions.")
    names = {"person": _person(user), "department": finding.department.name}
    own = department_of(user)
    if own is not None and own.pk == finding.department_id:
        return _("%(person)s belongs to %(department)s, the audited department: the finding must be verified "
                 "by an auditor independent of it.") % names
    if finding.department.head_id == user.pk or finding.department_id in headed_department_ids(user):
        return _("%(person)s heads %(department)s, the audited department: the finding must be verified by an "
                 "auditor independent of it.") % names
    return None


def _has_response(finding: Finding) -> str | None:
    missing = [str(label) for label, value in ((_("the cause"), finding.cause), (_("the plan"), finding.plan))
               if not value.strip()]
    return _("Write %(missing)s.") % {"missing": " / ".join(missing)} if missing else None


# JIS Q 15001:2023 10.2 and ISO/IEC 27001:2022 10.2: a nonconformity is answered by a
# corrective action (是正処置) that removes its cause, not only by a correction (修正) of the
# nonconformity itself. A nonconformity is therefore responded to, accepted, submitted for
# verification and closed only with at least one live (not cancelled) corrective action;
# corrections, preventive actions and improvements may come with it but do not count.
# Observations and opportunities for improvement may close without any action.


def _nonconformity_has_corrective_action(finding: Finding) -> str | None:
    if finding.grade not in NONCONFORMITIES or finding.live_actions().filter(kind=ActionKind.CORRECTIVE).exists():
        return None
    if finding.live_actions().exists():
        return _("A nonconformity needs at least one corrective action against its cause (JIS Q 15001 10.2); "
                 "its other actions, such as a correction, do not count.")
    return _("A nonconformity needs at least one corrective action.")


def _actions_implemented(finding: Finding) -> str | None:
    refs = list(finding.live_actions().filter(state__in=[ActionState.PLANNED, ActionState.IN_PROGRESS])
                .values_list("reference", flat=True))
    return _("These actions are not implemented yet: %(refs)s.") % {"refs": ", ".join(refs)} if refs else None


def _ready_to_close(finding: Finding) -> str | None:
    if finding.grade not in NONCONFORMITIES:
        return None  # observations and opportunities may close without actions (§5.4)
    if finding.state != FindingState.VERIFYING:
        return _("A nonconformity closes only after its actions have been submitted for verification.")
    problem = _nonconformity_has_corrective_action(finding)
    if problem:
        return problem
    refs = list(finding.live_actions().exclude(state=ActionState.EFFECTIVE).values_list("reference", flat=True))
    if refs:
        return _("These actions have not been verified effective: %(refs)s.") % {"refs": ", ".join(refs)}
    return None


def _finding_open(finding: Finding) -> str | None:
    return None if finding.state != FindingState.CLOSED else _("This record is closed and can no longer be edited.")


def _before_response(finding: Finding) -> str | None:
    if finding.state == FindingState.OPEN:
        return None
    return _("The finding can be reworded only until the department responds.")


def _before_acceptance(finding: Finding) -> str | None:
    if finding.state in (FindingState.OPEN, FindingState.RESPONDED):
        return None
    return _("The cause and the plan can be changed only until the audit team accepts them.")


def _raises_findings(finding: Finding | None, user) -> str | None:
    company = finding.audit.company_id if finding is not None and finding.audit_id else None
    if has_role(user, Role.AUDIT_LEAD, company=company):
        return None
    if finding is not None and finding.audit_id and user.pk in {
        finding.audit.lead_auditor_id, *finding.audit.auditors.values_list("pk", flat=True)
    }:
        return None
    return _("Only the audit team raises and rewords findings.")


FINDING_TRANSITIONS = specs(
    TransitionSpec("respond", _("Respond with cause and plan"), ("cause", "plan"), required=("cause", "plan")),
    TransitionSpec("accept", _("Accept the response")),
    TransitionSpec("reject", _("Reject the response"), comment_required=True, danger=True),
    TransitionSpec("submit_for_verification", _("Submit for verification")),
    TransitionSpec("close", _("Verify and close")),
)


class Finding(StateMachineRecord):
    transition_specs = FINDING_TRANSITIONS
    # The audit team words the finding, and may move its response deadline, until the
    # department responds; the department's head drafts and refines the cause and the plan
    # until the team accepts them.
    edit_policy = EditPolicy(
        Editable(("requirement", "department", "grade", "description", "evidence", "response_due"),
                 who=_raises_findings, when=_before_response),
        Editable(("cause", "plan"), who=_heads_the_department, when=_before_acceptance, on_create=False),
        editable=_finding_open,
    )
    system_trail_labels = {"raise": _("Finding raised")}

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    audit = models.ForeignKey("audits.Audit", verbose_name=_("audit"), on_delete=models.PROTECT,
                              related_name="findings")
    checklist_item = models.OneToOneField(
        "audits.ChecklistItem", verbose_name=_("checklist item"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="finding",
    )
    requirement = models.ForeignKey("audits.Requirement", verbose_name=_("clause"), on_delete=models.PROTECT,
                                    related_name="findings")
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="findings")
    # Its audit's company (set on save).
    company = models.ForeignKey("incidents.Company", verbose_name=_("company"), on_delete=models.PROTECT,
                                editable=False, related_name="findings")
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)
    description = models.TextField(_("description"))
    evidence = models.TextField(_("evidence"), blank=True)
    incidents = models.ManyToManyField("incidents.Incident", verbose_name=_("related incidents"), blank=True,
                                       related_name="findings")
    actions = models.ManyToManyField("incidents.Action", verbose_name=_("actions"), blank=True,
                                     related_name="findings")
    cause = models.TextField(_("cause"), blank=True)
    plan = models.TextField(_("plan"), blank=True)
    # Set from the grade when the finding is raised (FindingResponsePolicy); empty when no
    # answer is asked for (an opportunity for improvement, by default).
    response_due = models.DateField(
        _("response due"), null=True, blank=True,
        help_text=_("The date by which the audited department answers with the cause and the plan (回答期限). "
                    "Empty: no answer is required."),
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responded by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", editable=False,
    )
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True, editable=False)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("raised by"),
                                  on_delete=models.PROTECT, related_name="+")
    state = StateField(_("state"), default=FindingState.OPEN, choices=FindingState.choices, protected=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    objects = FindingQuerySet.as_manager()
    history = TrailedHistory()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [
            # The list's order, and the list filtered by state in that order (bench/query_plans.md).
            models.Index(fields=["-created_at", "-id"], name="finding_created"),
            models.Index(fields=["state", "-created_at", "-id"], name="finding_state_created"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_grade_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.audit_id and self.company_id is None:
            from .audit import Audit

            self.company_id = Audit.objects.filter(pk=self.audit_id).values_list("company_id", flat=True).first()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return record_url("finding_detail", self.pk)

    def announce_transition(self, name: str, *, by) -> None:
        """The audit team judges a response and verifies; the head answers again after a rejection."""
        from ..events import finding_transition

        finding_transition(self, name, by=by)

    def clean(self) -> None:
        errors = date_bound_errors(self, "response_due")
        raised_on = timezone.localdate(self.created_at) if self.created_at else timezone.localdate()
        if not errors and self.response_due is not None and self.response_due < raised_on:
            errors["response_due"] = _("The response cannot be due before the day the finding was raised.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_nonconformity(self) -> bool:
        return self.grade in NONCONFORMITIES

    @property
    def answered_on(self) -> dt.date | None:
        """The day the finding left the open state (responded, or closed without a response)."""
        if self.state == FindingState.OPEN:
            return None
        moment = self.responded_at or self.closed_at
        return timezone.localdate(moment) if moment else None

    @property
    def response_overdue(self) -> bool:
        """Still open after the day its response was due (Asia/Tokyo)."""
        return (self.state == FindingState.OPEN and self.response_due is not None
                and self.response_due < timezone.localdate())

    @property
    def responded_late(self) -> bool:
        """Answered, but after the day its response was due."""
        answered = self.answered_on
        return answered is not None and self.response_due is not None and answered > self.response_due

    def live_actions(self):
        return self.actions.exclude(state=ActionState.CANCELLED)

    def implementer_ids(self) -> set[int]:
        """Owners of the finding's live actions and whoever implemented them, in any round."""
        actions = list(self.live_actions().values_list("pk", "owner_id"))
        return {owner for _pk, owner in actions} | implementers_of([pk for pk, _owner in actions])

    @transition(field=state, source=FindingState.OPEN, target=FindingState.RESPONDED,
                conditions=[condition(_has_response), condition(_nonconformity_has_corrective_action)],
                permission=permission(_heads_the_department))
    def respond(self, by=None, description=None):
        """The department head gives the cause and the plan (with corrective actions)."""
        self.responded_by = by
        self.responded_at = timezone.now()

    @transition(field=state, source=FindingState.RESPONDED, target=FindingState.OPEN,
                permission=permission(_audits))
    def reject(self, by=None, description=None):
        """The response does not answer the finding: back to the department (with the reason)."""

    @transition(field=state, source=FindingState.RESPONDED, target=FindingState.ACCEPTED,
                conditions=[condition(_nonconformity_has_corrective_action)], permission=permission(_audits))
    def accept(self, by=None, description=None):
        """The auditor accepts the cause and the plan."""

    @transition(field=state, source=FindingState.ACCEPTED, target=FindingState.VERIFYING,
                conditions=[condition(_nonconformity_has_corrective_action), condition(_actions_implemented)],
                permission=permission(_heads_the_department))
    def submit_for_verification(self, by=None, description=None):
        """The actions are implemented: an auditor may now verify them."""

    @transition(field=state,
                source=[FindingState.OPEN, FindingState.RESPONDED, FindingState.ACCEPTED, FindingState.VERIFYING],
                target=FindingState.CLOSED,
                conditions=[condition(_ready_to_close)], permission=permission(_verifies_independently))
    def close(self, by=None, description=None):
        """Verified closed (an observation or opportunity may close without actions)."""
        self.closed_at = timezone.now()


# ---------------------------------------------------------------------------
# Response deadlines (回答期限) by grade


# What the department is given to answer a finding when nobody has set a policy in the admin:
# the usual practice of a PMS audit (a major nonconformity within two weeks, a minor one
# within a month); an observation is to be considered, not corrected (domain.md §5.4), so it
# gets longer; an opportunity for improvement asks for no answer at all.
DEFAULT_RESPONSE_DAYS: dict[str, int | None] = {
    Grade.MAJOR: 14, Grade.MINOR: 30, Grade.OBSERVATION: 60, Grade.OPPORTUNITY: None,
}


class FindingResponsePolicy(models.Model):
    """How many days a department has to answer a finding of each grade.

    Data, not code or settings: the PMS office (or the audit lead) changes it in the admin
    without a deploy, like the other reference data, and each change goes on the trail. One
    row for the whole group (no company), and optionally one per group company, which then
    replaces the group's for that company's findings. The days count from the day the finding
    is raised; a grade left empty asks for no answer (no deadline). Changing the policy
    does not move the deadlines of findings already raised: the auditor moves one by
    editing the finding.
    """

    company = models.ForeignKey(
        "incidents.Company", verbose_name=_("company"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", help_text=_("Empty: the whole group's policy, for every company without its own."),
    )
    major_days = models.PositiveSmallIntegerField(
        _("major nonconformity (days)"), null=True, blank=True, default=DEFAULT_RESPONSE_DAYS[Grade.MAJOR],
        help_text=_("Days from the day the finding is raised; empty: no answer required."),
    )
    minor_days = models.PositiveSmallIntegerField(
        _("minor nonconformity (days)"), null=True, blank=True, default=DEFAULT_RESPONSE_DAYS[Grade.MINOR],
        help_text=_("Days from the day the finding is raised; empty: no answer required."),
    )
    observation_days = models.PositiveSmallIntegerField(
        _("observation (days)"), null=True, blank=True, default=DEFAULT_RESPONSE_DAYS[Grade.OBSERVATION],
        help_text=_("Days from the day the finding is raised; empty: no answer required."),
    )
    opportunity_days = models.PositiveSmallIntegerField(
        _("opportunity for improvement (days)"), null=True, blank=True,
        default=DEFAULT_RESPONSE_DAYS[Grade.OPPORTUNITY],
        help_text=_("Days from the day the finding is raised; empty: no answer required."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = TrailedHistory()

    class Meta:
        ordering = ["company__position", "company__code"]
        verbose_name = _("finding response deadlines")
        verbose_name_plural = _("finding response deadlines")
        constraints = [
            # One row per company and one for the group (NULL counts as a value here).
            models.UniqueConstraint(
                Coalesce("company", 0, output_field=models.IntegerField()), name="one_response_policy_per_company",
                violation_error_message=_("There is already a policy for this company (or for the whole group)."),
            ),
        ]

    def __str__(self) -> str:
        if self.company_id is None:
            return str(_("Response deadlines of the whole group"))
        return str(_("Response deadlines of %(company)s") % {"company": self.company.name})

    def days_for(self, grade: str) -> int | None:
        return getattr(self, f"{grade}_days", None)

    @classmethod
    def for_company(cls, company_id: int | None) -> FindingResponsePolicy | None:
        """The company's own policy, else the group's, else None (the built-in defaults)."""
        rows = {row.company_id: row for row in cls.objects.filter(Q(company_id=company_id) | Q(company__isnull=True))}
        return rows.get(company_id) or rows.get(None)


def default_response_due(grade: str, company_id: int | None, raised_on: dt.date) -> dt.date | None:
    """The day a finding of `grade` raised on `raised_on` is to be answered by, or None."""
    policy = FindingResponsePolicy.for_company(company_id)
    days = policy.days_for(grade) if policy is not None else DEFAULT_RESPONSE_DAYS.get(grade)
    return None if days is None else raised_on + dt.timedelta(days=days)
