"""The inbox (/notifications/) and each person's mail settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import SettingsForm
from .kinds import ALWAYS_MAILED
from .models import MailChoice, Notification, Reader
from .services import mark_read

PAGE_SIZE = 30


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notes = Notification.objects.for_inbox(request.user)
    if request.GET.get("unread"):
        notes = notes.unread()
    page = Paginator(notes.only("id", "kind", "subject", "url", "created_at", "read_at", "deadline"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page, "only_unread": bool(request.GET.get("unread"))})


@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read (reading it is what the link is for)."""
    note = get_object_or_404(Notification.objects.for_inbox(request.user), pk=pk)
    mark_read(request.user, [note.pk])
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts={request.get_host()}):
        return redirect(note.url)
    return redirect("notification_inbox")


@login_required
@require_POST
def read(request: HttpRequest) -> HttpResponse:
    """Mark read: the notifications ticked (`id`), or all of them (`all`)."""
    if request.POST.get("all"):
        count = mark_read(request.user)
    else:
        ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()]
        count = mark_read(request.user, ids)
    messages.success(request, _("%(count)s marked as read.") % {"count": count})
    return redirect(request.POST.get("next") if url_has_allowed_host_and_scheme(
        request.POST.get("next"), allowed_hosts={request.get_host()}) else "notification_inbox")


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    reader = Reader.objects.filter(user=user).first()
    chosen = dict(MailChoice.objects.filter(user=user).values_list("kind", "mode"))
    form = SettingsForm(request.POST or None, choices=chosen,
                        initial={"language": reader.language if reader else None})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            Reader.objects.update_or_create(user=user, defaults={"language": form.cleaned_data["language"]})
            for kind, mode in form.choices().items():
                MailChoice.objects.update_or_create(user=user, kind=kind, defaults={"mode": mode})
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notification_settings")
    return render(request, "notifications/settings.html", {
        "form": form, "always": _(", ").join(str(kind.label) for kind in sorted(ALWAYS_MAILED)),
    }, status=400 if form.is_bound else 200)
