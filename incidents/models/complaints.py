"""Complaints and consultations (苦情・相談, APPI art. 40; PrivacyMark J.11).

A complaint (CMP-2026-0001) is received, handled, answered and closed. What it turns out
to be is its classification: a complaint, a consultation, a rights request in disguise
(converted into a RightsRequest, services.complaint_convert_to_request) or the report of
an incident (which raises a linked Incident). One that reveals a weakness is closed only
with a corrective action (the existing Action model), so that the management review's
"feedback from interested parties" leads somewhere.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import transition

from incidents.workflow.fields import StateField
from trail.history import TrailedHistory

from ..record_urls import record_url
from ..workflow import Editable, EditPolicy, TransitionSpec, condition, permission, specs
from .action import ActionState
from .base import StateMachineRecord
from .organisation import Department
from .requests import CaseChannel, _office_only, _receives, case_office_problem, case_visibility


class ComplaintClass(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint (苦情)")
    CONSULTATION = "consultation", _("Consultation (相談)")
    RIGHTS_REQUEST = "rights_request", _("A request to disclose etc. (開示等の請求)")
    INCIDENT_REPORT = "incident_report", _("Report of an incident (事故の申告)")


class ComplaintState(models.TextChoices):
    RECEIVED = "received", _("Received")
    HANDLING = "handling", _("Being handled")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", pgettext_lazy("complaint state", "Closed")


COMPLAINT_OPEN_STATES = (ComplaintState.RECEIVED, ComplaintState.HANDLING)


class ComplaintQuerySet(models.QuerySet):
    def visible_to(self, user) -> ComplaintQuerySet:
        return self.filter(case_visibility(user))

    def open(self) -> ComplaintQuerySet:
        return self.filter(state__in=COMPLAINT_OPEN_STATES)


def _complaint_open(complaint: Complaint) -> str | None:
    return None if complaint.state != ComplaintState.CLOSED else _("This record is closed and can no longer be edited.")


def _has_answer(complaint: Complaint) -> str | None:
    problems = []
    if not complaint.answered_on:
        problems.append(str(_("Give the date the person was answered.")))
    if not complaint.outcome.strip():
        problems.append(str(_("Describe the answer and the outcome.")))
    return " ".join(problems) or None


def _follow_up_done(complaint: Complaint) -> str | None:
    """What the complaint revealed is taken up before it closes."""
    if complaint.classification == ComplaintClass.RIGHTS_REQUEST and not complaint.request_id:
        return _("It is a request to disclose etc.: convert it into a request first.")
    if complaint.classification == ComplaintClass.INCIDENT_REPORT and not complaint.incident_id:
        return _("It reports an incident: raise the incident first.")
    if complaint.reveals_weakness and not complaint.actions.exclude(state=ActionState.CANCELLED).exists():
        return _("It reveals a weakness: plan a corrective action before closing it.")
    return None


COMPLAINT_TRANSITIONS = specs(
    TransitionSpec("start", _("Start handling")),
    TransitionSpec("answer", _("Record the answer"), ("answered_on", "outcome"), required=("answered_on", "outcome")),
    TransitionSpec("close", pgettext_lazy("complaint transition", "Close")),
)

COMPLAINT_INTAKE_FIELDS = (
    "company", "channel", "received_on", "complainant_name", "complainant_contact", "summary", "classification",
)
COMPLAINT_WORK_FIELDS = ("first_response_on", "reveals_weakness", "weakness_note", "reply_body")


class Complaint(StateMachineRecord):
    transition_specs = COMPLAINT_TRANSITIONS
    edit_policy = EditPolicy(
        Editable(COMPLAINT_INTAKE_FIELDS, who=_receives),
        Editable(("department", "handler"), who=_office_only),
        Editable(COMPLAINT_WORK_FIELDS, who=case_office_problem, on_create=False),
        Editable(("answered_on", "outcome"), who=case_office_problem, on_create=False,
                 when=lambda complaint: None if complaint.state == ComplaintState.ANSWERED
                 else _("The answer is recorded by the step “Record the answer”.")),
        editable=_complaint_open,
    )
    system_trail_labels = {"receive": _("Complaint received")}

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    company = models.ForeignKey("incidents.Company", verbose_name=_("company"), on_delete=models.PROTECT,
                                related_name="complaints", blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department concerned"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="complaints", help_text=_("The department the complaint is about: its head sees the case."),
    )
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handler"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="+", help_text=_("Who runs the case (担当者)."))
    channel = models.CharField(_("channel"), max_length=20, choices=CaseChannel.choices)
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", editable=False, help_text=_("Empty: filed by the person through the public form."),
    )
    complainant_name = models.CharField(_("name"), max_length=200, blank=True,
                                        help_text=_("May be left empty for an anonymous complaint."))
    complainant_contact = models.CharField(_("telephone, e-mail or address"), max_length=300, blank=True)
    summary = models.TextField(_("what the person says"))
    classification = models.CharField(_("classification"), max_length=20, choices=ComplaintClass.choices,
                                      default=ComplaintClass.COMPLAINT)
    first_response_on = models.DateField(_("first response on"), null=True, blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    outcome = models.TextField(_("answer and outcome"), blank=True)
    reveals_weakness = models.BooleanField(
        _("reveals a weakness"), default=False,
        help_text=_("The complaint shows a weakness in how personal information is handled: it closes only with a "
                    "corrective action."),
    )
    weakness_note = models.TextField(_("the weakness"), blank=True)
    reply_body = models.TextField(_("text of the reply letter"), blank=True,
                                  help_text=_("Drafted from the case; edit it before printing the letter."))
    request = models.ForeignKey("incidents.RightsRequest", verbose_name=_("converted into the request"),
                                on_delete=models.PROTECT, null=True, blank=True, related_name="complaints",
                                editable=False)
    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident raised"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="complaints", editable=False)
    actions = models.ManyToManyField("incidents.Action", verbose_name=_("actions"), blank=True,
                                     related_name="complaints")
    state = StateField(_("state"), default=ComplaintState.RECEIVED, choices=ComplaintState.choices, protected=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    objects = ComplaintQuerySet.as_manager()
    history = TrailedHistory()

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("complaint or consultation")
        verbose_name_plural = _("complaints and consultations")
        indexes = [
            models.Index(fields=["state", "received_on"], name="complaint_state_received"),
            models.Index(fields=["-received_on", "-id"], name="complaint_received"),  # the list's order
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return record_url("complaint_detail", self.pk)

    def save(self, *args, **kwargs) -> None:
        if self.company_id is None:
            from .company import Company

            self.company = (self.department.company if self.department_id else None) or Company.objects.default()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = {}
        today = timezone.localdate()
        if self.received_on and self.received_on > today:
            errors["received_on"] = _("A complaint cannot be received in the future.")
        for name in ("first_response_on", "answered_on"):
            value = getattr(self, name)
            if value and self.received_on and value < self.received_on:
                errors[name] = _("This date cannot be before the day the complaint was received.")
        if self.department_id and self.company_id and self.department.company_id != self.company_id:
            errors["department"] = _("The department belongs to another company.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.state in COMPLAINT_OPEN_STATES

    @property
    def days_to_answer(self) -> int | None:
        return (self.answered_on - self.received_on).days if self.answered_on and self.received_on else None

    def live_actions(self):
        return self.actions.exclude(state=ActionState.CANCELLED)

    @transition(field=state, source=ComplaintState.RECEIVED, target=ComplaintState.HANDLING,
                permission=permission(case_office_problem))
    def start(self, by=None, description=None):
        if not self.first_response_on:
            self.first_response_on = timezone.localdate()

    @transition(field=state, source=[ComplaintState.RECEIVED, ComplaintState.HANDLING], target=ComplaintState.ANSWERED,
                conditions=[condition(_has_answer)], permission=permission(case_office_problem))
    def answer(self, by=None, description=None):
        if not self.first_response_on:
            self.first_response_on = self.answered_on

    @transition(field=state, source=ComplaintState.ANSWERED, target=ComplaintState.CLOSED,
                conditions=[condition(_follow_up_done)], permission=permission(case_office_problem))
    def close(self, by=None, description=None):
        self.closed_at = timezone.now()

    def announce_transition(self, name: str, *, by) -> None:
        from ..case_events import complaint_transition

        complaint_transition(self, name, by=by)
