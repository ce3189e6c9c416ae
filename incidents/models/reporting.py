"""The legal reporting tracks of an incident and the versioned rules that set their clocks.

The law changes (domain.md §1.12), so deadlines, thresholds and day-counting rules are
rows of RuleSet, editable in the admin. An incident keeps the rule set in force on the
day it was discovered; a new version applies only to incidents discovered from its
effective date on.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from incidents.workflow.fields import StateField
from trail.history import TrailedHistory

from ..record_urls import record_url
from ..roles import Role, has_role
from ..workflow import EditPolicy, TransitionSpec, condition, permission, specs
from .base import StateMachineRecord

# The dates people enter (when something happened, is due, was filed, is planned) lie in
# this range: anything else is a typing mistake, and dates near the ends of the calendar
# break the date arithmetic of the pages and reports that read them.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
RULE_SET_ADMIN_PATH = "/admin/incidents/ruleset/"


def date_out_of_bounds_message() -> str:
    return _("Enter a date from %(earliest)s to %(latest)s.") % {
        "earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat(),
    }


def date_bound_errors(record, *names: str) -> dict:
    """{field: message} for each of the record's `names` whose date (or datetime) lies
    outside EARLIEST_DATE..LATEST_DATE."""
    errors = {}
    for name in names:
        value = getattr(record, name, None)
        if value is None:
            continue
        day = value.date() if isinstance(value, dt.datetime) else value
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            errors[name] = date_out_of_bounds_message()
    return errors


class RuleSetQuerySet(models.QuerySet):
    def in_force_on(self, day: dt.date) -> RuleSet | None:
        return self.filter(effective_from__lte=day).order_by("-effective_from").first()


class RuleSet(models.Model):
    version = models.CharField(_("version"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    effective_from = models.DateField(_("in force from"), unique=True)
    sources = models.TextField(_("sources"), blank=True, help_text=_("The legal texts and guidelines it follows."))

    # Reportability (rule art. 7)
    subject_count_threshold = models.PositiveIntegerField(
        _("data subjects threshold"), default=1000,
        help_text=_("Category 4 applies to MORE than this many data subjects."),
    )
    collection_counts_for_unauthorized_purpose = models.BooleanField(
        _("information being collected counts for category 3"), default=True,
        help_text=_("The 2024 amendment of rule art. 7(3) (web skimming, phishing)."),
    )

    # PrivacyMark's own thresholds (PMK500 art. 12(3), domain.md §1.13)
    pmark_subject_count_threshold = models.PositiveIntegerField(
        _("PrivacyMark 速報: people threshold"), default=1000,
        help_text=_("A 速報 for MORE than this many people, counting all personal information (個人情報)."),
    )
    pmark_my_number_threshold = models.PositiveIntegerField(
        _("PrivacyMark 速報: My Number people threshold"), default=100,
        help_text=_("A 速報 for specific personal information (特定個人情報) of MORE than this many people."),
    )

    # The 2026 amendment of APPI art. 26(2) (domain.md §1.12): from a rule set that says so,
    # a case of small risk owes no 本人通知 once the PMS manager records why.
    data_subjects_low_risk_exemption = models.BooleanField(
        _("no 本人通知 for a small risk"), default=False,
        help_text=_("Amended APPI art. 26(2): the notice to data subjects is not required where the risk to their "
                    "rights and interests is small (the PMS manager records the reason)."),
    )

    # PPC (rule art. 8; guideline 3-5-3-3 and 3-5-3-4)
    preliminary_target_days = models.PositiveSmallIntegerField(_("速報 target (days)"), default=3)
    preliminary_limit_days = models.PositiveSmallIntegerField(_("速報 limit (days)"), default=5)
    final_days = models.PositiveSmallIntegerField(_("確報 limit (days)"), default=30)
    final_unauthorized_purpose_days = models.PositiveSmallIntegerField(
        _("確報 limit for category 3 (days)"), default=60
    )
    first_day_counts = models.BooleanField(
        _("the day of discovery is day 1"), default=True, help_text=_("「その時点を1日目とする」 (3-5-3-4).")
    )
    roll_past_closed_days = models.BooleanField(
        _("a limit on a closed day moves to the next open day"), default=True,
        help_text=_("Weekends, national holidays and 12/29–1/3 (行政機関の休日に関する法律 art. 1, 2)."),
    )

    # PrivacyMark assessment body (PMK500, domain.md §1.13)
    pmark_preliminary_target_days = models.PositiveSmallIntegerField(_("PrivacyMark 速報 target (days)"), default=3)
    pmark_preliminary_limit_days = models.PositiveSmallIntegerField(_("PrivacyMark 速報 limit (days)"), default=5)
    pmark_final_days = models.PositiveSmallIntegerField(_("PrivacyMark 確報 limit (days)"), default=30)
    pmark_final_unauthorized_purpose_days = models.PositiveSmallIntegerField(
        _("PrivacyMark 確報 limit for category 3 (days)"), default=60
    )

    pmark_measures_target_days = models.PositiveSmallIntegerField(
        _("PrivacyMark report on measures: target (days before the date set)"), default=3,
        help_text=_("The report on measures to prevent recurrence is due on the date the assessment body's notice "
                    "sets; the reminder comes this many days before."),
    )

    # "Promptly" duties with no number in the law: the company's own targets.
    ppc_supplement_target_days = models.PositiveSmallIntegerField(
        _("PPC 追完 target (days after the 確報)"), default=30,
        help_text=_("Items unknown at the 確報 are supplemented as soon as they are known; the law sets no limit, "
                    "so this is the company's own."),
    )
    entrusting_party_target_days = models.PositiveSmallIntegerField(_("委託元 notice target (days)"), default=1)
    entrusting_party_limit_days = models.PositiveSmallIntegerField(_("委託元 notice limit (days)"), default=3)
    # The group's own rule for jointly used data: "without delay" unless it says otherwise.
    joint_use_target_days = models.PositiveSmallIntegerField(
        _("共同利用 notice target (days)"), default=1,
        help_text=_("Notice to the group company responsible for jointly used data (遅滞なく)."),
    )
    joint_use_limit_days = models.PositiveSmallIntegerField(_("共同利用 notice limit (days)"), default=1)
    data_subjects_target_days = models.PositiveSmallIntegerField(
        _("本人通知 target (days)"), default=5,
        help_text=_("Its limit is the 確報 limit: notify no later than the final report."),
    )

    objects = RuleSetQuerySet.as_manager()

    history = TrailedHistory()

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("reporting rule set")
        verbose_name_plural = _("reporting rule sets")

    def __str__(self) -> str:
        return f"{self.version} {self.name}"

    def clean(self) -> None:
        errors = {}
        if self.preliminary_target_days > self.preliminary_limit_days:
            errors["preliminary_target_days"] = _("The target cannot be later than the limit.")
        if self.pmark_preliminary_target_days > self.pmark_preliminary_limit_days:
            errors["pmark_preliminary_target_days"] = _("The target cannot be later than the limit.")
        if self.entrusting_party_target_days > self.entrusting_party_limit_days:
            errors["entrusting_party_target_days"] = _("The target cannot be later than the limit.")
        if self.joint_use_target_days > self.joint_use_limit_days:
            errors["joint_use_target_days"] = _("The target cannot be later than the limit.")
        if errors:
            raise ValidationError(errors)


class TrackKind(models.TextChoices):
    PPC_PRELIMINARY = "ppc_preliminary", _("PPC preliminary report (速報)")
    PPC_FINAL = "ppc_final", _("PPC final report (確報)")
    PMARK_PRELIMINARY = "pmark_preliminary", _("PrivacyMark preliminary report (速報)")
    PMARK_FINAL = "pmark_final", _("PrivacyMark final report (確報)")
    ENTRUSTING_PARTY = "entrusting_party", _("Notice to the entrusting business (委託元)")
    DATA_SUBJECTS = "data_subjects", _("Notice to data subjects (本人通知)")
    JOINT_USE = "joint_use", _("Notice to the company responsible for jointly used data (共同利用)")
    PPC_SUPPLEMENT = "ppc_supplement", _("PPC supplement of items unknown at the 確報 (追完)")
    PMARK_MEASURES = "pmark_measures", _("PrivacyMark report on measures to prevent recurrence (再発防止策)")


# Duties that may run on after the incident is closed: the 追完 of the PPC report and the
# PrivacyMark report on measures, due when the assessment body's notice says (domain.md §1.5a, §1.13).
FOLLOW_UPS = (TrackKind.PPC_SUPPLEMENT, TrackKind.PMARK_MEASURES)

# The recipients that give a receipt number (受付番号) for a report: the PPC (or the ministry
# it delegated to) and the PrivacyMark assessment body. A 委託元 or a group company gives none
# (who received it may go in the reference), and the data subjects are notified, not filed with.
RECEIPT_NUMBER_KINDS = frozenset({
    TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL, TrackKind.PPC_SUPPLEMENT,
    TrackKind.PMARK_PRELIMINARY, TrackKind.PMARK_FINAL, TrackKind.PMARK_MEASURES,
})


class TrackState(models.TextChoices):
    PENDING = "pending", _("Pending")
    FILED = "filed", _("Filed")
    NOT_REQUIRED = "not_required", _("Not required")


class FilingMethod(models.TextChoices):
    ONLINE_FORM = "online_form", _("Online form")
    EMAIL = "email", _("E-mail")
    POST = "post", _("Post")
    PHONE = "phone", _("Telephone")
    NOTICE = "notice", _("Individual notice to each data subject")
    PUBLICATION = "publication", _("Substitute measure: publication (公表)")
    INQUIRY_DESK = "inquiry_desk", _("Substitute measure: inquiry desk")


# A pending report whose target falls within this window is "due soon": shown amber on
# the pages and e-mailed by send_reminders.
DUE_SOON = dt.timedelta(hours=24)


class TrackQuerySet(models.QuerySet):
    def visible_to(self, user) -> TrackQuerySet:
        from .incident import Incident

        incidents = Incident.objects.visible_to(user)
        if user.is_authenticated and user.is_active and not incidents.query.has_filters():
            # Every incident (the group's PMS office): no `incident_id IN (every incident)`,
            # which made a list count join the whole incident table (bench/query_plans.md).
            return self.all()
        return self.filter(incident__in=incidents)

    def pending(self) -> TrackQuerySet:
        return self.filter(state=TrackState.PENDING)

    def overdue(self, now: dt.datetime | None = None) -> TrackQuerySet:
        return self.pending().filter(limit_at__lt=now or timezone.now())

    def due_soon(self, now: dt.datetime | None = None) -> TrackQuerySet:
        """Pending, not yet overdue, and the target less than DUE_SOON away (or passed)."""
        now = now or timezone.now()
        return self.pending().filter(limit_at__gte=now, due_at__lt=now + DUE_SOON)


def _files_reports(track: ReportingTrack, user) -> str | None:
    if has_role(user, Role.PMS_MANAGER, company=track.incident.company_id):
        return None
    return _("Only the PMS manager or the PMS office files reports.")


def _has_filing_details(track: ReportingTrack) -> str | None:
    if track.filed_at is None:
        return _("Enter when it was filed.")
    if track.filed_at > timezone.now():
        return _("The filing time cannot be in the future.")
    if track.filed_at < track.incident.discovered_at:
        return _("The filing time cannot be before the discovery.")
    if track.kind == TrackKind.DATA_SUBJECTS and not track.method:
        return _("Choose how the data subjects were notified (or the substitute measure).")
    if track.needs_receipt_number and not track.recipient_reference.strip():
        return _("Enter the recipient's reference number (or the name of the person who received it).")
    return None


def _ppc_report_complete(track: ReportingTrack) -> str | None:
    """The PPC 確報 carries all nine items of rule art. 8(1), each filled in or marked as
    not yet known with the reason (a 追完 is then owed); the 追完 carries every item that
    was marked (domain.md §1.5a)."""
    from ..ppc_report import build_ppc_report

    if track.kind not in (TrackKind.PPC_FINAL, TrackKind.PPC_SUPPLEMENT):
        return None
    report = build_ppc_report(track.incident)
    if track.kind == TrackKind.PPC_FINAL:
        gaps = report.unexplained_gaps
        if gaps:
            return _("These items of the report are empty: %(items)s. Fill them in, or mark them as not yet known "
                     "with the reason (a 追完 is then owed).") % {"items": report.describe(gaps)}
        return None
    gaps = report.items_still_unknown
    if gaps:
        return _("These items marked as not yet known are still empty: %(items)s.") % {
            "items": report.describe(gaps)}
    return None


def _has_not_required_reason(track: ReportingTrack) -> str | None:
    return None if track.not_required_reason.strip() else _("Give the reason why this report is not required.")


def _the_system(track: ReportingTrack, user) -> str | None:
    return _("This step is taken by the system when the classification changes.")


def _changes_only_through_its_steps(track: ReportingTrack) -> str | None:
    return _("A report changes only through its steps: record it as filed, or as not required.")


TRACK_TRANSITIONS = specs(
    TransitionSpec("file", _("Record as filed"), ("filed_at", "recipient_reference", "method", "filing_note"),
                   required=("filed_at",)),
    TransitionSpec("not_required", _("Not required"), ("not_required_reason",), danger=True,
                   required=("not_required_reason",)),
)


class ReportingTrack(StateMachineRecord):
    """One report the incident owes (to the PPC, the assessment body, the 委託元, the data subjects)."""

    transition_specs = TRACK_TRANSITIONS
    # Nothing of a report is edited: the system sets its clock, people file it.
    edit_policy = EditPolicy(
        editable=_changes_only_through_its_steps,
        by_transition={
            **{name: TRACK_TRANSITIONS["file"].label for name in TRACK_TRANSITIONS["file"].fields},
            "not_required_reason": TRACK_TRANSITIONS["not_required"].label,
        },
    )
    # What the system does to a report when the classification changes.
    system_trail_labels = {
        "withdraw": _("No longer required (decided by the system)"),
        "reinstate": _("Required again (decided by the system)"),
    }

    incident = models.ForeignKey(
        "incidents.Incident", verbose_name=_("incident"), on_delete=models.CASCADE, related_name="tracks"
    )
    kind = models.CharField(_("report"), max_length=20, choices=TrackKind.choices)
    state = StateField(_("state"), default=TrackState.PENDING, choices=TrackState.choices, protected=True)
    due_at = models.DateTimeField(_("target"))
    limit_at = models.DateTimeField(_("limit"))
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("filed by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    recipient_reference = models.CharField(_("recipient's reference"), max_length=100, blank=True)
    method = models.CharField(_("method"), max_length=20, choices=FilingMethod.choices, blank=True)
    filing_note = models.TextField(_("note"), blank=True)
    not_required_reason = models.TextField(_("why not required"), blank=True)
    # Set when the system (not a person) withdrew the track; only those come back by
    # themselves when the classification changes again.
    withdrawn_by_system = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TrackQuerySet.as_manager()
    history = TrailedHistory()

    class Meta:
        ordering = ["limit_at", "id"]
        verbose_name = _("reporting track")
        verbose_name_plural = _("reporting tracks")
        indexes = [
            # The API list's order (bench/query_plans.md).
            models.Index(fields=["limit_at", "id"], name="track_limit"),
            # The pending reports by limit: the overdue and those due soon (home page, reminders).
            models.Index(fields=["state", "limit_at"], name="track_state_limit"),
            # The web list's order: the pending reports first, the soonest limit first, then the
            # others, the latest first (incidents.views.track_list) read off the index.
            models.Index(
                models.Case(models.When(state=TrackState.PENDING, then=models.F("limit_at"))),
                models.F("limit_at").desc(), "id", name="track_pending_first",
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["incident", "kind"], name="one_track_per_kind")]

    def clean(self) -> None:
        errors = date_bound_errors(self, "filed_at")
        if errors:
            raise ValidationError(errors)

    def __str__(self) -> str:
        return f"{self.incident.reference} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        # A report has no page of its own: it lives in its incident's reporting panel.
        return record_url("incident_detail", self.incident_id)

    @property
    def company(self):
        """A report is owed by its incident's company."""
        return self.incident.company

    @property
    def part_of(self):
        """The record on whose page this one is shown (its steps are named after it)."""
        return self.incident

    @property
    def needs_receipt_number(self) -> bool:
        """Filing it needs the recipient's receipt number (RECEIPT_NUMBER_KINDS)."""
        return self.kind in RECEIPT_NUMBER_KINDS

    def after_transition(self, *, by) -> None:
        """A filed 委託元 notice releases the incident's own reports (APPI art. 26(1) proviso)."""
        from ..tracks import sync_tracks

        sync_tracks(self.incident, by=by)

    @property
    def overdue(self) -> bool:
        return self.state == TrackState.PENDING and timezone.now() > self.limit_at

    @property
    def late(self) -> bool:
        """Filed after its limit (it stays marked so)."""
        return self.state == TrackState.FILED and self.filed_at is not None and self.filed_at > self.limit_at

    def urgency(self, now: dt.datetime | None = None) -> str:
        """"overdue", "soon" (the rule of TrackQuerySet.due_soon), "open" or "settled"."""
        if self.state != TrackState.PENDING:
            return "settled"
        now = now or timezone.now()
        if now > self.limit_at:
            return "overdue"
        if self.due_at < now + DUE_SOON:
            return "soon"
        return "open"

    @property
    def time_left(self) -> dt.timedelta:
        return self.limit_at - timezone.now()

    @transition(field=state, source=TrackState.PENDING, target=TrackState.FILED,
                conditions=[condition(_has_filing_details), condition(_ppc_report_complete)],
                permission=permission(_files_reports))
    def file(self, by=None, description=None):
        """The report was made: when, to whom (their reference), by whom."""
        self.filed_by = by

    @transition(field=state, source=TrackState.PENDING, target=TrackState.NOT_REQUIRED,
                conditions=[condition(_has_not_required_reason)], permission=permission(_files_reports))
    def not_required(self, by=None, description=None):
        """A person decided this report is not owed, and why."""
        self.withdrawn_by_system = False

    @transition(field=state, source=TrackState.PENDING, target=TrackState.NOT_REQUIRED,
                permission=permission(_the_system))
    def withdraw(self, by=None, description=None):
        """The classification changed and the report no longer applies."""
        self.withdrawn_by_system = True

    @transition(field=state, source=TrackState.NOT_REQUIRED, target=TrackState.PENDING,
                permission=permission(_the_system))
    def reinstate(self, by=None, description=None):
        """The classification changed and the report applies again."""
        self.not_required_reason = ""
        self.withdrawn_by_system = False
