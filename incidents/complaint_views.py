"""The pages of complaints and consultations (苦情・相談, issue 15).

Thin views, as in views.py: every complaint is fetched through `visible_to(user)` (an
outsider gets a 404 on every page), every write goes through incidents.case_services, and
the rules (who may do what, when a complaint may close) stay in the model and the services.
The steps (start, answer, close) are the workflow engine's one transition page
(URL name complaint_transition).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import case_services
from .complaint_forms import (
    ComplaintActionForm,
    ComplaintEditForm,
    ComplaintIntakeForm,
    ComplaintLetterForm,
    ComplaintListFilter,
    ConvertForm,
    RaiseIncidentForm,
)
from .exceptions import ConcurrentChange, FieldsNotWritable, NotPermitted, RecordClosed, StaleEdit
from .models import Action, Complaint, ComplaintState, Incident, RightsRequest, headed_department_ids
from .models.requests import case_office_problem
from .registers import COMPLAINT_REGISTER
from .roles import Role, has_role
from .switcher import narrow
from .workflow.forms import show_conflict
from .workflow.service import can_edit, check_edit
from .workflow.web import (
    add_model_errors,
    edit_view,
    filtered_list,
    refused,
    trail_rows,
    transition_panels,
    visible_or_404,
)


def _posted(request: HttpRequest):
    """The form's data on a POST, even an empty one (which must show the form's errors)."""
    return request.POST if request.method == "POST" else None


# ---------------------------------------------------------------------------
# The list and the intake


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    queryset = (
        Complaint.objects.visible_to(request.user)
        .select_related("department", "handler", "company", "request", "incident")
        .prefetch_related(Prefetch("actions", queryset=Action.objects.only("pk", "reference", "state")))
    )
    return filtered_list(request, filter_class=ComplaintListFilter, queryset=narrow(queryset, request),
                         template="incidents/complaints/complaint_list.html", register=COMPLAINT_REGISTER)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    """Anyone signed in records a complaint they received; the PMS office may assign it at once."""
    form = ComplaintIntakeForm(_posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = case_services.complaint_receive(by=request.user, **form.cleaned_data)
        except FieldsNotWritable as error:
            for name, message in error.fields.items():
                form.add_error(name if name in form.fields else None, message)
        except ValidationError as error:
            add_model_errors(form, error)
        except NotPermitted as error:
            return refused(request, error)
        else:
            messages.success(request, _("The complaint was recorded as %(reference)s. The PMS office has been told.")
                             % {"reference": complaint.reference})
            if Complaint.objects.visible_to(request.user).filter(pk=complaint.pk).exists():
                return redirect("complaint_detail", complaint.pk)
            return redirect("complaint_list")
    status = 400 if form.is_bound else 200
    return render(request, "incidents/complaints/complaint_new.html", {"form": form}, status=status)


# ---------------------------------------------------------------------------
# The case


def _follow_up_problem(complaint: Complaint, user) -> str | None:
    """Why the user may not take the complaint further (the services ask again)."""
    return case_office_problem(complaint, user) or (
        _("This record is closed and can no longer be edited.") if complaint.state == ComplaintState.CLOSED else None
    )


def _plans_actions(user) -> bool:
    return has_role(user, Role.PMS_MANAGER) or bool(headed_department_ids(user))


def _linked(complaint: Complaint, user) -> dict:
    """What the complaint led to, each linked for those who may open it."""
    actions = list(complaint.actions.select_related("owner", "department").order_by("id"))
    visible_actions = set(Action.objects.visible_to(user).filter(pk__in=[action.pk for action in actions])
                          .values_list("pk", flat=True))
    return {
        "actions": actions,
        "visible_actions": visible_actions,
        "request_visible": complaint.request_id is not None
        and RightsRequest.objects.visible_to(user).filter(pk=complaint.request_id).exists(),
        "incident_visible": complaint.incident_id is not None
        and Incident.objects.readable_by(user).filter(pk=complaint.incident_id).exists(),
    }


@login_required
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    complaint = get_object_or_404(
        Complaint.objects.visible_to(user).select_related("department", "handler", "received_by", "company",
                                                          "request", "incident"),
        pk=pk,
    )
    follow_up = _follow_up_problem(complaint, user) is None
    return render(request, "incidents/complaints/complaint_detail.html", {
        "complaint": complaint,
        **_linked(complaint, user),
        "follow_up": follow_up,
        "may_convert": follow_up and not complaint.request_id,
        "may_raise_incident": follow_up and not complaint.incident_id,
        "may_add_action": follow_up and _plans_actions(user),
        "may_write_letter": case_office_problem(complaint, user) is None,
        "trail": trail_rows(complaint),
        "transitions": transition_panels(complaint, user),
        "can_edit": can_edit(complaint, user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def complaint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = visible_or_404(Complaint, request.user, pk)
    return edit_view(request, complaint, form_class=ComplaintEditForm, check=check_edit,
                     update=lambda **data: case_services.complaint_update(complaint=complaint, **data),
                     template="incidents/complaints/complaint_edit.html", context={"complaint": complaint})


# ---------------------------------------------------------------------------
# What it leads to: a request, an incident, a corrective action


def _follow_up_page(request: HttpRequest, complaint: Complaint, *, form, create, template: str, success,
                    extra_problem: str | None = None) -> HttpResponse:
    """The page of one follow-up: refused (403) to those who may not, the form, then the
    service, whose refusal wins over the page's."""
    problem = case_office_problem(complaint, request.user) or extra_problem
    if problem:
        return refused(request, NotPermitted(problem), complaint)
    if complaint.state == ComplaintState.CLOSED:
        messages.error(request, _("This record is closed and can no longer be edited."))
        return redirect(complaint.get_absolute_url())
    if request.method == "POST" and form.is_valid():
        try:
            created = create(form.cleaned_data)
        except FieldsNotWritable as error:
            for name, message in error.fields.items():
                form.add_error(name if name in form.fields else None, message)
        except ValidationError as error:
            add_model_errors(form, error)
        except NotPermitted as error:
            return refused(request, error, complaint)
        except (RecordClosed, ConcurrentChange) as error:
            messages.error(request, error.message)
            return redirect(complaint.get_absolute_url())
        else:
            messages.success(request, success(created))
            return redirect(created.get_absolute_url())
    status = 400 if form.is_bound else 200
    return render(request, template, {"complaint": complaint, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """The complaint is in truth a request to disclose etc.: it becomes one, linked."""
    complaint = visible_or_404(Complaint, request.user, pk)
    if complaint.request_id:
        messages.error(request, _("This complaint was already converted into %(reference)s.")
                       % {"reference": complaint.request.reference})
        return redirect(complaint.get_absolute_url())
    return _follow_up_page(
        request, complaint, form=ConvertForm(_posted(request)),
        create=lambda data: case_services.complaint_convert_to_request(complaint=complaint, by=request.user,
                                                                       kinds=data["kinds"]),
        template="incidents/complaints/complaint_convert.html",
        success=lambda created: _("%(complaint)s became the request %(reference)s; its clock runs from %(date)s.")
        % {"complaint": complaint.reference, "reference": created.reference,
           "date": created.received_on.isoformat()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_raise_incident(request: HttpRequest, pk: int) -> HttpResponse:
    """The complaint reports an incident: it is raised, linked, and triaged as any report."""
    complaint = visible_or_404(Complaint, request.user, pk)
    if complaint.incident_id:
        messages.error(request, _("An incident was already raised from this complaint: %(reference)s.")
                       % {"reference": complaint.incident.reference})
        return redirect(complaint.get_absolute_url())
    return _follow_up_page(
        request, complaint, form=RaiseIncidentForm(_posted(request), complaint=complaint),
        create=lambda data: case_services.complaint_raise_incident(complaint=complaint, by=request.user, **data),
        template="incidents/complaints/complaint_incident.html",
        success=lambda created: _("Incident %(reference)s was raised from %(complaint)s.")
        % {"reference": created.reference, "complaint": complaint.reference},
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_add_action(request: HttpRequest, pk: int) -> HttpResponse:
    """A corrective action for the weakness the complaint revealed."""
    complaint = visible_or_404(Complaint, request.user, pk)
    return _follow_up_page(
        request, complaint,
        form=ComplaintActionForm(_posted(request), complaint=complaint, user=request.user),
        create=lambda data: case_services.complaint_add_action(complaint=complaint, by=request.user, **data),
        template="incidents/complaints/complaint_action.html",
        success=lambda created: _("Action %(reference)s was planned for %(complaint)s.")
        % {"reference": created.reference, "complaint": complaint.reference},
        extra_problem=None if _plans_actions(request.user)
        else _("Only the PMS manager or the department's head may plan actions."),
    )


def complaint_origins(action, user) -> list[tuple[str, str | None]]:
    """The complaints an action answers, for the action's page (incidents.action_origins)."""
    complaints = list(Complaint.objects.filter(actions=action).values_list("pk", "reference"))
    if not complaints:
        return []
    visible = set(Complaint.objects.visible_to(user).filter(pk__in=[pk for pk, _reference in complaints])
                  .values_list("pk", flat=True))
    return [
        (_("Complaint %(reference)s") % {"reference": reference},
         reverse("complaint_detail", args=[pk]) if pk in visible else None)
        for pk, reference in complaints
    ]


# ---------------------------------------------------------------------------
# The reply letter


@login_required
@require_http_methods(["GET", "POST"])
def complaint_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The reply's text, drafted from the case, edited and saved before printing the PDF."""
    from . import case_letters

    complaint = visible_or_404(Complaint, request.user, pk)
    problem = case_office_problem(complaint, request.user)
    if problem:
        return refused(request, NotPermitted(problem), complaint)
    draft = "" if complaint.reply_body else case_letters.complaint_reply_text(complaint)
    form = ComplaintLetterForm(_posted(request), instance=complaint, user=request.user, draft=draft)
    editable = "reply_body" in form.fields
    status = 200
    if request.method == "POST":
        if not editable:
            messages.error(request, _("This record is closed and can no longer be edited."))
            return redirect("complaint_letter", complaint.pk)
        if form.is_valid():
            try:
                case_services.complaint_update(complaint=complaint, by=request.user,
                                               version=form.cleaned_data["version"], **form.edits())
            except StaleEdit as error:
                show_conflict(form, error)
                status = 409
            except ValidationError as error:
                add_model_errors(form, error)
            except NotPermitted as error:
                return refused(request, error, complaint)
            except (RecordClosed, ConcurrentChange) as error:
                messages.error(request, error.message)
                return redirect(complaint.get_absolute_url())
            else:
                messages.success(request, _("The text of the reply was saved."))
                return redirect("complaint_letter", complaint.pk)
        if status != 409:
            status = 400
    return render(request, "incidents/complaints/complaint_letter.html", {
        "complaint": complaint, "form": form, "editable": editable,
        "text": complaint.reply_body or draft,
    }, status=status)


@login_required
@require_GET
def complaint_letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from . import case_letters

    complaint = visible_or_404(Complaint, request.user, pk)
    problem = case_office_problem(complaint, request.user)
    if problem:
        return refused(request, NotPermitted(problem), complaint)
    response = HttpResponse(case_letters.complaint_reply_pdf(complaint), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{complaint.reference}-reply.pdf"'
    return response
