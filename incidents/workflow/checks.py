"""Glue between django-fsm-2 transitions and the explanations users need.

django-fsm-2 answers yes or no. A PMS manager needs to be told *why* a step is refused,
so every condition and permission is written once as a check that returns a message
(or None), and wrapped here into the boolean callables django-fsm-2 expects. The
transition service reads the messages back from the same objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["condition", "permission", "permission_problem", "unmet_conditions"]

Check = Callable[[Any], "str | None"]
PermissionCheck = Callable[[Any, Any], "str | None"]


def condition(check: Check) -> Callable[[Any], bool]:
    def met(instance: Any) -> bool:
        return check(instance) is None

    met.check = check  # type: ignore[attr-defined]
    return met


def permission(check: PermissionCheck) -> Callable[[Any, Any], bool]:
    def allowed(instance: Any, user: Any) -> bool:
        return check(instance, user) is None

    allowed.check = check  # type: ignore[attr-defined]
    return allowed


def unmet_conditions(instance: Any, transition: Any) -> list[str]:
    """Messages of the conditions of an fsm Transition that the instance does not meet."""
    messages = []
    for cond in transition.conditions or []:
        message = cond.check(instance)
        if message:
            messages.append(str(message))
    return messages


def permission_problem(instance: Any, transition: Any, user: Any) -> str | None:
    if transition.permission is None:
        return None
    message = transition.permission.check(instance, user)
    return str(message) if message else None
