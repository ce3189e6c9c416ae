"""Web pages of the management review (マネジメントレビュー).

Thin views on top of the incidents UI: reviews are fetched through
Review.objects.visible_to(user) (404 for everyone else, on every page), submit and
return for revision go through the generic transition view, every write through
audits.services (review_create, review_update, review_approve).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from incidents.exceptions import (
    ConcurrentChange,
    ConditionsNotMet,
    NotPermitted,
    TransitionNotAvailable,
)
from incidents.models import (
    Action,
    ActionKind,
    ActionState,
    Incident,
    IncidentKind,
    IncidentState,
    Severity,
    TrackKind,
)
from incidents.roles import sees_everything
from incidents.switcher import current_company
from incidents.workflow import web

from . import services
from .models import DecisionKind, Finding, FindingState, Grade, Review, ReviewDecision, ReviewState, Standard
from .models.review import TEXT_INPUTS, approval_problem
from .pdf.base import pdf_language, pdf_response
from .pdf.review_report import render_review_report, report_filename
from .review_format import DASH, breakdown_total, label, localized, number, percent
from .review_forms import DecisionFormSet, ReviewApproveForm, ReviewForm


def review_origins(action, user) -> list[tuple[str, str | None]]:
    """The management-review decision an improvement action carries out."""
    decision = ReviewDecision.objects.filter(action=action).select_related("review").first()
    if decision is None:
        return []
    label = _("Decision %(number)d of management review %(reference)s") % {
        "number": decision.position, "reference": decision.review.reference}
    visible = Review.objects.visible_to(user).filter(pk=decision.review_id).exists()
    return [(label, reverse("review_detail", args=[decision.review_id]) if visible else None)]



_refused = web.refused
_add_model_errors = web.add_model_errors
_trail_rows = web.trail_rows
_transition_panels = web.transition_panels

DECISIONS_PREFIX = "decisions"


def _reviews(user):
    return Review.objects.visible_to(user).select_related("company", "created_by", "submitted_by", "approved_by")


def _narrowed(reviews, request: HttpRequest):
    """The reviews of the company chosen in the header's switcher, and the group's (which
    covers it too); all of them when none is chosen."""
    company = current_company(request)
    if company is None:
        return reviews
    return reviews.filter(Q(company=company) | Q(company__isnull=True))


def _review_or_404(user, pk: int) -> Review:
    return get_object_or_404(_reviews(user), pk=pk)


# ---------------------------------------------------------------------------
# List


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not sees_everything(user):
        # Like the audit pages: nothing here for staff and department heads.
        raise Http404
    page = web.paginate(request, _narrowed(_reviews(user), request).order_by("-period_start", "-id"))
    return render(request, "audits/review_list.html", {
        "page": page,
        "can_prepare": services.review_can_prepare(user),
        "approvable": {review.pk for review in page.object_list
                       if review.state == ReviewState.SUBMITTED and approval_problem(review, user) is None},
    })


# ---------------------------------------------------------------------------
# Prepare and edit (PMS manager, draft only)


@login_required
@require_http_methods(["GET", "POST"])
def review_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not sees_everything(user):
        raise Http404
    if not services.review_can_prepare(user):
        return _refused(request, NotPermitted(_("Only the PMS manager prepares the review.")))
    form = ReviewForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_create(by=user, **form.cleaned_data)
        except ValidationError as error:
            _add_model_errors(form, error)
        except NotPermitted as error:
            return _refused(request, error)
        else:
            messages.success(request, _("Management review %(reference)s was created.")
                             % {"reference": review.reference})
            return redirect("review_detail", review.pk)
    status = 400 if form.is_bound else 200
    return render(request, "audits/review_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request.user, pk)
    return web.edit_view(
        request, review, form_class=ReviewForm, check=services.review_check_edit,
        update=lambda **data: services.review_update(review=review, **data),
        template="audits/review_form.html", context={"review": review},
    )


# ---------------------------------------------------------------------------
# Detail


@login_required
@require_GET
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    review = _review_or_404(user, pk)
    panels = _transition_panels(review, user)
    decisions = list(
        review.decisions.select_related("owner", "department", "action").order_by("position")
    )
    visible_actions = set(
        Action.objects.visible_to(user).filter(pk__in=[d.action_id for d in decisions if d.action_id])
        .values_list("pk", flat=True)
    )
    inputs = readable_inputs(review.inputs())
    # The page does not grow with the data: the long lists show their first rows (as the
    # PDF does), how many more there are, and a link to the register that has them all.
    more = {}
    for name in ("opportunities", "joint_use"):
        rows = inputs[name] or []
        more[name] = max(len(rows) - MAX_LISTED, 0)
        if rows:
            inputs[name] = rows[:MAX_LISTED]
    # The opportunities the user may open (the snapshot keeps their references only).
    findings = dict(Finding.objects.visible_to(user).filter(
        reference__in=[row["reference"] for row in inputs["opportunities"]]
    ).values_list("reference", "pk"))
    for row in inputs["opportunities"]:
        row["finding_pk"] = findings.get(row["reference"])
    if inputs["joint_use"]:
        incidents = dict(Incident.objects.visible_to(user).filter(
            reference__in=[row["reference"] for row in inputs["joint_use"]]
        ).values_list("reference", "pk"))
        for row in inputs["joint_use"]:
            row["incident_pk"] = incidents.get(row["reference"])
    return render(request, "audits/review_detail.html", {
        "review": review,
        "inputs": inputs,
        "more": more,
        "registers": _register_links(review),
        "frozen": review.snapshot is not None,
        "decisions": decisions,
        "visible_actions": visible_actions,
        # Approving takes the decisions with it: it has a page of its own.
        "transitions": [panel for panel in panels if panel["option"].name != "approve"],
        "can_approve": any(panel["option"].name == "approve" for panel in panels),
        "steps": panels,  # the steps bar links to every step, approving (its own page) too
        "can_edit": services.review_can_edit(review, user),
        "trail": _trail_rows(review, extra=web.related_timeline(
            decisions, subject=lambda decision: _("Decision %(n)s") % {"n": decision.position})),
        "pdf_languages": [("ja", "日本語"), ("en", "English")],
        "help_texts": {name: Review._meta.get_field(name).help_text for name in TEXT_INPUTS},
    })


# The rows a long list of the page shows, as the PDF's tables (audits/pdf/review_report/layout.py).
MAX_LISTED = 15


def _register_links(review: Review) -> dict[str, str]:
    """The registers that list in full what the page cuts: the findings graded as
    opportunities for improvement (of the company reviewed), the incidents discovered in
    the period."""
    company = f"&company={review.company_id}" if review.company_id else ""
    return {
        "opportunities": f"{reverse('finding_list')}?grade={Grade.OPPORTUNITY}{company}",
        "joint_use": f"{reverse('incident_list')}?discovered_from={review.period_start.isoformat()}"
                     f"&discovered_to={review.period_end.isoformat()}&sort=discovered",
    }


@login_required
def review_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Submit and return for revision, through the generic transition view; approving has its page."""
    if name == "approve":
        review = _review_or_404(request.user, pk)
        return redirect("review_approve", review.pk)
    return web.transition_view(request, model=Review, pk=pk, name=name)


# ---------------------------------------------------------------------------
# Approve with decisions (top management)


def _quiet(*forms_) -> None:
    """Show what was typed without validating it (the page was re-drawn for another row)."""
    for form in forms_:
        form._errors = ErrorDict()


def _with_another_row(data):
    data = data.copy()
    total_key = f"{DECISIONS_PREFIX}-TOTAL_FORMS"
    try:
        total = int(data.get(total_key, 0))
    except ValueError:
        total = 0
    data[total_key] = str(min(max(total, 0) + 1, DecisionFormSet.max_num))
    return data


def _attach_problems(error: ConditionsNotMet, form, filled: list) -> None:
    """The service's objections onto the form: a decision's onto its own row."""
    form.add_error(None, error.message)
    by_decision = getattr(error, "by_decision", None)
    if by_decision is None:
        for problem in error.problems:
            form.add_error(None, problem)
        return
    for position, problems in by_decision.items():
        for problem in problems:
            filled[position - 1].add_error(None, problem)


def _submission_mark(review: Review) -> str:
    return review.submitted_at.isoformat() if review.submitted_at else ""


@login_required
@require_http_methods(["GET", "POST"])
def review_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    review = _review_or_404(user, pk)
    if review.state != ReviewState.SUBMITTED:
        messages.error(request, _("Only a review submitted to top management can be approved."))
        return redirect("review_detail", review.pk)
    problem = approval_problem(review, user)
    if problem:
        return _refused(request, NotPermitted(problem), review)

    data = request.POST if request.method == "POST" else None
    status = 200
    if data is not None and data.get("submission") != _submission_mark(review):
        # The review was returned and submitted again since the page was read.
        messages.error(request, ConcurrentChange.default_message)
        return redirect("review_detail", review.pk)
    if data is not None and "add_decision" in data:
        data = _with_another_row(data)
        form = ReviewApproveForm(data, review=review)
        formset = DecisionFormSet(data, prefix=DECISIONS_PREFIX, form_kwargs={"review": review})
        _quiet(form, *formset.forms)
        formset._errors, formset._non_form_errors = [ErrorDict() for _form in formset.forms], formset.error_class()
    else:
        form = ReviewApproveForm(data, review=review)
        formset = DecisionFormSet(data, prefix=DECISIONS_PREFIX, form_kwargs={"review": review})
        if data is not None:
            form_valid, formset_valid = form.is_valid(), formset.is_valid()
            if form_valid and formset_valid:
                response = _approve(request, review, form, formset)
                if response is not None:
                    return response
            status = 400
    return render(request, "audits/review_approve.html", {
        "review": review,
        "form": form,
        "formset": formset,
        "submission": _submission_mark(review),
    }, status=status)


def _approve(request: HttpRequest, review: Review, form: ReviewApproveForm, formset) -> HttpResponse | None:
    """Approve through the service; None when the page has to be shown again with its reasons."""
    filled = formset.filled_forms()
    try:
        review = services.review_approve(
            review=review, by=request.user, decisions=[row.decision() for row in filled],
            conclusion=form.cleaned_data["conclusion"], held_on=form.cleaned_data["held_on"],
            attendees=form.cleaned_data["attendees"], comment=form.cleaned_data["comment"],
        )
    except ConditionsNotMet as error:
        _attach_problems(error, form, filled)
        return None
    except ValidationError as error:
        _add_model_errors(form, error)
        return None
    except NotPermitted as error:
        return _refused(request, error, review)
    except (TransitionNotAvailable, ConcurrentChange) as error:
        messages.error(request, error.message)
        return redirect("review_detail", review.pk)
    actions = [d.action.reference for d in review.decisions.select_related("action").order_by("position")
               if d.action_id]
    messages.success(request, _("%(reference)s was approved. Improvement actions created: %(actions)s.")
                     % {"reference": review.reference, "actions": _(", ").join(actions)})
    return redirect("review_detail", review.pk)


# ---------------------------------------------------------------------------
# PDF


@login_required
@require_GET
def review_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The review report, in Japanese or English (?lang=ja|en; by default the page's language)."""
    review = _review_or_404(request.user, pk)
    try:
        language = pdf_language(request.GET.get("lang"))
    except ValueError as error:
        return render(request, "incidents/error.html",
                      {"message": str(error), "back_url": reverse("review_detail", args=[review.pk])}, status=400)
    return pdf_response(render_review_report(review, language=language), report_filename(review, language))


# ---------------------------------------------------------------------------
# The inputs, readable: codes turned into labels, None into a dash


def _date(value: str | None) -> str:
    """An ISO date or date-time of the snapshot as the pages show dates (Japan time)."""
    if not value:
        return DASH
    if len(value) == 10:  # a date (parse_datetime would read it as midnight)
        return value
    moment = parse_datetime(value)
    if moment is not None:
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M")
    day = parse_date(value)
    return day.isoformat() if isinstance(day, dt.date) else value


def _bars(rows: list[dict], key: str = "count") -> list[dict]:
    """Each row with the width (0–100) of its bar, relative to the largest."""
    largest = max((row.get(key) or 0 for row in rows), default=0)
    return [{**row, "bar": round(100 * (row.get(key) or 0) / largest) if largest else 0} for row in rows]


def readable_inputs(inputs: dict) -> dict:
    """review.inputs() for the detail page: labels from the model choices, "—" for None."""
    incidents = inputs.get("incidents") or {}
    tracks = inputs.get("tracks") or {}
    actions = inputs.get("actions") or {}
    audits = inputs.get("audits") or {}
    coverage = audits.get("coverage") or {}
    previous = inputs.get("previous_review")
    recurrence = incidents.get("recurrence") or {}
    containment = incidents.get("containment_hours") or {}
    closing = incidents.get("close_days") or {}
    action_totals = actions.get("totals") or {}
    audit_counts = audits.get("audits") or {}

    key_figures = [
        {"label": _("Incidents"), "value": number(incidents.get("total")),
         "note": _("%(accidents)s accidents, %(near_misses)s near misses")
         % {"accidents": number(incidents.get("accidents")), "near_misses": number(incidents.get("near_misses"))}},
        {"label": _("Still open"), "value": number(incidents.get("open")), "note": _("incidents")},
        {"label": _("Reports on time"), "value": percent(tracks.get("on_time_rate")),
         "note": _("to regulators and others")},
        {"label": _("Actions on time"), "value": percent(actions.get("on_time_rate")),
         "note": _("%(overdue)s overdue") % {"overdue": number(action_totals.get("overdue"))}},
        {"label": _("Actions effective"), "value": percent(actions.get("effective_rate")),
         "note": _("of those checked")},
        {"label": _("Audit findings"), "value": number(audits.get("findings_total")),
         "note": _("%(open)s still open") % {"open": number(audits.get("findings_open"))}},
        {"label": _("Finding responses overdue"), "value": number(audits.get("findings_response_overdue")),
         "note": _("%(late)s answered late") % {"late": number(audits.get("findings_answered_late"))}},
        {"label": _("Audit coverage"), "value": percent(coverage.get("rate")),
         "note": _("%(covered)s of %(departments)s departments")
         % {"covered": number(coverage.get("covered")), "departments": number(coverage.get("departments"))}},
        {"label": _("Recurrence"), "value": percent(recurrence.get("rate")),
         "note": _("%(recurring)s of %(analysed)s analysed")
         % {"recurring": number(recurrence.get("recurring")), "analysed": number(recurrence.get("analysed"))}},
    ]

    previous_rows = None
    if previous is not None:
        previous_rows = {
            "reference": previous.get("reference", ""),
            "period": previous.get("period") or {},
            "approved_at": _date(previous.get("approved_at")),
            "summary": previous.get("summary") or {},
            "decisions": [
                {**row, "kind_label": label(DecisionKind, row.get("kind")),
                 "state_label": label(ActionState, row.get("state")) if row.get("state") else DASH,
                 "due_date": _date(row.get("due_date"))}
                for row in previous.get("decisions") or []
            ],
        }

    return {
        "reference": inputs.get("reference", ""),
        "company": inputs.get("company"),
        "companies": inputs.get("companies") or [],
        "by_company": _breakdown_rows(inputs.get("by_company")),
        "joint_use": _joint_use_rows(inputs.get("joint_use")),
        "assembled_at": _date(inputs.get("assembled_at")),
        "period": inputs.get("period") or {},
        "previous": previous_rows,
        "texts": inputs.get("texts") or {},
        "key_figures": key_figures,
        "incidents": {
            "total": incidents.get("total", 0),
            "dismissed": number(incidents.get("dismissed")),
            "by_kind": [{**row, "label": label(IncidentKind, row["kind"])} for row in _bars(incidents.get("by_kind") or [])],
            "by_severity": [
                {**row, "label": label(Severity, row["severity"]) if row["severity"] else _("Not classified yet")}
                for row in _bars(incidents.get("by_severity") or [])
            ],
            "by_department": _bars(incidents.get("by_department") or []),
            "by_month": _bars(incidents.get("by_month") or []),
            "containment": {key: number(containment.get(key)) for key in ("count", "median", "p90")},
            "closing": {key: number(closing.get(key)) for key in ("count", "median", "p90")},
            "recurrence": {
                "analysed": number(recurrence.get("analysed")), "recurring": number(recurrence.get("recurring")),
                "rate": percent(recurrence.get("rate")),
                "pairs": [{**row, "cause": localized(row, "cause")} for row in recurrence.get("pairs") or []],
            },
        },
        "tracks": {
            "by_kind": [{**row, "label": label(TrackKind, row["kind"])} for row in tracks.get("by_kind") or []],
            "totals": tracks.get("totals") or {},
            "on_time_rate": percent(tracks.get("on_time_rate")),
        },
        "actions": {
            "by_kind": [{**row, "label": label(ActionKind, row["kind"])} for row in actions.get("by_kind") or []],
            "totals": action_totals,
            "by_state": [{**row, "label": label(ActionState, row["state"])} for row in actions.get("by_state") or []],
            "on_time_rate": percent(actions.get("on_time_rate")),
            "effective_rate": percent(actions.get("effective_rate")),
        },
        "audits": {
            "counts": audit_counts,
            # A snapshot taken before response deadlines existed has no such counts: "—".
            "by_grade": [{**row, "label": label(Grade, row["grade"]), "answered_late": number(row.get("answered_late")),
                          "response_overdue": number(row.get("response_overdue"))}
                         for row in audits.get("by_grade") or []],
            "findings_total": number(audits.get("findings_total")),
            "findings_open": number(audits.get("findings_open")),
            "findings_answered_late": number(audits.get("findings_answered_late")),
            "findings_response_overdue": number(audits.get("findings_response_overdue")),
            "by_clause": [
                {**row, "standard_label": label(Standard, row.get("standard")), "title": localized(row, "title")}
                for row in audits.get("by_clause") or []
            ],
            "by_department": audits.get("by_department") or [],
            "coverage": {
                "departments": number(coverage.get("departments")), "covered": number(coverage.get("covered")),
                "rate": percent(coverage.get("rate")), "not_covered": coverage.get("not_covered") or [],
            },
        },
        "opportunities": [
            {**row, "state_label": label(FindingState, row.get("state"))} for row in inputs.get("opportunities") or []
        ],
    }



def _breakdown_row(row: dict) -> dict:
    incidents, tracks, actions = row.get("incidents") or {}, row.get("tracks") or {}, row.get("actions") or {}
    audits, findings, coverage = row.get("audits") or {}, row.get("findings") or {}, row.get("coverage") or {}
    return {
        "name": row.get("name", ""),
        "incidents": number(incidents.get("total")), "near_misses": number(incidents.get("near_misses")),
        "open": number(incidents.get("open")),
        "reports": number(tracks.get("total")), "reports_on_time": percent(tracks.get("on_time_rate")),
        "reports_overdue": number(tracks.get("overdue")),
        "actions": number(actions.get("total")), "actions_on_time": percent(actions.get("on_time_rate")),
        "actions_overdue": number(actions.get("overdue")), "actions_effective": percent(actions.get("effective_rate")),
        "audits": number(audits.get("total")), "findings": number(findings.get("total")),
        "findings_open": number(findings.get("open")),
        "findings_answered_late": number(findings.get("answered_late")),
        "findings_response_overdue": number(findings.get("response_overdue")),
        "coverage": percent(coverage.get("rate")),
        "coverage_note": _("%(covered)s of %(departments)s") % {
            "covered": number(coverage.get("covered")), "departments": number(coverage.get("departments"))},
    }


def _breakdown_rows(rows: list[dict] | None) -> dict | None:
    """A group review's figures company by company, and the group's total (their sum)."""
    if not rows:
        return None
    return {"rows": [_breakdown_row(row) for row in rows],
            "total": _breakdown_row({"name": _("Whole group"), **breakdown_total(rows)})}


def _joint_use_rows(rows: list[dict] | None) -> list[dict] | None:
    """The other companies' incidents of jointly used data (None: not the responsible company's review)."""
    if rows is None:
        return None
    return [
        {**row, "kind_label": label(IncidentKind, row.get("kind")),
         "severity_label": label(Severity, row.get("severity")) if row.get("severity") else DASH,
         "state_label": label(IncidentState, row.get("state")), "discovered": _date(row.get("discovered_at"))}
        for row in rows
    ]
