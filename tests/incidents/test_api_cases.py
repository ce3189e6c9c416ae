"""The API of requests from individuals and complaints (issue 15): /api/requests/ and
/api/complaints/ follow the other records' pattern (list, detail, versioned edits, the
transitions, the trail, the files) with their own steps (the items, the clock's pauses, the
wrongful refusal, the complaint's conversions)."""

from __future__ import annotations

import datetime as dt

import jsonschema
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from incidents import case_services
from incidents.models import (
    Action,
    Complaint,
    ComplaintClass,
    Decision,
    ExceptionGround,
    Incident,
    IncidentKind,
    PMarkEvent,
    RequestKind,
    RequestState,
    RightsRequest,
)
from incidents.workflow.service import transition_record
from tests.field_walk import walk

pytestmark = pytest.mark.django_db

TOKYO = dt.timezone(dt.timedelta(hours=9))
RECEIVED = dt.date(2026, 11, 2)
REQUESTS = reverse("api:request-list")
COMPLAINTS = reverse("api:complaint-list")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c6360000000020001e221bc330000000049454e44ae426082"
)


def at(day: dt.date, hour: int = 10):
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO), tick=False)


def detail(record) -> str:
    kind = "request" if isinstance(record, RightsRequest) else "complaint"
    return reverse(f"api:{kind}-detail", args=[record.pk])


def url(record, name: str, *args) -> str:
    kind = "request" if isinstance(record, RightsRequest) else "complaint"
    return reverse(f"api:{kind}-{name}", args=[record.pk, *args])


def receive(by, kinds=(RequestKind.DISCLOSURE,), **data) -> RightsRequest:
    data = {"channel": "post", "received_on": RECEIVED, "requester_name": "山田 花子",
            "summary": "保有個人データの開示を求める", **data}
    return case_services.request_receive(by=by, kinds=list(kinds), **data)


def complaint_of(by, **data) -> Complaint:
    data = {"channel": "phone", "received_on": RECEIVED, "complainant_name": "鈴木 一郎",
            "summary": "案内メールの宛先に他人の名前があった", **data}
    return case_services.complaint_receive(by=by, **data)


def refused(manager, sales) -> RightsRequest:
    request = receive(manager, department=sales)
    request = transition_record(request, "confirm_identity", by=manager, changes={
        "identity_method": "id_copy", "identity_result": "confirmed", "identity_checked_on": RECEIVED})
    item = request.items.get()
    case_services.request_item_update(item=item, by=manager, version=item.version, decision=Decision.REFUSED,
                                      ground=ExceptionGround.BUSINESS, reason="業務に著しい支障があるため")
    return transition_record(RightsRequest.objects.get(pk=request.pk), "refuse", by=manager, comment="全部不開示",
                             changes={"sent_on": RECEIVED, "consequence_acknowledged": True})


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def validator(schema, name):
    document = {**schema["components"]["schemas"][name], "components": schema["components"]}

    def nullable(node):
        if isinstance(node, dict):
            node = {key: nullable(value) for key, value in node.items()}
            if node.pop("nullable", False):
                node = {"anyOf": [node, {"type": "null"}]}
            return node
        if isinstance(node, list):
            return [nullable(value) for value in node]
        return node

    return jsonschema.Draft4Validator(nullable(document))


# ---------------------------------------------------------------------------
# Recording a request


def test_staff_record_a_request_with_what_it_asks_for(api_as, staff, schema):
    with at(RECEIVED):
        response = api_as(staff).post(REQUESTS, {
            "kinds": ["disclosure", "provision_records"], "channel": "post", "received_on": RECEIVED.isoformat(),
            "requester_type": "legal_representative", "requester_name": "佐藤 一郎", "subject_name": "佐藤 翔太（15歳）",
            "summary": "子の保有個人データの開示を求める", "method_requested": "electronic",
        }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("REQ-")
    assert body["state"] == "received"
    assert sorted(body["kinds"]) == ["disclosure", "provision_records"]
    assert [item["decision"] for item in body["items"]] == ["", ""]
    assert body["received_by"]["username"] == "staff"
    assert body["due_on"] == body["effective_due_on"] == (RECEIVED + dt.timedelta(days=14)).isoformat()
    assert body["lawsuit_mark_on"] == (RECEIVED + dt.timedelta(days=14)).isoformat()
    assert body["identity_result"] == "" and body["method_used"] == ""
    assert body["attachments_url"].endswith(f"/api/requests/{body['id']}/attachments/")
    validator(schema, "RightsRequestDetail").validate(body)  # the blank enums are published with ""


def test_recording_needs_the_kinds_and_refuses_what_staff_may_not_give(api_as, staff, manager):
    base = {"channel": "phone", "requester_name": "山田", "summary": "開示"}
    missing = api_as(staff).post(REQUESTS, base, format="json", **EN)
    assert missing.status_code == 400 and list(missing.json()) == ["kinds"]
    unknown = api_as(staff).post(REQUESTS, {**base, "kinds": ["everything"]}, format="json", **EN)
    assert unknown.status_code == 400 and "kinds" in unknown.json()
    assigned = api_as(staff).post(REQUESTS, {**base, "kinds": ["purpose"], "handler": manager.pk}, format="json")
    assert assigned.status_code == 400 and list(assigned.json()) == ["handler"]
    state = api_as(staff).post(REQUESTS, {**base, "kinds": ["purpose"], "state": "closed"}, format="json")
    assert state.status_code == 400 and list(state.json()) == ["state"]
    assert not RightsRequest.objects.exists()


def test_outsiders_get_404_everywhere(api_as, staff, other_staff, manager):
    request = receive(staff)
    item = request.items.get()
    client = api_as(other_staff)
    assert client.get(REQUESTS).json()["count"] == 0
    for method, target in [
        ("get", detail(request)), ("get", url(request, "transitions")), ("get", url(request, "history")),
        ("get", url(request, "attachments")), ("patch", detail(request)),
        ("post", url(request, "transition", "check_identity")), ("post", url(request, "item", item.pk)),
        ("post", url(request, "kinds")), ("post", url(request, "pause")), ("post", url(request, "resume")),
        ("post", url(request, "wrongful-refusal")),
    ]:
        response = getattr(client, method)(target, {"version": request.version}, format="json")
        assert response.status_code == 404, (method, target, response.content)
        assert response.json()["code"] == "not_found"
    # The staff member who recorded it and the PMS office see it.
    assert api_as(staff).get(detail(request)).status_code == 200
    assert api_as(manager).get(detail(request)).status_code == 200


def test_an_item_of_another_request_is_404(api_as, manager):
    first, second = receive(manager), receive(manager)
    item = second.items.get()
    response = api_as(manager).post(url(first, "item", item.pk), {"version": item.version, "decision": "full"},
                                    format="json")
    assert response.status_code == 404
    huge = api_as(manager).post(url(first, "item", 10**30), {"version": 1, "decision": "full"}, format="json")
    assert huge.status_code == 404


# ---------------------------------------------------------------------------
# Edits


def test_a_stale_edit_is_a_409_naming_what_changed(api_as, manager, office):
    request = receive(manager)
    version = request.version
    assert api_as(office).patch(detail(request), {"version": version, "data_searched": "顧客DB"},
                                format="json").status_code == 200
    stale = api_as(manager).patch(detail(request), {"version": version, "data_searched": "会員DB"}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert [change["field"] for change in body["changed_fields"]] == ["data_searched"]
    assert body["current"]["data_searched"] == "顧客DB"
    assert RightsRequest.objects.get(pk=request.pk).data_searched == "顧客DB"


def test_a_fee_for_a_correction_only_request_is_a_400_on_the_fee(api_as, manager):
    request = receive(manager, kinds=[RequestKind.CORRECTION])
    response = api_as(manager).patch(detail(request), {"version": request.version, "fee_amount": 1000},
                                     format="json", **EN)
    assert response.status_code == 400
    assert list(response.json()) == ["fee_amount"]
    assert "art. 38" in response.json()["fee_amount"][0]
    assert RightsRequest.objects.get(pk=request.pk).fee_amount == 0


def test_edits_need_the_version_and_the_right(api_as, staff, manager):
    request = receive(staff)
    no_version = api_as(manager).patch(detail(request), {"data_searched": "x"}, format="json")
    assert no_version.status_code == 400 and "version" in no_version.json()
    # The staff member who recorded it now reads it; the office and the handler edit it.
    refused = api_as(staff).patch(detail(request), {"version": request.version, "summary": "変更"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] in ("not_permitted", "permission_denied")
    assert RightsRequest.objects.get(pk=request.pk).summary == "保有個人データの開示を求める"


@pytest.mark.parametrize("who", ["staff", "manager", "other_staff", "head"])
def test_every_request_field_by_patch_and_put(who, request, staff, manager, sales):
    record = receive(staff)
    record = case_services.request_update(request=record, by=manager, version=record.version, department=sales)
    user = request.getfixturevalue(who)
    sent = walk(record, detail(record), [user], put_fields=["channel", "requester_name", "summary"])
    assert sent >= 20
    assert RightsRequest.objects.get(pk=record.pk).state == RequestState.RECEIVED


@pytest.mark.parametrize("who", ["staff", "manager", "other_staff"])
def test_every_complaint_field_by_patch_and_put(who, request, staff):
    record = complaint_of(staff)
    user = request.getfixturevalue(who)
    sent = walk(record, detail(record), [user], put_fields=["channel", "summary"])
    assert sent >= 20
    assert Complaint.objects.get(pk=record.pk).state == "received"


# ---------------------------------------------------------------------------
# Transitions


def test_transitions_offered_with_their_reasons_and_refused(api_as, staff, manager):
    request = receive(staff)
    offered = api_as(manager).get(url(request, "transitions"))
    assert offered.status_code == 200
    options = {option["name"]: option for option in offered.json()}
    assert {"check_identity", "confirm_identity", "withdraw"} <= set(options)
    # What each step asks for; a step that asks for fields lists its missing conditions when taken.
    assert [field["name"] for field in options["confirm_identity"]["fields"]] == [
        "identity_method", "identity_result", "identity_checked_on"]
    assert options["withdraw"]["comment_required"] is True
    assert api_as(staff).get(url(request, "transitions")).json() == []

    by_staff = api_as(staff).post(url(request, "transition", "check_identity"), {}, format="json")
    assert by_staff.status_code == 403
    unmet = api_as(manager).post(url(request, "transition", "confirm_identity"), {}, format="json", **EN)
    assert unmet.status_code == 400
    assert unmet.json()["code"] == "conditions_not_met"
    assert any("identity" in problem for problem in unmet.json()["unmet_conditions"])
    not_available = api_as(manager).post(url(request, "transition", "close"), {}, format="json")
    assert not_available.status_code == 409
    unknown = api_as(manager).post(url(request, "transition", "explode"), {}, format="json")
    assert unknown.status_code == 404
    assert RightsRequest.objects.get(pk=request.pk).state == RequestState.RECEIVED


def test_a_request_answered_through_the_api(api_as, manager):
    with at(RECEIVED):
        request = receive(manager, kinds=[RequestKind.DISCLOSURE, RequestKind.CORRECTION])
        client = api_as(manager)
        confirmed = client.post(url(request, "transition", "confirm_identity"), {
            "identity_method": "id_copy", "identity_result": "confirmed", "identity_checked_on": RECEIVED.isoformat(),
        }, format="json")
        assert confirmed.status_code == 200, confirmed.content
        assert confirmed.json()["state"] == "in_progress"
        disclosure, correction = request.items.order_by("id")
        full = client.post(url(request, "item", disclosure.pk), {"version": disclosure.version, "decision": "full",
                                                                 "outcome": "登録情報の写しを送付"}, format="json")
        assert full.status_code == 200 and full.json()["decision"] == "full"
        no_reason = client.post(url(request, "item", correction.pk),
                                {"version": correction.version, "decision": "refused"}, format="json")
        assert no_reason.status_code == 400
        assert {"ground", "reason"} <= set(no_reason.json())
        explained = client.post(url(request, "item", correction.pk), {
            "version": correction.version, "decision": "refused", "ground": "not_incorrect",
            "reason": "登録内容は事実と相違しないため"}, format="json")
        assert explained.status_code == 200
        answered = client.post(url(request, "transition", "answer"), {
            "method_used": "paper", "sent_on": RECEIVED.isoformat(), "comment": "郵送"}, format="json")
    assert answered.status_code == 200, answered.content
    assert answered.json()["state"] == "answered"
    history = api_as(manager).get(url(request, "history")).json()
    assert [entry["transition"] for entry in history if entry["kind"] == "step"][-2:] == ["confirm_identity", "answer"]


def test_a_stale_item_decision_is_a_409_with_the_item_now(api_as, manager, office):
    request = receive(manager)
    item = request.items.get()
    version = item.version
    assert api_as(office).post(url(request, "item", item.pk), {"version": version, "outcome": "検索中"},
                               format="json").status_code == 200
    stale = api_as(manager).post(url(request, "item", item.pk), {"version": version, "decision": "full"},
                                 format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["outcome"] == "検索中"
    assert stale.json()["current"]["decision"] == ""
    missing = api_as(manager).post(url(request, "item", item.pk), {"decision": "full"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()


def test_another_kind_is_added_once(api_as, manager, staff):
    request = receive(manager)
    added = api_as(manager).post(url(request, "kinds"), {"kind": "stop_use"}, format="json")
    assert added.status_code == 201
    assert added.json()["kind"] == "stop_use"
    again = api_as(manager).post(url(request, "kinds"), {"kind": "stop_use"}, format="json")
    assert again.status_code == 400 and "kind" in again.json()
    assert sorted(RightsRequest.objects.get(pk=request.pk).kinds()) == ["disclosure", "stop_use"]


# ---------------------------------------------------------------------------
# The clock


def test_pause_and_resume_move_the_due_date_and_stay_shown(api_as, manager):
    with at(RECEIVED):
        request = receive(manager)
    client = api_as(manager)
    with at(RECEIVED + dt.timedelta(days=3)):
        no_version = client.post(url(request, "pause"), {"reason": "本人確認書類の再送"}, format="json")
        assert no_version.status_code == 400 and "version" in no_version.json()
        paused = client.post(url(request, "pause"), {"reason": "本人確認書類の再送", "version": request.version},
                             format="json")
        assert paused.status_code == 200, paused.content
        assert paused.json()["paused_since"] == (RECEIVED + dt.timedelta(days=3)).isoformat()
        version = paused.json()["version"]
        again = client.post(url(request, "pause"), {"reason": "手数料", "version": version}, format="json")
        assert again.status_code == 400 and "reason" in again.json()
    with at(RECEIVED + dt.timedelta(days=20)):
        shown = client.get(detail(request)).json()
        assert shown["overdue"] is False
        assert shown["effective_due_on"] == (RECEIVED + dt.timedelta(days=14 + 17)).isoformat()
        assert client.get(REQUESTS, {"overdue": "true"}).json()["count"] == 0
    with at(RECEIVED + dt.timedelta(days=13)):
        stale = client.post(url(request, "resume"), {"version": request.version}, format="json")
        assert stale.status_code == 409
        resumed = client.post(url(request, "resume"), {"version": version}, format="json")
    assert resumed.status_code == 200
    body = resumed.json()
    assert body["paused_since"] is None and body["paused_days"] == 10
    assert body["due_on"] == (RECEIVED + dt.timedelta(days=24)).isoformat()
    assert body["lawsuit_mark_on"] == (RECEIVED + dt.timedelta(days=14)).isoformat()
    assert [(p["started_on"], p["ended_on"], p["days"]) for p in body["pauses"]] == [
        ((RECEIVED + dt.timedelta(days=3)).isoformat(), (RECEIVED + dt.timedelta(days=13)).isoformat(), 10)]
    with at(RECEIVED + dt.timedelta(days=25)):
        assert client.get(REQUESTS, {"overdue": "true"}).json()["count"] == 1
        assert client.get(detail(request)).json()["overdue"] is True


def test_resuming_a_running_clock_is_a_400(api_as, manager):
    request = receive(manager)
    response = api_as(manager).post(url(request, "resume"), {"version": request.version}, format="json")
    assert response.status_code == 400 and "on" in response.json()


# ---------------------------------------------------------------------------
# The wrongful refusal


def test_a_wrongful_refusal_raises_the_kind_8_incident(api_as, manager, staff, sales):
    with at(RECEIVED):
        request = refused(manager, sales)
    with at(RECEIVED + dt.timedelta(days=30)):
        empty = api_as(manager).post(url(request, "wrongful-refusal"), {}, format="json")
        assert empty.status_code == 400 and "explanation" in empty.json()
        response = api_as(manager).post(url(request, "wrongful-refusal"),
                                        {"explanation": "例外に当たらないことが判明した"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert body["reference"] == incident.reference
    assert incident.kind == IncidentKind.VIOLATION and incident.pmark_event == PMarkEvent.REQUEST_REFUSAL
    assert api_as(manager).get(detail(request)).json()["incident"] == incident.pk
    again = api_as(manager).post(url(request, "wrongful-refusal"), {"explanation": "再度"}, format="json")
    assert again.status_code == 409


def test_an_open_request_cannot_be_judged_wrongly_refused(api_as, manager):
    request = receive(manager)
    response = api_as(manager).post(url(request, "wrongful-refusal"), {"explanation": "x"}, format="json")
    assert response.status_code == 409
    assert not Incident.objects.exists()


# ---------------------------------------------------------------------------
# Files


def test_a_request_file_says_what_it_is(api_as, manager):
    request = receive(manager)
    client = api_as(manager)
    without = client.post(url(request, "attachments"), {"file": SimpleUploadedFile("id.png", PNG)},
                          format="multipart")
    assert without.status_code == 400 and "purpose" in without.json()
    added = client.post(url(request, "attachments"),
                        {"file": SimpleUploadedFile("id.png", PNG), "purpose": "identity"}, format="multipart")
    assert added.status_code == 201, added.content
    assert added.json()["purpose"] == "identity"
    assert [f["purpose"] for f in client.get(url(request, "attachments")).json()] == ["identity"]


# ---------------------------------------------------------------------------
# Complaints


def test_a_complaint_is_recorded_and_moved_on(api_as, staff, manager):
    created = api_as(staff).post(COMPLAINTS, {
        "channel": "phone", "received_on": RECEIVED.isoformat(), "complainant_name": "鈴木 一郎",
        "summary": "電話応対が不適切だった"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["reference"].startswith("CMP-") and body["classification"] == "complaint"
    complaint = Complaint.objects.get(pk=body["id"])
    client = api_as(manager)
    assert client.post(url(complaint, "transition", "start"), {}, format="json").json()["state"] == "handling"
    unmet = client.post(url(complaint, "transition", "answer"), {}, format="json")
    assert unmet.status_code == 400 and unmet.json()["unmet_conditions"]
    answered = client.post(url(complaint, "transition", "answer"), {
        "answered_on": RECEIVED.isoformat(), "outcome": "謝罪し、応対手順を見直すと回答"}, format="json")
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    closed = client.post(url(complaint, "transition", "close"), {}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    late = client.patch(detail(complaint), {"version": closed.json()["version"], "outcome": "x"}, format="json")
    assert late.status_code == 409


def test_a_complaint_becomes_a_request_once(api_as, manager, staff, other_staff):
    complaint = complaint_of(staff, summary="自分の登録情報を全部見せてほしい")
    assert api_as(other_staff).post(url(complaint, "to-request"), {"kinds": ["disclosure"]},
                                    format="json").status_code == 404
    assert api_as(staff).post(url(complaint, "to-request"), {"kinds": ["disclosure"]},
                              format="json").status_code == 403
    response = api_as(manager).post(url(complaint, "to-request"), {"kinds": ["disclosure"],
                                                                   "method_requested": "electronic"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["received_on"] == RECEIVED.isoformat() and body["channel"] == "phone"
    assert body["requester_name"] == "鈴木 一郎" and body["kinds"] == ["disclosure"]
    shown = api_as(manager).get(detail(complaint)).json()
    assert shown["request"] == body["id"] and shown["classification"] == ComplaintClass.RIGHTS_REQUEST
    again = api_as(manager).post(url(complaint, "to-request"), {"kinds": ["disclosure"]}, format="json")
    assert again.status_code == 409
    assert RightsRequest.objects.count() == 1


def test_a_complaint_raises_an_incident_and_an_action(api_as, manager, head, sales):
    complaint = complaint_of(manager, department=sales)
    client = api_as(manager)
    missing = client.post(url(complaint, "to-incident"), {"kind": "leak"}, format="json")
    assert missing.status_code == 400 and "title" in missing.json()
    raised = client.post(url(complaint, "to-incident"), {"title": "案内メールの誤送信", "kind": "leak"}, format="json")
    assert raised.status_code == 201, raised.content
    incident = Incident.objects.get(pk=raised.json()["id"])
    assert incident.department == sales and incident.description == complaint.summary
    assert client.post(url(complaint, "to-incident"), {"title": "再", "kind": "leak"}, format="json").status_code == 409
    action = client.post(url(complaint, "actions"), {
        "kind": "corrective", "title": "宛先確認の手順を追加", "owner": head.pk, "verifier": manager.pk,
        "due_date": (RECEIVED + dt.timedelta(days=30)).isoformat()}, format="json")
    assert action.status_code == 201, action.content
    assert action.json()["department"] == sales.pk
    shown = client.get(detail(complaint)).json()
    assert shown["incident"] == incident.pk and shown["actions"] == [action.json()["id"]]
    assert shown["reveals_weakness"] is True
    assert Action.objects.get(pk=action.json()["id"]).complaints.get() == complaint


def test_complaints_are_404_for_outsiders(api_as, staff, other_staff):
    complaint = complaint_of(staff)
    for target in (detail(complaint), url(complaint, "history"), url(complaint, "transitions"),
                   url(complaint, "attachments")):
        assert api_as(other_staff).get(target).status_code == 404
    assert api_as(other_staff).get(COMPLAINTS).json()["count"] == 0


# ---------------------------------------------------------------------------
# Lists


def test_the_request_list_filters(api_as, manager, staff):
    with at(RECEIVED):
        overdue = receive(manager, channel="email")
        receive(manager, kinds=[RequestKind.STOP_USE])
    with at(RECEIVED + dt.timedelta(days=15)):
        answered = receive(manager)
        transition_record(answered, "withdraw", by=manager, comment="取下げ")
        client = api_as(manager)

        def refs(**query):
            response = client.get(REQUESTS, query)
            assert response.status_code == 200, response.content
            return {row["reference"] for row in response.json()["results"]}

        assert refs(overdue="true") == {overdue.reference, RightsRequest.objects.get(items__kind="stop_use").reference}
        assert refs(channel="email") == {overdue.reference}
        assert refs(kind="stop_use") == {RightsRequest.objects.get(items__kind="stop_use").reference}
        assert refs(open="false") == refs(state="withdrawn") == {answered.reference}
        assert len(refs(search="山田")) == 3
        assert client.get(REQUESTS, {"ordering": "due_on"}).status_code == 200
        for bad in ({"overdue": "maybe"}, {"state": "nonsense"}, {"ordering": "requester_address"},
                    {"handler": "1e99"}):
            response = client.get(REQUESTS, bad)
            assert response.status_code == 400 and list(response.json()) == list(bad), bad


@pytest.mark.parametrize("list_url", [REQUESTS, COMPLAINTS])
def test_list_queries_do_not_grow_with_the_records(api_as, manager, staff, list_url):
    def make(count):
        for _ in range(count):
            if list_url == REQUESTS:
                request = receive(staff, kinds=[RequestKind.DISCLOSURE, RequestKind.CORRECTION])
                case_services.request_update(request=request, by=manager, version=request.version, handler=manager)
            else:
                complaint_of(staff)

    def queries():
        client = api_as(type(manager).objects.get(pk=manager.pk))  # no role cached from a previous request
        with CaptureQueriesContext(connection) as captured:
            response = client.get(list_url)
        assert response.status_code == 200
        return len(captured), response.json()["count"]

    make(2)
    two, count = queries()
    assert count == 2
    make(4)
    six, count = queries()
    assert count == 6
    assert six == two
    assert two <= 8
