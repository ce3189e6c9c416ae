"""The one service every state machine and every edit goes through.

The web UI, the API and the admin all call these functions, so the permission checks,
the conditions, the lock, the version check and the trail are the same whichever door a
user comes in by. A record type takes part by declaring, as class attributes:

- `transition_specs` (specs.TransitionSpec by name): the steps people take;
- `edit_policy` (specs.EditPolicy): the fields people edit, by whom, when;
- `system_trail_labels` (optional): trail entries the system writes itself;
- `get_absolute_url()`: where the record's page is;
- `after_transition(by)` and `announce_transition(name, by)` (optional): what follows a
  step in its transaction: derived records, and the notices to whoever must act next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition

from trail.chain import claim
from trail.steps import write_entry

from ..exceptions import (
    ConcurrentChange,
    ConditionsNotMet,
    FieldsNotWritable,
    NotPermitted,
    RecordClosed,
    StaleEdit,
    TransitionNotAvailable,
    UnknownTransition,
)
from .checks import permission_problem, unmet_conditions
from .specs import EditPolicy, TransitionSpec
from .versions import changes_since

__all__ = [
    "TransitionOption",
    "can_edit",
    "check_edit",
    "edit_record",
    "fsm_transition",
    "log_creation",
    "next_reference",
    "stale_edit",
    "trail_label",
    "transition_record",
    "transition_spec",
    "transitions_for",
    "validation_messages",
]


def trail_label(model: type, name: str):
    """What a trail entry of `model` called `name` reads as, on every page and in the API."""
    spec = model.transition_specs.get(name)
    if spec is not None:
        return spec.label
    return getattr(model, "system_trail_labels", {}).get(name, name)


def transition_spec(model: type, name: str) -> TransitionSpec:
    try:
        return model.transition_specs[name]
    except (AttributeError, KeyError):
        raise UnknownTransition() from None


def fsm_transition(record, name: str):
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
    for spec in type(record).transition_specs.values():
        option = fsm_transition(record, spec.name)
        if option is None or permission_problem(record, option, user):
            continue
        unmet = [] if spec.fields else unmet_conditions(record, option)
        options.append(TransitionOption(spec, option.target, unmet))
    return options


def _lock(record):
    """The record as stored, its row locked until the transaction ends.

    Two people acting at once are serialised here; whatever the second one does is then
    checked against what the first one saved.
    """
    claim()  # the trail's end first, then the record: every writer takes them in this order
    return type(record).objects.select_for_update().get(pk=record.pk)


def stale_edit(current, seen_version: int) -> StaleEdit:
    return StaleEdit(record=current, seen_version=seen_version, changes=changes_since(current, seen_version))


def _save(current, *, by, update_fields=None) -> None:
    current._history_user = by  # the history row says who (django-simple-history)
    try:
        current.save(update_fields=update_fields)
    except ConcurrentTransition:
        raise ConcurrentChange() from None


def transition_record(record, name: str, *, by, comment: str = "", changes: dict | None = None,
                      version: int | None = None):
    """Take transition `name` on a record, as `by`.

    Raises UnknownTransition (404), ConcurrentChange, StaleEdit or TransitionNotAvailable
    (409), NotPermitted (403) or ConditionsNotMet (400). `version`, when given, is the
    version the user saw: a step taken from an older one is refused. The field changes the
    transition asks for, the state change and the trail entry commit together or not at all.
    """
    model = type(record)
    spec = transition_spec(model, name)
    unexpected = set(changes or {}) - set(spec.fields)
    if unexpected:
        raise ValueError(f"{name} does not take {sorted(unexpected)}")

    with transaction.atomic():
        current = _lock(record)
        if current.state != record.state:
            raise ConcurrentChange()
        if version is not None and current.version != version:
            raise stale_edit(current, version)
        option = fsm_transition(current, name)
        if option is None:
            raise TransitionNotAvailable()
        problem = permission_problem(current, option, by)
        if problem:
            raise NotPermitted(problem)
        for field_name, value in (changes or {}).items():
            setattr(current, field_name, value)
        if changes:
            # The web form, the API serializer and the admin validate too; this is the
            # last line, for every other caller.
            current.full_clean(validate_unique=False)
        unmet = unmet_conditions(current, option)
        if spec.comment_required and not comment.strip():
            unmet.append(str(_("Add a comment explaining this step.")))
        if unmet:
            raise ConditionsNotMet(problems=unmet)
        getattr(current, name)(by=by, description=comment.strip() or None)
        _save(current, by=by)
        after = getattr(current, "after_transition", None)
        if after is not None:
            after(by=by)
        # Who must now act is told in the same transaction (notifications.notify).
        announce = getattr(current, "announce_transition", None)
        if announce is not None:
            announce(name, by=by)
    return current


def check_edit(record, user) -> None:
    """Raise RecordClosed (409) or NotPermitted (403) unless `user` may edit some field of `record` now."""
    policy = type(record).edit_policy
    # A closed record whose policy keeps some fields open (a 追完 after close) is still
    # edited by those who may write them.
    closed = policy.closed_to(record, user)
    if closed:
        raise RecordClosed(closed)
    refused = policy.user_problem(record, user)
    if refused:
        raise NotPermitted(refused)


def can_edit(record, user) -> bool:
    """Whether the page offers `user` an edit of `record` (check_edit without the reason)."""
    try:
        check_edit(record, user)
    except (RecordClosed, NotPermitted):
        return False
    return True


def edit_record(
    record,
    *,
    by,
    version: int | None,
    changes: dict,
    validate: Callable | None = None,
    after: Callable | None = None,
    stamps: Callable | None = None,
    policy: EditPolicy | None = None,
):
    """Edit fields of a record, as `by`, from the version `by` saw.

    In one transaction: lock the row; refuse a closed record (RecordClosed, 409) or a user
    who may edit none of it (NotPermitted, 403); refuse fields this user may not write
    (FieldsNotWritable, 400, naming each); refuse a stale version (StaleEdit, 409, with
    the fields changed since and who changed them); apply only the values that differ
    from the locked row; validate (`validate(current, changed)` for rules across
    records); save only those fields; then `after(current, changed)` recomputes what
    derives from them (an incident's reports) from the same locked row.

    `stamps(current, changed)` returns what the service writes itself along with the edit
    (who recorded a result and when, a reference that follows a date): computed from the
    locked row, saved with the edit, and not the editor's to write, so not the policy's.

    `version` None is for the system's own callers (seeding, data repair); every person's
    edit carries one.
    """
    model = type(record)
    policy = policy or model.edit_policy
    with transaction.atomic():
        current = _lock(record)
        closed = policy.closed_problem(
            current, [name for name, value in changes.items() if _differs(current, name, value)]
        )
        if closed:
            raise RecordClosed(closed)
        refused = policy.user_problem(current, by)
        if refused:
            raise NotPermitted(refused)
        if version is not None and current.version != version:
            raise stale_edit(current, version)
        # A value sent unchanged (a client sending back what it read) writes nothing.
        changed = {name: value for name, value in changes.items() if _differs(current, name, value)}
        problems = policy.field_problems(current, by, changed)
        if problems:
            raise FieldsNotWritable(problems)
        if stamps is not None:
            changed.update({name: value for name, value in stamps(current, changed).items()
                            if _differs(current, name, value)})
        for name, value in changed.items():
            if not model._meta.get_field(name).many_to_many:
                setattr(current, name, value)
        if changed:
            current.full_clean()
        if validate is not None:
            validate(current, changed)
        if changed:
            fields = [model._meta.get_field(name) for name in changed]
            _save(current, by=by, update_fields=[f.name for f in fields if not f.many_to_many])
        if after is not None:
            after(current, changed)
    return current


def _differs(record, name: str, value) -> bool:
    """Would writing `value` change the stored record? (Lists of related records as sets.)"""
    try:
        field = type(record)._meta.get_field(name)
    except FieldDoesNotExist:
        return True  # not a field at all: the policy refuses it by name
    if field.many_to_many:
        return set(getattr(record, name).all()) != set(value or ())
    return getattr(record, name) != value


def next_reference(prefix: str, width: int, company=None) -> str:
    """Allocate PREFIX-<year>-<n>, unique and without gaps within the year.

    With settings.REFERENCE_COMPANY_PREFIX, a record of `company` is numbered in its
    company's own series, CODE-PREFIX-<year>-<n> (INE-INC-2026-0042).

    Must run inside the transaction that inserts the record. The counter row stays locked
    until that transaction ends, so concurrent reports queue for it; a rollback also
    rolls back the counter, so no number is lost.
    """
    from django.conf import settings

    from ..models import ReferenceCounter

    if company is not None and getattr(settings, "REFERENCE_COMPANY_PREFIX", False):
        prefix = f"{company.code}-{prefix}"
    claim()  # before the counter, as _lock does before the record
    year = timezone.localdate().year
    ReferenceCounter.objects.bulk_create(
        [ReferenceCounter(prefix=prefix, year=year, last_number=0)], ignore_conflicts=True
    )
    ReferenceCounter.objects.filter(prefix=prefix, year=year).update(last_number=F("last_number") + 1)
    number = ReferenceCounter.objects.get(prefix=prefix, year=year).last_number
    return f"{prefix}-{year}-{number:0{width}d}"


def log_creation(record, *, by, transition_name: str) -> None:
    """The first trail entry of a record: who created it, in which state."""
    write_entry(record, transition=transition_name, source_state=None, state=record.state, by=by)


def validation_messages(error: ValidationError) -> dict[str, list[str]]:
    """A model ValidationError as {field: [messages]} for forms and the API."""
    if hasattr(error, "error_dict"):
        return {name: [str(m) for e in errors for m in e.messages] for name, errors in error.error_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}
