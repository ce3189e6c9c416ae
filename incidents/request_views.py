"""The pages of requests from individuals (開示等の請求等, issue 15), and the public form.

Thin, like incidents/views.py: every case is fetched through `visible_to(user)` (a case the
user may not see is a 404 on every page), every write goes through incidents.case_services,
the steps through the generic transition page (case_urls: rightsrequest_transition).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from . import attachments, case_services
from .case_forms import (
    LetterForm,
    PauseForm,
    PublicIntakeForm,
    RequestAddKindForm,
    RequestEditForm,
    RequestIntakeForm,
    RequestItemForm,
    RequestListFilter,
    ResumeForm,
    WrongfulRefusalForm,
)
from .deadlines import request_deadline
from .exceptions import ConcurrentChange, FieldsNotWritable, NotPermitted, RecordClosed, StaleEdit
from .models import Complaint, EvidencePurpose, Incident, RequestItem, RightsRequest
from .models.requests import case_office_problem
from .registers import REQUEST_REGISTER
from .roles import Role, has_role
from .switcher import narrow
from .workflow.forms import show_conflict
from .workflow.service import can_edit, check_edit
from .workflow.timeline import related_timeline
from .workflow.web import add_model_errors, edit_view, filtered_list, refused, trail_rows, transition_panels

# What the files of a request prove, in the order of the case (incidents.attachments).
REQUEST_PURPOSES = (
    EvidencePurpose.REQUEST_DOCUMENT, EvidencePurpose.IDENTITY, EvidencePurpose.AUTHORITY,
    EvidencePurpose.DISCLOSED_DATA, EvidencePurpose.CORRESPONDENCE,
)


def _case_or_404(user, pk: int) -> RightsRequest:
    return get_object_or_404(
        RightsRequest.objects.visible_to(user).select_related(
            "company", "department", "handler", "received_by", "incident"),
        pk=pk,
    )


def _detail_url(case: RightsRequest, anchor: str = "") -> str:
    return reverse("request_detail", args=[case.pk]) + (f"#{anchor}" if anchor else "")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# ---------------------------------------------------------------------------
# List, intake


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    queryset = (RightsRequest.objects.visible_to(request.user)
                .select_related("handler", "department", "company").prefetch_related("items"))
    return filtered_list(request, filter_class=RequestListFilter, queryset=narrow(queryset, request),
                         template="incidents/requests/request_list.html", today=timezone.localdate(),
                         register=REQUEST_REGISTER)


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """Anyone signed in records a request they received (by post, telephone, mail, at a desk)."""
    form = RequestIntakeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = case_services.request_receive(by=request.user, kinds=form.cleaned_data["kinds"],
                                                 **form.service_data())
        except FieldsNotWritable as error:
            for name, message in error.fields.items():
                form.add_error(name if name in form.fields else None, message)
        except ValidationError as error:
            add_model_errors(form, error)
        else:
            messages.success(request, _("The request was recorded as %(reference)s; the PMS office has been told.")
                             % {"reference": case.reference})
            return redirect("request_detail", case.pk)
    status = 400 if form.is_bound else 200
    return render(request, "incidents/requests/request_new.html", {"form": form}, status=status)


@login_required
@require_GET
def request_form_pdf(request: HttpRequest) -> HttpResponse:
    """The company's blank request form (保有個人データ開示等請求書), to send by post, fax or mail."""
    from . import case_letters

    return _pdf(case_letters.request_form_pdf(), "request-form.pdf")


# ---------------------------------------------------------------------------
# The case


def _evidence_groups(case: RightsRequest, user) -> list[dict]:
    files = attachments.attachments_by_record([case])[case.pk]
    addable = set(attachments.addable_purposes(case, user))
    return [
        {"purpose": purpose.value, "label": purpose.label, "can_add": purpose.value in addable,
         "files": [attachment for attachment in files if attachment.purpose == purpose.value]}
        for purpose in REQUEST_PURPOSES
    ]


def _item_rows(case: RightsRequest, items: list[RequestItem], user) -> list[dict]:
    rows = []
    for item in items:
        item.request = case
        writable = bool(RequestItem.edit_policy.writable(item, user))
        form = RequestItemForm(instance=item, user=user, auto_id=f"id_item{item.pk}_%s") if writable else None
        rows.append({"item": item, "form": form})
    return rows


def _trail(case: RightsRequest, items: list[RequestItem], pauses: list) -> list:
    # The things asked for at receipt are told by the case's "Request received"; one added
    # later is "Also asked for".
    received = case.created_at + dt.timedelta(seconds=5)
    extra = [moment for moment in related_timeline(items, subject=lambda item: item.get_kind_display(),
                                                   labels={"created": _("Also asked for")})
             if moment.kind != "created" or moment.at > received]
    extra += related_timeline(pauses, subject=lambda pause: pause.reason,
                              labels={"created": _("Clock stopped"), "edit": _("Clock resumed")})
    return trail_rows(case, extra=extra)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = _case_or_404(user, pk)
    items = list(case.items.all())
    pauses = list(case.pauses.select_related("started_by"))
    office_or_handler = case_office_problem(case, user) is None
    office = has_role(user, Role.PMS_MANAGER, company=case.company_id)
    may_work = office_or_handler and case.is_open
    complaints = list(case.complaints.all())
    visible_complaints = set(Complaint.objects.visible_to(user).filter(request=case).values_list("pk", flat=True))
    add_kind_form = RequestAddKindForm(request=case) if may_work else None
    refusal_problem = case_services.request_refusal_problem(case)
    return render(request, "incidents/requests/request_detail.html", {
        "case": case,
        "items": _item_rows(case, items, user),
        "pauses": pauses,
        "today": timezone.localdate(),
        "pause_form": PauseForm(initial={"version": case.version}) if may_work and not case.paused_since else None,
        "resume_form": ResumeForm(initial={"version": case.version}) if may_work and case.paused_since else None,
        "add_kind_form": add_kind_form if add_kind_form and add_kind_form.fields["kind"].choices else None,
        "evidence": _evidence_groups(case, user),
        "identity_retention_days": case.company.identity_copy_retention_days,
        "transitions": transition_panels(case, user),
        "next_deadline": request_deadline(case),
        "trail": _trail(case, items, pauses),
        "can_edit": can_edit(case, user),
        "may_see_letter": office_or_handler,
        "may_raise_incident": office and refusal_problem is None,
        "incident_visible": case.incident_id is not None
        and Incident.objects.readable_by(user).filter(pk=case.incident_id).exists(),
        "complaints": [(complaint, complaint.pk in visible_complaints) for complaint in complaints],
    })


@login_required
@require_http_methods(["GET", "POST"])
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request.user, pk)
    return edit_view(request, case, form_class=RequestEditForm, check=check_edit,
                     update=lambda **data: case_services.request_update(request=case, **data),
                     template="incidents/requests/request_edit.html", context={"case": case})


@login_required
@require_http_methods(["GET", "POST"])
def request_item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """The decision on one thing asked for: posted from the case's page (the inline form),
    shown on its own page when it needs correcting or someone saved first (409)."""
    case = _case_or_404(request.user, pk)
    item = get_object_or_404(RequestItem, pk=item_pk, request=case)
    item.request = case
    try:
        check_edit(item, request.user)
    except RecordClosed as error:
        messages.error(request, error.message)
        return redirect(_detail_url(case, "items"))
    except NotPermitted as error:
        return refused(request, error, case)
    form = RequestItemForm(request.POST or None, instance=item, user=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                case_services.request_item_update(item=item, by=request.user, version=form.cleaned_data["version"],
                                                  **form.edits())
            except StaleEdit as error:
                show_conflict(form, error)
                status = 409
            except FieldsNotWritable as error:
                for name, message in error.fields.items():
                    form.add_error(name if name in form.fields else None, message)
            except ValidationError as error:
                add_model_errors(form, error)
            except NotPermitted as error:
                return refused(request, error, case)
            except (RecordClosed, ConcurrentChange) as error:
                messages.error(request, error.message)
                return redirect(_detail_url(case, "items"))
            else:
                messages.success(request, _("The decision on “%(kind)s” was saved.") % {"kind": item.get_kind_display()})
                return redirect(_detail_url(case, "items"))
    return render(request, "incidents/requests/item_edit.html", {"case": case, "item": item, "form": form},
                  status=status)


def _error_page(request: HttpRequest, message: str, case: RightsRequest, status: int) -> HttpResponse:
    return render(request, "incidents/error.html", {"message": message, "back_url": _detail_url(case)},
                  status=status)


@login_required
@require_POST
def request_add_kind(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request.user, pk)
    form = RequestAddKindForm(request.POST, request=case)
    if not form.is_valid():
        return _error_page(request, " ".join(str(m) for errors in form.errors.values() for m in errors), case, 400)
    try:
        item = case_services.request_add_kind(request=case, by=request.user, kind=form.cleaned_data["kind"])
    except ValidationError as error:
        return _error_page(request, " ".join(error.messages), case, 400)
    except NotPermitted as error:
        return refused(request, error, case)
    except RecordClosed as error:
        return _error_page(request, error.message, case, error.status_code)
    messages.success(request, _("Added: %(kind)s.") % {"kind": item.get_kind_display()})
    return redirect(_detail_url(case, "items"))


def _clock_step(request: HttpRequest, case: RightsRequest, form, step) -> HttpResponse:
    """Pause or resume the clock, from the version the page was read at."""
    problem = case_office_problem(case, request.user)
    if problem:
        return refused(request, NotPermitted(problem), case)
    if not form.is_valid():
        return _error_page(request, " ".join(str(m) for errors in form.errors.values() for m in errors), case, 400)
    try:
        step(**form.cleaned_data)
    except ValidationError as error:
        return _error_page(request, " ".join(error.messages), case, 400)
    except NotPermitted as error:
        return refused(request, error, case)
    except (RecordClosed, StaleEdit, ConcurrentChange) as error:
        messages.error(request, error.message)
        return redirect(_detail_url(case, "clock"))
    return None


@login_required
@require_POST
def request_pause(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request.user, pk)
    form = PauseForm(request.POST)
    answer = _clock_step(request, case, form, lambda version, reason, since: case_services.request_pause(
        request=case, by=request.user, version=version, reason=reason, since=since))
    if answer is not None:
        return answer
    messages.success(request, _("The clock is stopped while the company waits for the requester."))
    return redirect(_detail_url(case, "clock"))


@login_required
@require_POST
def request_resume(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request.user, pk)
    form = ResumeForm(request.POST)
    answer = _clock_step(request, case, form, lambda version, on: case_services.request_resume(
        request=case, by=request.user, version=version, on=on))
    if answer is not None:
        return answer
    case.refresh_from_db()
    messages.success(request, _("The clock runs again: the answer is now due %(due)s.")
                     % {"due": case.effective_due_on()})
    return redirect(_detail_url(case, "clock"))


# ---------------------------------------------------------------------------
# The answer letter (開示等の通知書)


@login_required
@require_http_methods(["GET", "POST"])
def request_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter's text, drafted from the case, to edit before printing (saved on the case)."""
    from . import case_letters

    case = _case_or_404(request.user, pk)
    problem = case_office_problem(case, request.user)
    if problem:
        return refused(request, NotPermitted(problem), case)
    writable = "letter_body" in RightsRequest.edit_policy.writable(case, request.user)
    default_text = case_letters.request_letter_text(case)
    form = None
    status = 200
    if writable:
        form = LetterForm(request.POST or None, instance=case, user=request.user)
        if not case.letter_body:
            form.initial["letter_body"] = default_text
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    case_services.request_update(request=case, by=request.user, version=form.cleaned_data["version"],
                                                 letter_body=form.cleaned_data["letter_body"])
                except StaleEdit as error:
                    show_conflict(form, error)
                    status = 409
                except ValidationError as error:
                    add_model_errors(form, error)
                except (FieldsNotWritable, NotPermitted, RecordClosed, ConcurrentChange) as error:
                    messages.error(request, getattr(error, "message", str(error)))
                    return redirect("request_letter", case.pk)
                else:
                    messages.success(request, _("The text of the letter was saved."))
                    return redirect("request_letter", case.pk)
    elif request.method == "POST":
        messages.error(request, _("The letter of a closed case can no longer be changed."))
        return redirect("request_letter", case.pk)
    return render(request, "incidents/requests/request_letter.html", {
        "case": case, "form": form, "text": case.letter_body or default_text,
        "is_default": not case.letter_body,
    }, status=status)


@login_required
@require_GET
def request_letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from . import case_letters

    case = _case_or_404(request.user, pk)
    problem = case_office_problem(case, request.user)
    if problem:
        return refused(request, NotPermitted(problem), case)
    return _pdf(case_letters.request_letter_pdf(case), f"{case.reference}-letter.pdf")


# ---------------------------------------------------------------------------
# A refusal judged wrongful: a PrivacyMark 事故等 of kind ⑧


@login_required
@require_http_methods(["GET", "POST"])
def request_raise_incident(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request.user, pk)
    if not has_role(request.user, Role.PMS_MANAGER, company=case.company_id):
        return refused(request, NotPermitted(_("Only the PMS office judges a refusal wrongful.")), case)
    problem = case_services.request_refusal_problem(case)
    if problem:
        messages.error(request, problem)
        return redirect(_detail_url(case))
    form = WrongfulRefusalForm(request.POST or None, request=case)
    if request.method == "POST" and form.is_valid():
        try:
            incident = case_services.request_raise_refusal_incident(
                request=case, by=request.user, explanation=form.cleaned_data["explanation"],
                department=form.cleaned_data["department"])
        except ValidationError as error:
            add_model_errors(form, error)
        except NotPermitted as error:
            return refused(request, error, case)
        except RecordClosed as error:
            messages.error(request, error.message)
            return redirect(_detail_url(case))
        else:
            messages.success(request, _("Incident %(incident)s was raised for the wrongful refusal of %(reference)s.")
                             % {"incident": incident.reference, "reference": case.reference})
            return redirect("incident_detail", incident.pk)
    status = 400 if form.is_bound else 200
    return render(request, "incidents/requests/request_raise_incident.html", {"case": case, "form": form},
                  status=status)


# ---------------------------------------------------------------------------
# The public form (settings.PUBLIC_INTAKE): no account, limited per client address


def _public_rate(group, request) -> str:
    return settings.PUBLIC_INTAKE_RATE


@ratelimit(key="ip", rate=_public_rate, method="POST", block=False)
def _public_intake(request: HttpRequest) -> HttpResponse:
    if getattr(request, "limited", False):
        response = render(request, "incidents/public/limited.html", status=429)
        response["Retry-After"] = "3600"
        return response
    form = PublicIntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.is_robot:
            # A robot filled in the hidden field: thanked, nothing recorded.
            return render(request, "incidents/public/receipt.html", {"reference": None, "topic": form.REQUEST})
        topic = form.cleaned_data["topic"]
        try:
            if topic == form.REQUEST:
                case = case_services.request_receive(by=None, kinds=form.cleaned_data["kinds"], **form.request_data())
            else:
                case = case_services.complaint_receive(by=None, **form.complaint_data())
        except ValidationError as error:
            for name, problems in error.message_dict.items() if hasattr(error, "error_dict") else []:
                field = {"requester_name": "name", "complainant_name": "name", "requester_contact": "contact",
                         "complainant_contact": "contact", "requester_address": "address"}.get(name, name)
                form.add_error(field if field in form.fields else None, problems)
            if not hasattr(error, "error_dict"):
                form.add_error(None, error.messages)
        else:
            return render(request, "incidents/public/receipt.html", {
                "reference": case.reference, "topic": topic, "received_on": case.received_on,
                "target_days": getattr(case, "target_days", None),
            })
    status = 400 if form.is_bound else 200
    return render(request, "incidents/public/intake.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def public_intake(request: HttpRequest) -> HttpResponse:
    """Open only when settings.PUBLIC_INTAKE is on (a 404 otherwise, before anything is counted)."""
    if not settings.PUBLIC_INTAKE:
        raise Http404
    return _public_intake(request)
