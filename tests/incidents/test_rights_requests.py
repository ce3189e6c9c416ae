"""Requests from individuals (issue 15): the state machine, the fee rule, the clock with its
pauses, the electronic-disclosure rule and the wrongful refusal that becomes an incident."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import attachments, case_services
from incidents.exceptions import ConditionsNotMet, FieldsNotWritable, NotPermitted, RecordClosed, StaleEdit
from incidents.models import (
    AnswerMethod,
    Decision,
    EvidencePurpose,
    ExceptionGround,
    IdentityMethod,
    IdentityResult,
    IncidentKind,
    PMarkEvent,
    RequesterType,
    RequestKind,
    RequestState,
    RightsRequest,
)
from incidents.workflow.service import transition_record
from notifications.models import Notification

TOKYO = dt.timezone(dt.timedelta(hours=9))
RECEIVED = dt.date(2026, 11, 2)

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 10):
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO), tick=False)


def receive(by, kinds=(RequestKind.DISCLOSURE,), **data) -> RightsRequest:
    data = {"channel": "post", "received_on": RECEIVED, "requester_name": "山田 花子",
            "summary": "保有個人データの開示を求める", **data}
    return case_services.request_receive(by=by, kinds=list(kinds), **data)


def confirmed(request, by) -> RightsRequest:
    return transition_record(request, "confirm_identity", by=by, changes={
        "identity_method": IdentityMethod.ID_COPY, "identity_result": IdentityResult.CONFIRMED,
        "identity_checked_on": RECEIVED})


def decide(request, by, decision=Decision.FULL, **data):
    for item in request.items.all():
        case_services.request_item_update(item=item, by=by, version=item.version, decision=decision, **data)
    return RightsRequest.objects.get(pk=request.pk)


def test_a_staff_member_records_a_request_and_the_office_is_told(staff, manager):
    with at(RECEIVED):
        request = receive(staff, kinds=[RequestKind.DISCLOSURE, RequestKind.PROVISION_RECORDS])
    assert request.reference.startswith("REQ-2026-")
    assert request.state == RequestState.RECEIVED
    assert request.received_by == staff
    assert request.due_on == RECEIVED + dt.timedelta(days=14)
    assert request.lawsuit_mark_on == RECEIVED + dt.timedelta(days=14)
    assert sorted(request.kinds()) == ["disclosure", "provision_records"]
    notice = Notification.objects.get(recipient=manager, kind="request_received")
    assert request.reference in notice.subject
    # The staff member reads what they recorded; another staff member does not.
    assert RightsRequest.objects.visible_to(staff).filter(pk=request.pk).exists()


def test_staff_may_not_assign_the_case_and_only_the_office_moves_it(staff, manager, other_staff):
    with pytest.raises(FieldsNotWritable) as refused:
        receive(staff, handler=manager)
    assert set(refused.value.fields) == {"handler"}
    with at(RECEIVED):
        request = receive(staff)
        assert not RightsRequest.objects.visible_to(other_staff).filter(pk=request.pk).exists()
        with pytest.raises(NotPermitted):
            transition_record(request, "check_identity", by=staff)
        transition_record(request, "check_identity", by=manager)


def test_the_company_target_decides_the_due_date_at_receipt(staff, manager):
    company = manager.profile.department.company
    company.request_target_days = 10
    company.save()
    with at(RECEIVED):
        request = receive(staff)
    assert request.target_days == 10
    assert request.due_on == RECEIVED + dt.timedelta(days=10)


def test_identity_must_be_confirmed_and_a_representative_shows_authority(manager):
    with at(RECEIVED):
        request = receive(manager, requester_type=RequesterType.LEGAL_REPRESENTATIVE, requester_name="佐藤 一郎",
                          subject_name="佐藤 翔太（15歳）")
        request = transition_record(request, "check_identity", by=manager,
                                    changes={"identity_method": IdentityMethod.ID_COPY})
        with pytest.raises(ConditionsNotMet) as refused:
            transition_record(request, "confirm_identity", by=manager, changes={
                "identity_method": IdentityMethod.ID_COPY, "identity_result": IdentityResult.CONFIRMED,
                "identity_checked_on": RECEIVED})
        assert "代理権" in str(refused.value.problems)
        request = case_services.request_update(request=request, by=manager, version=request.version,
                                               authority_evidence="戸籍謄本（親子関係）")
        request = confirmed(request, manager)
    assert request.state == RequestState.IN_PROGRESS


def test_a_representative_names_the_person(manager):
    with pytest.raises(ValidationError) as error:
        receive(manager, requester_type=RequesterType.AGENT)
    assert "subject_name" in error.value.message_dict


def test_the_fee_is_refused_for_requests_that_allow_none(manager):
    with at(RECEIVED):
        request = receive(manager, kinds=[RequestKind.CORRECTION, RequestKind.STOP_USE])
        with pytest.raises(ValidationError) as error:
            case_services.request_update(request=request, by=manager, version=request.version, fee_amount=1000)
        assert "法第38条" in str(error.value.message_dict["fee_amount"])
        assert RightsRequest.objects.get(pk=request.pk).fee_amount == 0
        disclosure = receive(manager)
        disclosure = case_services.request_update(request=disclosure, by=manager, version=disclosure.version,
                                                  fee_amount=1000)
    assert disclosure.fee_amount == 1000


def test_an_answer_needs_every_item_decided_and_explained(manager):
    with at(RECEIVED):
        request = confirmed(receive(manager, kinds=[RequestKind.DISCLOSURE, RequestKind.CORRECTION]), manager)
        with pytest.raises(ConditionsNotMet):
            transition_record(request, "answer", by=manager, changes={"method_used": AnswerMethod.PAPER,
                                                                      "sent_on": RECEIVED})
        disclosure, correction = request.items.order_by("id")
        case_services.request_item_update(item=disclosure, by=manager, version=disclosure.version,
                                          decision=Decision.FULL)
        with pytest.raises(ValidationError) as error:
            case_services.request_item_update(item=correction, by=manager, version=correction.version,
                                              decision=Decision.REFUSED)
        assert {"ground", "reason"} <= set(error.value.message_dict)
        case_services.request_item_update(item=correction, by=manager, version=correction.version,
                                          decision=Decision.REFUSED, ground=ExceptionGround.NOT_INCORRECT,
                                          reason="登録内容は事実と相違しないため")
        request = transition_record(RightsRequest.objects.get(pk=request.pk), "answer", by=manager, changes={
            "method_used": AnswerMethod.PAPER, "sent_on": RECEIVED})
    assert request.state == RequestState.ANSWERED


def test_a_deletion_may_be_answered_by_stopping_use_with_a_reason(manager):
    with at(RECEIVED):
        request = confirmed(receive(manager, kinds=[RequestKind.CORRECTION]), manager)
        item = request.items.get()
        item = case_services.request_item_update(
            item=item, by=manager, version=item.version, decision=Decision.ALTERNATIVE, ground=ExceptionGround.COST,
            reason="バックアップからの削除が困難なため、利用を停止しました")
        disclosure = confirmed(receive(manager), manager).items.get()
        with pytest.raises(ValidationError):
            case_services.request_item_update(item=disclosure, by=manager, version=disclosure.version,
                                              decision=Decision.ALTERNATIVE, ground=ExceptionGround.COST, reason="x")
    assert item.decision == Decision.ALTERNATIVE


def test_paper_answer_to_an_electronic_request_needs_the_reason(manager):
    with at(RECEIVED):
        request = decide(confirmed(receive(manager, method_requested=AnswerMethod.ELECTRONIC), manager), manager)
        with pytest.raises(ConditionsNotMet) as refused:
            transition_record(request, "answer", by=manager, changes={"method_used": AnswerMethod.PAPER,
                                                                      "sent_on": RECEIVED})
        assert "法第33条第1項" in str(refused.value.problems)
        request = transition_record(request, "answer", by=manager, changes={
            "method_used": AnswerMethod.PAPER, "sent_on": RECEIVED, "paper_reason": "対象データが紙の申込書のみのため"})
    assert request.state == RequestState.ANSWERED


def test_an_electronic_answer_carries_the_disclosed_data(manager):
    with at(RECEIVED):
        request = decide(confirmed(receive(manager, method_requested=AnswerMethod.ELECTRONIC), manager), manager)
        changes = {"method_used": AnswerMethod.ELECTRONIC, "sent_on": RECEIVED}
        with pytest.raises(ConditionsNotMet) as refused:
            transition_record(request, "answer", by=manager, changes=changes)
        assert "開示したデータ" in str(refused.value.problems)
        attachments.attachment_add(record=request, by=manager, purpose=EvidencePurpose.DISCLOSED_DATA,
                                   file=SimpleUploadedFile("disclosure.csv", "氏名,住所\n山田,東京\n".encode()))
        request = transition_record(RightsRequest.objects.get(pk=request.pk), "answer", by=manager, changes=changes)
    assert request.state == RequestState.ANSWERED


def test_a_pause_moves_the_due_date_and_stays_on_record(manager):
    with at(RECEIVED):
        request = receive(manager)
    with at(RECEIVED + dt.timedelta(days=3)):
        request = case_services.request_pause(request=request, by=manager, version=request.version,
                                              reason="本人確認書類の再送を依頼")
        assert request.paused_since == RECEIVED + dt.timedelta(days=3)
    with at(RECEIVED + dt.timedelta(days=20)):
        # Still waiting: not overdue although the original due date has passed.
        assert not RightsRequest.objects.overdue().exists()
        assert request.effective_due_on() == RECEIVED + dt.timedelta(days=14 + 17)
    with at(RECEIVED + dt.timedelta(days=13)):
        request = case_services.request_resume(request=RightsRequest.objects.get(pk=request.pk), by=manager,
                                               version=request.version)
    assert request.paused_days == 10
    assert request.due_on == RECEIVED + dt.timedelta(days=24)
    assert request.lawsuit_mark_on == RECEIVED + dt.timedelta(days=14)  # art. 39 never moves
    pause = request.pauses.get()
    assert (pause.started_on, pause.ended_on, pause.days) == (RECEIVED + dt.timedelta(days=3),
                                                              RECEIVED + dt.timedelta(days=13), 10)
    with at(RECEIVED + dt.timedelta(days=25)):
        assert list(RightsRequest.objects.overdue()) == [request]
        assert RightsRequest.objects.get(pk=request.pk).overdue


def test_a_stale_pause_is_refused(manager, office):
    with at(RECEIVED):
        request = receive(manager)
        case_services.request_update(request=request, by=office, version=request.version, data_searched="顧客DB")
        with pytest.raises(StaleEdit):
            case_services.request_pause(request=request, by=manager, version=request.version, reason="手数料")


def test_a_late_answer_asks_for_the_consequence_to_be_confirmed(manager):
    with at(RECEIVED):
        request = decide(confirmed(receive(manager), manager), manager)
    late = RECEIVED + dt.timedelta(days=20)
    with at(late):
        with pytest.raises(ConditionsNotMet) as refused:
            transition_record(request, "answer", by=manager, changes={"method_used": AnswerMethod.PAPER,
                                                                      "sent_on": late})
        assert "事故等" in str(refused.value.problems)
        request = transition_record(request, "answer", by=manager, changes={
            "method_used": AnswerMethod.PAPER, "sent_on": late, "late_reason": "担当者不在のため",
            "consequence_acknowledged": True})
    assert request.answered_late


def test_refusal_needs_reasons_and_the_confirmation_then_a_wrongful_one_raises_a_kind_8_incident(manager, sales):
    with at(RECEIVED):
        request = confirmed(receive(manager, department=sales), manager)
        request = decide(request, manager, decision=Decision.REFUSED, ground=ExceptionGround.BUSINESS,
                         reason="業務の適正な実施に著しい支障を及ぼすおそれがあるため")
        with pytest.raises(ConditionsNotMet) as refused:
            transition_record(request, "refuse", by=manager, comment="全部不開示", changes={"sent_on": RECEIVED})
        assert "⑧ 開示等の求め等の拒否" in str(refused.value.problems)
        with pytest.raises(RecordClosed):  # still open: nothing to judge yet
            case_services.request_raise_refusal_incident(request=request, by=manager, explanation="x")
        request = transition_record(request, "refuse", by=manager, comment="全部不開示",
                                    changes={"sent_on": RECEIVED, "consequence_acknowledged": True})
        assert request.state == RequestState.REFUSED
    with at(RECEIVED + dt.timedelta(days=30)):
        incident = case_services.request_raise_refusal_incident(
            request=request, by=manager, explanation="開示の例外に当たらないことが判明した")
        assert incident.kind == IncidentKind.VIOLATION
        assert incident.pmark_event == PMarkEvent.REQUEST_REFUSAL
        assert request.reference in incident.description
        assert RightsRequest.objects.get(pk=request.pk).incident == incident
        with pytest.raises(RecordClosed):
            case_services.request_raise_refusal_incident(request=RightsRequest.objects.get(pk=request.pk),
                                                         by=manager, explanation="again")


def test_identity_that_cannot_be_confirmed_is_a_refusal(manager):
    with at(RECEIVED):
        request = transition_record(receive(manager), "check_identity", by=manager,
                                    changes={"identity_method": IdentityMethod.REGISTERED_DETAILS})
        request = case_services.request_update(request=request, by=manager, version=request.version,
                                               identity_result=IdentityResult.FAILED)
        request = transition_record(request, "refuse", by=manager, comment="登録情報と一致しない",
                                    changes={"sent_on": RECEIVED, "consequence_acknowledged": True})
    assert request.state == RequestState.REFUSED


def test_withdraw_and_close(manager):
    with at(RECEIVED):
        request = receive(manager)
        with pytest.raises(ConditionsNotMet):
            transition_record(request, "withdraw", by=manager)
        request = transition_record(request, "withdraw", by=manager, comment="本人から取下げの連絡")
        request = transition_record(request, "close", by=manager)
    assert request.state == RequestState.CLOSED
    assert request.closed_at is not None


def test_identity_copies_are_deleted_after_the_retention_period(manager, django_capture_on_commit_callbacks):
    with at(RECEIVED):
        request = receive(manager)
        copy = attachments.attachment_add(record=request, by=manager, purpose=EvidencePurpose.IDENTITY,
                                          file=SimpleUploadedFile("license.png", PNG))
        kept = attachments.attachment_add(record=request, by=manager, purpose=EvidencePurpose.REQUEST_DOCUMENT,
                                          file=SimpleUploadedFile("form.png", PNG))
        stored = copy.file.name
        request = transition_record(request, "withdraw", by=manager, comment="取下げ")
        request = transition_record(request, "close", by=manager)
    with at(RECEIVED + dt.timedelta(days=29)):
        assert case_services.purge_identity_documents() == 0
    with at(RECEIVED + dt.timedelta(days=31)), django_capture_on_commit_callbacks(execute=True):
        assert case_services.purge_identity_documents() == 1
        assert case_services.purge_identity_documents() == 0  # safe to run twice
    request.refresh_from_db()
    assert request.identity_documents_deleted_at is not None
    assert not copy.file.storage.exists(stored)
    assert list(attachments.attachments_of(request)) == [kept]
    # The deletion is on the trail: the attachment's history keeps that it existed and went.
    assert copy.history.model.objects.filter(id=copy.pk, history_type="-").exists()
    assert request.history.filter(identity_documents_deleted_at__isnull=False).exists()


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c6360000000020001e221bc330000000049454e44ae426082"
)


def test_fsm_state_is_not_writable_directly(manager):
    with at(RECEIVED):
        request = receive(manager)
    with pytest.raises(FieldsNotWritable) as refused:
        case_services.request_update(request=request, by=manager, version=request.version, state="closed")
    assert set(refused.value.fields) == {"state"}
    assert RightsRequest.objects.get(pk=request.pk).state == RequestState.RECEIVED


def test_an_attached_family_register_shows_a_parents_authority(manager):
    with at(RECEIVED):
        request = receive(manager, requester_type=RequesterType.LEGAL_REPRESENTATIVE, requester_name="佐藤 由美",
                          subject_name="佐藤 陽太（15歳）")
        attachments.attachment_add(record=request, by=manager, purpose=EvidencePurpose.AUTHORITY,
                                   file=SimpleUploadedFile("koseki.txt", "戸籍謄本（写し）".encode()))
        request = confirmed(RightsRequest.objects.get(pk=request.pk), manager)
    assert request.state == RequestState.IN_PROGRESS
    assert request.authority_evidence == ""


def test_closing_a_paused_request_ends_its_pause_on_the_trail(manager):
    with at(RECEIVED):
        request = receive(manager)
        request = case_services.request_pause(request=request, by=manager, version=request.version,
                                              reason="本人確認書類の送付待ち")
        request = transition_record(request, "withdraw", by=manager, comment="本人から取下げの連絡")
    with at(RECEIVED + dt.timedelta(days=5)):
        request = transition_record(request, "close", by=manager)
    pause = request.pauses.get()
    assert (pause.ended_on, pause.days, request.paused_days, request.paused_since) == (
        RECEIVED + dt.timedelta(days=5), 5, 5, None)
    ended = pause.history.filter(ended_on__isnull=False).get()
    assert ended.history_user == manager
