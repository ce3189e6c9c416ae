"""The trail for auditors: a record's or a period's entries to take away, and a check of the chain."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from trail.chain import verify
from trail.export import as_csv, as_json, period_entries, record_entries
from trail.guard import unguarded_tables
from trail.models import ChainHead

from .roles import Role, role_companies

# Who reads the whole trail: the PMS office and the internal auditors, of the whole group:
# a period's trail holds every company's records, so a role held for one company reads
# the trail of that company's records one by one, from their pages.
TRAIL_READERS = (Role.PMS_MANAGER, Role.AUDITOR, Role.AUDIT_LEAD)


def reads_whole_trail(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or role_companies(user, *TRAIL_READERS) is None


def _download(entries, fmt: str, name: str) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(as_csv(entries), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(as_json(entries), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
def record_trail_export(request: HttpRequest, label: str, pk: int, fmt: str) -> HttpResponse:
    """One record's trail, for whoever may see the record."""
    if fmt not in ("csv", "json"):
        raise Http404
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise Http404 from None
    if not hasattr(model, "transition_specs") or not hasattr(model.objects, "visible_to"):
        raise Http404
    record = model.objects.visible_to(request.user).filter(pk=pk).first()
    if record is None:
        raise Http404
    name = f"trail-{getattr(record, 'reference', '') or f'{model._meta.model_name}-{pk}'}"
    return _download(record_entries(record), fmt, name)


def _parse(value: str | None):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return False


@login_required
@require_http_methods(["GET", "POST"])
def trail_page(request: HttpRequest) -> HttpResponse:
    """Export a period's trail; check the whole chain on request."""
    if not reads_whole_trail(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    since, until = _parse(request.GET.get("since")), _parse(request.GET.get("until"))
    errors = []
    if "export" in request.GET:
        if not since or not until:
            errors.append(_("Enter both dates as YYYY-MM-DD."))
        elif since > until:
            errors.append(_("The first date is after the last."))
        else:
            fmt = "csv" if request.GET.get("format") == "csv" else "json"
            return _download(period_entries(since, until), fmt, f"trail-{since}-{until}")
    check = None
    if request.method == "POST":
        problems = [str(problem) for problem in verify()]
        problems += [_("%(table)s is not guarded against changes.") % {"table": table} for table in unguarded_tables()]
        check = {"problems": problems, "at": timezone.now()}
    head = ChainHead.objects.filter(pk=1).first()
    return render(request, "incidents/trail.html", {
        "head": head, "check": check, "errors": errors,
        "since": request.GET.get("since") or today.replace(day=1).isoformat(),
        "until": request.GET.get("until") or today.isoformat(),
    }, status=400 if errors else 200)
