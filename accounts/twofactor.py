"""Two-factor authentication with a TOTP authenticator app (django-otp).

Optional for everyone; compulsory for the users settings.OTP_REQUIRED names ("superusers",
"pms_managers"; env TWO_FACTOR_REQUIRED_FOR). A user has at most one TOTPDevice; it counts
once confirmed, i.e. once the user has typed a valid code from it.

- Web and admin login (accounts.views.LoginView): a user with a confirmed device is asked for
  the code in a second step; the session is then marked verified (django_otp.login).
- TwoFactorRequiredMiddleware: a required user whose session is not verified reaches only the
  enrolment page, the code page and logout.
- api_code_refusal(): the same rule for the API token endpoint.

TOTPDevice.verify_token() refuses a code used before and throttles: after each wrong code the
next try waits 1, 2, 4, 8… seconds (OTP_TOTP_THROTTLE_FACTOR).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.api_errors import error_response, is_api_request

# The group of incidents.roles.Role.PMS_MANAGER (accounts imports neither incidents nor audits;
# tests/accounts/test_twofactor.py checks the two agree).
PMS_MANAGER_GROUP = "pms_manager"

# What a required but unverified user may still reach (besides the code and enrolment pages).
OPEN_PREFIXES = ("/api/auth/", "/api/schema/", "/api/docs/", "/api/redoc/", "/accounts/login/", "/accounts/logout/", "/accounts/two-factor/",
                 "/admin/logout/", "/i18n/", "/static/", "/healthz")


def confirmed_device(user) -> TOTPDevice | None:
    if user is None or not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_required(user) -> bool:
    """Whether settings.OTP_REQUIRED makes two-factor compulsory for this user."""
    required = settings.OTP_REQUIRED
    if not required or user is None or not user.is_authenticated:
        return False
    if "superusers" in required and user.is_superuser:
        return True
    return "pms_managers" in required and user.groups.filter(name=PMS_MANAGER_GROUP).exists()


def code_error(device: TOTPDevice, code: str) -> str | None:
    """None if `code` is a valid, unused code of `device`, else why not (translated).

    Each wrong code is counted on the device (throttling)."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        return _("Too many wrong codes: wait a few seconds, then enter the current code.")
    if device.verify_token(normalise_code(code)):
        return None
    return _("That code is wrong or has expired. Enter the current 6-digit code from your authenticator app.")


def normalise_code(code: str | None) -> str:
    """Codes are often typed or pasted with spaces ("123 456")."""
    return "".join((code or "").split())


def api_code_refusal(user, code: str | None) -> str | None:
    """For the API token endpoint, after the password was checked: None if a token may be
    issued, else the message to answer with.

    None when the user has no confirmed device and is not required to have one, or when
    `code` verifies; otherwise: a code is needed, the code is wrong, or (required but not
    enrolled) two-factor must first be set up on the web."""
    device = confirmed_device(user)
    if device is None:
        if is_required(user):
            return _(
                "Two-factor authentication is required for your account: set it up on the web "
                "(page \"Two-factor authentication\") before asking for an API token."
            )
        return None
    if not normalise_code(code):
        return _("Two-factor authentication is on for your account: the 6-digit code from your "
                 "authenticator app is required.")
    return code_error(device, code or "")


def qr_svg(text: str) -> str:
    """An inline <svg> QR code (no script, no style element: fine under the site's CSP)."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=5, border=2, light="#fff", title=_("QR code for your authenticator app"))


class TwoFactorRequiredMiddleware:
    """Keeps a user who must use two-factor (settings.OTP_REQUIRED) on the enrolment page
    (no device yet) or the code page (device, but this session has not passed a code).

    After django_otp.middleware.OTPMiddleware. On the API, a request with an `Authorization`
    header is left to its token (the token endpoint asked api_code_refusal() before issuing
    it); one that would ride on such a session is a 403, as JSON. Costs no query unless
    OTP_REQUIRED is set and the session is not verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.OTP_REQUIRED
            and user is not None
            and user.is_authenticated
            and not request.path_info.startswith(OPEN_PREFIXES)
            and not user.is_verified()
            and is_required(user)
        ):
            if is_api_request(request):
                if "HTTP_AUTHORIZATION" in request.META:
                    return self.get_response(request)
                return error_response(_(
                    "Two-factor authentication is required for your account: enter your code (or set it up) "
                    "on the web before using this session with the API."
                ), "two_factor_required", 403)
            target = "login_code" if confirmed_device(user) else "two_factor"
            query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
            return redirect(reverse(target) + (f"?{query}" if query else ""))
        return self.get_response(request)
