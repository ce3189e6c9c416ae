"""The demo's requests from individuals and complaints (incidents/demo/cases.py): a year of
cases in every state, played through the services, and seeded once."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from incidents.models import (
    Action,
    AnswerMethod,
    Attachment,
    Complaint,
    ComplaintClass,
    ComplaintState,
    Decision,
    EvidencePurpose,
    ExceptionGround,
    Incident,
    IncidentKind,
    PMarkEvent,
    ReferenceCounter,
    RequesterType,
    RequestKind,
    RequestState,
    RightsRequest,
)
from incidents.selectors import trail
from notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seed_demo_cases")]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def files(request, purpose):
    return Attachment.objects.filter(content_type__model="rightsrequest", object_id=request.pk, purpose=purpose)


def request_about(text: str) -> RightsRequest:
    return RightsRequest.objects.get(summary__contains=text)


def complaint_about(text: str) -> Complaint:
    return Complaint.objects.get(summary__contains=text)


def test_the_demo_has_requests_and_complaints_in_every_state(demo):
    today = timezone.localdate()
    requests = RightsRequest.objects.filter(company__is_default=True)
    assert set(requests.values_list("state", flat=True)) == set(RequestState.values)
    assert set(Complaint.objects.values_list("state", flat=True)) == set(ComplaintState.values)
    assert set(Complaint.objects.values_list("classification", flat=True)) == set(ComplaintClass.values)
    # A year of them, every one received in the past.
    first = min(requests.values_list("received_on", flat=True))
    assert today - dt.timedelta(days=366) < first < today - dt.timedelta(days=180)
    assert all(case.received_on < today for case in [*requests, *Complaint.objects.all()])

    # Waiting for the requester's documents: the pause is on record, the case not overdue.
    waiting = RightsRequest.objects.get(paused_since__isnull=False)
    assert waiting.state == RequestState.IDENTITY and "本人確認書類" in waiting.pause_reason
    assert waiting.pauses.get().ended_on is None and not waiting.overdue
    # Open, and due within three days; one overdue.
    assert RightsRequest.objects.due_soon(today).filter(state=RequestState.IN_PROGRESS).exists()
    [overdue] = RightsRequest.objects.overdue(today)
    assert overdue.handler.username == "office" and overdue.overdue
    assert overdue.lawsuit_mark_on < today

    # Answered on time electronically, with the disclosed data; closed, its identity copy deleted.
    electronic = request_about("電子データで開示してほしい")
    assert electronic.state == RequestState.CLOSED and not electronic.answered_late
    assert electronic.method_used == AnswerMethod.ELECTRONIC
    assert [a.original_name for a in files(electronic, EvidencePurpose.DISCLOSED_DATA)] == ["開示データ_石田.csv"]
    assert not files(electronic, EvidencePurpose.IDENTITY).exists()
    assert electronic.identity_documents_deleted_at is not None
    assert electronic.identity_documents_deleted_at < timezone.now() - dt.timedelta(days=100)

    # A parent for a 15-year-old, answered electronically; the copies still held (not closed).
    parent = RightsRequest.objects.get(requester_type=RequesterType.LEGAL_REPRESENTATIVE)
    assert "15歳" in parent.subject_name and parent.authority_evidence.strip()
    assert parent.state == RequestState.ANSWERED and parent.method_used == AnswerMethod.ELECTRONIC
    assert files(parent, EvidencePurpose.IDENTITY).count() == 1
    assert files(parent, EvidencePurpose.AUTHORITY).count() == 1
    assert files(parent, EvidencePurpose.DISCLOSED_DATA).count() == 1

    # Answered late, with the reason and the consequence confirmed.
    [late] = [case for case in requests if case.answered_late]
    assert late.late_reason.strip() and late.consequence_acknowledged and late.state == RequestState.CLOSED

    # Refused with its article; another refused, judged wrongful: the kind-⑧ incident.
    refused = request_about("検討記録")
    assert [(i.decision, i.ground) for i in refused.items.all()] == [(Decision.REFUSED, ExceptionGround.BUSINESS)]
    wrongful = RightsRequest.objects.get(incident__isnull=False)
    assert wrongful.state == RequestState.REFUSED
    assert wrongful.incident.pmark_event == PMarkEvent.REQUEST_REFUSAL
    assert wrongful.incident.kind == IncidentKind.VIOLATION
    assert wrongful.incident.handler.username == "office"
    assert wrongful.incident.tracks.get(kind="pmark_final").state == "filed"

    # Withdrawn; a deletion answered by stopping use instead.
    assert requests.filter(state=RequestState.WITHDRAWN).count() == 1
    deletion = RequestKind.CORRECTION
    stopped = requests.get(items__kind=deletion, items__decision=Decision.ALTERNATIVE)
    assert stopped.items.get().ground == ExceptionGround.COST and "利用を停止" in stopped.items.get().reason


def test_the_complaints_lead_where_they_should(demo):
    closed = complaint_about("電話番号を知った")
    assert closed.state == ComplaintState.CLOSED and closed.outcome.strip() and closed.answered_on
    consultations = Complaint.objects.filter(classification=ComplaintClass.CONSULTATION)
    assert set(consultations.values_list("state", flat=True)) == {ComplaintState.ANSWERED, ComplaintState.CLOSED}
    # Converted into a request (a stop of use), answered and closed.
    converted = Complaint.objects.get(classification=ComplaintClass.RIGHTS_REQUEST)
    assert converted.request.kinds() == [RequestKind.STOP_USE]
    assert converted.request.state == RequestState.CLOSED
    assert converted.request.received_on == converted.received_on
    # Reported an incident, which the PMS office runs.
    reported = Complaint.objects.get(classification=ComplaintClass.INCIDENT_REPORT)
    assert reported.incident.kind == IncidentKind.LEAK and reported.incident.handler.username == "office"
    assert reported.incident.affected_count == 1 and not reported.incident.reportable
    # Revealed a weakness: a corrective action, carried out and found effective.
    weakness = Complaint.objects.get(reveals_weakness=True)
    [action] = weakness.actions.all()
    assert action.kind == "corrective" and action.department.code == "CS"
    assert action.state == "closed" or action.verified_at is not None
    assert weakness.state == ComplaintState.CLOSED
    # Filed by the person through the web form: received by nobody; the office was told.
    public = Complaint.objects.get(received_by__isnull=True)
    assert public.state == ComplaintState.RECEIVED
    assert Notification.objects.filter(kind="complaint_received", key=f"complaint:{public.pk}:received",
                                       recipient__username="office").exists()
    # Every case's trail starts when it was received.
    for case in [*RightsRequest.objects.all(), *Complaint.objects.all()]:
        entries = list(trail(case))
        assert entries[0].timestamp == case.created_at, case
        assert timezone.localdate(case.created_at) == case.received_on, case
        assert [e.timestamp for e in entries] == sorted(e.timestamp for e in entries), case


def test_seeding_twice_adds_nothing(demo):

    def snapshot():
        return {
            "requests": sorted(RightsRequest.objects.values_list("reference", "state", "updated_at")),
            "complaints": sorted(Complaint.objects.values_list("reference", "state", "updated_at")),
            "incidents": Incident.objects.count(), "actions": Action.objects.count(),
            "files": Attachment.objects.count(),
            "counters": sorted(ReferenceCounter.objects.values_list("prefix", "year", "last_number")),
        }

    before = snapshot()
    assert len(before["requests"]) == 12 and len(before["complaints"]) == 8
    seed()
    assert snapshot() == before
