"""Audits (内部監査 and 運用の確認) and their checklists."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import transition

from incidents.models import Company, Department, StateMachineRecord, VersionedRecord, headed_department_ids
from incidents.models.reporting import date_bound_errors
from incidents.record_urls import record_url
from incidents.roles import Role, has_role, seen_companies
from incidents.workflow import Editable, EditPolicy, TransitionSpec, condition, permission, specs
from incidents.workflow.fields import StateField
from trail.history import TrailedHistory

from ..fiscal import fiscal_year_of


class AuditKind(models.TextChoices):
    INTERNAL = "internal", _("Internal audit")
    OPERATIONAL_CHECK = "operational_check", _("Operational check")


class AuditState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    FIELDWORK = "fieldwork", _("Fieldwork")
    REPORTED = "reported", pgettext_lazy("audit state", "Reported")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class AuditQuerySet(models.QuerySet):
    def visible_to(self, user) -> AuditQuerySet:
        """The PMS roles see every audit; department heads those covering their departments;
        anyone the audits they take part in."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        companies = seen_companies(user)  # the PMS roles: every audit of their companies
        if companies is None:
            return self
        visible = Q(lead_auditor=user) | Q(auditors=user) | Q(company_id__in=companies)
        departments = headed_department_ids(user)
        if departments:
            visible |= Q(departments__in=departments)
        return self.filter(pk__in=self.filter(visible).values("pk"))


def _leads_the_audit(audit: Audit, user) -> str | None:
    if user.pk == audit.lead_auditor_id or has_role(user, Role.AUDIT_LEAD, company=audit.company_id):
        return None
    return _("Only the lead auditor or the audit lead may do this.")


def _audit_lead_only(audit: Audit, user) -> str | None:
    if has_role(user, Role.AUDIT_LEAD, company=audit.company_id):
        return None
    return _("Only the audit lead may do this.")


def _has_checklist(audit: Audit) -> str | None:
    return None if audit.checklist.exists() else _("Choose the clauses to check: the checklist is empty.")


def _is_independent(audit: Audit) -> str | None:
    problems = audit.independence_problems()
    return " ".join(str(p) for p in problems) if problems else None


def _checklist_complete(audit: Audit) -> str | None:
    open_items = audit.checklist.filter(result="").count()
    if open_items:
        return _("%(count)d checklist items have no result yet.") % {"count": open_items}
    return None


def _has_conclusion(audit: Audit) -> str | None:
    return None if audit.conclusion.strip() else _("Write the audit's conclusion.")


def _has_cancel_reason(audit: Audit) -> str | None:
    return None if audit.cancel_reason.strip() else _("Give the reason for cancelling the audit.")


def _plans_audits(audit: Audit | None, user) -> str | None:
    """The audit lead (of the audit's company); a department head its own department's operational check."""
    if has_role(user, Role.AUDIT_LEAD, company=audit.company_id if audit is not None and audit.pk else None):
        return None
    if audit is not None and audit.pk and audit.kind == AuditKind.OPERATIONAL_CHECK:
        departments = set(audit.departments.values_list("pk", flat=True))
        if departments and departments <= set(headed_department_ids(user)):
            return None
    elif (audit is None or not audit.pk) and headed_department_ids(user):
        return None
    return _("Only the audit lead plans audits (a department head may plan its own operational check).")


def _still_planned(audit: Audit) -> str | None:
    return None if audit.state == AuditState.PLANNED else _("Only a planned audit can be re-planned.")


AUDIT_TRANSITIONS = specs(
    TransitionSpec("start", _("Start fieldwork")),
    TransitionSpec("report", _("Submit the audit report"), ("conclusion",), required=("conclusion",)),
    TransitionSpec("close", _("Close the audit")),
    TransitionSpec("cancel", _("Cancel the audit"), ("cancel_reason",), danger=True, required=("cancel_reason",)),
)


class Audit(StateMachineRecord):
    transition_specs = AUDIT_TRANSITIONS
    # The plan (scope, team, dates) until fieldwork starts; the conclusion and the reason
    # for cancelling are written by their steps.
    edit_policy = EditPolicy(
        Editable(("title", "kind", "company", "planned_start", "planned_end", "lead_auditor", "departments",
                  "clauses", "auditors"), who=_plans_audits),
        editable=_still_planned,
        by_transition={"conclusion": AUDIT_TRANSITIONS["report"].label,
                       "cancel_reason": AUDIT_TRANSITIONS["cancel"].label},
    )
    system_trail_labels = {"plan": _("Audit planned")}

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=AuditKind.choices, default=AuditKind.INTERNAL)
    company = models.ForeignKey(
        "incidents.Company", verbose_name=_("company"), on_delete=models.PROTECT, blank=True, related_name="audits",
        help_text=_("The company audited; its departments are the scope. Left empty, the departments' company."),
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"), editable=False)
    departments = models.ManyToManyField(Department, verbose_name=_("departments audited"), related_name="audits")
    clauses = models.ManyToManyField(
        "audits.Requirement", verbose_name=_("clauses"), related_name="audits", blank=True
    )
    lead_auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lead auditor"), on_delete=models.PROTECT,
        related_name="led_audits",
    )
    auditors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("auditors"), related_name="audits_as_auditor", blank=True
    )
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    conclusion = models.TextField(_("conclusion"), blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    state = StateField(_("state"), default=AuditState.PLANNED, choices=AuditState.choices, protected=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, editable=False)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()
    # The scope and the team are kept with every version too, so that a stale re-plan is told
    # who changed which departments, clauses or auditors.
    history = TrailedHistory(m2m_fields=["departments", "clauses", "auditors"])

    class Meta:
        ordering = ["-planned_start", "-id"]
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        # The list's order (a few dozen audits a year: for the years to come).
        indexes = [models.Index(fields=["-planned_start", "-id"], name="audit_planned")]
        constraints = [
            models.CheckConstraint(condition=Q(planned_end__gte=models.F("planned_start")),
                                   name="audit_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return record_url("audit_detail", self.pk)

    def save(self, *args, **kwargs) -> None:
        if self.company_id is None:  # the services name it from the departments; scripts may not
            self.company = Company.objects.default()
        self.fiscal_year = fiscal_year_of(self.planned_start, self.company)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "fiscal_year", "updated_at"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = date_bound_errors(self, "planned_start", "planned_end")
        if errors:
            raise ValidationError(errors)
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            raise ValidationError({"planned_end": _("The audit cannot end before it starts.")})

    def team(self) -> list:
        return [self.lead_auditor, *self.auditors.exclude(pk=self.lead_auditor_id)]

    def independence_problems(self, *, departments=None, team=None) -> list[str]:
        """Why this team may not audit this scope (empty when it may), domain.md §2.4."""
        from ..independence import independence_problems

        return independence_problems(
            kind=self.kind,
            company=self.company if self.company_id else None,
            departments=list(departments if departments is not None else self.departments.all()),
            team=list(team if team is not None else self.team()),
        )

    @transition(field=state, source=AuditState.PLANNED, target=AuditState.FIELDWORK,
                conditions=[condition(_has_checklist), condition(_is_independent)],
                permission=permission(_leads_the_audit))
    def start(self, by=None, description=None):
        """Fieldwork begins: the checklist is filled in."""
        self.started_at = timezone.now()

    @transition(field=state, source=AuditState.FIELDWORK, target=AuditState.REPORTED,
                conditions=[condition(_checklist_complete), condition(_has_conclusion)],
                permission=permission(_leads_the_audit))
    def report(self, by=None, description=None):
        """The audit report is written (and goes to top management)."""
        self.reported_at = timezone.now()

    @transition(field=state, source=AuditState.REPORTED, target=AuditState.CLOSED,
                permission=permission(_audit_lead_only))
    def close(self, by=None, description=None):
        """The audit lead accepts the report; findings go on to their own close."""
        self.closed_at = timezone.now()

    @transition(field=state, source=AuditState.PLANNED, target=AuditState.CANCELLED,
                conditions=[condition(_has_cancel_reason)], permission=permission(_audit_lead_only))
    def cancel(self, by=None, description=None):
        """Not carried out (with the reason)."""


class ChecklistResult(models.TextChoices):
    CONFORMING = "conforming", _("Conforming")
    NONCONFORMING = "nonconforming", _("Nonconforming")
    OBSERVATION = "observation", _("Observation")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


def _on_the_audit_team(item: ChecklistItem | None, user) -> str | None:
    if item is not None and user.pk in {item.audit.lead_auditor_id,
                                        *item.audit.auditors.values_list("pk", flat=True)}:
        return None
    return _("Only the audit team records results.")


def _during_fieldwork(item: ChecklistItem) -> str | None:
    return None if item.audit.state == AuditState.FIELDWORK else _("Results are recorded during fieldwork only.")


class ChecklistItem(VersionedRecord):
    # Results are recorded by the audit team during fieldwork; the clause and its place
    # come from the audit's plan.
    edit_policy = EditPolicy(
        Editable(("result", "evidence", "note"), who=_on_the_audit_team, on_create=False),
        editable=_during_fieldwork,
    )

    audit = models.ForeignKey(Audit, verbose_name=_("audit"), on_delete=models.CASCADE, related_name="checklist")
    requirement = models.ForeignKey(
        "audits.Requirement", verbose_name=_("clause"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    result = models.CharField(_("result"), max_length=20, choices=ChecklistResult.choices, blank=True)
    evidence = models.TextField(_("evidence seen"), blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)

    history = TrailedHistory()

    class Meta:
        ordering = ["audit", "position", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [models.UniqueConstraint(fields=["audit", "requirement"], name="one_item_per_clause")]

    def __str__(self) -> str:
        return f"{self.audit.reference} {self.requirement.clause}"
