"""Every write to incidents and actions goes through here: the web UI, the API and the
admin all call these functions, so permission checks, conditions, locking and the trail
are the same whichever door a user comes in by.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trail.chain import claim

from . import attachments, events
from .exceptions import FieldsNotWritable, NotPermitted, RecordClosed
from .models import (
    Action,
    Incident,
    ProgressEntry,
    ReportingTrack,
    headed_department_ids,
    progress_closed_problem,
    progress_writer_problem,
)
from .models.action import ACTION_PLAN_FIELDS
from .models.incident import ASSESSMENT_FIELDS as _ASSESSMENT
from .models.incident import PMARK_NOTICE_FIELDS as _PMARK_NOTICE
from .models.incident import REPORT_FIELDS as _REPORT
from .models.incident import REPORT_ITEM_FIELDS as _REPORT_ITEMS
from .models.incident import handler_assigner_problem, handler_problem
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
        # One notice tells the PMS office of the report and of the reports it owes.
        sync_tracks(incident, by=reporter, announce=False)
        events.incident_reported(incident, by=reporter)
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

    This is the one place where an incident's handler changes (the web page's control, the
    edit form, the API and the admin all come here): the new handler must be able to run
    the case (models.incident.handler_problem, a 400 on `handler`), and handler_changed()
    is told, in the same transaction.
    """
    with transaction.atomic():
        previous_handler_id = _locked_handler_id(incident) if "handler" in data else None

        def validate(current: Incident, changed: dict) -> None:
            if "handler" in changed:
                problem = handler_problem(current, current.handler)
                if problem:
                    raise ValidationError({"handler": [problem]})

        def after(current: Incident, changed: dict) -> None:
            if changed:
                sync_tracks(current, by=by)
            if "handler" in changed:
                handler_changed(current, previous_handler_id, by)

        return edit_record(incident, by=by, version=version, changes=data, validate=validate, after=after)


def _locked_handler_id(incident: Incident) -> int | None:
    """The handler as stored, read under the lock the edit then takes (the trail's end
    first, then the row, in the order every writer takes them)."""
    claim()
    return Incident.objects.select_for_update().filter(pk=incident.pk).values_list("handler_id", flat=True).first()


def incident_assign_handler(*, incident: Incident, by, handler, version: int | None) -> Incident:
    """Assign (or change, or remove with None) the incident's handler, as the PMS office.

    NotPermitted (403) for anyone else; RecordClosed (409) once the incident is closed;
    StaleEdit (409) from an old version; ValidationError on `handler` (400) for someone who
    cannot be the handler (not of the incident's PMS office, or inactive).
    """
    problem = handler_assigner_problem(incident, by)
    if problem:
        raise NotPermitted(problem)
    return incident_update(incident=incident, by=by, version=version, handler=handler)


def handler_changed(incident: Incident, previous_handler_id: int | None, by) -> None:
    """The incident's handler changed from `previous_handler_id` to `incident.handler_id`
    (either may be None), by `by`; called inside the edit's transaction: the new handler
    is told (never the one who made themselves handler).
    """
    events.handler_assigned(incident, by=by)


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
        events.action_assigned(action, by=by)
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

    def after(current: Action, changed: dict) -> None:
        if "owner" in changed:  # handed over: the new owner is told
            events.action_assigned(current, by=by)

    return edit_record(action, by=by, version=version, changes=data, validate=validate, after=after)


# ---------------------------------------------------------------------------
# The progress log (経過記録)

# At most this many files with one entry (each within the usual size limit).
PROGRESS_MAX_FILES = 10


def can_add_progress(incident: Incident, user) -> bool:
    return progress_writer_problem(incident, user) is None and progress_closed_problem(incident, user) is None


def add_progress(incident: Incident, *, by, text: str, occurred_at=None, files=()) -> ProgressEntry:
    """Write an entry of the incident's progress log, with its files, as `by`.

    NotPermitted (403) for someone who does not work on the incident (the rules of
    models.progress) or cannot open it; RecordClosed (409) after close, but for the PMS
    office; ValidationError (400) for an entry in the future, an empty text, too many files
    or a file of the wrong type or size (`files`). The entry and its files are stored
    together or not at all; progress_added() is told in the same transaction.
    """
    if not Incident.objects.readable_by(by).filter(pk=incident.pk).exists():
        raise NotPermitted(_("You may only write on incidents you can see."))
    files = list(files or ())
    if len(files) > PROGRESS_MAX_FILES:
        raise ValidationError({"files": [_("At most %(count)d files go with one entry.") % {"count": PROGRESS_MAX_FILES}]})
    for file in files:  # every file checked before anything is stored
        try:
            attachments.validate_upload(file)
        except ValidationError as error:
            raise ValidationError({"files": [f"{attachments.clean_name(file.name)}: {message}"
                                             for message in error.messages]}) from None
    stored = []
    try:
        with transaction.atomic():
            claim()
            # The incident as stored, locked: a close at the same moment is seen.
            current = Incident.objects.select_for_update().get(pk=incident.pk)
            problem = progress_writer_problem(current, by)
            if problem:
                raise NotPermitted(problem)
            problem = progress_closed_problem(current, by)
            if problem:
                raise RecordClosed(problem)
            now = timezone.now()
            entry = ProgressEntry(incident=current, text=(text or "").strip(), written_by=by,
                                  occurred_at=occurred_at or now, created_at=now)
            entry.full_clean()
            entry._history_user = by
            entry.save()
            entry._accepting_files = True  # attachments.progress_may_add: only now, only by its writer
            for file in files:
                stored.append(attachments.attachment_add(record=entry, by=by, file=file))
            entry._accepting_files = False
            progress_added(entry)
    except BaseException:
        # The rows are rolled back; the stored files go too (none is left behind unlisted).
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return entry


def progress_added(entry: ProgressEntry) -> None:
    """A progress entry was written (inside its transaction, its files attached): the
    incident's handler is told, unless they wrote it."""
    events.progress_added(entry, by=entry.written_by)


def progress_log(incident: Incident, user) -> list[ProgressEntry]:
    """The incident's progress log, oldest first, each entry with the files `user` may download
    (`entry.files`), in three queries."""
    from . import attachments

    entries = list(incident.progress_entries.select_related("written_by").order_by("occurred_at", "id"))
    downloadable = set(
        attachments.progress_entries_with_files_for(user).filter(incident=incident).values_list("pk", flat=True)
    ) if entries else set()
    files = attachments.attachments_by_record(entries)
    for entry in entries:
        entry.files = files.get(entry.pk, []) if entry.pk in downloadable else []
    return entries
