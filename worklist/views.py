from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audits import todo as audit_work
from incidents import todo as incident_work


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Everything waiting for the signed-in person, the most urgent first, by kind of work."""
    context = incident_work.context(request)
    context.update(audit_work.context(request))
    return render(request, "worklist/home.html", context)
