"""Every error the API can meet becomes a clear answer in the user's language, never a 500.

- domain errors (incidents.exceptions.WorkflowError): their own status code, with
  `{"detail": …, "code": …}` plus `unmet_conditions` when conditions are missing; a
  stale edit (409) also says what changed since and shows the record now; fields the
  user may not write are a 400 naming each;
- django ValidationError (model `clean()` rules, run by the services): 400 per field;
- IntegrityError (a database constraint the validation did not catch, or lost a race): 409;
- everything DRF knows (invalid JSON, 401, 403, 404, 405, field errors): DRF's answer,
  with a `code` next to a lone `detail`.
"""

from __future__ import annotations

import logging
import re

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from ..exceptions import FieldsNotWritable, StaleEdit, WorkflowError
from ..workflow.service import validation_messages

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _(
        "The change conflicts with the data already stored (it may have been changed in the meantime). "
        "Reload the record and try again."
    )
    default_code = "conflict"


def error_code(exc: WorkflowError) -> str:
    """ConditionsNotMet -> "conditions_not_met"."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def workflow_error_data(exc: WorkflowError) -> dict:
    data = {"detail": str(exc.message), "code": error_code(exc)}
    if exc.problems:
        data["unmet_conditions"] = [str(problem) for problem in exc.problems]
    return data


def exception_handler(exc, context):
    if isinstance(exc, FieldsNotWritable):
        # The same shape as any invalid input: messages per field.
        exc = exceptions.ValidationError({name: [message] for name, message in exc.fields.items()})
    elif isinstance(exc, StaleEdit):
        set_rollback()
        view = context.get("view")
        if hasattr(view, "conflict_data"):
            return Response(view.conflict_data(exc), status=exc.status_code)
        return Response(workflow_error_data(exc), status=exc.status_code)
    elif isinstance(exc, WorkflowError):
        set_rollback()
        return Response(workflow_error_data(exc), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        messages = validation_messages(exc)
        if NON_FIELD_ERRORS in messages:
            messages[api_settings.NON_FIELD_ERRORS_KEY] = messages.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(messages)
    elif isinstance(exc, Http404):
        # Django's message ("No Incident matches the given query.") is English only.
        exc = exceptions.NotFound()
    elif isinstance(exc, IntegrityError):
        logger.warning("IntegrityError answered with 409: %s", exc)
        exc = Conflict()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and set(response.data) == {"detail"}:
        # Same shape as the domain errors: {"detail": "Not found.", "code": "not_found"}.
        code = getattr(response.data["detail"], "code", None)
        if code:
            response.data["code"] = code
    return response
