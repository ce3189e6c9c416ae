"""Login protection (django-axes): what a locked-out client is told, on the web and the API.

A username + client address pair is locked after settings.AXES_FAILURE_LIMIT failed logins
for settings.AXES_COOLOFF_TIME (LOGIN_FAILURE_LIMIT / LOGIN_LOCKOUT_MINUTES in the
environment). Axes logs each lockout (logger ``axes``, WARNING); an administrator unlocks
by deleting the pair's "access attempt" in the admin, or with ``manage.py axes_reset``.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from config.api_errors import error_response, is_api_request


def lockout_minutes() -> int | None:
    cool_off = settings.AXES_COOLOFF_TIME
    return None if not cool_off else max(1, round(cool_off.total_seconds() / 60))


def lockout_message() -> str:
    minutes = lockout_minutes()
    if minutes is None:
        return _(
            "Too many failed logins: logins to this account from your address are blocked. "
            "Ask an administrator to unlock it."
        )
    return _(
        "Too many failed logins: logins to this account from your address are blocked for "
        "%(minutes)s minutes. Try again later, or ask an administrator to unlock it."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """settings.AXES_LOCKOUT_CALLABLE: JSON on the API, the lockout page on the web."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    minutes = lockout_minutes()
    if is_api_request(request):
        response = error_response(lockout_message(), "locked_out", status)
    else:
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, {
            "message": lockout_message(), "failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes,
        }, status=status)
    if minutes is not None:
        response["Retry-After"] = str(minutes * 60)
    return response


class TestClientAxesBackend(AxesStandaloneBackend):
    """For config.test_settings only: the test client's ``login()`` calls ``authenticate()``
    without a request, which axes refuses; such a call has no client to lock out, so it
    passes through. Every login over HTTP (web, admin, API) is still counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
