"""The pages of requests from individuals (issue 15): the one-POST intake, visibility, the
clock card, the versioned edits, the steps with the PrivacyMark confirmation, the
decisions, the pauses, the letter and the wrongful refusal that raises an incident."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from incidents import case_services
from incidents.models import (
    AnswerMethod,
    Decision,
    ExceptionGround,
    IdentityMethod,
    IdentityResult,
    Incident,
    PMarkEvent,
    RequesterType,
    RequestKind,
    RequestState,
    RightsRequest,
)
from incidents.workflow.service import transition_record
from tests.incidents.test_views_edit_conflict import posted

TOKYO = dt.timezone(dt.timedelta(hours=9))
RECEIVED = dt.date(2026, 11, 2)

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 10):
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO), tick=False)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def receive(by, kinds=(RequestKind.DISCLOSURE,), **data) -> RightsRequest:
    data = {"channel": "post", "received_on": RECEIVED, "requester_name": "山田 花子",
            "summary": "保有個人データの開示を求める", **data}
    return case_services.request_receive(by=by, kinds=list(kinds), **data)


def confirmed(request, by) -> RightsRequest:
    return transition_record(request, "confirm_identity", by=by, changes={
        "identity_method": IdentityMethod.ID_COPY, "identity_result": IdentityResult.CONFIRMED,
        "identity_checked_on": RECEIVED})


def decide(request, by, decision=Decision.FULL, **data) -> RightsRequest:
    for item in request.items.all():
        case_services.request_item_update(item=item, by=by, version=item.version, decision=decision, **data)
    return RightsRequest.objects.get(pk=request.pk)


def test_a_staff_member_records_a_request_by_post_in_one_post(staff):
    client = browser(staff)
    with at(RECEIVED):
        page = client.get(reverse("request_new"))
        assert page.status_code == 200
        form = page.context["form"]
        # Staff record; the PMS office assigns.
        assert "handler" not in form.fields and "department" not in form.fields
        assert form["received_on"].value() == RECEIVED
        response = client.post(reverse("request_new"), {
            "channel": "post", "received_on": "2026-11-02", "requester_type": RequesterType.LEGAL_REPRESENTATIVE,
            "requester_name": "佐藤 一郎", "subject_name": "佐藤 翔太（15歳）", "requester_contact": "03-1234-5678",
            "requester_address": "東京都千代田区1-1", "summary": "子の保有個人データの開示",
            "kinds": [RequestKind.DISCLOSURE, RequestKind.PROVISION_RECORDS], "method_requested": "electronic",
            "enclosures": "請求書、戸籍謄本の写し", "postage_by_requester": "on",
        })
    case = RightsRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("request_detail", args=[case.pk])
    assert case.received_by == staff and case.channel == "post" and case.postage_by_requester
    assert sorted(case.kinds()) == ["disclosure", "provision_records"]
    assert case.subject_name == "佐藤 翔太（15歳）"
    with at(RECEIVED):
        detail = client.get(response["Location"])
    assert detail.status_code == 200 and case.reference in detail.content.decode()


def test_the_intake_form_names_what_is_missing_and_records_nothing(staff):
    with at(RECEIVED):
        response = browser(staff).post(reverse("request_new"), {
            "channel": "post", "received_on": "2026-11-02", "requester_type": RequesterType.AGENT,
            "requester_name": "代理 人", "summary": "開示"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "kinds" in errors and "subject_name" in errors
    assert not RightsRequest.objects.exists()


def test_the_office_assigns_at_intake(manager, office, sales):
    with at(RECEIVED):
        response = browser(manager).post(reverse("request_new"), {
            "channel": "phone", "received_on": "2026-11-02", "requester_type": RequesterType.PERSON,
            "requester_name": "山田 花子", "summary": "利用停止", "kinds": [RequestKind.STOP_USE],
            "department": sales.pk, "handler": office.pk})
    assert response.status_code == 302
    case = RightsRequest.objects.get()
    assert (case.department, case.handler) == (sales, office)


def test_outsiders_get_404_on_every_page(staff, other_staff, manager):
    with at(RECEIVED):
        case = receive(staff)
        item = case.items.get()
        client = browser(other_staff)
        urls = [
            reverse("request_detail", args=[case.pk]), reverse("request_edit", args=[case.pk]),
            reverse("request_letter", args=[case.pk]), reverse("request_letter_pdf", args=[case.pk]),
            reverse("request_item_edit", args=[case.pk, item.pk]),
            reverse("request_raise_incident", args=[case.pk]),
            reverse("rightsrequest_transition", args=[case.pk, "check_identity"]),
        ]
        for url in urls:
            assert client.get(url).status_code == 404, url
        for name in ("request_pause", "request_resume", "request_add_kind"):
            assert client.post(reverse(name, args=[case.pk]), {"version": 1, "reason": "x"}).status_code == 404
        listing = client.get(reverse("request_list"))
    assert case.reference not in listing.content.decode()
    assert RightsRequest.objects.get(pk=case.pk).version == case.version


def test_the_detail_page_shows_the_clock_the_art_39_mark_and_the_pause(manager):
    with at(RECEIVED):
        case = receive(manager)
    with at(RECEIVED + dt.timedelta(days=3)):
        response = browser(manager).post(reverse("request_pause", args=[case.pk]),
                                         {"version": case.version, "reason": "本人確認書類の再送待ち"})
        assert response.status_code == 302
    with at(RECEIVED + dt.timedelta(days=16)):
        page = browser(manager).get(reverse("request_detail", args=[case.pk]))
    content = page.content.decode()
    # Paused 13 days so far: due 14 + 13 days after receipt; art. 39 never moves and has passed.
    assert (RECEIVED + dt.timedelta(days=27)).isoformat() in content
    assert 'id="art39"' in content and (RECEIVED + dt.timedelta(days=14)).isoformat() in content
    assert "第39条" in content or "Art. 39" in content
    assert 'id="paused"' in content and "本人確認書類の再送待ち" in content
    assert 'id="pauses"' in content
    assert page.context["resume_form"] is not None and page.context["pause_form"] is None


def test_resume_moves_the_due_date_and_the_overdue_mark_shows(manager):
    with at(RECEIVED):
        case = receive(manager)
    with at(RECEIVED + dt.timedelta(days=3)):
        case = case_services.request_pause(request=case, by=manager, version=case.version, reason="手数料待ち")
    with at(RECEIVED + dt.timedelta(days=8)):
        response = browser(manager).post(reverse("request_resume", args=[case.pk]), {"version": case.version})
        assert response.status_code == 302
    case.refresh_from_db()
    assert case.paused_since is None and case.paused_days == 5
    assert case.due_on == RECEIVED + dt.timedelta(days=19)
    with at(RECEIVED + dt.timedelta(days=20)):
        page = browser(manager).get(reverse("request_detail", args=[case.pk]))
        listing = browser(manager).get(reverse("request_list"), {"overdue": "on"})
    assert "badge--overdue" in page.content.decode()
    assert case.reference in listing.content.decode()


def test_a_stale_pause_changes_nothing(manager, office):
    with at(RECEIVED):
        case = receive(manager)
        case_services.request_update(request=case, by=office, version=case.version, data_searched="顧客DB")
        response = browser(manager).post(reverse("request_pause", args=[case.pk]),
                                         {"version": case.version, "reason": "手数料"})
    assert response.status_code == 302
    assert RightsRequest.objects.get(pk=case.pk).paused_since is None
    assert not case.pauses.exists()


def test_a_stale_edit_shows_the_conflict_panel_and_saves_nothing(manager, office):
    with at(RECEIVED):
        case = receive(manager)
        url = reverse("request_edit", args=[case.pk])
        first, second = browser(manager), browser(office)
        first_page, second_page = posted(first.get(url).context["form"]), posted(second.get(url).context["form"])
        assert first.post(url, {**first_page, "data_searched": "顧客DB、申込書綴り"}).status_code == 302
        response = second.post(url, {**second_page, "identity_note": "運転免許証の写しで確認"})
    assert response.status_code == 409
    content = response.content.decode()
    assert 'id="conflict"' in content and "運転免許証の写しで確認" in content
    stored = RightsRequest.objects.get(pk=case.pk)
    assert stored.data_searched == "顧客DB、申込書綴り" and stored.identity_note == ""


def test_identity_step_then_a_late_answer_needs_the_consequence_checkbox(manager):
    with at(RECEIVED):
        case = receive(manager)
        client = browser(manager)
        url = reverse("rightsrequest_transition", args=[case.pk, "confirm_identity"])
        assert client.get(url).status_code == 200
        response = client.post(url, {
            "confirm_identity-expected_state": "received", "confirm_identity-version": case.version,
            "confirm_identity-identity_method": IdentityMethod.ID_COPY,
            "confirm_identity-identity_result": IdentityResult.CONFIRMED,
            "confirm_identity-identity_checked_on": "2026-11-02"})
        assert response.status_code == 302
        case = decide(RightsRequest.objects.get(pk=case.pk), manager)
        assert case.state == RequestState.IN_PROGRESS
    late = RECEIVED + dt.timedelta(days=20)
    url = reverse("rightsrequest_transition", args=[case.pk, "answer"])
    data = {"answer-expected_state": "in_progress", "answer-version": case.version,
            "answer-method_used": AnswerMethod.PAPER, "answer-sent_on": late.isoformat(),
            "answer-late_reason": "担当者不在のため"}
    with at(late):
        client = browser(manager)
        page = client.get(url)
        assert page.status_code == 200
        content = page.content.decode()
        assert 'name="answer-consequence_acknowledged"' in content and "事故等" in content
        refused = client.post(url, data)
        assert refused.status_code == 400
        assert RightsRequest.objects.get(pk=case.pk).state == RequestState.IN_PROGRESS
        done = client.post(url, {**data, "answer-consequence_acknowledged": "on"})
    assert done.status_code == 302
    case = RightsRequest.objects.get(pk=case.pk)
    assert case.state == RequestState.ANSWERED and case.consequence_acknowledged and case.answered_late


def test_the_detail_page_offers_the_steps_with_their_forms(manager):
    with at(RECEIVED):
        case = confirmed(receive(manager), manager)
        page = browser(manager).get(reverse("request_detail", args=[case.pk]))
    names = [panel["option"].name for panel in page.context["transitions"]]
    assert {"answer", "refuse", "withdraw"} <= set(names)
    content = page.content.decode()
    assert 'name="refuse-consequence_acknowledged"' in content
    assert reverse("rightsrequest_transition", args=[case.pk, "refuse"]) in content


def test_refusal_needs_the_confirmation_then_the_office_raises_the_wrongful_refusal_incident(manager, staff, sales):
    with at(RECEIVED):
        case = confirmed(receive(staff, kinds=[RequestKind.DISCLOSURE]), manager)
        case = decide(case, manager, decision=Decision.REFUSED, ground=ExceptionGround.BUSINESS,
                      reason="業務の適正な実施に著しい支障を及ぼすおそれがあるため")
        client = browser(manager)
        url = reverse("rightsrequest_transition", args=[case.pk, "refuse"])
        data = {"refuse-expected_state": "in_progress", "refuse-version": case.version,
                "refuse-sent_on": "2026-11-02", "refuse-comment": "全部不開示"}
        assert client.post(url, data).status_code == 400
        assert client.post(url, {**data, "refuse-consequence_acknowledged": "on"}).status_code == 302
    assert RightsRequest.objects.get(pk=case.pk).state == RequestState.REFUSED
    raise_url = reverse("request_raise_incident", args=[case.pk])
    with at(RECEIVED + dt.timedelta(days=30)):
        client = browser(manager)
        # The staff member who received it reads the case, but only the office judges the refusal.
        assert browser(staff).get(raise_url).status_code == 403
        page = client.get(reverse("request_detail", args=[case.pk]))
        assert raise_url in page.content.decode()
        assert client.get(raise_url).status_code == 200
        response = client.post(raise_url, {"explanation": "開示の例外に当たらないことが判明した",
                                           "department": sales.pk})
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("incident_detail", args=[incident.pk])
    assert incident.pmark_event == PMarkEvent.REQUEST_REFUSAL and incident.department == sales
    assert RightsRequest.objects.get(pk=case.pk).incident == incident
    with at(RECEIVED + dt.timedelta(days=30)):
        page = browser(manager).get(reverse("request_detail", args=[case.pk]))
    assert reverse("incident_detail", args=[incident.pk]) in page.content.decode()
    assert not page.context["may_raise_incident"]


def test_item_decisions_inline_with_reasons_and_versions(manager, office):
    with at(RECEIVED):
        case = confirmed(receive(manager, kinds=[RequestKind.CORRECTION]), manager)
        item = case.items.get()
        url = reverse("request_item_edit", args=[case.pk, item.pk])
        client = browser(manager)
        page = client.get(reverse("request_detail", args=[case.pk]))
        assert url in page.content.decode()
        # Refused without the article and the reason: the form says so, nothing is saved.
        response = client.post(url, {"version": item.version, "decision": Decision.REFUSED})
        assert response.status_code == 400
        assert {"ground", "reason"} <= set(response.context["form"].errors)
        ok = client.post(url, {"version": item.version, "decision": Decision.ALTERNATIVE,
                               "ground": ExceptionGround.COST, "reason": "バックアップからの削除が困難なため",
                               "outcome": "利用を停止しました"})
        assert ok.status_code == 302
        # Another office member, from the page read before that save.
        stale = browser(office).post(url, {"version": item.version, "decision": Decision.FULL})
    assert stale.status_code == 409 and 'id="conflict"' in stale.content.decode()
    item.refresh_from_db()
    assert item.decision == Decision.ALTERNATIVE and item.outcome == "利用を停止しました"


def test_another_kind_is_added_while_the_request_is_open(manager):
    with at(RECEIVED):
        case = receive(manager)
        response = browser(manager).post(reverse("request_add_kind", args=[case.pk]),
                                         {"kind": RequestKind.CORRECTION})
    assert response.status_code == 302
    assert sorted(case.kinds()) == ["correction", "disclosure"]


def test_the_letter_page_drafts_saves_and_prints(manager, staff):
    with at(RECEIVED):
        case = decide(confirmed(receive(manager), manager), manager)
        client = browser(manager)
        url = reverse("request_letter", args=[case.pk])
        page = client.get(url)
        assert page.status_code == 200
        form = page.context["form"]
        assert form["letter_body"].value().strip()  # drafted from the case
        response = client.post(url, {"version": case.version, "letter_body": "山田 花子 様\n開示いたします。"})
        assert response.status_code == 302
        assert RightsRequest.objects.get(pk=case.pk).letter_body == "山田 花子 様\n開示いたします。"
        stale = client.post(url, {"version": case.version, "letter_body": "古い版から"})
        assert stale.status_code == 409
        assert RightsRequest.objects.get(pk=case.pk).letter_body == "山田 花子 様\n開示いたします。"
        pdf = client.get(reverse("request_letter_pdf", args=[case.pk]))
        blank = browser(staff).get(reverse("request_form_pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert blank.status_code == 200 and blank.content.startswith(b"%PDF")


def test_the_list_filters_and_its_queries_do_not_grow_with_the_rows(manager, staff, django_assert_max_num_queries):
    with at(RECEIVED):
        for number in range(12):
            receive(staff if number % 2 else manager, kinds=[RequestKind.DISCLOSURE, RequestKind.CORRECTION],
                    requester_name=f"請求者{number}")
        withdrawn = receive(manager, kinds=[RequestKind.STOP_USE], requester_name="取下げ者")
        transition_record(withdrawn, "withdraw", by=manager, comment="取下げ")
    with at(RECEIVED + dt.timedelta(days=15)):
        client = browser(manager)
        client.get(reverse("request_list"))  # warm up (sessions, content types)
        with django_assert_max_num_queries(14):
            response = client.get(reverse("request_list"))
        filtered = client.get(reverse("request_list"), {"kind": RequestKind.STOP_USE})
        still_open = client.get(reverse("request_list"), {"open": "on"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 13
    content = response.content.decode()
    assert "請求者11" in content and "badge--overdue" in content
    assert [case.reference for case in filtered.context["page"].object_list] == [withdrawn.reference]
    assert withdrawn.reference not in [case.reference for case in still_open.context["page"].object_list]
    # The staff member sees the ones they recorded, not the others.
    with at(RECEIVED + dt.timedelta(days=15)):
        mine = browser(staff).get(reverse("request_list"))
    assert mine.context["page"].paginator.count == 6


def test_the_navigation_shows_the_registers_to_the_office_and_the_intake_to_everyone(manager, staff):
    office_page = browser(manager).get(reverse("home")).content.decode()
    staff_page = browser(staff).get(reverse("home")).content.decode()
    registers = [f'href="{reverse("request_list")}"', f'href="{reverse("complaint_list")}"']
    assert all(link in office_page for link in registers)
    assert not any(link in staff_page for link in registers)
    assert f'href="{reverse("request_new")}"' in staff_page
    # A complaint is recorded from there too.
    intake = browser(staff).get(reverse("request_new")).content.decode()
    assert f'href="{reverse("complaint_new")}"' in intake
