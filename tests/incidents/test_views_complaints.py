"""Web UI: complaints and consultations (苦情・相談, issue 15): the staff intake, who sees a
case, the steps, and what a complaint leads to (a request, an incident, a corrective action)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from incidents import case_services
from incidents.models import Action, Complaint, ComplaintState, Incident, RequestKind, RightsRequest
from incidents.workflow.service import transition_record

pytestmark = pytest.mark.django_db

TOKYO = dt.timezone(dt.timedelta(hours=9))
TODAY = dt.date(2026, 11, 12)
RECEIVED = dt.date(2026, 11, 2)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(10), tzinfo=TOKYO), tick=False):
        yield


def browser(user) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def receive(by, **data) -> Complaint:
    data = {"channel": "phone", "received_on": RECEIVED, "complainant_name": "山田 花子",
            "complainant_contact": "03-1234-5678", "summary": "退会したのにダイレクトメールが届く", **data}
    return case_services.complaint_receive(by=by, **data)


def url(name: str, complaint: Complaint, *args) -> str:
    return reverse(name, args=[complaint.pk, *args])


def step(client: Client, complaint: Complaint, name: str, **fields):
    complaint.refresh_from_db()
    data = {f"{name}-expected_state": complaint.state, f"{name}-version": complaint.version, f"{name}-comment": ""}
    data.update({f"{name}-{key}": value for key, value in fields.items()})
    return client.post(url("complaint_transition", complaint, name), data)


def answered(complaint: Complaint, by) -> Complaint:
    return transition_record(complaint, "answer", by=by, changes={"answered_on": TODAY, "outcome": "配信を停止した。"})


def form_data(form) -> dict:
    """What the browser posts for a form as it is shown."""
    data = {}
    for field in form:
        value = field.value()
        if field.widget_type == "checkbox":
            if value:
                data[field.html_name] = "on"
        elif value is not None:
            data[field.html_name] = field.field.widget.format_value(value) or ""
    return data


# ---------------------------------------------------------------------------
# Intake and visibility


def test_a_staff_member_records_a_complaint_in_one_post(staff, manager):
    client = browser(staff)
    page = client.get(reverse("complaint_new"))
    assert page.status_code == 200
    form = page.context["form"]
    # Assigning the case is the PMS office's: a staff member is not offered it.
    assert "handler" not in form.fields and "department" not in form.fields
    assert form.initial["received_on"] == TODAY

    response = client.post(reverse("complaint_new"), {
        "channel": "phone", "received_on": TODAY.isoformat(), "complainant_name": "山田 花子",
        "complainant_contact": "03-1234-5678", "summary": "退会したのにダイレクトメールが届く",
        "classification": "complaint",
    })

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response.url == url("complaint_detail", complaint)
    assert complaint.reference.startswith("CMP-2026-")
    assert (complaint.received_by, complaint.channel, complaint.received_on) == (staff, "phone", TODAY)
    assert complaint.state == ComplaintState.RECEIVED
    # Whoever recorded it reads it.
    assert client.get(url("complaint_detail", complaint)).status_code == 200


def test_the_office_assigns_the_case_when_recording_it(manager, head, sales):
    client = browser(manager)
    form = client.get(reverse("complaint_new")).context["form"]
    assert {"department", "handler"} <= set(form.fields)
    response = client.post(reverse("complaint_new"), {
        "channel": "email", "received_on": RECEIVED.isoformat(), "complainant_name": "",
        "summary": "営業担当者の説明が不十分だった", "classification": "consultation",
        "department": sales.pk, "handler": head.pk,
    })
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert (complaint.department, complaint.handler, complaint.classification) == (sales, head, "consultation")


def test_a_staff_member_cannot_assign_the_case_by_posting_the_fields(staff, head, sales):
    browser(staff).post(reverse("complaint_new"), {
        "channel": "phone", "received_on": TODAY.isoformat(), "summary": "苦情", "classification": "complaint",
        "department": sales.pk, "handler": head.pk,
    })
    complaint = Complaint.objects.get()
    assert complaint.department_id is None and complaint.handler_id is None


def test_a_complaint_received_in_the_future_is_refused_on_its_field(staff):
    response = browser(staff).post(reverse("complaint_new"), {
        "channel": "phone", "received_on": (TODAY + dt.timedelta(days=1)).isoformat(), "summary": "苦情",
        "classification": "complaint",
    })
    assert response.status_code == 400
    assert "received_on" in response.context["form"].errors
    assert not Complaint.objects.exists()


def test_outsiders_get_a_404_on_every_page(staff, other_staff, manager):
    complaint = receive(staff)
    client = browser(other_staff)
    for name, args in [("complaint_detail", ()), ("complaint_edit", ()), ("complaint_convert", ()),
                       ("complaint_raise_incident", ()), ("complaint_add_action", ()), ("complaint_letter", ()),
                       ("complaint_letter_pdf", ()), ("complaint_transition", ("start",))]:
        assert client.get(url(name, complaint, *args)).status_code == 404, name
    assert step(client, complaint, "start").status_code == 404
    assert complaint.reference not in client.get(reverse("complaint_list")).content.decode()
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.RECEIVED


def test_the_head_of_the_department_concerned_sees_the_complaint(manager, head, sales, it_dept):
    ours = receive(manager, department=sales, summary="営業部への苦情")
    theirs = receive(manager, department=it_dept, summary="情報システム部への苦情")
    client = browser(head)
    page = client.get(url("complaint_detail", ours))
    assert page.status_code == 200
    assert "営業部への苦情" in page.content.decode()
    listing = client.get(reverse("complaint_list")).content.decode()
    assert ours.reference in listing and theirs.reference not in listing
    assert client.get(url("complaint_detail", theirs)).status_code == 404
    # Reading is not running the case: the head is offered no step and no follow-up.
    assert page.context["transitions"] == [] and not page.context["may_convert"]


def test_the_recorder_reads_the_case_but_does_not_run_it(staff, manager):
    complaint = receive(staff)
    client = browser(staff)
    page = client.get(url("complaint_detail", complaint))
    assert page.context["transitions"] == [] and not page.context["can_edit"]
    assert client.get(url("complaint_convert", complaint)).status_code == 403
    assert step(client, complaint, "start").status_code == 403
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.RECEIVED


# ---------------------------------------------------------------------------
# The steps


def test_the_office_takes_the_complaint_through_its_steps(staff, manager):
    complaint = receive(staff)
    client = browser(manager)
    detail = client.get(url("complaint_detail", complaint))
    assert [panel["option"].name for panel in detail.context["transitions"]] == ["start", "answer"]
    assert 'name="answer-answered_on"' in detail.content.decode()

    assert step(client, complaint, "start").status_code == 302
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.HANDLING and complaint.first_response_on == TODAY

    page = client.get(url("complaint_transition", complaint, "answer"))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'type="date" name="answer-answered_on"' in content and 'name="answer-outcome"' in content

    refused = step(client, complaint, "answer", answered_on="", outcome="")
    assert refused.status_code == 400
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.HANDLING

    assert step(client, complaint, "answer", answered_on="2026-11-09", outcome="配信停止を確認し、お詫びした。").status_code == 302
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.ANSWERED
    assert complaint.days_to_answer == 7
    detail = client.get(url("complaint_detail", complaint))
    assert "7 days" in detail.content.decode()

    assert step(client, complaint, "close").status_code == 302
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.CLOSED
    trail = [moment.label for moment in client.get(url("complaint_detail", complaint)).context["trail"]]
    assert len(trail) >= 4  # received, started, answered, closed


def test_close_is_refused_for_a_rights_request_not_yet_converted(manager):
    complaint = answered(receive(manager, classification="rights_request"), manager)
    client = browser(manager)
    panel = {p["option"].name: p["option"] for p in client.get(url("complaint_detail", complaint)).context["transitions"]}
    assert panel["close"].unmet_conditions == ["It is a request to disclose etc.: convert it into a request first."]

    response = step(client, complaint, "close")

    assert response.status_code == 400
    assert "convert it into a request first" in response.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.ANSWERED


# ---------------------------------------------------------------------------
# What a complaint leads to


def test_converting_into_a_request_links_it_and_starts_its_clock_on_the_day_received(staff, manager):
    complaint = receive(staff)
    client = browser(manager)
    assert client.get(url("complaint_convert", complaint)).status_code == 200

    response = client.post(url("complaint_convert", complaint),
                           {"kinds": [RequestKind.DISCLOSURE, RequestKind.STOP_USE]})

    request = RightsRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("request_detail", args=[request.pk])
    complaint.refresh_from_db()
    assert complaint.request == request and complaint.classification == "rights_request"
    assert request.received_on == RECEIVED and request.due_on == RECEIVED + dt.timedelta(days=14)
    assert sorted(request.kinds()) == ["disclosure", "stop_use"]
    assert (request.channel, request.requester_name) == ("phone", "山田 花子")
    detail = client.get(url("complaint_detail", complaint))
    assert request.reference in detail.content.decode() and not detail.context["may_convert"]
    # Converted once: a second conversion is not offered and not done.
    assert client.post(url("complaint_convert", complaint), {"kinds": [RequestKind.PURPOSE]}).status_code == 302
    assert RightsRequest.objects.count() == 1


def test_converting_asks_for_at_least_one_kind(manager):
    complaint = receive(manager)
    response = browser(manager).post(url("complaint_convert", complaint), {})
    assert response.status_code == 400 and "kinds" in response.context["form"].errors
    assert not RightsRequest.objects.exists()


def test_raising_an_incident_links_it_with_its_kind_and_department(manager, sales):
    complaint = receive(manager, summary="他人宛の請求書が同封されていた\n詳細は電話で聴取")
    client = browser(manager)
    form = client.get(url("complaint_raise_incident", complaint)).context["form"]
    assert form.initial["title"] == "他人宛の請求書が同封されていた"
    assert form.initial["discovered_at"] == dt.datetime(2026, 11, 2, 9, tzinfo=TOKYO)

    response = client.post(url("complaint_raise_incident", complaint), {
        "title": "請求書の誤封入", "department": sales.pk, "kind": "leak", "discovered_at": "2026-11-02T09:00",
    })

    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == reverse("incident_detail", args=[incident.pk])
    complaint.refresh_from_db()
    assert complaint.incident == incident and complaint.classification == "incident_report"
    assert (incident.kind, incident.department, incident.reporter) == ("leak", sales, manager)
    assert incident.description == complaint.summary
    assert incident.reference in client.get(url("complaint_detail", complaint)).content.decode()


def test_a_corrective_action_is_planned_and_the_weakness_must_have_one_before_closing(manager, head, sales):
    complaint = receive(manager, department=sales)
    complaint = case_services.complaint_update(complaint=complaint, by=manager, version=complaint.version,
                                               reveals_weakness=True, weakness_note="退会処理が配信リストに反映されない")
    complaint = answered(complaint, manager)
    client = browser(manager)

    refused = step(client, complaint, "close")
    assert refused.status_code == 400
    assert "plan a corrective action before closing it" in refused.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.ANSWERED

    form = client.get(url("complaint_add_action", complaint)).context["form"]
    assert "incident" not in form.fields
    assert (form.initial["kind"], form.initial["department"]) == ("corrective", sales.pk)
    response = client.post(url("complaint_add_action", complaint), {
        "kind": "corrective", "title": "退会時の配信停止処理の自動化", "description": "退会と同時に配信リストから外す。",
        "department": sales.pk, "owner": head.pk, "verifier": manager.pk,
        "due_date": (TODAY + dt.timedelta(days=30)).isoformat(),
    })

    action = Action.objects.get()
    assert response.status_code == 302 and response.url == reverse("action_detail", args=[action.pk])
    assert list(complaint.actions.all()) == [action]
    # The action's page says where it came from.
    origins = client.get(reverse("action_detail", args=[action.pk])).context["origins"]
    assert origins == [(f"Complaint {complaint.reference}", url("complaint_detail", complaint))]
    assert step(client, complaint, "close").status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.CLOSED


def test_only_the_office_or_a_head_plans_an_action(manager, other_staff):
    complaint = receive(manager, handler=other_staff)
    client = browser(other_staff)  # the handler, but neither the office nor a department head
    assert client.get(url("complaint_detail", complaint)).context["may_add_action"] is False
    assert client.get(url("complaint_add_action", complaint)).status_code == 403


def test_a_closed_complaint_takes_no_follow_up(manager):
    complaint = transition_record(answered(receive(manager), manager), "close", by=manager)
    client = browser(manager)
    detail = client.get(url("complaint_detail", complaint))
    assert not (detail.context["may_convert"] or detail.context["may_raise_incident"] or detail.context["may_add_action"])
    assert client.post(url("complaint_convert", complaint), {"kinds": ["disclosure"]}).status_code == 302
    assert not RightsRequest.objects.exists()


# ---------------------------------------------------------------------------
# The edit page


def test_a_stale_edit_shows_the_conflict_and_saves_nothing(manager, office):
    complaint = receive(manager)
    edit = url("complaint_edit", complaint)
    first, second = browser(manager), browser(office)
    first_page = form_data(first.get(edit).context["form"])
    second_page = form_data(second.get(edit).context["form"])

    assert first.post(edit, {**first_page, "summary": "退会後もDMが届く（2回目）"}).status_code == 302
    response = second.post(edit, {**second_page, "complainant_contact": "hanako@example.jp"})

    assert response.status_code == 409
    content = response.content.decode()
    assert 'id="conflict"' in content and "hanako@example.jp" in content
    saved = Complaint.objects.get(pk=complaint.pk)
    assert saved.complainant_contact == "03-1234-5678"  # nothing of the second save
    assert saved.summary == "退会後もDMが届く（2回目）"
    # The form now carries the current version and the first person's change: saving again merges.
    again = second.post(edit, form_data(response.context["form"]))
    assert again.status_code == 302
    saved.refresh_from_db()
    assert (saved.summary, saved.complainant_contact) == ("退会後もDMが届く（2回目）", "hanako@example.jp")


def test_the_edit_offers_the_answer_fields_only_once_answered(manager):
    complaint = receive(manager)
    client = browser(manager)
    fields = set(client.get(url("complaint_edit", complaint)).context["form"].fields)
    assert {"reveals_weakness", "department", "handler"} <= fields and "outcome" not in fields
    fields = set(client.get(url("complaint_edit", answered(complaint, manager))).context["form"].fields)
    assert "outcome" in fields


# ---------------------------------------------------------------------------
# The list


def _complaint_with_follow_ups(manager, head, sales, index: int) -> Complaint:
    complaint = receive(manager, department=sales, handler=head, summary=f"苦情 {index}")
    case_services.complaint_add_action(
        complaint=complaint, by=manager, kind="corrective", title=f"是正 {index}", department=sales, owner=head,
        verifier=manager, due_date=TODAY + dt.timedelta(days=30))
    case_services.complaint_convert_to_request(complaint=Complaint.objects.get(pk=complaint.pk), by=manager,
                                               kinds=[RequestKind.DISCLOSURE])
    return complaint


def test_the_list_shows_what_each_complaint_led_to_in_a_bounded_number_of_queries(
        manager, head, sales, django_assert_max_num_queries):
    client = browser(manager)
    for index in range(3):
        _complaint_with_follow_ups(manager, head, sales, index)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("complaint_list"))
    for index in range(3, 9):
        _complaint_with_follow_ups(manager, head, sales, index)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("complaint_list"))
    content = response.content.decode()
    assert response.context["page"].paginator.count == 9
    complaint = Complaint.objects.select_related("request").first()
    assert complaint.request.reference in content and complaint.actions.get().reference in content


def test_the_list_filters_by_classification_channel_and_open(manager):
    phoned = receive(manager, classification="consultation", summary="相談A")
    mailed = receive(manager, channel="email", summary="苦情B")
    closed = transition_record(answered(receive(manager, summary="苦情C"), manager), "close", by=manager)
    client = browser(manager)

    def listed(query: str) -> set[str]:
        page = client.get(reverse("complaint_list") + query).context["page"]
        return {complaint.reference for complaint in page.object_list}

    assert listed("?classification=consultation") == {phoned.reference}
    assert listed("?channel=email") == {mailed.reference}
    assert listed("?open=on") == {phoned.reference, mailed.reference}
    assert listed("?state=closed") == {closed.reference}
    assert listed("?q=苦情B") == {mailed.reference}


# ---------------------------------------------------------------------------
# The reply letter


def test_the_reply_text_is_drafted_saved_and_printed(manager, staff):
    case_letters = pytest.importorskip("incidents.case_letters")
    complaint = receive(manager)
    client = browser(manager)
    page = client.get(url("complaint_letter", complaint))
    assert page.status_code == 200
    draft = case_letters.complaint_reply_text(complaint)
    assert page.context["form"]["reply_body"].value() == draft

    response = client.post(url("complaint_letter", complaint), {"reply_body": draft + "\n追記", "version": complaint.version})
    assert response.status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).reply_body == draft + "\n追記"

    pdf = client.get(url("complaint_letter_pdf", complaint))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # The person who recorded the complaint reads it but does not write to the person.
    staff_complaint = receive(staff)
    assert browser(staff).get(url("complaint_letter", staff_complaint)).status_code == 403
