"""Web UI: thin views that fetch what the user may see, call the services and redirect.

Every record is fetched through `visible_to(user)`, so a record the user may not see is a
404 on every page (detail, edit, transition). Every write goes through services.py.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm_log.models import StateLog

from . import attachments, selectors, services
from .exceptions import (
    ConcurrentChange,
    ConditionsNotMet,
    NotPermitted,
    RecordClosed,
    TransitionNotAvailable,
    UnknownTransition,
)
from .forms import (
    ActionForm,
    ActionListFilter,
    IncidentEditForm,
    IncidentListFilter,
    IncidentReportForm,
    transition_form_class,
)
from .models import (
    ACTION_WORK_STATES,
    Action,
    Incident,
    IncidentState,
    ReportingTrack,
    TrackKind,
    headed_department_ids,
)
from .ppc_report import NOT_ENTERED, build_ppc_report
from .roles import Role, has_role
from .templatetags.pms import urgency
from .tracks import TRACKS_UPDATED

PAGE_SIZE = 50

# The detail page of each record type (the URL name, called with the record's pk): where the
# generic transition and edit views go back to. Apps built on this one add theirs with
# register_detail_view (incidents never imports them).
DETAIL_VIEWS = {Incident: "incident_detail", Action: "action_detail"}


def register_detail_view(model: type, url_name: str) -> None:
    DETAIL_VIEWS[model] = url_name


# Where an action comes from besides an incident (an audit finding, a review decision).
# The apps that create such actions register a function (action, user) -> [(label, url or
# None)], the url None when the user may not open the record.
ACTION_ORIGINS: list = []


def register_action_origins(origins) -> None:
    ACTION_ORIGINS.append(origins)


# Trail entries written when a record is created rather than by a transition.
# Trail entries the system writes without a change of state.

# "My items" lists the user's actions due within this many days (and those overdue).
ACTIONS_DUE_SOON_DAYS = 7
# The reports an overdue track of which is escalated to the executives.
PPC_TRACKS = (TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL)

# The incident field to fill in for each item of the PPC report that is still empty.
PPC_ITEM_FIELDS = {
    "overview": "discovery_route",
    "data_items": "data_items",
    "subject_count": "affected_count",
    "cause": "root_cause",
    "secondary_harm": "secondary_harm",
    "subject_response": "subject_response",
    "publication": "publication",
    "recurrence_prevention": "recurrence_prevention",
    "other": "other_information",
}


def _visible_or_404(model, user, pk: int):
    return get_object_or_404(model.objects.visible_to(user), pk=pk)


def _refused(request: HttpRequest, error, record=None) -> HttpResponse:
    """The page shown when the user may not do what they asked (403)."""
    context = {"message": error.message, "record": record}
    if record is not None:
        context["back_url"] = _detail_url(record)
    return render(request, "incidents/error.html", context, status=error.status_code)


def _add_model_errors(form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: on its field when the form has it."""
    for name, messages_ in services.validation_messages(error).items():
        form.add_error(name if name in form.fields else None, messages_)


def _detail_url(record) -> str:
    if isinstance(record, ReportingTrack):
        # A report has no page of its own: it lives in its incident's reporting panel.
        return reverse("incident_detail", args=[record.incident_id])
    return reverse(DETAIL_VIEWS[type(record)], args=[record.pk])


def _trail_row(entry, model: type, subject=None) -> dict:
    states = dict(model._meta.get_field("state").flatchoices)
    return {
        "entry": entry,
        "label": services.trail_label(model, entry.transition),
        "subject": subject,
        "creation": entry.source_state is None,
        "note": entry.transition == TRACKS_UPDATED,
        "source": states.get(entry.source_state, entry.source_state),
        "target": states.get(entry.state, entry.state),
    }


def _trail_rows(record) -> list[dict]:
    rows = [_trail_row(entry, type(record)) for entry in selectors.trail(record)]
    if isinstance(record, Incident):
        rows.extend(_track_trail_rows(record))
        rows.sort(key=lambda row: (row["entry"].timestamp, row["entry"].pk))
    return rows


def _track_trail_rows(incident: Incident) -> list[dict]:
    """The people's steps on the incident's reports (filed, not required), for its trail.

    What the system did to them (withdrawn, required again) is already told by the
    incident's own "Reporting duties updated" entries.
    """
    kinds = dict(incident.tracks.values_list("pk", "kind"))
    if not kinds:
        return []
    entries = (
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(ReportingTrack), object_id__in=list(kinds),
            transition__in=list(services.TRACK_TRANSITIONS),
        )
        .select_related("by")
    )
    return [_trail_row(entry, ReportingTrack, subject=TrackKind(kinds[entry.object_id]).label) for entry in entries]


def _track_rows(incident: Incident, user) -> list[dict]:
    """The incident's reports with the steps this user may take on each, for its panel."""
    rows = []
    for track in incident.tracks.select_related("filed_by").order_by("limit_at", "due_at", "id"):
        track.incident = incident
        rows.append({"track": track, "transitions": _transition_panels(track, user)})
    return rows


def _transition_panels(record, user) -> list[dict]:
    """One form per transition the user may take now, for the detail page."""
    panels = []
    for option in services.transitions_for(record, user):
        form_class = transition_form_class(type(record), option.spec)
        panels.append({
            "option": option,
            "form": form_class(instance=record, spec=option.spec, prefix=option.name),
        })
    return panels


def _filter_data(request: HttpRequest):
    """The query string without the page number (kept separately for pagination links)."""
    data = request.GET.copy()
    data.pop("page", None)
    return data


def _paginate(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# ---------------------------------------------------------------------------
# My items


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    incidents = selectors.incident_list(user=user)
    actions = selectors.action_list(user=user)
    due_by = timezone.localdate() + dt.timedelta(days=ACTIONS_DUE_SOON_DAYS)
    context = {
        "my_incidents": list(incidents.filter(reporter=user)[:10]),
        "my_actions": list(actions.open().filter(Q(owner=user) | Q(verifier=user)).order_by("due_date", "id")[:30]),
        # What is due for the user: their own work, due within a week or already late.
        "my_due_actions": list(
            actions.filter(owner=user, state__in=ACTION_WORK_STATES, due_date__lte=due_by).order_by("due_date", "id")
        ),
        "due_days": ACTIONS_DUE_SOON_DAYS,
    }
    tracks = ReportingTrack.objects.visible_to(user).select_related("incident").order_by("limit_at", "due_at", "id")
    if has_role(user, Role.PMS_MANAGER):
        # Every report still owed, the one with the least time left first.
        open_tracks = list(tracks.pending())
        now = timezone.now()
        context.update({
            "open_tracks": open_tracks,
            "overdue_track_count": sum(1 for track in open_tracks if track.limit_at < now),
            "due_soon_track_count": sum(1 for track in open_tracks if urgency(track, now) == "soon"),
        })
    elif has_role(user, Role.EXECUTIVE):
        # Escalation: an overdue report to the PPC is top management's business too.
        context["overdue_ppc_tracks"] = list(tracks.overdue().filter(kind__in=PPC_TRACKS))
    if has_role(user, Role.PMS_MANAGER):
        counts = dict(incidents.open().order_by().values_list("state").annotate(n=Count("id")))
        context.update({
            "awaiting_triage": list(incidents.filter(state=IncidentState.REPORTED).order_by("created_at")[:20]),
            "open_by_state": [
                (value, label, counts.get(value, 0))
                for value, label in IncidentState.choices
                if value not in (IncidentState.CLOSED, IncidentState.DISMISSED)
            ],
            "overdue_actions": list(actions.overdue()[:20]),
        })
    departments = headed_department_ids(user)
    if departments:
        context.update({
            "department_incidents": list(incidents.open().filter(department_id__in=departments)[:20]),
            "department_actions": list(actions.open().filter(department_id__in=departments)[:20]),
        })
    return render(request, "incidents/home.html", context)


# ---------------------------------------------------------------------------
# Incidents


def filtered_list(request: HttpRequest, *, filter_class, queryset, template: str, **context) -> HttpResponse:
    """A list page: the filter bar, one page of the filtered rows, links that keep the filters."""
    data = _filter_data(request)
    filterset = filter_class(data, queryset=queryset, request=request)
    return render(request, template, {
        "filter": filterset, "page": _paginate(request, filterset.qs), "query": data.urlencode(), **context,
    })


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    return filtered_list(request, filter_class=IncidentListFilter, queryset=selectors.incident_list(user=request.user),
                         template="incidents/incident_list.html")


@login_required
@require_http_methods(["GET", "POST"])
def incident_report(request: HttpRequest) -> HttpResponse:
    form = IncidentReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_report(reporter=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_model_errors(form, error)
        else:
            messages.success(request, _("Thank you. Your report was registered as %(reference)s.")
                             % {"reference": incident.reference})
            return redirect("incident_detail", incident.pk)
    status = 400 if form.is_bound else 200
    return render(request, "incidents/incident_report.html", {"form": form}, status=status)


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(selectors.incident_list(user=request.user), pk=pk)
    user = request.user
    actions = list(incident.actions.select_related("owner", "verifier", "department"))
    visible_actions = set(
        Action.objects.visible_to(user).filter(incident=incident).values_list("pk", flat=True)
    )
    return render(request, "incidents/incident_detail.html", {
        "incident": incident,
        "actions": actions,
        "visible_actions": visible_actions,
        "tracks": _track_rows(incident, user),
        "show_ppc_report": incident.reportable or has_role(user, Role.PMS_MANAGER),
        "trail": _trail_rows(incident),
        "transitions": _transition_panels(incident, user),
        "can_edit": services.incident_can_edit(incident, user),
        "can_add_action": incident.is_open and services.action_can_create(user, department=incident.department),
    })


@login_required
def incident_ppc_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The nine items of the report to the PPC, ready to paste into its online form."""
    incident = get_object_or_404(selectors.incident_list(user=request.user), pk=pk)
    report = build_ppc_report(incident)
    can_edit = services.incident_can_edit(incident, request.user)
    manager = has_role(request.user, Role.PMS_MANAGER)
    edit_url = reverse("incident_edit", args=[incident.pk])
    items = []
    for item in report.items:
        field = PPC_ITEM_FIELDS.get(item.key)
        editable = can_edit and field is not None and (manager or field in services.REPORT_FIELDS)
        items.append({
            "item": item,
            "partly_empty": not item.empty and NOT_ENTERED in item.text,
            "edit_url": f"{edit_url}#id_{field}" if editable else None,
            "rows": _text_rows(item.text),
        })
    return render(request, "incidents/incident_ppc_report.html", {
        "incident": incident,
        "report": report,
        "items": items,
        "missing": [row["item"] for row in items if row["item"].empty],
        "report_rows": _text_rows(report.text),
        "notice_rows": _text_rows(report.subject_notice),
        "can_edit": can_edit,
    })


def _text_rows(text: str) -> int:
    """Rows for a read-only text box that shows the whole text (long lines wrap)."""
    return max(2, sum(1 + len(line) // 60 for line in text.splitlines()))


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _visible_or_404(Incident, request.user, pk)
    return _edit(request, incident, form_class=IncidentEditForm, check=services.incident_check_edit,
                 update=lambda **data: services.incident_update(incident=incident, **data),
                 template="incidents/incident_edit.html", context={"incident": incident})


def _edit(request: HttpRequest, record, *, form_class, check, update, template: str, context: dict) -> HttpResponse:
    """The edit page of an incident or an action: the service decides, the form shows why."""
    try:
        check(record, request.user)
    except RecordClosed as error:
        messages.error(request, error.message)
        return redirect(_detail_url(record))
    except NotPermitted as error:
        return _refused(request, error, record)
    form = form_class(request.POST or None, instance=record, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            update(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_model_errors(form, error)
        except NotPermitted as error:
            return _refused(request, error, record)
        except (RecordClosed, ConcurrentChange) as error:
            messages.error(request, error.message)
            return redirect(_detail_url(record))
        else:
            messages.success(request, _("%(reference)s was updated.") % {"reference": record.reference})
            return redirect(_detail_url(record))
    status = 400 if form.is_bound else 200
    return render(request, template, {"form": form, **context}, status=status)


# ---------------------------------------------------------------------------
# Actions


@login_required
def action_list(request: HttpRequest) -> HttpResponse:
    return filtered_list(request, filter_class=ActionListFilter, queryset=selectors.action_list(user=request.user),
                         template="incidents/action_list.html")


@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(selectors.action_list(user=request.user), pk=pk)
    incident_visible = action.incident_id is not None and (
        Incident.objects.visible_to(request.user).filter(pk=action.incident_id).exists()
    )
    return render(request, "incidents/action_detail.html", {
        "action": action,
        "incident_visible": incident_visible,
        "origins": [origin for origins in ACTION_ORIGINS for origin in origins(action, request.user)],
        "trail": _trail_rows(action),
        "transitions": _transition_panels(action, request.user),
        "can_edit": services.action_can_edit(action, request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def action_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    incident = None
    incident_pk = request.POST.get("incident") or request.GET.get("incident")
    if incident_pk:
        if not str(incident_pk).isdigit():
            raise Http404
        incident = _visible_or_404(Incident, user, int(incident_pk))
        if not incident.is_open:
            messages.error(request, _("Actions cannot be added to a closed or dismissed incident."))
            return redirect("incident_detail", incident.pk)
    department = incident.department if incident else getattr(getattr(user, "profile", None), "department", None)
    if not (has_role(user, Role.PMS_MANAGER) or headed_department_ids(user)):
        return _refused(request, NotPermitted(_("Only the PMS manager or the department's head may plan actions.")),
                        incident)
    initial = {"incident": incident.pk if incident else None, "department": department.pk if department else None}
    form = ActionForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_create(by=user, **form.cleaned_data)
        except ValidationError as error:
            _add_model_errors(form, error)
        except NotPermitted as error:
            return _refused(request, error, incident)
        except RecordClosed as error:
            messages.error(request, error.message)
            return redirect("incident_detail", incident.pk) if incident else redirect("action_list")
        else:
            messages.success(request, _("Action %(reference)s was created.") % {"reference": action.reference})
            return redirect("action_detail", action.pk)
    status = 400 if form.is_bound else 200
    return render(request, "incidents/action_form.html", {"form": form, "incident": incident}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = _visible_or_404(Action, request.user, pk)
    return _edit(request, action, form_class=ActionForm, check=services.action_check_edit,
                 update=lambda **data: services.action_update(action=action, **data),
                 template="incidents/action_form.html", context={"action": action})


# ---------------------------------------------------------------------------
# Transitions (one view for incidents, actions and reporting tracks)


@login_required
@require_http_methods(["GET", "POST"])
def transition(request: HttpRequest, model: type, pk: int, name: str) -> HttpResponse:
    record = _visible_or_404(model, request.user, pk)
    try:
        spec = services.transition_spec(model, name)
    except UnknownTransition:
        raise Http404 from None
    form_class = transition_form_class(model, spec)
    offered = {option.name: option for option in services.transitions_for(record, request.user)}
    status = 200

    if request.method == "POST":
        if request.POST.get(f"{name}-expected_state") != record.state:
            # The page was read before someone else moved the record on.
            messages.error(request, ConcurrentChange.default_message)
            return redirect(_detail_url(record))
        form = form_class(request.POST, instance=record, spec=spec, prefix=name)
        valid = form.is_valid()
        if valid or name not in offered:
            # A step not offered to this user goes to the service without the form's changes:
            # it answers with the authoritative refusal (403 or 409) and changes nothing.
            changes = form.changes() if valid else None
            comment = form.cleaned_data.get("comment", "") if valid else ""
            try:
                services.transition_record(record, name, by=request.user, comment=comment, changes=changes)
            except ConditionsNotMet as error:
                form.add_error(None, error.message)
                for problem in error.problems:
                    form.add_error(None, problem)
            except ValidationError as error:
                _add_model_errors(form, error)
            except NotPermitted as error:
                return _refused(request, error, record)
            except (TransitionNotAvailable, ConcurrentChange) as error:
                messages.error(request, error.message)
                return redirect(_detail_url(record))
            else:
                step = f"{record.get_kind_display()}: {spec.label}" if isinstance(record, ReportingTrack) else spec.label
                messages.success(request, _("Done: %(step)s.") % {"step": step})
                return redirect(_detail_url(record))
        status = 400
    else:
        if name not in offered:
            messages.error(request, _("This step is not available to you now."))
            return redirect(_detail_url(record))
        form = form_class(instance=record, spec=spec, prefix=name)

    # Re-read the record for the page: the form may have applied unsaved values to it.
    fresh = model.objects.get(pk=record.pk)
    track = fresh if isinstance(fresh, ReportingTrack) else None
    return render(request, "incidents/transition_form.html", {
        "record": fresh,
        "track": track,
        "reference": track.incident.reference if track else fresh.reference,
        "crumb": track.incident if track else fresh,
        "spec": spec,
        "option": offered.get(name),
        "form": form,
        "action_url": request.path,
        "back_url": _detail_url(fresh),
    }, status=status)


# ---------------------------------------------------------------------------
# Evidence files (one upload and one download view for every record type that takes them)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, record_type: str, pk: int) -> HttpResponse:
    """Attach a file to an incident, an audit or a finding (incidents.attachments registry)."""
    model = attachments.model_for_key(record_type)
    if model is None:
        raise Http404
    rules = attachments.rules_for(model)
    record = get_object_or_404(rules.visible_to(request.user), pk=pk)
    back_url = rules.detail_url(record)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError({"file": [_("Choose a file to upload.")]})
        attachment = attachments.attachment_add(
            record=record, by=request.user, file=upload, description=request.POST.get("description", ""),
        )
    except ValidationError as error:
        return render(request, "incidents/error.html", {"message": " ".join(error.messages), "back_url": back_url},
                      status=400)
    except (NotPermitted, RecordClosed) as error:
        return render(request, "incidents/error.html", {"message": error.message, "back_url": back_url},
                      status=error.status_code)
    messages.success(request, _("%(name)s was attached.") % {"name": attachment.original_name})
    return redirect(f"{back_url}#attachments")


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, to users who may see its record (anyone else: 404), always as a download."""
    attachment = attachments.attachment_for_download(pk=pk, user=request.user)
    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.mime_type,
    )
    # Never rendered by the browser, whatever the file holds.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
