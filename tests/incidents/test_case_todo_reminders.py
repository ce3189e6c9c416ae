"""Requests and complaints on the to-do page, the reminders of a request's answer, and the
daily deletion of identity copies run as a periodic job (issue 15)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import attachments, case_reminders, case_services
from incidents.models import (
    Company,
    ComplaintClass,
    EvidencePurpose,
    IdentityMethod,
    IdentityResult,
    RequestKind,
    RightsRequest,
)
from incidents.workflow.service import transition_record
from notifications.models import Notification
from notifications.periodic import jobs, run_job
from tests.incidents.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKYO = dt.timezone(dt.timedelta(hours=9))
TODAY = dt.date(2026, 11, 20)


def at(day: dt.date, hour: int = 10):
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO), tick=False)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def receive(by, days_ago: int, kinds=(RequestKind.DISCLOSURE,), **data) -> RightsRequest:
    with at(ago(days_ago)):
        return case_services.request_receive(by=by, kinds=list(kinds), **{
            "channel": "post", "received_on": ago(days_ago), "requester_name": "山田 花子",
            "summary": "保有個人データの開示を求める", **data})


def complain(by, days_ago: int = 1, **data):
    with at(ago(days_ago)):
        return case_services.complaint_receive(by=by, **{
            "channel": "phone", "received_on": ago(days_ago), "summary": "DMの送付をやめてほしい", **data})


def pause(request, by, days_ago: int, reason="本人確認書類の再送付"):
    with at(ago(days_ago)):
        return case_services.request_pause(request=RightsRequest.objects.get(pk=request.pk), by=by, version=None,
                                           reason=reason)


def page(client, user):
    client.force_login(user)
    with at(TODAY), CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response, len(queries)


def references(section) -> list[str]:
    return [record.reference for record in section["rows"]]


# ---------------------------------------------------------------------------
# The to-do page


def test_the_office_sees_every_open_request_the_least_time_left_first(client, staff, manager, office):
    overdue = receive(staff, 20)  # due 6 days ago
    soon = receive(staff, 12)  # due in 2 days
    waiting = receive(staff, 15)  # due yesterday on its own, but paused for 10 days: due in 9
    pause(waiting, office, 10)
    fresh = receive(staff, 1)  # due in 13 days
    answered = receive(staff, 3)
    with at(ago(2)):
        transition_record(answered, "withdraw", by=office, comment="本人から取下げの連絡")
    response, _ = page(client, office)
    section = response.context["requests_to_answer"]
    assert references(section) == [overdue.reference, soon.reference, waiting.reference, fresh.reference]
    assert section["total"] == 4 and section["more"] == 0
    html = response.content.decode()
    assert f"Overdue since {ago(6):%m/%d/%Y}" in html
    assert f"Paused since {ago(10):%m/%d/%Y}: waiting for 本人確認書類の再送付" in html
    assert f"Art. 39: the person may sue since {ago(6):%m/%d/%Y}" in html  # the overdue one's mark passed
    assert f"Art. 39 mark {TODAY + dt.timedelta(days=13):%m/%d/%Y}" in html  # the fresh one's is ahead
    assert 'class="badge badge--soon">Due ' in html  # due within three days


def test_the_handler_sees_the_cases_they_handle_and_staff_who_recorded_one_see_none(
        client, staff, manager, other_staff):
    handled = receive(staff, 5)
    case_services.request_update(request=handled, by=manager, version=None, handler=other_staff)
    receive(staff, 4)
    complaint = complain(staff)
    case_services.complaint_update(complaint=complaint, by=manager, version=None, handler=other_staff)
    complain(staff)
    response, _ = page(client, other_staff)
    assert references(response.context["requests_to_answer"]) == [handled.reference]
    assert references(response.context["complaints_to_handle"]) == [complaint.reference]
    # The staff member who took the calls reads what they recorded, but has nothing to do.
    response, _ = page(client, staff)
    assert response.context["requests_to_answer"]["total"] == 0
    assert response.context["complaints_to_handle"]["total"] == 0
    assert "requests-to-answer" not in response.content.decode()


def test_a_department_head_sees_the_complaints_about_their_department(client, staff, manager, head, sales, it_dept):
    # The PMS office names the department concerned.
    ours = complain(manager, 2, department=sales)
    complain(manager, 1, department=it_dept)
    receive(manager, 3, department=sales)
    response, _ = page(client, head)
    assert references(response.context["complaints_to_handle"]) == [ours.reference]
    assert response.context["requests_to_answer"]["total"] == 0
    assert "complaints-to-handle" in response.content.decode()


def test_the_office_sees_the_open_complaints_oldest_first(client, staff, office):
    old = complain(staff, 5, classification=ComplaintClass.CONSULTATION)
    new = complain(staff, 1)
    closed = complain(staff, 3)
    with at(ago(2)):
        transition_record(closed, "answer", by=office, changes={"answered_on": ago(2), "outcome": "送付を停止した"})
    response, _ = page(client, office)
    assert references(response.context["complaints_to_handle"]) == [old.reference, new.reference]


def test_an_office_of_another_group_company_sees_only_its_own(client, staff):
    other = Company.objects.create(code="INS", name="株式会社グループ保険", position=1)
    department = DepartmentFactory(code="INS-ADM", name="管理部", company=other)
    own_office = UserFactory(username="ins_office", roles=["staff", "pms_manager"], department=department)
    theirs = receive(own_office, 2, company=other)
    receive(staff, 2)
    response, _ = page(client, own_office)
    assert references(response.context["requests_to_answer"]) == [theirs.reference]


def test_the_sections_cost_the_same_whatever_their_length(client, staff, manager, office, other_staff):
    def add(n):
        for days in range(n):
            request = receive(staff, days + 1)
            case_services.request_update(request=request, by=manager, version=None, handler=other_staff)
            complaint = complain(staff, days + 1)
            case_services.complaint_update(complaint=complaint, by=manager, version=None, handler=other_staff)

    add(1)
    response, one = page(client, office)
    assert response.context["requests_to_answer"]["total"] == 1
    _response, handler_one = page(client, other_staff)
    add(4)
    pause(RightsRequest.objects.order_by("pk").last(), office, 0)
    response, five = page(client, office)
    assert response.context["requests_to_answer"]["total"] == 5
    assert response.context["complaints_to_handle"]["total"] == 5
    assert five == one
    response, handler_five = page(client, other_staff)
    assert response.context["requests_to_answer"]["total"] == 5
    assert handler_five == handler_one


def test_long_lists_show_the_most_urgent_and_count_the_rest(client, staff, office, monkeypatch):
    from incidents import todo

    monkeypatch.setattr(todo, "TODO_LIMIT", 2)
    for days in (1, 2, 3):
        receive(staff, days)
    response, _ = page(client, office)
    section = response.context["requests_to_answer"]
    assert len(section["rows"]) == 2 and section["total"] == 3 and section["more"] == 1
    assert references(section) == list(RightsRequest.objects.order_by("received_on").values_list(
        "reference", flat=True))[:2]


# ---------------------------------------------------------------------------
# Reminders


def told(kind="request_deadline"):
    return sorted(Notification.objects.filter(kind=kind).values_list("key", "recipient__username"))


def remind(day: dt.date):
    with at(day, hour=9):
        return case_reminders.send_reminders()


@pytest.fixture
def officer(it_dept):
    """The personal information protection manager of the default company (not in the office)."""
    user = UserFactory(username="officer", roles=["staff"], department=it_dept)
    company = Company.objects.default()
    company.privacy_officer = user
    company.save(update_fields=["privacy_officer"])
    return user


def test_three_days_before_the_handler_is_reminded_once(staff, manager, office, other_staff, officer):
    request = receive(staff, 0)  # received TODAY: due TODAY + 14
    case_services.request_update(request=request, by=manager, version=None, handler=other_staff)
    due = TODAY + dt.timedelta(days=14)
    assert remind(due - dt.timedelta(days=4)).notified == []
    outcome = remind(due - dt.timedelta(days=3))
    assert told() == [(f"request:{request.pk}:due_soon:{due:%Y%m%d}", "other_staff")]
    note = outcome.notified[0]
    assert request.reference in note.subject and "3" in note.subject
    assert "山田" not in note.body  # no personal data of the requester in the mail
    # Not twice, whichever run comes next.
    assert remind(due - dt.timedelta(days=2)).notified == []
    assert remind(due).notified == []
    assert len(told()) == 1


def test_without_a_handler_the_office_is_reminded(staff, manager, office, officer):
    request = receive(staff, 0)
    remind(TODAY + dt.timedelta(days=11))
    key = f"request:{request.pk}:due_soon:{TODAY + dt.timedelta(days=14):%Y%m%d}"
    assert told() == [(key, "manager"), (key, "office")]


def test_overdue_goes_to_the_handler_the_office_and_the_privacy_officer(staff, manager, office, other_staff,
                                                                        officer):
    request = receive(staff, 0)
    case_services.request_update(request=request, by=manager, version=None, handler=other_staff)
    due = TODAY + dt.timedelta(days=14)
    assert [n.recipient.username for n in remind(due).notified] == ["other_staff"]  # due today: due_soon
    outcome = remind(due + dt.timedelta(days=1))
    key = f"request:{request.pk}:overdue:{due:%Y%m%d}"
    assert sorted(n.recipient.username for n in outcome.notified) == ["manager", "office", "officer", "other_staff"]
    assert {n.key for n in outcome.notified} == {key}
    assert request.reference in outcome.notified[0].subject
    assert remind(due + dt.timedelta(days=5)).notified == []  # once per stage


def test_a_paused_request_is_not_reminded_and_its_new_due_date_is(staff, manager, office, officer):
    request = receive(staff, 0)
    due = TODAY + dt.timedelta(days=14)
    with at(TODAY + dt.timedelta(days=5)):
        request = case_services.request_pause(request=request, by=office, version=None, reason="手数料の入金待ち")
    for day in (11, 14, 15, 25):
        assert remind(TODAY + dt.timedelta(days=day)).notified == [], day
    with at(TODAY + dt.timedelta(days=25)):  # resumed after 20 days: due 20 days later
        request = case_services.request_resume(request=RightsRequest.objects.get(pk=request.pk), by=office,
                                               version=None)
    assert request.due_on == due + dt.timedelta(days=20)
    assert remind(TODAY + dt.timedelta(days=30)).notified == []
    assert len(remind(TODAY + dt.timedelta(days=31)).notified) == 2
    assert {key for key, _user in told()} == {f"request:{request.pk}:due_soon:{request.due_on:%Y%m%d}"}


def test_answered_and_withdrawn_requests_are_not_reminded(staff, manager, office, officer):
    request = receive(staff, 0)
    with at(TODAY + dt.timedelta(days=1)):
        transition_record(request, "withdraw", by=office, comment="取下げ")
    assert remind(TODAY + dt.timedelta(days=11)).notified == []
    assert remind(TODAY + dt.timedelta(days=20)).notified == []


def test_the_reminders_run_from_the_periodic_list(staff, manager, office, officer):
    request = receive(staff, 0)
    assert jobs()["request_reminders"] == ("incidents.case_reminders.send_reminders", 300)
    with at(TODAY + dt.timedelta(days=15)):
        result = run_job("request_reminders")
    assert result.startswith("3 notified")
    assert {key for key, _user in told()} == {f"request:{request.pk}:overdue:{request.due_on:%Y%m%d}"}


# ---------------------------------------------------------------------------
# The daily deletion of identity copies

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c6360000000020001e221bc330000000049454e44ae426082"
)


def test_the_purge_of_identity_copies_runs_from_the_periodic_list(manager, django_capture_on_commit_callbacks):
    path, every = jobs()["purge_identity_documents"]
    assert (path, every) == ("incidents.case_services.purge_identity_documents", 86400)
    request = receive(manager, 40)
    with at(ago(40)):
        copy = attachments.attachment_add(record=request, by=manager, purpose=EvidencePurpose.IDENTITY,
                                          file=SimpleUploadedFile("license.png", PNG))
        request = transition_record(request, "check_identity", by=manager,
                                    changes={"identity_method": IdentityMethod.ID_COPY})
        request = case_services.request_update(request=request, by=manager, version=None,
                                               identity_result=IdentityResult.FAILED)
        request = transition_record(request, "refuse", by=manager, comment="本人確認ができない",
                                    changes={"sent_on": ago(40), "consequence_acknowledged": True})
        transition_record(request, "close", by=manager)
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        assert run_job("purge_identity_documents") == "1"
        assert run_job("purge_identity_documents") == "0"
    assert not copy.file.storage.exists(copy.file.name)
    assert RightsRequest.objects.get(pk=request.pk).identity_documents_deleted_at is not None
