"""Incidents and their state machine."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from incidents.workflow.fields import StateField
from trail.history import TrailedHistory

from .. import pmark_reportability, reportability
from ..record_urls import record_url
from ..roles import Role, has_role, seen_companies
from ..workflow import Editable, EditPolicy, TransitionSpec, condition, permission, specs
from .action import Action, ActionKind, ActionState, implementers_of
from .base import StateMachineRecord
from .company import Company
from .organisation import CauseCategory, Department, EventClass, headed_department_ids, person_name
from .reporting import FOLLOW_UPS, RULE_SET_ADMIN_PATH, RuleSet, TrackKind, date_bound_errors


class IncidentKind(models.TextChoices):
    LEAK = "leak", _("Leak")
    LOSS = "loss", _("Loss")
    DAMAGE = "damage", _("Damage")
    MISUSE = "misuse", _("Unauthorized use or provision")
    VIOLATION = "violation", _("Rule violation")
    WEAKNESS = "weakness", _("Weakness")
    NEAR_MISS = "near_miss", _("Near miss")
    OTHER = "other", _("Other")


class PMarkEvent(models.TextChoices):
    """The nine kinds of 事故等 a PrivacyMark holder reports (PMK500, domain.md §1.13); the
    ninth, the risk (おそれ) of one of them, is Incident.pmark_suspected."""

    LEAK = "leak", _("① Leak (漏えい)")
    LOSS = "loss", _("② Loss (紛失)")
    DESTRUCTION = "destruction", _("③ Destruction or damage (滅失・き損)")
    FALSIFICATION = "falsification", _("④ Falsification, or accuracy not ensured (改ざん・正確性の未確保)")
    IMPROPER_ACQUISITION = "improper_acquisition", _("⑤ Improper acquisition (不正・不適正取得)")
    PURPOSE_VIOLATION = "purpose_violation", _("⑥ Use or provision beyond the purpose (目的外利用・提供)")
    MISUSE = "misuse", _("⑦ Misuse (不正利用)")
    REQUEST_REFUSAL = "request_refusal", _("⑧ Wrongful refusal of a request to disclose etc. (開示等の求め等の拒否)")
    NONE = "none", _("Not a 事故等 (no such event)")


# The nine items of the PPC report (rule art. 8(1)), by the keys of ppc_report.ReportItem.
PPC_ITEM_KEYS = (
    "overview", "data_items", "subject_count", "cause", "secondary_harm", "subject_response", "publication",
    "recurrence_prevention", "other",
)


class Severity(models.TextChoices):
    L0 = "L0", _("L0 near miss")
    L1 = "L1", _("L1 accident, internal")
    L2 = "L2", _("L2 accident, external")
    L3 = "L3", _("L3 reportable situation")
    L4 = "L4", _("L4 serious incident")


class IncidentState(models.TextChoices):
    REPORTED = "reported", _("Reported")
    TRIAGED = "triaged", _("Triaged")
    CONTAINED = "contained", _("Contained")
    ANALYSED = "analysed", _("Analysed")
    CORRECTING = "correcting", _("Correcting")
    VERIFYING = "verifying", _("Verifying")
    CLOSED = "closed", _("Closed")
    DISMISSED = "dismissed", _("Dismissed")


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user) -> IncidentQuerySet:
        """Staff see what they reported; department heads their departments; the PMS roles
        every incident of their companies, and those involving the jointly used data their
        company is responsible for."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        companies = seen_companies(user)
        if companies is None:
            return self
        visible = Q(reporter=user) | Q(company_id__in=companies) | Q(joint_use_company_id__in=companies)
        departments = headed_department_ids(user)
        if departments:
            visible |= Q(department_id__in=departments)
        return self.filter(visible)

    def open(self) -> IncidentQuerySet:
        return self.exclude(state__in=[IncidentState.CLOSED, IncidentState.DISMISSED])

    def through_actions(self, user) -> IncidentQuerySet:
        """The incidents `user` works on as the owner or the verifier of one of their actions
        (not cancelled). They read such an incident in a limited view only (what the work
        needs: no reporter, reports, files or trail), and only those pages that say so."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        work = Action.objects.exclude(state=ActionState.CANCELLED).filter(Q(owner=user) | Q(verifier=user))
        return self.filter(pk__in=work.filter(incident__isnull=False).values("incident_id"))

    def readable_by(self, user) -> IncidentQuerySet:
        """Every incident `user` may open at all: in full (visible_to) or through an action."""
        return self.visible_to(user) | self.through_actions(user)


# Checks shared by several transitions. Each returns a message naming what is missing.


def _runs_response(incident: Incident, user) -> str | None:
    if not has_role(user, Role.PMS_MANAGER, company=incident.company_id):
        return _("Only the PMS manager or the PMS office may do this.")
    return None


def _closes_independently(incident: Incident, user) -> str | None:
    problem = _runs_response(incident, user)
    if problem:
        return problem
    if user.pk in incident.implementer_ids():
        return _(
            "The closing verification must be done by someone who did not implement the incident's actions."
        )
    return None


def _has_severity(incident: Incident) -> str | None:
    return None if incident.severity else _("Set the severity (L0-L4).")


def _has_containment(incident: Incident) -> str | None:
    return None if incident.containment_summary.strip() else _("Describe how the incident was contained.")


def _has_root_cause(incident: Incident) -> str | None:
    return None if incident.root_cause.strip() else _("Record the root cause.")


def _has_cause_category(incident: Incident) -> str | None:
    return None if incident.cause_id else _("Choose the cause category.")


def _has_corrective_action(incident: Incident) -> str | None:
    if incident.kind == IncidentKind.NEAR_MISS:
        return None
    if incident.actions.exclude(state=ActionState.CANCELLED).filter(kind=ActionKind.CORRECTIVE).exists():
        return None
    return _("Add at least one corrective action (not needed for a near miss).")


def _actions_implemented(incident: Incident) -> str | None:
    pending = incident.actions.filter(state__in=[ActionState.PLANNED, ActionState.IN_PROGRESS])
    refs = list(pending.values_list("reference", flat=True))
    if refs:
        return _("These actions are not implemented yet: %(refs)s.") % {"refs": ", ".join(refs)}
    return None


def _actions_effective(incident: Incident) -> str | None:
    pending = incident.actions.exclude(state__in=[ActionState.EFFECTIVE, ActionState.CANCELLED])
    refs = list(pending.values_list("reference", flat=True))
    if refs:
        return _("These actions have not been verified effective: %(refs)s.") % {"refs": ", ".join(refs)}
    return None


def _no_open_actions(incident: Incident) -> str | None:
    refs = list(incident.actions.open().values_list("reference", flat=True))
    if refs:
        return _("Cancel its open actions first: %(refs)s.") % {"refs": ", ".join(refs)}
    return None


def list_separator() -> str:
    # Translators: what separates the items of a list within a sentence ("、" in Japanese).
    return str(_(", "))


def _reports_settled(incident: Incident) -> str | None:
    # A 追完 and the PrivacyMark report on measures may still be owed after close.
    pending = [TrackKind(kind).label for kind in
               incident.tracks.pending().exclude(kind__in=FOLLOW_UPS).values_list("kind", flat=True)]
    if pending:
        return _("These reports are still pending (file them or record why they are not required): "
                 "%(tracks)s.") % {"tracks": list_separator().join(str(label) for label in pending)}
    return None


def _has_dismissal_reason(incident: Incident) -> str | None:
    return None if incident.dismissal_reason.strip() else _("Give the reason for dismissing the report.")


# The trail entry the system writes when it recomputes an incident's reports (tracks.py).
TRACKS_UPDATED = "update_tracks"
TRACKS_UPDATED_LABEL = _("Reporting duties updated")


def _incident_open(incident: Incident) -> str | None:
    return None if incident.is_open else _("This record is closed and can no longer be edited.")


def _reporter_until_triage(incident: Incident | None, user) -> str | None:
    """The PMS office, or the reporter until the office starts the response."""
    if has_role(user, Role.PMS_MANAGER, company=incident.company_id if incident is not None and incident.pk else None):
        return None
    if incident is None or incident.pk is None:  # a new report: anyone reports
        return None
    if incident.reporter_id == user.pk and incident.state == IncidentState.REPORTED:
        return None
    return _("Only the PMS manager may edit an incident once the response has started.")


def _not_dismissed(incident: Incident) -> str | None:
    return _("This report was dismissed.") if incident.state == IncidentState.DISMISSED else None


def _assesses(incident: Incident | None, user) -> str | None:
    if has_role(user, Role.PMS_MANAGER, company=incident.company_id if incident is not None and incident.pk else None):
        return None
    return _("Only the PMS manager may fill in the assessment of an incident.")


def handler_assigner_problem(incident: Incident | None, user) -> str | None:
    """Who assigns or changes an incident's handler (担当者): the PMS office of its company."""
    if has_role(user, Role.PMS_MANAGER, company=incident.company_id if incident is not None and incident.pk else None):
        return None
    return _("Only the PMS manager or the PMS office may assign the incident's handler.")


def handler_problem(incident: Incident, candidate) -> str | None:
    """Why `candidate` cannot be the incident's handler, or None (None also for no handler).

    The handler runs the response for the PMS office, so they hold the PMS manager role for
    the incident's company. Checked when the handler changes only: a handler who later
    leaves the office stays on record until someone assigns another.
    """
    if candidate is None:
        return None
    if not candidate.is_active:
        return _("%(name)s is not an active user.") % {"name": person_name(candidate) or candidate.get_username()}
    if not has_role(candidate, Role.PMS_MANAGER, company=incident.company_id):
        return _("The handler must be a member of the PMS office (the PMS manager role) of the incident's "
                 "company.")
    return None


INCIDENT_TRANSITIONS = specs(
    # The PMS office classifies at triage, for PrivacyMark too: which of the nine kinds of 事故等.
    TransitionSpec("triage", _("Start the response"), ("severity", "kind", "event_class", "pmark_event"),
                   required=("severity", "kind")),
    TransitionSpec("contain", _("Mark contained"), ("containment_summary", "correction_taken"),
                   required=("containment_summary",)),
    TransitionSpec("analyse", _("Record the root cause"), ("root_cause", "cause"), required=("root_cause", "cause")),
    TransitionSpec("plan_actions", _("Start corrective actions")),
    TransitionSpec("verify", _("Start the effectiveness check")),
    TransitionSpec("close", _("Close as verified")),
    TransitionSpec("dismiss", _("Dismiss"), ("dismissal_reason",), danger=True, required=("dismissal_reason",)),
    TransitionSpec("reopen", _("Reopen"), comment_required=True, danger=True),
)

# What a reporter fills in, and may correct until the PMS office starts the response.
REPORT_FIELDS = (
    "title", "description", "department", "kind", "occurred_at", "discovered_at", "data_items",
    "affected_count", "affected_count_estimated", "involves_sensitive_data", "risk_of_financial_damage",
    "suspected_unauthorized_purpose", "data_in_collection", "strongly_encrypted", "entrusted_by",
    "involves_joint_use",
)
# The report's fields that are items of the PPC report (1-3): a 追完 may change them after close.
REPORTED_ITEM_FIELDS = ("description", "data_items", "affected_count", "affected_count_estimated")
# The PMS office's assessment at triage: what the PrivacyMark test and the 2026
# amendment need, which the staff report form does not ask (domain.md §1.12, §1.13).
ASSESSMENT_FIELDS = (
    "severity", "event_class", "cause", "containment_summary", "correction_taken",
    "pmark_event", "pmark_suspected", "not_personal_data", "is_my_number", "my_number_network_system",
    "my_number_publicly_viewable", "pmark_judged_serious", "pmark_judged_serious_reason",
    "subjects_low_risk", "subjects_low_risk_reason", "substitute_measure",
)
# What the PPC report asks for (rule art. 8(1)): still editable after close, since items
# unknown at the 確報 are supplemented (追完) whenever they come to light (domain.md §1.5a).
REPORT_ITEM_FIELDS = (
    "root_cause", "discovery_route", "secondary_harm", "subject_response", "publication",
    "recurrence_prevention", "other_information", "ppc_unknown_items",
)
# The assessment body's 事故措置の通知, which arrives after the PrivacyMark 確報, often after
# the incident is closed (domain.md §1.13).
PMARK_NOTICE_FIELDS = ("pmark_notice_received_on", "pmark_notice_requests", "pmark_notice_due_on")
# Who runs the case for the PMS office (担当者): assigned by the office, never by the report.
HANDLER_FIELDS = ("handler",)


class Incident(StateMachineRecord):
    transition_specs = INCIDENT_TRANSITIONS
    # The dismissal reason, the reporter and everything the system records itself
    # (reference, reportable, rule set, times) change only through their steps.
    edit_policy = EditPolicy(
        Editable(tuple(name for name in REPORT_FIELDS if name not in REPORTED_ITEM_FIELDS), who=_reporter_until_triage),
        Editable(REPORTED_ITEM_FIELDS, who=_reporter_until_triage, when=_not_dismissed, after_close=True),
        Editable(ASSESSMENT_FIELDS, who=_assesses),
        Editable(REPORT_ITEM_FIELDS, who=_assesses, when=_not_dismissed, after_close=True),
        Editable(PMARK_NOTICE_FIELDS, who=_assesses, when=_not_dismissed, after_close=True),
        Editable(HANDLER_FIELDS, who=handler_assigner_problem, on_create=False),
        editable=_incident_open,
        by_transition={"dismissal_reason": INCIDENT_TRANSITIONS["dismiss"].label},
    )
    system_trail_labels = {
        "report": _("Report submitted"),
        TRACKS_UPDATED: TRACKS_UPDATED_LABEL,
    }

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what happened"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reporter"), on_delete=models.PROTECT,
        related_name="reported_incidents",
    )
    # Who runs the case in the PMS office (担当者), assigned by the office (handler_problem).
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handler"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="handled_incidents",
        help_text=_("The member of the PMS office who runs the response to this incident."),
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="incidents"
    )
    # The department's company (set on save): the business that owes the reports.
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, editable=False, related_name="incidents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=IncidentKind.choices)
    event_class = models.ForeignKey(
        EventClass, verbose_name=_("event class"), on_delete=models.PROTECT, null=True, blank=True
    )
    cause = models.ForeignKey(
        CauseCategory, verbose_name=_("cause category"), on_delete=models.PROTECT, null=True, blank=True
    )
    severity = models.CharField(_("severity"), max_length=2, choices=Severity.choices, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    discovered_at = models.DateTimeField(
        _("discovered at"),
        help_text=_("When anyone in the company first knew. Every reporting clock starts here."),
    )
    data_items = models.TextField(_("affected data items"), blank=True)
    affected_count = models.PositiveIntegerField(
        _("number of data subjects"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    affected_count_estimated = models.BooleanField(
        _("number is an estimate"), default=False,
        help_text=_("When uncertain, enter the largest possible number and tick this."),
    )
    involves_sensitive_data = models.BooleanField(_("involves sensitive personal information"), default=False)
    risk_of_financial_damage = models.BooleanField(_("risk of financial damage"), default=False)
    suspected_unauthorized_purpose = models.BooleanField(
        _("suspected unauthorized purpose"), default=False,
        help_text=_("Unauthorized access, theft, an insider taking data out, and the like."),
    )
    data_in_collection = models.BooleanField(
        _("data was being collected"), default=False,
        help_text=_("The information was being acquired (for example a web form) and not yet in our database."),
    )
    strongly_encrypted = models.BooleanField(
        _("strongly encrypted"), default=False,
        help_text=_("The data was protected by strong encryption or an equivalent measure."),
    )
    involves_joint_use = models.BooleanField(
        _("involves jointly used personal data (共同利用)"), default=False,
        help_text=_("Data the group uses jointly: the company responsible for it is told at once."),
    )
    # The group's company responsible for jointly used data, when such data is involved
    # (set on save): it is owed a notice, its PMS office sees the incident, its review counts it.
    joint_use_company = models.ForeignKey(
        Company, verbose_name=_("responsible for the jointly used data"), on_delete=models.PROTECT, null=True,
        blank=True, editable=False, related_name="joint_use_incidents",
    )
    entrusted_by = models.CharField(
        _("entrusting business"), max_length=200, blank=True,
        help_text=_("The 委託元's name, when the data was entrusted to us."),
    )
    # Derived from the classification on every save (see save()); stored so that lists
    # and the API can filter on it in the database.
    reportable = models.BooleanField(_("reportable"), default=False, editable=False)

    # The rule set in force on the day of discovery: it decided `reportable` and the clocks.
    rule_set = models.ForeignKey(
        "incidents.RuleSet", verbose_name=_("reporting rules"), on_delete=models.PROTECT, null=True, blank=True,
        editable=False, related_name="incidents",
    )

    containment_summary = models.TextField(_("containment"), blank=True)
    correction_taken = models.TextField(_("correction taken"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    dismissal_reason = models.TextField(_("reason for dismissal"), blank=True)

    # What the PPC report asks for beyond the classification (rule art. 8(1), domain.md §1.6).
    discovery_route = models.TextField(
        _("how it was discovered"), blank=True, help_text=_("Who found it and how (発見者、発覚の経緯)."),
    )
    secondary_harm = models.TextField(
        _("secondary harm"), blank=True,
        help_text=_("Whether secondary harm (fraud, phishing...) has occurred or may occur, and what it is."),
    )
    subject_response = models.TextField(_("response to data subjects"), blank=True)
    publication = models.TextField(_("publication"), blank=True, help_text=_("Whether and how it was published."))
    recurrence_prevention = models.TextField(
        _("recurrence prevention"), blank=True,
        help_text=_("Measures beyond the listed actions; the actions are included in the report by themselves."),
    )
    other_information = models.TextField(_("other useful information"), blank=True)
    # Items of the PPC report still unknown at the 確報, {item key: why}: the 確報 may be
    # filed with them, and a 追完 is then owed (domain.md §1.5a).
    ppc_unknown_items = models.JSONField(
        _("items not yet known"), default=dict, blank=True,
        help_text=_("Items of the PPC report still unknown after reasonable effort, with the reason for each."),
    )

    # What the PrivacyMark test needs (domain.md §1.13), completed by the PMS office at triage.
    pmark_event = models.CharField(
        _("kind of 事故等 (PrivacyMark)"), max_length=30, choices=PMarkEvent.choices, blank=True,
        help_text=_("Blank: taken from the kind of the report (a leak is ①, a loss ②, damage ③, "
                    "unauthorized use ⑥; anything else is not a 事故等)."),
    )
    pmark_suspected = models.BooleanField(
        _("only suspected (⑨ おそれ)"), default=False,
        help_text=_("The event is not confirmed, only feared: still a 事故等 (kind ⑨)."),
    )
    not_personal_data = models.BooleanField(
        _("personal information that is not personal data (個人データ)"), default=False,
        help_text=_("Not part of a database organised for search (a single form, a business card): the PPC's "
                    "duty does not apply, PrivacyMark's does."),
    )
    is_my_number = models.BooleanField(
        _("specific personal information (特定個人情報, My Number)"), default=False,
    )
    my_number_network_system = models.BooleanField(
        _("leaked from the information-provision network system or the like"), default=False,
        help_text=_("情報提供ネットワークシステム等 (My Number only)."),
    )
    my_number_publicly_viewable = models.BooleanField(
        _("viewable by an unspecified number of people"), default=False,
        help_text=_("For example published on the internet (My Number only)."),
    )
    pmark_judged_serious = models.BooleanField(
        _("judged serious: PrivacyMark 速報"), default=False,
        help_text=_("No listed trigger applies, but the case is serious enough for the assessment body to hear "
                    "of it at once (the catch-all of PMK500). Give the reason."),
    )
    pmark_judged_serious_reason = models.TextField(_("why it is serious"), blank=True)

    # The 2026 APPI amendment (domain.md §1.12): where the rule set in force allows it, no
    # 本人通知 for a case of small risk, with the reason and any substitute measure recorded.
    subjects_low_risk = models.BooleanField(
        _("small risk to the data subjects: no 本人通知"), default=False,
        help_text=_("Only where the rules in force on the day of discovery allow it (amended APPI art. 26(2))."),
    )
    subjects_low_risk_reason = models.TextField(_("why the risk is small"), blank=True)
    substitute_measure = models.TextField(
        _("substitute measure (代替措置)"), blank=True,
        help_text=_("For example publication or an inquiry desk."),
    )

    # The assessment body's 事故措置の通知, step 2 of the PrivacyMark report (since 2024-10-31).
    pmark_notice_received_on = models.DateField(_("notice received on"), null=True, blank=True)
    pmark_notice_requests = models.TextField(
        _("what the notice asks"), blank=True,
        help_text=_("The measures the assessment body asks to be reported."),
    )
    pmark_notice_due_on = models.DateField(
        _("report on the measures due on"), null=True, blank=True,
        help_text=_("The date the notice sets for the report on measures to prevent recurrence."),
    )

    state = StateField(
        _("state"), default=IncidentState.REPORTED, choices=IncidentState.choices, protected=True
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    contained_at = models.DateTimeField(_("contained at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    objects = IncidentQuerySet.as_manager()
    history = TrailedHistory()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            # The list's order (the API's and the page's): a page is read off the index instead
            # of sorting every incident (bench/query_plans.md).
            models.Index(fields=["-created_at", "-id"], name="incident_created"),
            # The same, for one company: the list narrowed by the company switcher, and the
            # company_id IN (…) of a company's PMS office (bench/query_plans.md).
            models.Index(fields=["company", "-created_at", "-id"], name="incident_company_created"),
            # The PMS office's to-do page: the reports to triage (state "reported", the oldest
            # first) and the open incidents counted by state (bench/query_plans.md).
            models.Index(fields=["state", "created_at", "id"], name="incident_state_created"),
            # The management review counts by period and looks for recurrences (the same
            # cause in the same department within twelve months); the list filters by the
            # day of discovery (a range of moments, incidents.filters).
            models.Index(fields=["discovered_at"], name="incident_discovered"),
            models.Index(fields=["department", "cause", "discovered_at"], name="incident_recurrence"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurred_at__isnull=True) | Q(occurred_at__lte=models.F("discovered_at")),
                name="incident_occurred_before_discovery",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return record_url("incident_detail", self.pk)

    def after_transition(self, *, by) -> None:
        """A dismissal withdraws the reports; a reopened incident owes them again."""
        from ..tracks import sync_tracks

        sync_tracks(self, by=by)

    def save(self, *args, **kwargs) -> None:
        # Always the rule set in force on the day of discovery: a new version therefore
        # reaches only incidents discovered from its effective date on.
        self.rule_set = self._rules_in_force()
        self.__dict__.pop("_rules_memo", None)  # the next save reads it again
        self.reportable = self.assessment.reportable
        self.company_id = Department.objects.filter(pk=self.department_id).values_list("company_id", flat=True).first()
        self.joint_use_company_id = (
            Company.objects.filter(joint_use_manager=True).values_list("pk", flat=True).first()
            if self.involves_joint_use else None
        )
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "rule_set", "reportable", "updated_at", "company",
                                       "joint_use_company"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = date_bound_errors(self, "occurred_at", "discovered_at")
        discovered_out_of_bounds = "discovered_at" in errors
        now = timezone.now()
        if not discovered_out_of_bounds and self.discovered_at:
            if self.discovered_at > now:
                errors["discovered_at"] = _("The discovery cannot be in the future.")
            elif self._rules_in_force() is None:
                # Without rules the incident would owe no reports: never left so.
                errors["discovered_at"] = _(
                    "No reporting rule set is in force on %(day)s, so the reports the incident owes cannot be "
                    "set. Ask the administrator to add one at %(admin)s."
                ) % {"day": timezone.localdate(self.discovered_at).isoformat(), "admin": RULE_SET_ADMIN_PATH}
        errors.update(date_bound_errors(self, "pmark_notice_received_on", "pmark_notice_due_on"))
        errors.update(self._assessment_errors())
        if "occurred_at" in errors:
            pass
        elif self.occurred_at and self.occurred_at > now:
            errors["occurred_at"] = _("The occurrence cannot be in the future.")
        elif (self.occurred_at and self.discovered_at and not discovered_out_of_bounds
              and self.occurred_at > self.discovered_at):
            errors["occurred_at"] = _("The incident cannot have occurred after it was discovered.")
        if errors:
            raise ValidationError(errors)

    def _assessment_errors(self) -> dict:
        """The triage assessment's own rules: each decision carries its reason."""
        errors = {}
        if self.pmark_judged_serious and not self.pmark_judged_serious_reason.strip():
            errors["pmark_judged_serious_reason"] = _("Give the reason why the case is serious.")
        if (self.my_number_network_system or self.my_number_publicly_viewable) and not self.is_my_number:
            errors["is_my_number"] = _("These triggers concern specific personal information (My Number) only.")
        if self.subjects_low_risk:
            rules = self.rules
            if rules is not None and not rules.data_subjects_low_risk_exemption:
                errors["subjects_low_risk"] = _(
                    "The rules in force on the day of discovery (%(rules)s) do not relieve the notice to data "
                    "subjects for a small risk."
                ) % {"rules": rules.version}
            elif not self.subjects_low_risk_reason.strip():
                errors["subjects_low_risk_reason"] = _("Give the reason why the risk to the data subjects is small.")
        unknown = self.ppc_unknown_items
        if not isinstance(unknown, dict) or any(
            key not in PPC_ITEM_KEYS or not isinstance(why, str) or not why.strip() for key, why in unknown.items()
        ):
            errors["ppc_unknown_items"] = _(
                "Give an object of item keys (%(keys)s), each with the reason it is not yet known."
            ) % {"keys": ", ".join(PPC_ITEM_KEYS)}
        notice = (self.pmark_notice_received_on, self.pmark_notice_due_on)
        if any(notice) and not all(notice):
            field = "pmark_notice_due_on" if self.pmark_notice_received_on else "pmark_notice_received_on"
            errors[field] = _("Enter both the day the notice arrived and the day it sets for the report.")
        elif all(notice) and self.pmark_notice_due_on < self.pmark_notice_received_on:
            errors["pmark_notice_due_on"] = _("The report cannot be due before the notice arrived.")
        if self.pmark_notice_received_on and self.pmark_notice_received_on > timezone.localdate():
            errors["pmark_notice_received_on"] = _("The notice cannot arrive in the future.")
        return errors

    @property
    def pmark_event_effective(self) -> str:
        return pmark_reportability.event_of(self.kind, self.pmark_event)

    @property
    def pmark_assessment(self) -> pmark_reportability.PMarkAssessment:
        return pmark_reportability.assess(
            event=self.pmark_event_effective,
            suspected=self.pmark_suspected,
            involves_sensitive_data=self.involves_sensitive_data,
            risk_of_financial_damage=self.risk_of_financial_damage,
            suspected_unauthorized_purpose=self.suspected_unauthorized_purpose,
            strongly_encrypted=self.strongly_encrypted,
            affected_count=self.affected_count,
            is_my_number=self.is_my_number,
            my_number_network_system=self.my_number_network_system,
            my_number_publicly_viewable=self.my_number_publicly_viewable,
            judged_serious=self.pmark_judged_serious,
            judged_serious_reason=self.pmark_judged_serious_reason,
            rules=self.rules,
        )

    @property
    def assessment(self) -> reportability.Assessment:
        return reportability.assess(
            kind=self.kind,
            involves_sensitive_data=self.involves_sensitive_data,
            risk_of_financial_damage=self.risk_of_financial_damage,
            suspected_unauthorized_purpose=self.suspected_unauthorized_purpose,
            data_in_collection=self.data_in_collection,
            strongly_encrypted=self.strongly_encrypted,
            affected_count=self.affected_count,
            is_personal_data=not self.not_personal_data,
            rules=self.rules,
        )

    @property
    def rules(self) -> RuleSet | None:
        """The rule set the incident keeps, or (not yet saved) the one in force on discovery."""
        return self.rule_set if self.rule_set_id else self._rules_in_force()

    def _rules_in_force(self) -> RuleSet | None:
        if self.discovered_at is None:
            return None
        # A new report asks while it is checked (its assessment) and again as it is saved:
        # read once for both (save() forgets it, so that each save reads it again).
        day = timezone.localdate(self.discovered_at)
        memo = self.__dict__.get("_rules_memo")
        if memo is None or memo[0] != day:
            memo = self._rules_memo = (day, RuleSet.objects.in_force_on(day))
        return memo[1]

    @property
    def reportable_reasons(self) -> list[dict]:
        return [reason.as_dict() for reason in self.assessment.reasons]

    @property
    def is_open(self) -> bool:
        return self.state not in (IncidentState.CLOSED, IncidentState.DISMISSED)

    def implementer_ids(self) -> set[int]:
        """Owners of the incident's actions and whoever implemented them, in any round."""
        actions = list(self.actions.exclude(state=ActionState.CANCELLED).values_list("id", "owner_id"))
        owners = {owner for _pk, owner in actions}
        return owners | implementers_of([pk for pk, _owner in actions])

    # Transitions. They only change this record; incident_transition() in services.py
    # checks permissions and conditions, locks the row and saves with the trail entry.

    @transition(field=state, source=IncidentState.REPORTED, target=IncidentState.TRIAGED,
                conditions=[condition(_has_severity)], permission=permission(_runs_response))
    def triage(self, by=None, description=None):
        """Acknowledge the report, classify it and start the initial response."""

    @transition(field=state, source=IncidentState.TRIAGED, target=IncidentState.CONTAINED,
                conditions=[condition(_has_containment)], permission=permission(_runs_response))
    def contain(self, by=None, description=None):
        """The spread of harm has been stopped."""
        self.contained_at = timezone.now()

    @transition(field=state, source=IncidentState.CONTAINED, target=IncidentState.ANALYSED,
                conditions=[condition(_has_root_cause), condition(_has_cause_category)],
                permission=permission(_runs_response))
    def analyse(self, by=None, description=None):
        """The facts, the scope and the root cause are established."""

    @transition(field=state, source=IncidentState.ANALYSED, target=IncidentState.CORRECTING,
                conditions=[condition(_has_corrective_action)], permission=permission(_runs_response))
    def plan_actions(self, by=None, description=None):
        """Corrective and preventive actions are planned and under way."""

    @transition(field=state, source=IncidentState.CORRECTING, target=IncidentState.VERIFYING,
                conditions=[condition(_actions_implemented)], permission=permission(_runs_response))
    def verify(self, by=None, description=None):
        """Every action is implemented; their effectiveness is being checked."""

    @transition(field=state, source=IncidentState.VERIFYING, target=IncidentState.CLOSED,
                conditions=[condition(_actions_effective), condition(_reports_settled)],
                permission=permission(_closes_independently))
    def close(self, by=None, description=None):
        """Verified closed: every action proved effective."""
        self.closed_at = timezone.now()

    @transition(field=state, source=[IncidentState.REPORTED, IncidentState.TRIAGED],
                target=IncidentState.DISMISSED,
                conditions=[condition(_has_dismissal_reason), condition(_no_open_actions)],
                permission=permission(_runs_response))
    def dismiss(self, by=None, description=None):
        """Not an incident of the PMS (for example a duplicate or a false alarm)."""
        self.closed_at = timezone.now()

    @transition(field=state, source=IncidentState.CLOSED, target=IncidentState.CORRECTING,
                permission=permission(_runs_response))
    def reopen(self, by=None, description=None):
        """New facts: the response goes back to corrective action."""
        self.closed_at = None
