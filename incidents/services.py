"""Every write to incidents and actions goes through here: the web UI, the API and the
admin all call these functions, so permission checks, conditions, locking and the trail
are the same whichever door a user comes in by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransition
from django_fsm_log.models import StateLog

from .exceptions import (
    ConcurrentChange,
    ConditionsNotMet,
    NotPermitted,
    RecordClosed,
    TransitionNotAvailable,
    UnknownTransition,
)
from .models import Action, Incident, ReferenceCounter, ReportingTrack, headed_department_ids
from .roles import Role, has_role
from .tracks import TRACKS_UPDATED, TRACKS_UPDATED_LABEL, sync_tracks
from .workflow import permission_problem, unmet_conditions

# ---------------------------------------------------------------------------
# What each transition asks the user for


@dataclass(frozen=True)
class TransitionSpec:
    name: str
    label: Any
    fields: tuple[str, ...] = ()
    comment_required: bool = False
    danger: bool = False


INCIDENT_TRANSITIONS: dict[str, TransitionSpec] = {
    spec.name: spec
    for spec in [
        TransitionSpec("triage", _("Start the response"), ("severity", "kind", "event_class")),
        TransitionSpec("contain", _("Mark contained"), ("containment_summary", "correction_taken")),
        TransitionSpec("analyse", _("Record the root cause"), ("root_cause", "cause")),
        TransitionSpec("plan_actions", _("Start corrective actions")),
        TransitionSpec("verify", _("Start the effectiveness check")),
        TransitionSpec("close", _("Close as verified")),
        TransitionSpec("dismiss", _("Dismiss"), ("dismissal_reason",), danger=True),
        TransitionSpec("reopen", _("Reopen"), comment_required=True, danger=True),
    ]
}

ACTION_TRANSITIONS: dict[str, TransitionSpec] = {
    spec.name: spec
    for spec in [
        TransitionSpec("start", _("Start work")),
        TransitionSpec("implement", _("Mark implemented"), ("implementation_note",)),
        TransitionSpec("verify_effective", _("Verified effective"), ("effectiveness_note",)),
        TransitionSpec("verify_ineffective", _("Not effective: back to work"), ("effectiveness_note",),
                       danger=True),
        TransitionSpec("cancel", pgettext_lazy("action transition", "Cancel"), ("cancel_reason",), danger=True),
    ]
}

TRACK_TRANSITIONS: dict[str, TransitionSpec] = {
    spec.name: spec
    for spec in [
        TransitionSpec("file", _("Record as filed"), ("filed_at", "recipient_reference", "method", "filing_note")),
        TransitionSpec("not_required", _("Not required"), ("not_required_reason",), danger=True),
    ]
}

TRANSITIONS: dict[type, dict[str, TransitionSpec]] = {
    Incident: INCIDENT_TRANSITIONS,
    Action: ACTION_TRANSITIONS,
    ReportingTrack: TRACK_TRANSITIONS,
}


# Trail entries that are not transitions a person takes: the creation of a record, the
# system's recomputation of an incident's reports, and what it did to a track.
SYSTEM_TRAIL_LABELS = {
    "report": _("Report submitted"),
    "create": _("Action planned"),
    TRACKS_UPDATED: TRACKS_UPDATED_LABEL,
    "withdraw": _("No longer required (decided by the system)"),
    "reinstate": _("Required again (decided by the system)"),
}


def trail_label(model: type, name: str):
    """What a trail entry of `model` called `name` reads as, on every page and in the API."""
    spec = TRANSITIONS[model].get(name)
    return spec.label if spec else SYSTEM_TRAIL_LABELS.get(name, name)


def transition_spec(model: type, name: str) -> TransitionSpec:
    try:
        return TRANSITIONS[model][name]
    except KeyError:
        raise UnknownTransition() from None


def _fsm_transition(record, name: str):
    """The django-fsm-2 Transition for `name` from the record's current state, or None."""
    meta = getattr(type(record), name)._django_fsm
    return meta.get_transition(record.state)


@dataclass
class TransitionOption:
    spec: TransitionSpec
    target: str
    unmet_conditions: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name


def transitions_for(record, user) -> list[TransitionOption]:
    """The transitions this user may take from the record's current state.

    Unmet conditions are listed rather than hiding the transition: most of them are
    satisfied by the fields the transition's form asks for.
    """
    options = []
    for spec in TRANSITIONS[type(record)].values():
        fsm_transition = _fsm_transition(record, spec.name)
        if fsm_transition is None or permission_problem(record, fsm_transition, user):
            continue
        unmet = [] if spec.fields else unmet_conditions(record, fsm_transition)
        options.append(TransitionOption(spec, fsm_transition.target, unmet))
    return options


def transition_record(record, name: str, *, by, comment: str = "", changes: dict | None = None):
    """Take transition `name` on an incident or action, as `by`.

    Raises UnknownTransition (404), ConcurrentChange or TransitionNotAvailable (409),
    NotPermitted (403) or ConditionsNotMet (400). The field changes the transition asks
    for, the state change and the trail entry commit together or not at all.
    """
    model = type(record)
    spec = transition_spec(model, name)
    unexpected = set(changes or {}) - set(spec.fields)
    if unexpected:
        raise ValueError(f"{name} does not take {sorted(unexpected)}")

    with transaction.atomic():
        # Lock the row so that two users taking steps at once are serialised; the state
        # comparison below then turns the loser of the race into a 409.
        current = model.objects.select_for_update().get(pk=record.pk)
        if current.state != record.state:
            raise ConcurrentChange()
        fsm_transition = _fsm_transition(current, name)
        if fsm_transition is None:
            raise TransitionNotAvailable()
        problem = permission_problem(current, fsm_transition, by)
        if problem:
            raise NotPermitted(problem)
        for field_name, value in (changes or {}).items():
            setattr(current, field_name, value)
        if changes:
            # The web form, the API serializer and the admin validate too; this is the
            # last line, for every other caller.
            current.full_clean(validate_unique=False)
        unmet = unmet_conditions(current, fsm_transition)
        if spec.comment_required and not comment.strip():
            unmet.append(str(_("Add a comment explaining this step.")))
        if unmet:
            raise ConditionsNotMet(problems=unmet)
        getattr(current, name)(by=by, description=comment.strip() or None)
        try:
            current.save()
        except ConcurrentTransition:
            raise ConcurrentChange() from None
        # A dismissal withdraws the reports; a filed 委託元 notice releases the PPC ones.
        if isinstance(current, Incident):
            sync_tracks(current, by=by)
        elif isinstance(current, ReportingTrack):
            sync_tracks(current.incident, by=by)
    return current


# ---------------------------------------------------------------------------
# Reference numbers


def next_reference(prefix: str, width: int) -> str:
    """Allocate PREFIX-<year>-<n>, unique and without gaps within the year.

    Must run inside the transaction that inserts the record. The counter row stays locked
    until that transaction ends, so concurrent reports queue for it; a rollback also
    rolls back the counter, so no number is lost.
    """
    year = timezone.localdate().year
    ReferenceCounter.objects.bulk_create(
        [ReferenceCounter(prefix=prefix, year=year, last_number=0)], ignore_conflicts=True
    )
    ReferenceCounter.objects.filter(prefix=prefix, year=year).update(last_number=F("last_number") + 1)
    number = ReferenceCounter.objects.get(prefix=prefix, year=year).last_number
    return f"{prefix}-{year}-{number:0{width}d}"


def log_creation(record, *, by, transition_name: str) -> None:
    StateLog.objects.create(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        transition=transition_name,
        source_state=None,
        state=record.state,
        by=by,
    )


# ---------------------------------------------------------------------------
# Incidents

# What a reporter may fill in, and correct until the PMS office starts the response. The
# assessment (severity, classification lists, cause, containment, dismissal) is the PMS
# office's.
REPORT_FIELDS = frozenset({
    "title", "description", "department", "kind", "occurred_at", "discovered_at", "data_items",
    "affected_count", "affected_count_estimated", "involves_sensitive_data", "risk_of_financial_damage",
    "suspected_unauthorized_purpose", "data_in_collection", "strongly_encrypted", "entrusted_by",
})

# What the PMS office may edit besides the report. The dismissal reason, the reporter and
# everything the system records itself change only through their transitions.
ASSESSMENT_FIELDS = frozenset({
    "severity", "event_class", "cause", "root_cause", "containment_summary", "correction_taken",
    # what the PPC report asks for (rule art. 8(1))
    "discovery_route", "secondary_harm", "subject_response", "publication", "recurrence_prevention",
    "other_information",
})


def incident_report(*, reporter, **data) -> Incident:
    """Anyone reports an incident or near miss; only the PMS office fills in its assessment."""
    if not has_role(reporter, Role.PMS_MANAGER) and set(data) - REPORT_FIELDS:
        raise NotPermitted(_("Only the PMS manager may fill in the assessment of an incident."))
    with transaction.atomic():
        incident = Incident(reporter=reporter, **data)
        incident.reference = next_reference("INC", 4)
        incident.full_clean()
        incident.save()
        log_creation(incident, by=reporter, transition_name="report")
        sync_tracks(incident, by=reporter)
    return incident


def incident_check_edit(incident: Incident, user) -> None:
    """Raise RecordClosed or NotPermitted unless `user` may edit the incident now."""
    if not incident.is_open:
        raise RecordClosed()
    if has_role(user, Role.PMS_MANAGER):
        return
    if incident.reporter_id != user.pk or incident.state != "reported":
        raise NotPermitted(_("Only the PMS manager may edit an incident once the response has started."))


def incident_can_edit(incident: Incident, user) -> bool:
    return _allowed(incident_check_edit, incident, user)


def incident_update(*, incident: Incident, by, **data) -> Incident:
    """Edit the description and classification (never the state: that takes a transition)."""
    unknown = set(data) - REPORT_FIELDS - ASSESSMENT_FIELDS
    if unknown:
        raise ValueError(f"incident_update does not change {sorted(unknown)}")
    incident_check_edit(incident, by)
    if not has_role(by, Role.PMS_MANAGER) and set(data) - REPORT_FIELDS:
        raise NotPermitted(_("Only the PMS manager may change the classification."))
    with transaction.atomic():
        for name, value in data.items():
            setattr(incident, name, value)
        incident.full_clean()
        try:
            incident.save()
        except ConcurrentTransition:
            raise ConcurrentChange() from None
        sync_tracks(incident, by=by)
    return incident


# ---------------------------------------------------------------------------
# Actions


def action_can_create(user, *, department=None, incident: Incident | None = None) -> bool:
    if incident is not None and not Incident.objects.visible_to(user).filter(pk=incident.pk).exists():
        return False
    if has_role(user, Role.PMS_MANAGER):
        return True
    return department is not None and department.pk in headed_department_ids(user)


ACTION_FIELDS = frozenset({
    "kind", "title", "description", "incident", "department", "owner", "verifier", "due_date",
})


def _check_action_target(by, *, department, incident: Incident | None) -> None:
    """May `by` plan an action in this department, for this incident?"""
    if incident is not None and not incident.is_open:
        raise RecordClosed(_("Actions cannot be added to a closed or dismissed incident."))
    if not action_can_create(by, department=department):
        raise NotPermitted(_("Only the PMS manager or the department's head may plan actions."))
    if incident is not None and not Incident.objects.visible_to(by).filter(pk=incident.pk).exists():
        raise NotPermitted(_("You may only plan actions for incidents you can see."))


def action_create(*, by, **data) -> Action:
    """Plan a correction, corrective, preventive or improvement action."""
    unknown = set(data) - ACTION_FIELDS
    if unknown:
        raise ValueError(f"action_create does not set {sorted(unknown)}")
    _check_action_target(by, department=data.get("department"), incident=data.get("incident"))
    return action_insert(by=by, **data)


def action_insert(*, by, **data) -> Action:
    """Number, validate and save a new action with its first trail entry.

    For callers that have checked their own rules: action_create (the PMS office or a
    department head), an approved management review (top management's decisions).
    """
    with transaction.atomic():
        action = Action(created_by=by, **data)
        action.reference = next_reference("ACT", 4)
        action.full_clean()
        action.save()
        log_creation(action, by=by, transition_name="create")
    return action


def action_check_edit(action: Action, user) -> None:
    """Raise RecordClosed or NotPermitted unless `user` may re-plan the action now."""
    if not action.is_open:
        raise RecordClosed()
    if not action_can_create(user, department=action.department):
        raise NotPermitted(_("Only the PMS manager or the department's head may change an action."))


def action_can_edit(action: Action, user) -> bool:
    return _allowed(action_check_edit, action, user)


def action_update(*, action: Action, by, **data) -> Action:
    """Re-plan an open action. Its notes and dates are written by its transitions only."""
    unknown = set(data) - ACTION_FIELDS
    if unknown:
        raise ValueError(f"action_update does not change {sorted(unknown)}")
    action_check_edit(action, by)
    # Moving an action must pass the same checks as creating it where it lands.
    if "department" in data or ("incident" in data and data["incident"] != action.incident):
        _check_action_target(
            by, department=data.get("department", action.department), incident=data.get("incident")
        )
    with transaction.atomic():
        for name, value in data.items():
            setattr(action, name, value)
        action.full_clean()
        try:
            action.save()
        except ConcurrentTransition:
            raise ConcurrentChange() from None
    return action


def _allowed(check, record, user) -> bool:
    try:
        check(record, user)
    except (RecordClosed, NotPermitted):
        return False
    return True


def validation_messages(error: ValidationError) -> dict[str, list[str]]:
    """A model ValidationError as {field: [messages]} for forms and the API."""
    if hasattr(error, "error_dict"):
        return {name: [str(m) for e in errors for m in e.messages] for name, errors in error.error_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}
