"""Through which door a change came in: the web pages, the API, the admin or a command.

The middleware sets the door for the request; anything outside a request (management
commands, the task runner, a shell) is a command.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from .models import Door

_door: ContextVar[str | None] = ContextVar("trail_door", default=None)


def current_door() -> str:
    return _door.get() or Door.COMMAND


@contextmanager
def entering(door: str):
    token = _door.set(door)
    try:
        yield
    finally:
        _door.reset(token)


def door_of_path(path: str) -> str:
    if path.startswith("/api/"):
        return Door.API
    if path.startswith("/admin/"):
        return Door.ADMIN
    return Door.WEB


class DoorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with entering(door_of_path(request.path_info)):
            return self.get_response(request)
