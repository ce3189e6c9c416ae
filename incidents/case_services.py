"""Every write to requests from individuals and to complaints (issue 15).

The web UI, the public form, the API and the admin all call these functions, so the
permission checks, the clock, the trail and the notices are the same whichever door a case
comes in by. The steps themselves go through the workflow engine
(incidents.workflow.service.transition_record), like every other record's.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from trail.chain import claim

from . import case_events
from .exceptions import NotPermitted, RecordClosed
from .models import (
    Action,
    Attachment,
    Company,
    Complaint,
    ComplaintClass,
    Decision,
    EvidencePurpose,
    Incident,
    IncidentKind,
    PMarkEvent,
    RequestItem,
    RequestKind,
    RequestPause,
    RequestState,
    RightsRequest,
)
from .models.requests import case_office_problem
from .roles import Role, has_role
from .services import _refuse_fields, action_create, incident_report
from .workflow.service import _save, edit_record, log_creation, next_reference, transition_record

__all__ = [
    "complaint_add_action", "complaint_convert_to_request", "complaint_raise_incident", "complaint_receive",
    "complaint_update", "purge_identity_documents", "request_add_kind", "request_item_update", "request_pause",
    "request_raise_refusal_incident", "request_receive", "request_resume", "request_update", "transition_record",
]


def _stamp(record, *, by, **values):
    """Write what the system records itself on a case (a link to the incident it raised,
    the deletion of identity copies): locked, versioned and on the trail like an edit, but
    not a field anyone edits."""
    with transaction.atomic():
        claim()
        current = type(record).objects.select_for_update().get(pk=record.pk)
        for name, value in values.items():
            setattr(current, name, value)
        _save(current, by=by, update_fields=list(values))
    return current


def _check_kinds(kinds) -> list[str]:
    kinds = list(dict.fromkeys(kinds or ()))
    unknown = [kind for kind in kinds if kind not in RequestKind.values]
    if unknown or not kinds:
        raise ValidationError({"kinds": [_("Choose at least one of the six requests.") if not kinds
                                         else _("Unknown request: %(kinds)s.") % {"kinds": ", ".join(unknown)}]})
    return kinds


# ---------------------------------------------------------------------------
# Requests


def request_receive(*, by, kinds, **data) -> RightsRequest:
    """Record a request received (by `by`; None: filed by the person through the public form).

    Anyone signed in may record one they received by phone, by mail or at a desk; what the
    PMS office decides (the department, the handler) only the office gives. The answer's
    due date is set from the company's target on the day of receipt.
    """
    kinds = _check_kinds(kinds)
    if by is not None:
        _refuse_fields(RightsRequest, by, data, creating=True)
    with transaction.atomic():
        request = RightsRequest(received_by=by, **data)
        if request.company_id is None:
            request.company = (request.department.company if request.department_id else None) or \
                Company.objects.default()
        request.target_days = request.company.request_target_days
        request.reference = next_reference("REQ", 4, company=request.company)
        request.full_clean()
        request._history_user = by
        request.save()
        for kind in kinds:
            item = RequestItem(request=request, kind=kind)
            item._history_user = by
            item.save()
        log_creation(request, by=by, transition_name="receive")
        case_events.request_received(request, by=by)
        if request.handler_id:
            case_events.case_handler_assigned(request, by=by)
    return request


def request_update(*, request: RightsRequest, by, version: int | None, **data) -> RightsRequest:
    """Edit a request's fields (never its state, its clock or its links: those have their steps)."""
    previous_handler = request.handler_id

    def after(current: RightsRequest, changed: dict) -> None:
        if "handler" in changed and current.handler_id != previous_handler:
            case_events.case_handler_assigned(current, by=by)

    return edit_record(request, by=by, version=version, changes=data, after=after)


def request_add_kind(*, request: RightsRequest, by, kind: str) -> RequestItem:
    """Another thing asked for, found on reading the request (while it is unanswered)."""
    _check_kinds([kind])
    with transaction.atomic():
        claim()
        current = RightsRequest.objects.select_for_update().get(pk=request.pk)
        problem = case_office_problem(current, by)
        if problem:
            raise NotPermitted(problem)
        if not current.is_open:
            raise RecordClosed(_("The request has been answered: what was asked for can no longer change."))
        if current.items.filter(kind=kind).exists():
            raise ValidationError({"kind": [_("The request already asks for this.")]})
        item = RequestItem(request=current, kind=kind)
        item._history_user = by
        item.save()
        _save(current, by=by, update_fields=[])  # the case's version moves: its page was stale
    return item


def request_item_update(*, item: RequestItem, by, version: int | None, **data) -> RequestItem:
    """Decide one thing asked for: in full, in part, by another measure, or refused (with the
    article and the reason told to the person, art. 36)."""
    return edit_record(item, by=by, version=version, changes=data)


def request_pause(*, request: RightsRequest, by, version: int | None, reason: str,
                  since: dt.date | None = None) -> RightsRequest:
    """Stop the clock while the company waits for the requester (identity documents, the fee,
    what exactly is asked). The pause is kept and shown; the due date moves by its length."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say what the company is waiting for.")]})
    since = since or timezone.localdate()

    def stamps(current: RightsRequest, changed: dict) -> dict:
        if not current.is_open:
            raise RecordClosed(_("Only a request still to be answered can wait for the requester."))
        if current.paused_since:
            raise ValidationError({"reason": [_("The clock is already stopped since %(day)s.")
                                              % {"day": current.paused_since}]})
        if since > timezone.localdate() or since < current.received_on:
            raise ValidationError({"since": [_("The pause starts between the day of receipt and today.")]})
        return {"paused_since": since, "pause_reason": reason[:300]}

    def after(current: RightsRequest, changed: dict) -> None:
        pause = RequestPause(request=current, started_on=since, reason=reason[:300], started_by=by)
        pause._history_user = by
        pause.save()

    return edit_record(request, by=by, version=version, changes={}, stamps=stamps, after=after)


def request_resume(*, request: RightsRequest, by, version: int | None, on: dt.date | None = None) -> RightsRequest:
    """The requester answered: the clock runs again, the due date later by the days waited."""
    on = on or timezone.localdate()

    def stamps(current: RightsRequest, changed: dict) -> dict:
        if not current.paused_since:
            raise ValidationError({"on": [_("The clock is not stopped.")]})
        if on < current.paused_since or on > timezone.localdate():
            raise ValidationError({"on": [_("The clock resumes between the start of the pause and today.")]})
        return {"paused_since": None, "pause_reason": "",
                "paused_days": current.paused_days + current.pause_days_until(on)}

    def after(current: RightsRequest, changed: dict) -> None:
        current.close_pauses(on, by=by)

    return edit_record(request, by=by, version=version, changes={}, stamps=stamps, after=after)


def request_refusal_problem(request: RightsRequest) -> str | None:
    """Why no refusal of this request can be judged wrongful (None: one can)."""
    if request.incident_id:
        return _("An incident was already raised for this request: %(reference)s.") % {
            "reference": request.incident.reference}
    refused = request.state == RequestState.REFUSED or any(
        item.decision in (Decision.REFUSED, Decision.PARTIAL, Decision.ALTERNATIVE) for item in request.item_list())
    if not refused or request.is_open:
        return _("Only a request that was refused, in whole or in part, can be judged wrongly refused.")
    return None


def request_raise_refusal_incident(*, request: RightsRequest, by, explanation: str, department=None) -> Incident:
    """The PMS office judges a refusal wrongful: a PrivacyMark 事故等 of kind ⑧ (開示等の求め等の
    拒否, domain.md §1.13), raised as an incident linked to the request, in one step. Its
    PrivacyMark reports (速報/確報) then run like any other incident's."""
    if not has_role(by, Role.PMS_MANAGER, company=request.company_id):
        raise NotPermitted(_("Only the PMS office judges a refusal wrongful."))
    problem = request_refusal_problem(request)
    if problem:
        raise RecordClosed(problem)
    explanation = (explanation or "").strip()
    if not explanation:
        raise ValidationError({"explanation": [_("Explain why the refusal was wrong.")]})
    department = department or request.department
    if department is None:
        raise ValidationError({"department": [_("Choose the department responsible for the refusal.")]})
    # The incident's text goes into the PrivacyMark report: Japanese, whatever the page's language.
    with translation.override("ja"):
        refused = "、".join(str(item.get_kind_display()) for item in request.item_list()
                           if item.decision != Decision.FULL) or "—"
        title = _("Wrongful refusal of the request %(reference)s") % {"reference": request.reference}
        description = _("The request %(reference)s received on %(received)s was refused (%(refused)s); the "
                        "refusal was judged wrongful.\n%(explanation)s") % {
            "reference": request.reference, "received": request.received_on, "refused": refused,
            "explanation": explanation}
    with transaction.atomic():
        incident = incident_report(
            reporter=by, title=title, description=description,
            department=department, kind=IncidentKind.VIOLATION, pmark_event=PMarkEvent.REQUEST_REFUSAL,
            occurred_at=timezone.make_aware(dt.datetime.combine(request.sent_on or request.received_on, dt.time(9))),
            discovered_at=timezone.now(), affected_count=1,
        )
        _stamp(request, by=by, incident=incident)
    return incident


# ---------------------------------------------------------------------------
# Complaints


def complaint_receive(*, by, **data) -> Complaint:
    if by is not None:
        _refuse_fields(Complaint, by, data, creating=True)
    with transaction.atomic():
        complaint = Complaint(received_by=by, **data)
        if complaint.company_id is None:
            complaint.company = (complaint.department.company if complaint.department_id else None) or \
                Company.objects.default()
        complaint.reference = next_reference("CMP", 4, company=complaint.company)
        complaint.full_clean()
        complaint._history_user = by
        complaint.save()
        log_creation(complaint, by=by, transition_name="receive")
        case_events.complaint_received(complaint, by=by)
        if complaint.handler_id:
            case_events.case_handler_assigned(complaint, by=by)
    return complaint


def complaint_update(*, complaint: Complaint, by, version: int | None, **data) -> Complaint:
    previous_handler = complaint.handler_id

    def after(current: Complaint, changed: dict) -> None:
        if "handler" in changed and current.handler_id != previous_handler:
            case_events.case_handler_assigned(current, by=by)

    return edit_record(complaint, by=by, version=version, changes=data, after=after)


def _check_complaint_follow_up(complaint: Complaint, by) -> None:
    problem = case_office_problem(complaint, by)
    if problem:
        raise NotPermitted(problem)
    if complaint.state == "closed":
        raise RecordClosed(_("This record is closed and can no longer be edited."))


def complaint_convert_to_request(*, complaint: Complaint, by, kinds, **data) -> RightsRequest:
    """A complaint that is in truth a request to disclose etc. becomes one: a request with the
    complaint's channel, date and person, linked both ways; its clock runs from the day the
    complaint was received (the person asked then)."""
    _check_complaint_follow_up(complaint, by)
    if complaint.request_id:
        raise RecordClosed(_("This complaint was already converted into %(reference)s.")
                           % {"reference": complaint.request.reference})
    data = {"company": complaint.company, "department": complaint.department, "channel": complaint.channel,
            "received_on": complaint.received_on, "requester_name": complaint.complainant_name or "—",
            "requester_contact": complaint.complainant_contact[:200], "summary": complaint.summary, **data}
    if not has_role(by, Role.PMS_MANAGER, company=complaint.company_id):
        data.pop("department", None)
    with transaction.atomic():
        request = request_receive(by=by, kinds=kinds, **data)
        _stamp(complaint, by=by, request=request, classification=ComplaintClass.RIGHTS_REQUEST)
    return request


def complaint_raise_incident(*, complaint: Complaint, by, **incident_data) -> Incident:
    """A complaint that reports an incident (a letter sent to the wrong person, a leak seen by
    a customer) raises it, linked, as any report; the PMS office triages it as usual."""
    _check_complaint_follow_up(complaint, by)
    if complaint.incident_id:
        raise RecordClosed(_("An incident was already raised from this complaint: %(reference)s.")
                           % {"reference": complaint.incident.reference})
    incident_data.setdefault("department", complaint.department)
    incident_data.setdefault("description", complaint.summary)
    incident_data.setdefault("discovered_at", timezone.make_aware(dt.datetime.combine(complaint.received_on,
                                                                                      dt.time(9))))
    with transaction.atomic():
        incident = incident_report(reporter=by, **incident_data)
        _stamp(complaint, by=by, incident=incident, classification=ComplaintClass.INCIDENT_REPORT)
    return incident


def complaint_add_action(*, complaint: Complaint, by, **action_data) -> Action:
    """A complaint that reveals a weakness is answered by a corrective action (the same CAPA
    model as incidents and findings), planned by the PMS office or the department's head."""
    _check_complaint_follow_up(complaint, by)
    action_data.setdefault("department", complaint.department)
    with transaction.atomic():
        action = action_create(by=by, **action_data)
        complaint.actions.add(action)
        if not complaint.reveals_weakness:
            _stamp(complaint, by=by, reveals_weakness=True)
    return action


# ---------------------------------------------------------------------------
# Identity document copies: deleted once the case has been closed long enough


def identity_copies_due(now: dt.datetime | None = None):
    """Closed requests whose identity copies have outlived the company's retention period."""
    now = now or timezone.now()
    copies = Attachment.objects.filter(
        content_type__app_label="incidents", content_type__model="rightsrequest", object_id=OuterRef("pk"),
        purpose=EvidencePurpose.IDENTITY,
    )
    candidates = (RightsRequest.objects.filter(state=RequestState.CLOSED, closed_at__isnull=False)
                  .filter(Exists(copies)).select_related("company"))
    return [request for request in candidates
            if request.closed_at + dt.timedelta(days=request.company.identity_copy_retention_days) <= now]


def purge_identity_documents(now: dt.datetime | None = None) -> int:
    """Delete the copies of identity documents of requests closed for longer than their
    company's retention period (Company.identity_copy_retention_days): the files from the
    storage, the rows (their history keeps that they existed and when they went), and the
    case records when (identity_documents_deleted_at). Returns how many files went.

    Run by the worker once a day (settings.PERIODIC_JOBS); safe to run twice.
    """
    deleted = 0
    for request in identity_copies_due(now):
        with transaction.atomic():
            copies = list(Attachment.objects.select_for_update().filter(
                content_type__app_label="incidents", content_type__model="rightsrequest", object_id=request.pk,
                purpose=EvidencePurpose.IDENTITY,
            ))
            names = [copy.file.name for copy in copies]
            for copy in copies:
                copy._history_user = None
                copy.delete()
            _stamp(request, by=None, identity_documents_deleted_at=timezone.now())
            storage_names = names

            def remove(storage_names=storage_names, storage=copies[0].file.storage if copies else None):
                for name in storage_names:
                    storage.delete(name)

            transaction.on_commit(remove)
            deleted += len(copies)
    return deleted
