"""Web UI of the audits app: the yearly programme, audits with their checklist, findings.

Built on the incidents UI: records are fetched through `visible_to(user)` (404 for what
the user may not see), transitions go through the incidents' generic transition view and
form, every write through audits.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F, Max, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import deadlines
from incidents.exceptions import FieldsNotWritable, NotPermitted, RecordClosed, StaleEdit
from incidents.models import Action, Department, Incident, group_has_several_companies, headed_department_ids
from incidents.roles import Role, has_role, seen_companies, sees_everything
from incidents.switcher import current_company, narrow
from incidents.workflow import web
from incidents.workflow.forms import show_conflict

from . import registers, selectors, services
from .fiscal import fiscal_year_bounds, fiscal_year_of
from .forms import (
    AuditForm,
    AuditListFilter,
    ChecklistItemForm,
    FindingActionForm,
    FindingForm,
    FindingListFilter,
)
from .models import NONCONFORMITIES, Audit, AuditState, Finding, FindingState
from .pdf.audit_report import render_audit_report, report_filename
from .pdf.base import pdf_language, pdf_response
from .reminders import FINDING_NOTICE_DAYS


def finding_origins(action, user) -> list[tuple[str, str | None]]:
    """The findings an action answers, linked for those who may open them (its owner and its
    verifier may read the finding they work on)."""
    visible = set(Finding.objects.readable_for_work(user).filter(actions=action).values_list("pk", flat=True))
    return [
        (_("Audit finding %(reference)s") % {"reference": reference},
         reverse("finding_detail", args=[pk]) if pk in visible else None)
        for pk, reference in Finding.objects.filter(actions=action).values_list("pk", "reference")
    ]



# Generic pieces of the incidents UI.
transition = web.transition_view
_refused = web.refused
_add_model_errors = web.add_model_errors
_filter_data = web.filter_data
_paginate = web.paginate
_trail_rows = web.trail_rows
_transition_panels = web.transition_panels


def _sees_audits(user) -> bool:
    """Whether the audit pages have anything for the user: the PMS roles, the heads of audited
    departments, and whoever takes part in an audit."""
    return sees_everything(user) or bool(headed_department_ids(user)) or Audit.objects.visible_to(user).exists()


def _may_plan(user) -> bool:
    return has_role(user, Role.AUDIT_LEAD) or bool(headed_department_ids(user))


def _as_form_error(call):
    """Run a planning service; its refusal (an auditor of an audited department, a PMS
    manager leading) belongs on the form, with its reason, rather than on a 403 page."""
    try:
        return call()
    except NotPermitted as error:
        raise ValidationError(str(error.message)) from None


# ---------------------------------------------------------------------------
# Programme and list


def _programme_companies(user) -> set[int] | None:
    """The companies whose coverage the programme shows `user` (None: all). Those the user
    reads in full (the PMS roles), and those of the audits they take part in or that cover a
    department they head, and their own: a company's departments and their gaps are its
    own business."""
    seen = seen_companies(user)
    if seen is None or not group_has_several_companies():
        return None
    companies = set(seen)
    companies |= set(Audit.objects.visible_to(user).values_list("company_id", flat=True).distinct())
    companies |= set(Department.objects.filter(pk__in=headed_department_ids(user)).values_list("company_id", flat=True))
    profile = getattr(user, "profile", None)
    if profile is not None and profile.department_id:
        companies.add(profile.department.company_id)
    return companies


@login_required
def programme(request: HttpRequest, year: int | None = None) -> HttpResponse:
    """Every department against its audits of the fiscal year: the gaps stand out. With
    several companies, company by company, each over its own fiscal year; the header's
    company switcher narrows it to one."""
    user = request.user
    if not _sees_audits(user):
        raise Http404
    chosen = current_company(request)
    today_year = fiscal_year_of(timezone.localdate(), chosen)
    if year is None:
        year = today_year
    # The years worth a page: those with audits the user sees, and the one before and the
    # one after today's (planning next year's programme). Anything else is a 404, and the
    # page links no further.
    span = selectors.audit_list(user=user).aggregate(first=Min("fiscal_year"), last=Max("fiscal_year"))
    first_year = min(today_year - 1, span["first"] or today_year)
    last_year = max(today_year + 1, span["last"] or today_year)
    if not first_year <= year <= last_year:
        raise Http404
    companies = _programme_companies(user)
    if chosen is not None:
        companies = {chosen.pk}
    audits = list(narrow(selectors.audit_list(user=user), request).filter(fiscal_year=year)
                  .order_by("planned_start", "id"))
    visible = {audit.pk for audit in audits}
    sections = selectors.programme_by_company(year=year, companies=companies)
    rows = [row for section in sections for row in section["rows"]]
    # The year's first and last days go in the heading when every company shown shares
    # them; otherwise each company's section says its own.
    bounds = {(section["first_day"], section["last_day"]) for section in sections}
    first, last = next(iter(bounds)) if len(bounds) == 1 else fiscal_year_bounds(year, chosen)
    # The J items of the PrivacyMark guideline, for the companies shown that hold PrivacyMark
    # (an ISMS-only company is not assessed against them: none, no section).
    holders = [section["company"] for section in sections if section["company"].holds_privacymark]
    return render(request, "audits/programme.html", {
        "year": year,
        "first_day": first,
        "last_day": last,
        "one_fiscal_year": len(bounds) <= 1,
        "sections": sections,
        "rows": rows,
        "visible_audits": visible,
        "audits": audits,
        "counts": {status: sum(1 for row in rows if row["status"] == status) for status in selectors.STATUSES},
        "can_plan": _may_plan(user),
        "is_current_year": year == today_year,
        "previous_year": year - 1 if year > first_year else None,
        "next_year": year + 1 if year < last_year else None,
        "guideline": selectors.guideline_coverage(audits=audits, companies=holders),
    })


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    if not _sees_audits(request.user):
        raise Http404
    return web.filtered_list(
        request, filter_class=AuditListFilter, queryset=narrow(selectors.audit_list(user=request.user), request),
        template="audits/audit_list.html", can_plan=_may_plan(request.user), register=registers.AUDIT_REGISTER,
    )


# ---------------------------------------------------------------------------
# Planning


@login_required
@require_http_methods(["GET", "POST"])
def audit_plan(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _may_plan(user):
        return _refused(request, NotPermitted(
            _("Only the audit lead plans audits (a department head may plan its own operational check).")
        ))
    form = AuditForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            audit = _as_form_error(lambda: services.audit_plan(by=user, **form.cleaned_data))
        except ValidationError as error:
            _add_model_errors(form, error)
        else:
            messages.success(request, _("Audit %(reference)s was planned.") % {"reference": audit.reference})
            return redirect("audit_detail", audit.pk)
    status = 400 if form.is_bound else 200
    return render(request, "audits/audit_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def audit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Re-plan a planned audit, from the version the page was read at (a stale one: 409, the
    conflict shown on the form with what was typed)."""
    audit = get_object_or_404(Audit.objects.visible_to(request.user), pk=pk)
    return web.edit_view(
        request, audit, form_class=AuditForm, check=services.audit_check_edit,
        update=lambda **data: _as_form_error(lambda: services.audit_update(audit=audit, **data)),
        template="audits/audit_form.html", context={"audit": audit},
    )


# ---------------------------------------------------------------------------
# Audit detail and its checklist


def _audit_page(request: HttpRequest, audit: Audit, *, bound_forms: dict[int, ChecklistItemForm] | None = None,
                status: int = 200) -> HttpResponse:
    """The audit's page; `bound_forms` are the checklist items' forms as posted (by item id),
    shown again with what was typed, their errors and conflicts; the other items get fresh ones."""
    user = request.user
    items = list(audit.checklist.select_related("requirement", "recorded_by").order_by("position", "id"))
    departments = list(audit.departments.all())
    findings = list(
        selectors.finding_list(user=user).filter(audit=audit).order_by("reference")
    )
    finding_of_item = {
        finding.checklist_item_id: finding
        for finding in Finding.objects.filter(audit=audit, checklist_item__isnull=False).only(
            "pk", "reference", "grade", "checklist_item_id"
        )
    }
    visible_findings = {finding.pk for finding in findings}
    team = services.audit_team_ids(audit)
    fills_in = audit.state == AuditState.FIELDWORK and user.pk in team
    bound_forms = bound_forms or {}
    rows = []
    for item in items:
        finding = finding_of_item.get(item.pk)
        form = None
        if fills_in:
            form = bound_forms.get(item.pk) or ChecklistItemForm(
                instance=item, prefix=f"item-{item.pk}", has_finding=finding is not None, departments=departments)
        rows.append({"item": item, "finding": finding, "form": form,
                     "finding_visible": finding is not None and finding.pk in visible_findings})
    done = sum(1 for item in items if item.result)
    return render(request, "audits/audit_detail.html", {
        "audit": audit,
        "departments": departments,
        "team": audit.team(),
        "checklist": rows,
        "checklist_done": done,
        "fills_in": fills_in,
        "findings": findings,
        # The results recorded on the checklist, item by item, join the audit's timeline.
        "trail": _trail_rows(audit, extra=[
            moment for moment in web.related_timeline(items, subject=lambda item: str(item.requirement))
            if moment.kind == "edit"
        ]),
        "transitions": _transition_panels(audit, user),
        "can_edit": services.audit_can_edit(audit, user),
    }, status=status)


@login_required
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    audit = get_object_or_404(selectors.audit_list(user=request.user), pk=pk)
    return _audit_page(request, audit)


@login_required
@require_GET
def audit_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The audit report as a PDF download, `?lang=ja|en` (default: the page's language), to
    whoever may see the audit; it lists the findings they may see, as the page does."""
    audit = get_object_or_404(selectors.audit_list(user=request.user), pk=pk)
    try:
        language = pdf_language(request.GET.get("lang"))
    except ValueError as error:
        return render(request, "incidents/error.html",
                      {"message": str(error), "back_url": reverse("audit_detail", args=[audit.pk])}, status=400)
    pdf = render_audit_report(audit, language=language, user=request.user)
    return pdf_response(pdf, report_filename(audit, language))


@login_required
@require_POST
def checklist_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the audit page's checklist: every item the user changed, in one go (issue 14).

    All or nothing: an invalid item is a 400, an item a teammate changed meanwhile a 409,
    and then no item is saved; the page comes back with everything typed, each item with
    its own errors or conflict."""
    return _save_checklist(request, pk)


@login_required
@require_POST
def checklist_record(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Record one checklist item's result (and raise its finding) during fieldwork: the
    per-item address of older pages and scripts, saving that item even if unchanged."""
    return _save_checklist(request, pk, only=item_pk)


def _save_checklist(request: HttpRequest, pk: int, *, only: int | None = None) -> HttpResponse:
    audit = get_object_or_404(selectors.audit_list(user=request.user), pk=pk)
    items = list(audit.checklist.select_related("requirement").order_by("position", "id"))
    if only is not None:
        items = [item for item in items if item.pk == only]
        if not items:
            raise Http404
    departments = list(audit.departments.all())
    raised = set(Finding.objects.filter(audit=audit, checklist_item__isnull=False)
                 .values_list("checklist_item_id", flat=True))
    forms = {}
    for item in items:
        item.audit = audit
        forms[item.pk] = ChecklistItemForm(request.POST, instance=item, prefix=f"item-{item.pk}",
                                           has_finding=item.pk in raised, departments=departments)
    # The items on the page the user changed (an item left as it was is not written, so it
    # cannot overwrite a teammate's result); the per-item address saves its item regardless.
    chosen = items if only is not None else [
        item for item in items if forms[item.pk].add_prefix("version") in request.POST and forms[item.pk].typed()
    ]
    anchor = f"#item-{only}" if only is not None else _checklist_anchor(request, items)
    if not chosen:
        messages.info(request, _("Nothing was changed on the checklist."))
        return redirect(reverse("audit_detail", args=[audit.pk]) + anchor)
    # Validate every chosen item (not only up to the first invalid one): all errors at once.
    valid = [forms[item.pk].is_valid() for item in chosen]
    status = 400
    if all(valid):
        try:
            services.checklist_record_all(by=request.user, entries=[
                (item, forms[item.pk].record_data()) for item in chosen
            ])
        except services.ChecklistNotSaved as refused:
            for item_pk, error in refused.errors.items():
                _show_item_refusal(forms[item_pk], error)
            status = 409 if refused.stale else 400
        except NotPermitted as error:
            return _refused(request, error, audit)
        except RecordClosed as error:
            messages.error(request, error.message)
            return redirect("audit_detail", audit.pk)
        else:
            _checklist_saved(request, chosen, raised)
            return redirect(reverse("audit_detail", args=[audit.pk]) + anchor)
    audit = Audit.objects.get(pk=audit.pk)
    return _audit_page(request, audit, bound_forms={item.pk: forms[item.pk] for item in chosen}, status=status)


def _checklist_anchor(request: HttpRequest, items) -> str:
    """Back to the item whose save button was pressed (each item has one), else the checklist."""
    pressed = request.POST.get("save", "")
    return f"#item-{pressed}" if pressed.isdigit() and int(pressed) in {item.pk for item in items} else "#checklist"


def _show_item_refusal(form: ChecklistItemForm, error: Exception) -> None:
    if isinstance(error, StaleEdit):
        # A teammate recorded this item since the page was read: their result is shown
        # next to what was typed, and saving again is a decision taken knowingly.
        show_conflict(form, error)
    elif isinstance(error, FieldsNotWritable):
        for name, message in error.fields.items():
            form.add_error(name if name in form.fields else None, message)
    elif isinstance(error, ValidationError):
        _add_model_errors(form, error)
    else:  # changed meanwhile, without the details of a stale edit
        form.add_error(None, str(getattr(error, "message", error)))


def _checklist_saved(request: HttpRequest, items, raised: set[int]) -> None:
    """Say what was saved, and which findings the results raised."""
    new = list(Finding.objects.filter(checklist_item__in=[item.pk for item in items])
               .exclude(checklist_item__in=raised).order_by("reference").values_list("reference", flat=True))
    if len(items) == 1:
        clause = items[0].requirement.clause
        if new:
            messages.success(request, _("Recorded %(clause)s; finding %(reference)s was raised.")
                             % {"clause": clause, "reference": new[0]})
        else:
            messages.success(request, _("Recorded %(clause)s.") % {"clause": clause})
        return
    clauses = ", ".join(item.requirement.clause for item in items)
    messages.success(request, _("Recorded %(count)d checklist items: %(clauses)s.")
                     % {"count": len(items), "clauses": clauses})
    if new:
        messages.success(request, _("Findings raised: %(references)s.") % {"references": ", ".join(new)})


# ---------------------------------------------------------------------------
# Findings


@login_required
def finding_list(request: HttpRequest) -> HttpResponse:
    if not _sees_audits(request.user):
        raise Http404
    # Joined: what a row shows, nothing more (the register adds what its columns read); each
    # join costs PostgreSQL's planner more than the page costs to read (bench/query_plans.md).
    rows = selectors.finding_list(user=request.user).select_related(None).select_related(
        "audit", "requirement", "department", "company")
    return web.filtered_list(
        request, filter_class=FindingListFilter, queryset=narrow(rows, request),
        template="audits/finding_list.html", heads_department=bool(headed_department_ids(request.user)),
        register=registers.FINDING_REGISTER,
    )


@login_required
def finding_mine(request: HttpRequest) -> HttpResponse:
    """Findings awaiting my department's response, and those whose actions it is carrying out."""
    user = request.user
    departments = headed_department_ids(user)
    if not departments:
        raise Http404
    findings = selectors.finding_list(user=user)
    return render(request, "audits/finding_mine.html", {
        # The earliest deadline first; those without one (no answer required) last.
        "awaiting": list(findings.awaiting_response_from(user)
                         .order_by(F("response_due").asc(nulls_last=True), "created_at", "id")),
        "in_progress": list(
            findings.filter(department_id__in=departments,
                            state__in=[FindingState.RESPONDED, FindingState.ACCEPTED, FindingState.VERIFYING])
            .order_by("created_at", "id")
        ),
    })


def _takes_actions(finding: Finding) -> bool:
    return finding.state in (FindingState.OPEN, FindingState.RESPONDED, FindingState.ACCEPTED)


def _may_add_action(finding: Finding, user) -> bool:
    return services.finding_can_respond(finding, user) or has_role(user, Role.PMS_MANAGER)


def _finding_page(request: HttpRequest, finding: Finding, *, action_form: FindingActionForm | None = None,
                  status: int = 200, for_work: bool = False) -> HttpResponse:
    """The finding's page. `for_work`: the reader only owns or verifies one of its actions
    (Finding.objects.readable_for_work): the finding, its response and its actions, to read,
    without its steps, edits, trail, files, related incidents or a way into the audit."""
    user = request.user
    actions = list(
        finding.actions.select_related("owner", "verifier", "department", "incident", "company").order_by("due_date", "id")
    )
    if for_work:
        visible_actions = set(
            Action.objects.visible_to(user).filter(pk__in=[a.pk for a in actions]).values_list("pk", flat=True)
        )
        return render(request, "audits/finding_detail.html", {
            "finding": finding, "audit": finding.audit, "for_work": True, "actions": actions,
            "visible_actions": visible_actions, "incidents": [], "visible_incidents": set(),
            "audit_visible": False, "can_add_action": False, "action_form": None, "needs_action": False,
            "trail": [], "transitions": [], "can_edit": False,
        }, status=status)
    incidents = list(finding.incidents.select_related("department").order_by("reference"))
    visible_incidents = set(
        Incident.objects.visible_to(user).filter(pk__in=[i.pk for i in incidents]).values_list("pk", flat=True)
    )
    visible_actions = set(
        Action.objects.visible_to(user).filter(pk__in=[a.pk for a in actions]).values_list("pk", flat=True)
    )
    can_add_action = _takes_actions(finding) and _may_add_action(finding, user)
    if can_add_action and action_form is None:
        action_form = FindingActionForm(finding=finding, user=user, prefix="action")
    live_actions = [a for a in actions if a.state != "cancelled"]
    return render(request, "audits/finding_detail.html", {
        "finding": finding,
        "audit": finding.audit,
        "actions": actions,
        "visible_actions": visible_actions,
        "incidents": incidents,
        "visible_incidents": visible_incidents,
        "audit_visible": Audit.objects.visible_to(user).filter(pk=finding.audit_id).exists(),
        "can_add_action": can_add_action,
        "action_form": action_form if can_add_action else None,
        # A nonconformity needs a corrective action against its cause, not only a correction.
        "needs_action": (finding.grade in NONCONFORMITIES and finding.state == FindingState.OPEN
                         and not any(a.kind == "corrective" for a in live_actions)),
        "trail": _trail_rows(finding),
        "transitions": _transition_panels(finding, user),
        "next_deadline": deadlines.on_day(
            Finding._meta.get_field("response_due").verbose_name, finding.response_due, soon_days=FINDING_NOTICE_DAYS,
        ) if finding.state == FindingState.OPEN else None,
        "can_edit": services.finding_can_edit(finding, user),
    }, status=status)


@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The finding's page: in full to whoever may see it; to read, for the owner or verifier of
    one of its actions who may not otherwise (a 404 for anyone else)."""
    user = request.user
    finding = get_object_or_404(selectors.finding_readable(user=user), pk=pk)
    for_work = not Finding.objects.visible_to(user).filter(pk=finding.pk).exists()
    return _finding_page(request, finding, for_work=for_work)


@login_required
@require_http_methods(["GET", "POST"])
def finding_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a finding: the audit team rewords it while it is open, the department's head
    drafts the cause and the plan until the team accepts them. From the version the page
    was read at (a stale one: 409, the conflict shown on the form with what was typed)."""
    finding = get_object_or_404(selectors.finding_list(user=request.user), pk=pk)
    return web.edit_view(
        request, finding, form_class=FindingForm, check=services.finding_check_edit,
        update=lambda **data: services.finding_update(finding=finding, **data),
        template="audits/finding_form.html", context={"finding": finding, "audit": finding.audit},
    )


@login_required
@require_POST
def finding_action_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The department head plans a corrective action for the finding."""
    finding = get_object_or_404(selectors.finding_list(user=request.user), pk=pk)
    if not _may_add_action(finding, request.user):
        return _refused(request, NotPermitted(_("Only the head of the audited department may plan its actions.")),
                        finding)
    if not _takes_actions(finding):
        messages.error(request, _("Actions are added while the finding is open or its plan is being agreed."))
        return redirect("finding_detail", finding.pk)
    form = FindingActionForm(request.POST, finding=finding, user=request.user, prefix="action")
    if form.is_valid():
        try:
            action = services.finding_add_action(finding=finding, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_model_errors(form, error)
        except NotPermitted as error:
            return _refused(request, error, finding)
        except RecordClosed as error:
            messages.error(request, error.message)
            return redirect("finding_detail", finding.pk)
        else:
            messages.success(request, _("Action %(reference)s was created.") % {"reference": action.reference})
            return redirect(reverse("finding_detail", args=[finding.pk]) + "#actions")
    return _finding_page(request, finding, action_form=form, status=400)
