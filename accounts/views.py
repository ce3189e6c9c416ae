"""Login (with the two-factor code step) and the two-factor page.

The password change and reset pages are Django's own views with our templates (urls.py).
"""

from __future__ import annotations

import time
from base64 import b32encode

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import get_user_model, signals
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import twofactor
from .forms import CodeForm, RemoveDeviceForm

# A password checked in the first step waits this long for its code.
PENDING_KEY = "accounts_twofactor_pending"
PENDING_SECONDS = 5 * 60


class LoginView(auth_views.LoginView):
    """Django's login, with a second step for a user with a confirmed two-factor device: the
    password is right, but the user is logged in only once the code is (login_code).

    Also serves /admin/login/ (next_page="admin:index"), so the admin asks for the code too."""

    def form_valid(self, form):
        user = form.get_user()
        if twofactor.confirmed_device(user) is None:
            return super().form_valid(form)
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            # A password changed meanwhile voids the first step.
            "hash": user.get_session_auth_hash(),
            "next": self.get_success_url(),
            "until": int(time.time()) + PENDING_SECONDS,
        }
        return redirect("login_code")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not context.get(self.redirect_field_name) and self.next_page:
            context[self.redirect_field_name] = resolve_url(self.next_page)
        return context


def _pending_user(request):
    """(user, backend, next URL) of a login waiting for its code, or None."""
    pending = request.session.get(PENDING_KEY)
    if not pending or pending.get("until", 0) < time.time():
        return None
    user = get_user_model()._default_manager.filter(pk=pending["user"], is_active=True).first()
    if user is None or user.get_session_auth_hash() != pending["hash"]:
        return None
    return user, pending["backend"], pending["next"]


def _safe_next(request, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return resolve_url(default)


@sensitive_post_parameters("code")
@never_cache
def login_code(request):
    """The second step of a login: the code of the user's authenticator app.

    Serves both a login waiting for its code (password checked in LoginView) and a session
    already logged in but not verified (e.g. a user for whom two-factor became compulsory).
    A wrong code is a failed login for django-axes (same username + address count and
    lockout) on top of the device's own throttling."""
    pending = _pending_user(request)
    if pending is not None:
        user, backend, next_url = pending
    elif request.user.is_authenticated and not request.user.is_verified():
        user, backend, next_url = request.user, None, _safe_next(request, "home")
    else:
        request.session.pop(PENDING_KEY, None)
        if request.user.is_authenticated:
            return redirect(_safe_next(request, "home"))
        messages.info(request, _("Log in again: the code was not entered in time."))
        return redirect("login")
    device = twofactor.confirmed_device(user)
    if device is None:  # removed by an administrator meanwhile
        request.session.pop(PENDING_KEY, None)
        return redirect(next_url if backend is None else "login")

    credentials = {"username": user.get_username()}
    if request.method == "POST" and not AxesProxyHandler.is_allowed(request, credentials):
        return get_lockout_response(request, None, credentials)
    form = CodeForm(request.POST if request.method == "POST" else None, device=device)
    if form.is_valid():
        if backend is not None:
            request.session.pop(PENDING_KEY, None)
            auth_login(request, user, backend=backend)
        django_otp.login(request, device)
        return redirect(next_url)
    if form.is_bound and "code" in form.errors and form.code_checked:
        # Counted by django-axes (AxesMiddleware answers with the lockout at the limit).
        signals.user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return render(request, "accounts/login_code.html", {
        "form": form, "pending": backend is not None, "next": next_url if backend is None else "",
    })


@login_required
@sensitive_post_parameters("code", "secret")
@never_cache
def two_factor(request):
    """Turn two-factor on (scan the QR code, confirm with a code) or off (password or code)."""
    user = request.user
    device = twofactor.confirmed_device(user)
    if device is not None and not user.is_verified():
        # This session has not passed a code (it began before the device was confirmed).
        return redirect(reverse("login_code") + "?next=" + reverse("two_factor"))
    required = twofactor.is_required(user)
    if device is not None:
        form = RemoveDeviceForm(request.POST or None, user=user, device=device)
        if form.is_valid():
            TOTPDevice.objects.filter(user=user).delete()
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("two_factor")
        return render(request, "accounts/two_factor.html", {
            "device": device, "form": form, "required": required,
        })

    # Enrolment: one unconfirmed device holds the secret shown until a code confirms it.
    candidate = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if candidate is None:
        candidate = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    form = CodeForm(request.POST if request.method == "POST" else None, device=candidate)
    if form.is_valid():
        candidate.confirmed = True
        candidate.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        django_otp.login(request, candidate)
        messages.success(request, _("Two-factor authentication is on: from now on you log in with your "
                                    "password and a code from the app."))
        return redirect(_safe_next(request, "two_factor"))
    secret = b32encode(candidate.bin_key).decode()
    return render(request, "accounts/two_factor.html", {
        "form": form, "required": required,
        "qr_svg": twofactor.qr_svg(candidate.config_url),
        "config_url": candidate.config_url,
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "next": _safe_next(request, "two_factor") if request.GET.get("next") or request.POST.get("next") else "",
    })
