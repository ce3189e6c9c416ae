"""Domain errors, each with a translated message. The API maps them to status codes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class WorkflowError(Exception):
    status_code = 400
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, problems: list[str] | None = None):
        self.message = message or self.default_message
        self.problems = problems or []
        super().__init__(str(self.message))


class UnknownTransition(WorkflowError):
    status_code = 404
    default_message = _("There is no such transition.")


class TransitionNotAvailable(WorkflowError):
    """The transition does not start from the record's current state."""

    status_code = 409
    default_message = _("This step is not available in the record's current state.")


class ConcurrentChange(WorkflowError):
    """Someone else moved the record on since this copy was read."""

    status_code = 409
    default_message = _("Someone else changed this record in the meantime. Reload it and try again.")


class RecordClosed(WorkflowError):
    status_code = 409
    default_message = _("This record is closed and can no longer be edited.")


class NotPermitted(WorkflowError):
    status_code = 403
    default_message = _("You are not allowed to do this.")


class ConditionsNotMet(WorkflowError):
    status_code = 400
    default_message = _("The conditions for this step are not met.")


class StaleEdit(ConcurrentChange):
    """An edit made from a version that is no longer the record's current one.

    `changes` lists the fields that changed meanwhile (workflow.versions.FieldChange),
    `record` is the record as it is now, so that the editor can compare and decide.
    """

    default_message = _("Someone else changed this record after you opened it. Nothing was saved: "
                        "compare your changes with the current values and save again.")

    def __init__(self, message=None, *, record=None, seen_version=None, changes=None):
        super().__init__(message)
        self.record = record
        self.seen_version = seen_version
        self.changes = changes or []


class FieldsNotWritable(WorkflowError):
    """Fields this user may not write (unknown, read-only, written by a step, not theirs)."""

    status_code = 400
    default_message = _("Some fields cannot be written.")

    def __init__(self, fields: dict[str, str], message=None):
        super().__init__(message)
        self.fields = fields
