"""Input (e) of the management review: the requests from individuals and the complaints of a
small year (fiscal 2025), worked out by hand (incidents.case_figures), in the assembled
inputs, on the review's page and in its PDF; an old snapshot without them still renders; the
number of queries does not grow with the cases."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from audits.models import Review
from audits.pdf.review_report import render_review_report
from audits.review_inputs import assemble
from incidents.case_figures import case_figures
from incidents.clocks import JAPAN
from incidents.models import (
    ActionState,
    CaseChannel,
    Complaint,
    ComplaintClass,
    ComplaintState,
    Decision,
    ExceptionGround,
    RequesterType,
    RequestItem,
    RequestKind,
    RequestState,
    RightsRequest,
)
from tests.incidents.factories import ActionFactory, IncidentFactory

NOW = dt.datetime(2026, 4, 15, 10, 0, tzinfo=JAPAN)
FY2025 = (dt.date(2025, 4, 1), dt.date(2026, 3, 31))

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def review(manager):
    return Review.objects.create(reference="MR-FY2025", period_start=FY2025[0], period_end=FY2025[1],
                                 created_by=manager)


_numbers = iter(range(1, 100000))


def a_request(received: dt.date, kinds: dict, *, state=RequestState.ANSWERED, sent: dt.date | None = None,
              channel=CaseChannel.POST, requester=RequesterType.PERSON, **data) -> RightsRequest:
    """A request as the services leave it, created directly; `kinds`: {kind: (decision, ground)}."""
    request = RightsRequest.objects.create(
        reference=f"REQ-{received.year}-{next(_numbers):04d}", channel=channel, received_on=received,
        requester_type=requester, requester_name="山田 花子", subject_name="山田 太郎", summary="開示の請求",
        state=state, sent_on=sent, **data)
    for kind, (decision, ground) in kinds.items():
        RequestItem.objects.create(request=request, kind=kind, decision=decision, ground=ground,
                                   reason="理由" if ground else "")
    return request


def a_complaint(received: dt.date, classification, *, answered: dt.date | None, channel=CaseChannel.PHONE,
                state=ComplaintState.ANSWERED, **data) -> Complaint:
    return Complaint.objects.create(
        reference=f"CMP-{received.year}-{next(_numbers):04d}", channel=channel, received_on=received,
        classification=classification, summary="ご意見", answered_on=answered, outcome="回答済み" if answered else "",
        state=state, **data)


@pytest.fixture
def year(sales):
    """Four requests and three complaints in fiscal 2025, and one of each just before it."""
    incident = IncidentFactory(department=sales)
    on_time = a_request(dt.date(2025, 5, 1), {RequestKind.DISCLOSURE: (Decision.FULL, "")},
                        sent=dt.date(2025, 5, 10))  # due 5/15: on time, 9 days
    a_request(dt.date(2025, 6, 1), {RequestKind.CORRECTION: (Decision.ALTERNATIVE, ExceptionGround.COST)},
              state=RequestState.CLOSED, sent=dt.date(2025, 6, 25), channel=CaseChannel.EMAIL)  # due 6/15: late, 24 days
    a_request(dt.date(2025, 7, 1), {RequestKind.DISCLOSURE: (Decision.REFUSED, ExceptionGround.BUSINESS),
                                    RequestKind.PURPOSE: (Decision.REFUSED, ExceptionGround.BUSINESS)},
              state=RequestState.REFUSED, sent=dt.date(2025, 7, 10), requester=RequesterType.LEGAL_REPRESENTATIVE,
              incident=incident)  # on time, 9 days; later judged wrongful
    a_request(dt.date(2026, 3, 1), {RequestKind.STOP_USE: (Decision.PENDING, "")}, state=RequestState.IN_PROGRESS,
              channel=CaseChannel.PHONE)  # due 3/15, still open on 4/15: overdue
    a_request(dt.date(2025, 3, 31), {RequestKind.DISCLOSURE: (Decision.FULL, "")}, sent=dt.date(2025, 4, 2))

    a_complaint(dt.date(2025, 5, 10), ComplaintClass.RIGHTS_REQUEST, answered=dt.date(2025, 5, 12),
                state=ComplaintState.CLOSED, request=on_time)  # 2 days
    a_complaint(dt.date(2025, 8, 1), ComplaintClass.INCIDENT_REPORT, answered=dt.date(2025, 8, 11),
                channel=CaseChannel.EMAIL, incident=incident)  # 10 days
    weakness = a_complaint(dt.date(2025, 9, 1), ComplaintClass.COMPLAINT, answered=dt.date(2025, 9, 5),
                           state=ComplaintState.CLOSED, reveals_weakness=True)  # 4 days
    weakness.actions.add(ActionFactory(department=sales), ActionFactory(department=sales, state=ActionState.CANCELLED))
    a_complaint(dt.date(2025, 3, 1), ComplaintClass.CONSULTATION, answered=None, state=ComplaintState.RECEIVED)


def test_the_figures_of_a_small_year_worked_out_by_hand(year):
    figures = case_figures(*FY2025)
    requests = figures["requests"]
    assert {key: requests[key] for key in ("total", "answered", "on_time", "late", "open", "overdue", "withdrawn",
                                           "full", "partial", "refused", "wrongful_refusals")} == {
        "total": 4, "answered": 3, "on_time": 2, "late": 1, "open": 1, "overdue": 1, "withdrawn": 0,
        "full": 1, "partial": 1, "refused": 1, "wrongful_refusals": 1}
    assert requests["on_time_rate"] == 50.0  # 2 of the 4 whose due date was put to the test (2 + 1 late + 1 overdue)
    assert requests["days_to_answer"] == {"count": 3, "median": 9.0}  # 9, 9, 24
    assert requests["by_kind"] == [
        {"kind": "purpose", "count": 1}, {"kind": "disclosure", "count": 2}, {"kind": "provision_records", "count": 0},
        {"kind": "correction", "count": 1}, {"kind": "stop_use", "count": 1}, {"kind": "stop_provision", "count": 0}]
    assert requests["by_channel"] == [{"channel": "post", "count": 2}, {"channel": "email", "count": 1},
                                      {"channel": "phone", "count": 1}]
    assert requests["by_requester"] == [{"requester_type": "person", "count": 3},
                                        {"requester_type": "legal_representative", "count": 1}]
    assert requests["decisions"] == [{"decision": "alternative", "ground": "cost", "count": 1},
                                     {"decision": "refused", "ground": "business", "count": 2}]

    complaints = figures["complaints"]
    assert {key: complaints[key] for key in ("total", "answered", "open", "reveals_weakness", "converted_to_requests",
                                             "incidents_raised", "with_actions", "actions")} == {
        "total": 3, "answered": 3, "open": 0, "reveals_weakness": 1, "converted_to_requests": 1,
        "incidents_raised": 1, "with_actions": 1, "actions": 1}  # the cancelled action does not count
    assert complaints["days_to_answer"] == {"count": 3, "median": 4.0}  # 2, 4, 10
    assert complaints["by_classification"] == [
        {"classification": "complaint", "count": 1}, {"classification": "consultation", "count": 0},
        {"classification": "rights_request", "count": 1}, {"classification": "incident_report", "count": 1}]
    assert complaints["by_channel"] == [{"channel": "email", "count": 1}, {"channel": "phone", "count": 2}]


def test_an_identity_refusal_counts_as_refused_on_article_37(sales):
    a_request(dt.date(2025, 5, 1), {RequestKind.DISCLOSURE: (Decision.PENDING, "")}, state=RequestState.REFUSED,
              sent=dt.date(2025, 5, 2), identity_result="failed")
    requests = case_figures(*FY2025)["requests"]
    assert requests["refused"] == 1
    assert requests["decisions"] == [{"decision": "refused", "ground": "identity", "count": 1}]


def test_a_company_reads_its_own_cases_only(year):
    other = a_request(dt.date(2025, 5, 1), {RequestKind.DISCLOSURE: (Decision.FULL, "")}, sent=dt.date(2025, 5, 2))
    from tests.incidents.factories import CompanyFactory

    other.company = CompanyFactory()
    other.save()
    default = RightsRequest.objects.exclude(pk=other.pk).first().company
    assert case_figures(*FY2025, company=default)["requests"]["total"] == 4
    assert case_figures(*FY2025, company=other.company.pk)["requests"]["total"] == 1
    assert case_figures(*FY2025)["requests"]["total"] == 5


def test_the_figures_are_in_the_assembled_inputs(review, year):
    inputs = assemble(review)
    assert inputs["cases"] == case_figures(*FY2025)


def _grow(n: int) -> None:
    for i in range(n):
        kinds = {RequestKind.values[i % 6]: (Decision.REFUSED, ExceptionGround.values[1 + i % 9])}
        a_request(dt.date(2025, 4 + i % 9, 1 + i % 28), kinds, sent=dt.date(2025, 4 + i % 9, 28),
                  state=RequestState.REFUSED)
        complaint = a_complaint(dt.date(2025, 4 + i % 9, 1), ComplaintClass.values[i % 4],
                                answered=dt.date(2025, 4 + i % 9, 3), reveals_weakness=bool(i % 2))
        complaint.actions.add(ActionFactory())


def test_the_number_of_queries_is_the_same_for_3_and_30_cases(review):
    _grow(3)
    with CaptureQueriesContext(connection) as small:
        case_figures(*FY2025)
    with CaptureQueriesContext(connection) as small_inputs:
        assemble(review)
    _grow(27)
    with CaptureQueriesContext(connection) as large:
        figures = case_figures(*FY2025)
    with CaptureQueriesContext(connection) as large_inputs:
        assemble(review)
    assert figures["requests"]["total"] == 30 and figures["complaints"]["actions"] == 30
    assert len(large.captured_queries) == len(small.captured_queries) <= 10
    assert len(large_inputs.captured_queries) == len(small_inputs.captured_queries)


# ---------------------------------------------------------------------------
# The page and the PDF


def test_the_review_page_shows_the_figures(client, manager, review, year):
    client.force_login(manager)
    page = client.get(reverse("review_detail", args=[review.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    section = html[html.index('id="input-e"'):html.index('id="input-f"')]
    assert ("Requests from individuals: 4; answered on time 50.0% (1 late, 1 overdue and still unanswered)."
            in section)
    assert ("Complaints and consultations: 3; 1 revealed a weakness; they led to 1 corrective actions, 1 incidents "
            "and 1 requests." in section)
    assert "Would seriously hinder the proper conduct of business (art. 33(2)(ii))" in section


def test_the_review_page_in_japanese_names_the_section(client, manager, review, year):
    client.force_login(manager)
    html = client.get(reverse("review_detail", args=[review.pk])).content.decode()
    section = html[html.index('id="input-e"'):html.index('id="input-f"')]
    assert '<span class="stat__count">50.0%</span>' in section  # the on-time rate, whatever the language


def pdf_text(review: Review, language: str) -> str:
    reader = PdfReader(io.BytesIO(render_review_report(review, language=language)))
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def squash(text: str) -> str:
    return "".join(text.split())


def test_the_pdf_shows_the_figures_in_e_and_on_the_summary(review, year):
    text = pdf_text(review, "en")
    summary = text[text.index("Executivesummary"):text.index(squash("(a) Status"))]  # page 1
    assert squash("Requests answered on time50.0%") in summary
    assert squash("4 received; answered late 1; overdue, not answered 1") in summary
    e = text[text.rindex(squash("(e) Feedback from interested parties")):]
    e = e[:e.index(squash("(f) Risk assessment"))]
    assert squash("Requests from individuals: 4; answered on time 50.0% (1 late, 1 overdue and still unanswered).") in e
    assert squash("in full 1, in part 1, refused 1") in e
    assert squash("Complaints and consultations: 3; 1 revealed a weakness") in e
    # The Japanese document carries them too (the terms in Japanese are part of the labels).
    japanese = pdf_text(review, "ja")
    assert "開示等の請求等" in japanese and "苦情・相談" in japanese


def test_an_old_snapshot_without_the_figures_still_renders(client, manager, review, year):
    snapshot = assemble(review)
    del snapshot["cases"]
    Review.objects.filter(pk=review.pk).update(snapshot=snapshot)
    review.refresh_from_db()
    client.force_login(manager)
    page = client.get(reverse("review_detail", args=[review.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "These figures were not part of the inputs when this review was submitted." in page.content.decode()
    text = pdf_text(review, "en")
    assert squash("These figures were not part of the inputs when this review was submitted.") in text
    assert "Requestsansweredontime—" in text  # the headline figure has nothing to show
