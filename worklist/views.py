from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audits import todo as audit_work
from incidents import todo as incident_work

from . import dashboard as status_dashboard
from .figures import reads_dashboard, scope_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Everything waiting for the signed-in person, the most urgent first, by kind of work."""
    context = incident_work.context(request)
    context.update(audit_work.context(request))
    context["reads_dashboard"] = reads_dashboard(request.user)
    return render(request, "worklist/home.html", context)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The status dashboard (状況ダッシュボード): the fiscal year in four charts, for the PMS
    office, auditors, top management and department heads (their departments)."""
    scope = scope_of(request)
    if scope is None:
        raise PermissionDenied
    return render(request, "worklist/dashboard.html", status_dashboard.context(scope))
