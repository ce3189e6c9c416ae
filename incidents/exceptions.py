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
