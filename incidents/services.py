"""Every write to incidents and actions goes through here: the web UI, the API and the
admin all call these functions, so permission checks, conditions, locking and the trail
are the same whichever door a user comes in by.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .exceptions import FieldsNotWritable, NotPermitted, RecordClosed
from .models import Action, Incident, ReportingTrack, headed_department_ids
from .models.action import ACTION_PLAN_FIELDS
from .models.incident import ASSESSMENT_FIELDS as _ASSESSMENT
from .models.incident import PMARK_NOTICE_FIELDS as _PMARK_NOTICE
from .models.incident import REPORT_FIELDS as _REPORT
from .models.incident import REPORT_ITEM_FIELDS as _REPORT_ITEMS
from .roles import Role, has_role
from .tracks import sync_tracks
from .workflow.service import (  # noqa: F401  (the engine's names, for this app's views and admin)
    TransitionOption,
    can_edit,
    check_edit,
    edit_record,
    fsm_transition,
    log_creation,
    next_reference,
    trail_label,
    transition_record,
    transition_spec,
    transitions_for,
    validation_messages,
)
from .workflow.specs import TransitionSpec  # noqa: F401

TRANSITIONS = {model: model.transition_specs for model in (Incident, Action, ReportingTrack)}
INCIDENT_TRANSITIONS = Incident.transition_specs
ACTION_TRANSITIONS = Action.transition_specs
TRACK_TRANSITIONS = ReportingTrack.transition_specs


# ---------------------------------------------------------------------------
# Incidents

# What a reporter may fill in, and what the PMS office assesses (Incident.edit_policy).
REPORT_FIELDS = frozenset(_REPORT)
ASSESSMENT_FIELDS = frozenset((*_ASSESSMENT, *_REPORT_ITEMS, *_PMARK_NOTICE))


def _refuse_fields(model, user, data: dict, *, record=None, creating: bool = False) -> None:
    """403 for a user who may write none of the fields; 400 naming each field they may not write."""
    policy = model.edit_policy
    if creating and not policy.creatable(user, record):
        reasons = [group.who(record, user) for group in policy.groups if group.on_create]
        raise NotPermitted(next((reason for reason in reasons if reason), None))
    problems = policy.field_problems(record, user, data, creating=creating)
    if problems:
        raise FieldsNotWritable(problems)


def incident_report(*, reporter, **data) -> Incident:
    """Anyone reports an incident or near miss; only the PMS office fills in its assessment."""
    _refuse_fields(Incident, reporter, data, creating=True)
    with transaction.atomic():
        incident = Incident(reporter=reporter, **data)
        incident.reference = next_reference("INC", 4, company=_company_of(incident.department if incident.department_id else None))
        incident.full_clean()
        incident._history_user = reporter
        incident.save()
        log_creation(incident, by=reporter, transition_name="report")
        sync_tracks(incident, by=reporter)
    return incident


def _company_of(department):
    """The department's company (None while the form still lacks a department: validation says so)."""
    return department.company if department is not None and department.company_id else None


def incident_check_edit(incident: Incident, user) -> None:
    """Raise RecordClosed or NotPermitted unless `user` may edit the incident now."""
    check_edit(incident, user)


def incident_can_edit(incident: Incident, user) -> bool:
    return can_edit(incident, user)


def incident_update(*, incident: Incident, by, version: int | None, **data) -> Incident:
    """Edit the description and classification (never the state: that takes a transition).

    Reportability and the reports owed are recomputed from the saved row, in the same
    transaction: a tick on "sensitive personal information" starts the PPC clocks at once.
    """
    def after(current: Incident, changed: dict) -> None:
        if changed:
            sync_tracks(current, by=by)

    return edit_record(incident, by=by, version=version, changes=data, after=after)


# ---------------------------------------------------------------------------
# Actions


def action_can_create(user, *, department=None, incident: Incident | None = None) -> bool:
    if incident is not None and not Incident.objects.visible_to(user).filter(pk=incident.pk).exists():
        return False
    if incident is not None:
        company = incident.company_id
    else:
        company = department.company_id if department is not None else None
    if has_role(user, Role.PMS_MANAGER, company=company):
        return True
    return department is not None and department.pk in headed_department_ids(user)


ACTION_FIELDS = frozenset(ACTION_PLAN_FIELDS)


def _check_action_target(by, *, department, incident: Incident | None) -> None:
    """May `by` plan an action in this department, for this incident?"""
    if incident is not None and not incident.is_open:
        raise RecordClosed(_("Actions cannot be added to a closed or dismissed incident."))
    if not action_can_create(by, department=department, incident=incident):
        raise NotPermitted(_("Only the PMS manager or the department's head may plan actions."))
    if incident is not None and not Incident.objects.visible_to(by).filter(pk=incident.pk).exists():
        raise NotPermitted(_("You may only plan actions for incidents you can see."))


def action_create(*, by, **data) -> Action:
    """Plan a correction, corrective, preventive or improvement action."""
    _refuse_fields(Action, by, data, creating=True)
    _check_action_target(by, department=data.get("department"), incident=data.get("incident"))
    return action_insert(by=by, **data)


def action_insert(*, by, **data) -> Action:
    """Number, validate and save a new action with its first trail entry.

    For callers that have checked their own rules: action_create (the PMS office or a
    department head), an approved management review (top management's decisions).
    """
    with transaction.atomic():
        action = Action(created_by=by, **data)
        action.reference = next_reference(
            "ACT", 4, company=action.incident.company if action.incident_id else _company_of(action.department if action.department_id else None))
        action.full_clean()
        action._history_user = by
        action.save()
        log_creation(action, by=by, transition_name="create")
    return action


def action_check_edit(action: Action, user) -> None:
    """Raise RecordClosed or NotPermitted unless `user` may re-plan the action now."""
    check_edit(action, user)


def action_can_edit(action: Action, user) -> bool:
    return can_edit(action, user)


def action_update(*, action: Action, by, version: int | None, **data) -> Action:
    """Re-plan an open action. Its notes and dates are written by its transitions only."""
    def validate(current: Action, changed: dict) -> None:
        # Moving an action must pass the same checks as creating it where it lands.
        if "department" in changed or "incident" in changed:
            _check_action_target(by, department=current.department,
                                 incident=current.incident if "incident" in changed else None)

    return edit_record(action, by=by, version=version, changes=data, validate=validate)
