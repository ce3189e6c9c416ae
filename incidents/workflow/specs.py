"""What a record type declares about itself: the steps people take and the fields they edit.

Each record type (an incident, an action, an audit, ...) holds two class attributes:

- `transition_specs`: the transitions people take, with the fields each step asks for;
- `edit_policy`: which fields may be edited, by whom, in which states.

The API serializers, the web forms, the admin and the services all read these two
declarations; nothing else lists a record's writable fields. This module imports no
model, so models can use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

__all__ = [
    "EditPolicy",
    "Editable",
    "TransitionSpec",
    "specs",
]

# (record, user) -> a message saying why not, or None when allowed.
WhoCheck = Callable[[Any, Any], "str | None"]
# (record) -> a message saying why the record cannot be edited now, or None.
StateCheck = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class TransitionSpec:
    """A transition as people see it: its label and the fields its form asks for.

    `required` names the fields of `fields` that the step's conditions always insist on, so
    that its form marks them and asks for them beside the field; a field needed only in some
    cases (a receipt number, from a recipient that gives one) is left to the form of the step,
    which reads the same rule from the record.
    """

    name: str
    label: Any
    fields: tuple[str, ...] = ()
    comment_required: bool = False
    danger: bool = False
    required: tuple[str, ...] = ()

    def __post_init__(self):
        unknown = set(self.required) - set(self.fields)
        if unknown:
            raise ValueError(f"{self.name}: required fields not asked by the step: {sorted(unknown)}")


def specs(*items: TransitionSpec) -> dict[str, TransitionSpec]:
    """The transition specs of a record type, by name, in the order given."""
    return {spec.name: spec for spec in items}


@dataclass(frozen=True)
class Editable:
    """A group of fields that the same people may edit in the same states.

    `who` says why a user may not edit them (None: they may); `when` says why the
    record's state does not allow it (None: it does). `on_create` says whether the fields
    may be given when the record is created (by the same people). `after_close` fields
    stay editable once the policy's `editable` check closes the rest of the record (what
    a report still owes after its incident is closed: a 追完 to the PPC, the assessment
    body's notice).
    """

    fields: tuple[str, ...]
    who: WhoCheck
    when: StateCheck | None = None
    on_create: bool = True
    after_close: bool = False


class EditPolicy:
    """Who may write which fields of one record type, and when.

    `editable` is checked first for the whole record (closed, or not this user's record
    at all); then each field is checked against its group. Fields that only a transition
    writes are named in `by_transition` so that a client who sends one is told which step
    writes it.
    """

    def __init__(
        self,
        *groups: Editable,
        editable: StateCheck | None = None,
        who_may_edit: WhoCheck | None = None,
        by_transition: dict[str, str] | None = None,
    ):
        self.groups = groups
        self.editable = editable
        self.who_may_edit = who_may_edit
        self.by_transition = dict(by_transition or {})
        self.fields: tuple[str, ...] = tuple(name for group in groups for name in group.fields)
        self.create_fields: tuple[str, ...] = tuple(
            name for group in groups if group.on_create for name in group.fields
        )
        self._group_of = {name: group for group in groups for name in group.fields}

    def __contains__(self, name: str) -> bool:
        return name in self._group_of

    # --- the record as a whole

    def closed_problem(self, record, names: Iterable[str] | None = None) -> str | None:
        """Why the record cannot be edited by anyone now (closed, past its editable states).

        With `names`, the fields about to change: None when they are all fields that stay
        editable after close (an edit of nothing else is not refused as a whole)."""
        message = self.editable(record) if self.editable else None
        if not message:
            return None
        names = set(names or ())
        if names and names <= self.open_after_close(record):
            return None
        return str(message)

    def closed_to(self, record, user) -> str | None:
        """Why the record is closed to `user` as a whole: closed, and none of the fields that
        stay open after close (a 追完) is theirs to write now."""
        closed = self.closed_problem(record)
        return closed if closed and not self.writable(record, user) else None

    def open_after_close(self, record) -> set[str]:
        """The after-close fields whose group's state check lets them be written now."""
        return {name for group in self.groups if group.after_close and (group.when is None or group.when(record) is None)
                for name in group.fields}

    def user_problem(self, record, user) -> str | None:
        """Why `user` may edit none of the record's fields now, or None."""
        if self.who_may_edit is not None:
            message = self.who_may_edit(record, user)
            if message:
                return str(message)
        if self.writable(record, user):
            return None
        # A group this user belongs to but whose time is over says so ("until the team accepts").
        for group in self.groups:
            if group.who(record, user) is None and group.when is not None and (message := group.when(record)):
                return str(message)
        # Otherwise the first group's reason tells the user who may edit the record.
        for group in self.groups:
            message = group.who(record, user) or (group.when(record) if group.when else None)
            if message:
                return str(message)
        return str(_("You are not allowed to edit this record."))

    # --- field by field

    def writable(self, record, user) -> tuple[str, ...]:
        """The fields `user` may write on `record` now (in declaration order)."""
        closed = self.closed_problem(record) is not None
        return tuple(
            name for group in self.groups
            if (group.after_close or not closed)
            and group.who(record, user) is None and (group.when is None or group.when(record) is None)
            for name in group.fields
        )

    def creatable(self, user, record=None) -> tuple[str, ...]:
        """The fields `user` may give when creating a record (`record`: the unsaved instance)."""
        return tuple(
            name for group in self.groups if group.on_create and group.who(record, user) is None
            for name in group.fields
        )

    def field_problems(self, record, user, names: Iterable[str], *, creating: bool = False) -> dict[str, str]:
        """{field: why it may not be written} for the names `user` may not write."""
        problems = {}
        allowed = set(self.creatable(user, record) if creating else self.writable(record, user))
        for name in names:
            if name in allowed:
                continue
            group = self._group_of.get(name)
            if name in self.by_transition:
                problems[name] = str(_("This field is written by the step “%(step)s”, not by an edit.")
                                     % {"step": self.by_transition[name]})
            elif group is None or (creating and not group.on_create):
                problems[name] = str(_("This field is read-only."))
            else:
                message = group.who(record, user) or (group.when(record) if group.when and not creating else None)
                problems[name] = str(message or _("You may not change this field now."))
        return problems
