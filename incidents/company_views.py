"""The header's company switcher (incidents/switcher.py): a group-scoped reader chooses the
company every list and the home page show, or the whole group."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .switcher import choose_company as keep_choice
from .switcher import switchable_companies


def safe_next(request: HttpRequest) -> str:
    """Where to go back to: the page the form was on, if it is on this site; else home."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_required
@require_POST
def choose_company(request: HttpRequest) -> HttpResponse:
    """POST `company` (a company's id, or empty for the whole group) and `next`. A company the
    user may not switch to is refused (400): the switcher never widens what they may see."""
    chosen = request.POST.get("company", "").strip()
    company = None
    if chosen:
        company = next((c for c in switchable_companies(request.user) if str(c.pk) == chosen), None)
        if company is None:
            return render(request, "incidents/error.html", {
                "message": _("You cannot choose this company."), "back_url": safe_next(request),
            }, status=400)
    keep_choice(request, company)
    return redirect(safe_next(request))
