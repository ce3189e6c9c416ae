"""Web UI: thin views that fetch what the user may see, call the services and redirect.

Every record is fetched through `visible_to(user)`, so a record the user may not see is a
404 on every page (detail, edit, transition). Every write goes through services.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case, F, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import (
    action_origins,
    attachments,
    deadlines,
    joint_use,
    pmark_reportability,
    registers,
    selectors,
    services,
)
from .exceptions import (
    ConcurrentChange,
    NotPermitted,
    RecordClosed,
    StaleEdit,
)
from .forms import (
    ActionForm,
    ActionListFilter,
    HandlerForm,
    IncidentEditForm,
    IncidentListFilter,
    IncidentReportForm,
    ProgressEntryForm,
    TrackListFilter,
)
from .models import (
    Action,
    EvidencePurpose,
    Incident,
    ReportingTrack,
    TrackKind,
    TrackState,
    group_has_several_companies,
    headed_department_ids,
    progress_closed_problem,
    progress_writer_problem,
)
from .models.incident import handler_assigner_problem, list_separator
from .ppc_report import NOT_ENTERED, build_ppc_report, describe_keys
from .roles import Role, has_role
from .rows import ACTION_LIST, INCIDENT_LIST, TRACK_LIST
from .switcher import narrow
from .templatetags.pms import user_label
from .tracks import required_tracks
from .workflow.timeline import log_moments, related_timeline
from .workflow.web import (
    add_model_errors,
    edit_view,
    filtered_list,
    refused,
    trail_rows,
    transition_panels,
    transition_view,
    visible_or_404,
)

# The transition page of the incidents app's records (one view for every record type).
transition = transition_view

# Where an action comes from besides an incident (an audit finding, a review decision):
# incidents.action_origins, filled by the apps that create such actions.
# The to-do page (マイページ) is the worklist app's: incidents.todo and audits.todo.

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


def _track_trail_rows(tracks: list[ReportingTrack]) -> list:
    """The people's steps on the incident's reports (filed, not required) and their edits
    (`tracks`: the incident's reports, as its panel read them).

    What the system did to them (created, withdrawn, required again) is already told by
    the incident's own "Reporting duties updated" entries.
    """
    people_steps = set(ReportingTrack.transition_specs)
    return [
        moment
        for moment in related_timeline(tracks, subject=lambda track: TrackKind(track.kind).label)
        if moment.kind == "edit" or (moment.kind == "step" and moment.transition in people_steps)
    ]


def _track_rows(incident: Incident, user) -> list[dict]:
    """The incident's reports with the steps this user may take on each, for its panel."""
    rows = []
    for track in incident.tracks.select_related("filed_by").order_by("limit_at", "due_at", "id"):
        track.incident = incident
        rows.append({"track": track, "transitions": transition_panels(track, user)})
    return rows


# The duties that depend on the incident's company rather than on the incident alone.
PRIVACYMARK_TRACKS = (TrackKind.PMARK_PRELIMINARY, TrackKind.PMARK_FINAL, TrackKind.PMARK_MEASURES)
# The reports whose absence the panel explains: the PPC's and the assessment body's. The
# 委託元's and the follow-ups appear only when owed; an empty row for them says nothing.
EXPLAINED_WHEN_NOT_OWED = (
    TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL, TrackKind.DATA_SUBJECTS,
    TrackKind.PMARK_PRELIMINARY, TrackKind.PMARK_FINAL,
)


def _duties_not_owed(incident: Incident, tracks: list[dict]) -> list[dict]:
    """The reports the incident does not owe, and why, for its panel: each recipient has its
    own test, so an encrypted loss says here why the PPC is not told while its PrivacyMark
    row above runs its clock. Reports that share a reason share a row.

    A company without PrivacyMark says so once; in a group, jointly used data that the
    incident's own company is responsible for says why no notice is owed.
    """
    kinds = list(EXPLAINED_WHEN_NOT_OWED)
    if not incident.company.holds_privacymark:
        kinds = [kind for kind in kinds if kind not in PRIVACYMARK_TRACKS] + list(PRIVACYMARK_TRACKS)
    if incident.involves_joint_use and group_has_several_companies():
        kinds.append(TrackKind.JOINT_USE)
    kinds = [kind for kind in kinds if kind not in {row["track"].kind for row in tracks}]
    if not kinds or incident.rule_set is None:
        return []
    _plans, reasons = required_tracks(incident)
    rows: dict[str, list] = {}
    for kind in kinds:
        rows.setdefault(str(reasons.get(kind, "")), []).append(TrackKind(kind).label)
    return [{"label": list_separator().join(str(label) for label in labels), "reason": reason}
            for reason, labels in rows.items()]


# ---------------------------------------------------------------------------
# Incidents

@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    """The incidents the user sees; `?format=xlsx|csv`: the same rows as the 事故管理台帳."""
    # No joins here: the page's rows join what they show (INCIDENT_LIST), the register what its
    # columns read. Each join costs PostgreSQL's planner: the selector's eight took 30 ms to
    # plan, the page's rows 1 ms to read (bench/query_plans.md).
    rows = selectors.incident_list(user=request.user).select_related(None)
    queryset = registers.with_next_deadline(narrow(rows, request))
    return filtered_list(request, filter_class=IncidentListFilter, queryset=queryset,
                         template="incidents/incident_list.html", register=registers.INCIDENT_REGISTER,
                         columns=INCIDENT_LIST, now=timezone.now())


@login_required
def track_list(request: HttpRequest) -> HttpResponse:
    """The reports owed by the incidents the user sees (報告義務一覧), soonest limit first."""
    # Unless sorted otherwise: the reports still pending first, the soonest limit first; then
    # the settled ones, the latest first.
    pending_limit = Case(When(state=TrackState.PENDING, then=F("limit_at")))
    queryset = registers.track_list_queryset(ReportingTrack.objects.visible_to(request.user)).order_by(
        pending_limit.asc(nulls_last=True), F("limit_at").desc(), "id",
    )
    return filtered_list(request, filter_class=TrackListFilter, queryset=narrow(queryset, request, "incident__company"),
                         template="incidents/track_list.html", register=registers.TRACK_REGISTER,
                         columns=TRACK_LIST)


@login_required
@require_http_methods(["GET", "POST"])
def incident_report(request: HttpRequest) -> HttpResponse:
    form = IncidentReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_report(reporter=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_model_errors(form, error)
        else:
            messages.success(request, _("Thank you. Your report was registered as %(reference)s.")
                             % {"reference": incident.reference})
            return redirect("incident_detail", incident.pk)
    status = 400 if form.is_bound else 200
    return render(request, "incidents/incident_report.html", {"form": form}, status=status)


def _progress_context(incident: Incident, user, form=None) -> dict:
    """The progress log panel: its entries (with the files this user may download) and the
    form, when the user may write."""
    entries = services.progress_log(incident, user)
    can_add = services.can_add_progress(incident, user)
    return {
        "progress_entries": entries,
        "can_add_progress": can_add,
        "progress_form": (form or ProgressEntryForm()) if can_add else None,
    }


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    incident = selectors.incident_list(user=user).filter(pk=pk).first()
    if incident is None:
        # The owner or verifier of one of its actions reads what the work needs, nothing more.
        incident = get_object_or_404(
            Incident.objects.through_actions(user).select_related("department", "handler", "cause", "company"), pk=pk,
        )
        return _incident_context_page(request, incident)
    actions = list(incident.actions.select_related("owner", "verifier", "department", "company"))
    visible_actions = set(
        Action.objects.visible_to(user).filter(incident=incident).values_list("pk", flat=True)
    )
    tracks = _track_rows(incident, user)
    progress = _progress_context(incident, user)
    may_assign = incident.is_open and "handler" in Incident.edit_policy.writable(incident, user)
    return render(request, "incidents/incident_detail.html", {
        **progress,
        "handler_form": HandlerForm(incident=incident) if may_assign else None,
        "incident": incident,
        "actions": actions,
        "visible_actions": visible_actions,
        "tracks": tracks,
        "duties_not_owed": _duties_not_owed(incident, tracks),
        "ppc_assessment": incident.assessment,
        "pmark_assessment": incident.pmark_assessment if incident.company.holds_privacymark else None,
        "pmark_event_label": pmark_reportability.event_label(incident.pmark_event_effective, incident.pmark_suspected),
        "supplement_items": describe_keys(incident.ppc_unknown_items or {}),
        "pmark_final_filed": any(row["track"].kind == TrackKind.PMARK_FINAL and row["track"].state == TrackState.FILED
                                 for row in tracks),
        "joint_use_notices": (
            list(joint_use.sent_notices(incident))
            if any(row["track"].kind == TrackKind.JOINT_USE for row in tracks) else []
        ),
        "show_ppc_report": incident.reportable or has_role(user, Role.PMS_MANAGER, company=incident.company_id),
        "trail": trail_rows(incident, extra=[*_track_trail_rows([row["track"] for row in tracks]),
                                             *log_moments(progress["progress_entries"],
                                                         label=_("Progress entry"))]),
        "transitions": transition_panels(incident, user),
        "next_deadline": deadlines.incident_deadline(row["track"] for row in tracks),
        "can_edit": services.incident_can_edit(incident, user),
        "can_add_action": incident.is_open and services.action_can_create(user, department=incident.department),
    })


def _incident_context_page(request: HttpRequest, incident: Incident, *, form=None, status: int = 200) -> HttpResponse:
    """The incident as the owner or verifier of one of its actions reads it (issue 14): what
    the work needs (the description, the department, the root cause, the actions and their
    plans, the progress log) and none of what the visibility rules keep from them (the
    reporter, the reports and their clocks, the PPC details, the incident's files, the
    trail, the steps and the edit)."""
    user = request.user
    actions = list(incident.actions.select_related("owner", "verifier", "department"))
    visible_actions = set(
        Action.objects.visible_to(user).filter(incident=incident).values_list("pk", flat=True)
    )
    mine = [action for action in actions if user.pk in (action.owner_id, action.verifier_id)]
    return render(request, "incidents/incident_context.html", {
        **_progress_context(incident, user, form),
        "incident": incident,
        "actions": actions,
        "visible_actions": visible_actions,
        "my_actions": mine,
        "my_action_refs": list_separator().join(action.reference for action in mine),
    }, status=status)


@login_required
@require_POST
def incident_handler(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign or change the incident's handler (the PMS office), from the page's version."""
    incident = visible_or_404(Incident, request.user, pk)
    back_url = reverse("incident_detail", args=[incident.pk])
    refusal = handler_assigner_problem(incident, request.user)
    if refusal:
        return refused(request, NotPermitted(refusal), incident)
    form = HandlerForm(request.POST, incident=incident)
    if not form.is_valid():
        problems = [str(message) for errors in form.errors.values() for message in errors]
        return render(request, "incidents/error.html", {"message": " ".join(problems), "back_url": back_url},
                      status=400)
    try:
        incident = services.incident_assign_handler(
            incident=incident, by=request.user, handler=form.cleaned_data["handler"],
            version=form.cleaned_data["version"],
        )
    except ValidationError as error:
        return render(request, "incidents/error.html", {"message": " ".join(error.messages), "back_url": back_url},
                      status=400)
    except NotPermitted as error:
        return refused(request, error, incident)
    except (RecordClosed, StaleEdit, ConcurrentChange) as error:
        return render(request, "incidents/error.html", {"message": error.message, "back_url": back_url},
                      status=error.status_code)
    if incident.handler_id:
        messages.success(request, _("%(name)s now handles %(reference)s.")
                         % {"name": user_label(incident.handler), "reference": incident.reference})
    else:
        messages.success(request, _("%(reference)s has no handler now.") % {"reference": incident.reference})
    return redirect(f"{back_url}#handler")


@login_required
@require_POST
def progress_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Write an entry of the incident's progress log, with its files."""
    user = request.user
    incident = get_object_or_404(Incident.objects.readable_by(user), pk=pk)
    # Who may write is answered before what was written (the service asks again under the lock).
    refusal = progress_writer_problem(incident, user)
    if refusal:
        return refused(request, NotPermitted(refusal), incident)
    closed = progress_closed_problem(incident, user)
    if closed:
        messages.error(request, closed)
        return redirect("incident_detail", incident.pk)
    form = ProgressEntryForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_progress(incident, by=user, text=form.cleaned_data["text"],
                                  occurred_at=form.cleaned_data.get("occurred_at"), files=form.cleaned_data["files"])
        except ValidationError as error:
            add_model_errors(form, error)
        except NotPermitted as error:
            return refused(request, error, incident)
        except RecordClosed as error:
            messages.error(request, error.message)
            return redirect("incident_detail", incident.pk)
        else:
            messages.success(request, _("The progress entry was added."))
            return redirect(f"{reverse('incident_detail', args=[incident.pk])}#progress")
    if not Incident.objects.visible_to(user).filter(pk=incident.pk).exists():
        return _incident_context_page(request, incident, form=form, status=400)
    return render(request, "incidents/progress_form.html", {"incident": incident, "progress_form": form},
                  status=400)


@login_required
def incident_ppc_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The nine items of the report to the PPC, ready to paste into its online form."""
    incident = get_object_or_404(selectors.incident_list(user=request.user), pk=pk)
    report = build_ppc_report(incident)
    writable = set(Incident.edit_policy.writable(incident, request.user))
    edit_url = reverse("incident_edit", args=[incident.pk])
    items = []
    for item in report.items:
        field = PPC_ITEM_FIELDS.get(item.key)
        editable = field in writable
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
        "missing": report.unexplained_gaps,
        "still_unknown": report.items_still_unknown,
        "report_rows": _text_rows(report.document),
        "notice_rows": _text_rows(report.subject_notice),
        "can_edit": bool(writable),
    })


def _text_rows(text: str) -> int:
    """Rows for a read-only text box that shows the whole text (long lines wrap)."""
    return max(2, sum(1 + len(line) // 60 for line in text.splitlines()))


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = visible_or_404(Incident, request.user, pk)
    return edit_view(request, incident, form_class=IncidentEditForm, check=services.incident_check_edit,
                 update=lambda **data: services.incident_update(incident=incident, **data),
                 template="incidents/incident_edit.html", context={"incident": incident})


# ---------------------------------------------------------------------------
# Actions


@login_required
def action_list(request: HttpRequest) -> HttpResponse:
    # Joined: what a row shows (and the register reads), nothing more: each join costs the planner.
    rows = selectors.action_list(user=request.user).select_related(None).select_related(
        "owner", "verifier", "department", "incident", "company")
    return filtered_list(request, filter_class=ActionListFilter, queryset=narrow(rows, request),
                         template="incidents/action_list.html", register=registers.ACTION_REGISTER,
                         columns=ACTION_LIST)


@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(selectors.action_list(user=request.user), pk=pk)
    # Its owner and verifier read the incident too (in part), so the link is theirs as well.
    incident_visible = action.incident_id is not None and (
        Incident.objects.readable_by(request.user).filter(pk=action.incident_id).exists()
    )
    return render(request, "incidents/action_detail.html", {
        "action": action,
        "incident_visible": incident_visible,
        "evidence": _evidence_groups(action, request.user),
        "origins": action_origins.origins_of(action, request.user),
        "trail": trail_rows(action),
        "transitions": transition_panels(action, request.user),
        "next_deadline": deadlines.action_deadline(action),
        "can_edit": services.action_can_edit(action, request.user),
    })


def _evidence_groups(action: Action, user) -> list[dict]:
    """The action's files in two groups, what they prove, each with its upload form when the
    user may add to it (incidents.attachments, `ACTION_PURPOSES`)."""
    files = attachments.attachments_by_record([action])[action.pk]
    addable = set(attachments.addable_purposes(action, user))
    return [
        {"purpose": purpose.value, "label": purpose.label, "can_add": purpose.value in addable,
         "files": [attachment for attachment in files if attachment.purpose == purpose.value]}
        for purpose in (EvidencePurpose.IMPLEMENTATION, EvidencePurpose.EFFECTIVENESS)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def action_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    incident = None
    incident_pk = request.POST.get("incident") or request.GET.get("incident")
    if incident_pk:
        if not str(incident_pk).isdigit():
            raise Http404
        incident = visible_or_404(Incident, user, int(incident_pk))
        if not incident.is_open:
            messages.error(request, _("Actions cannot be added to a closed or dismissed incident."))
            return redirect("incident_detail", incident.pk)
    department = incident.department if incident else getattr(getattr(user, "profile", None), "department", None)
    if not (has_role(user, Role.PMS_MANAGER) or headed_department_ids(user)):
        return refused(request, NotPermitted(_("Only the PMS manager or the department's head may plan actions.")),
                        incident)
    initial = {"incident": incident.pk if incident else None, "department": department.pk if department else None}
    form = ActionForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_create(by=user, **form.cleaned_data)
        except ValidationError as error:
            add_model_errors(form, error)
        except NotPermitted as error:
            return refused(request, error, incident)
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
    action = visible_or_404(Action, request.user, pk)
    return edit_view(request, action, form_class=ActionForm, check=services.action_check_edit,
                 update=lambda **data: services.action_update(action=action, **data),
                 template="incidents/action_form.html", context={"action": action})


# ---------------------------------------------------------------------------
# Transitions (one view for incidents, actions and reporting tracks)


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
            purpose=request.POST.get("purpose", ""),
        )
    except ValidationError as error:
        return render(request, "incidents/error.html", {"message": " ".join(error.messages), "back_url": back_url},
                      status=400)
    except (NotPermitted, RecordClosed) as error:
        return render(request, "incidents/error.html", {"message": error.message, "back_url": back_url},
                      status=error.status_code)
    messages.success(request, _("%(name)s was attached.") % {"name": attachment.original_name})
    return redirect(f"{back_url}#{'evidence-' + attachment.purpose if attachment.purpose else 'attachments'}")


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, to users who may see its record (anyone else: 404), always as a download."""
    attachment = attachments.attachment_for_download(pk=pk, user=request.user)
    return attachments.download_response(attachment)
