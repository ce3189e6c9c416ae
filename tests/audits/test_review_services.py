"""The management review's state machine: prepare, submit (snapshot), return, approve (decisions → actions)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
import time_machine

from audits import services
from audits.models import Review, ReviewDecision
from audits.models.review import DecisionKind, ReviewState
from incidents.clocks import JAPAN
from incidents.exceptions import (
    ConcurrentChange,
    ConditionsNotMet,
    NotPermitted,
    RecordClosed,
    TransitionNotAvailable,
)
from incidents.models import Action, ActionKind, ActionState
from incidents.services import transition_record
from tests.incidents.factories import IncidentFactory, UserFactory
from tests.incidents.test_concurrency import race
from trail.models import TrailEntry as StateLog

TODAY = dt.datetime(2026, 11, 24, 10, 0, tzinfo=JAPAN)

TEXTS = {
    "issues_changes": "改正個人情報保護法（2026年7月17日公布、未施行）への対応準備。",
    "interested_parties": "取引先からのセキュリティチェックシートの依頼が増加。",
    "feedback": "苦情 2 件、開示請求 1 件（いずれも期限内に対応）。",
    "risk_status": "リスクアセスメントを 10 月に更新。残留リスクは許容範囲内。",
}


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


def decision(owner, **overrides):
    return {"title": "標的型メール訓練の全社実施", "owner": owner, "due_date": dt.date(2027, 3, 31), **overrides}


def test_a_review_covers_the_current_fiscal_year_by_default(draft, manager):
    assert (draft.reference, draft.period_start, draft.period_end) == (
        "MR-FY2026", dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert draft.state == ReviewState.DRAFT
    assert StateLog.objects.filter(object_id=draft.pk, transition="prepare", by=manager).exists()


def test_a_second_review_of_a_year_gets_its_own_reference(draft, manager):
    assert services.review_create(by=manager).reference == "MR-FY2026-2"
    assert services.review_create(by=manager, period_start=dt.date(2025, 4, 1)).reference == "MR-FY2025"


def test_only_the_pms_manager_prepares_a_review(executive, head):
    for user in (executive, head):
        with pytest.raises(NotPermitted):
            services.review_create(by=user)
    assert not Review.objects.exists()


def test_a_period_that_ends_before_it_starts_is_refused(manager):
    with pytest.raises(Exception) as error:
        services.review_create(by=manager, period_start=dt.date(2026, 4, 1), period_end=dt.date(2026, 3, 1))
    assert "period_end" in error.value.message_dict
    assert not Review.objects.exists()


def test_submitting_needs_the_inputs_only_people_know(manager):
    review = services.review_create(by=manager, issues_changes="法改正なし")

    with pytest.raises(ConditionsNotMet) as error:
        transition_record(review, "submit", by=manager)

    message = " ".join(map(str, error.value.problems))
    assert "利害関係者のニーズ" in message and "フィードバック" in message and "リスクアセスメント" in message
    review.refresh_from_db()
    assert (review.state, review.snapshot) == (ReviewState.DRAFT, None)


def test_submitting_freezes_the_inputs(submitted, manager, sales):
    assert submitted.state == ReviewState.SUBMITTED
    assert (submitted.submitted_by, submitted.submitted_at) == (manager, TODAY)
    assert submitted.snapshot["incidents"]["total"] == 0
    assert submitted.snapshot["texts"]["feedback"] == TEXTS["feedback"]

    IncidentFactory(department=sales, discovered_at=dt.datetime(2026, 6, 1, 9, tzinfo=JAPAN))
    submitted.refresh_from_db()

    assert submitted.inputs()["incidents"]["total"] == 0
    assert submitted.inputs() == submitted.snapshot


def test_a_draft_follows_the_records(draft, sales):
    IncidentFactory(department=sales, discovered_at=dt.datetime(2026, 6, 1, 9, tzinfo=JAPAN))

    assert draft.inputs()["incidents"]["total"] == 1


def test_a_submitted_review_cannot_be_edited(submitted, manager):
    with pytest.raises(RecordClosed):
        services.review_update(review=submitted, version=submitted.version, by=manager, feedback="書き換え")
    submitted.refresh_from_db()
    assert submitted.feedback == TEXTS["feedback"]


def test_top_management_returns_it_with_a_reason_and_it_follows_the_records_again(submitted, executive, manager):
    with pytest.raises(ConditionsNotMet):
        transition_record(submitted, "return_for_revision", by=executive)
    with pytest.raises(NotPermitted):
        transition_record(submitted, "return_for_revision", by=manager, comment="自分で戻す")

    returned = transition_record(submitted, "return_for_revision", by=executive, comment="(f) をより具体的に")

    assert (returned.state, returned.snapshot, returned.submitted_at) == (ReviewState.DRAFT, None, None)
    services.review_update(review=returned, version=returned.version, by=manager, risk_status="委託先 12 社の再評価を完了。")
    assert transition_record(returned, "submit", by=manager).snapshot["texts"]["risk_status"] == "委託先 12 社の再評価を完了。"


def test_approval_turns_each_decision_into_an_improvement_action(submitted, executive, head, manager, sales):
    review = services.review_approve(
        review=submitted, by=executive, conclusion="PMS は引き続き適切、妥当かつ有効である。",
        decisions=[
            decision(head, kind=DecisionKind.IMPROVEMENT, detail="年 2 回、全従業者"),
            decision(manager, title="委託先評価手順の見直し", kind=DecisionKind.SYSTEM_CHANGE,
                     due_date=dt.date(2027, 1, 31), department=sales),
        ],
    )

    assert review.state == ReviewState.APPROVED
    assert (review.approved_by, review.approved_at, review.held_on) == (executive, TODAY, TODAY.date())
    decisions = list(review.decisions.select_related("action"))
    assert [(d.position, d.title) for d in decisions] == [(1, "標的型メール訓練の全社実施"), (2, "委託先評価手順の見直し")]
    first, second = (d.action for d in decisions)
    assert (first.kind, first.state, first.owner, first.verifier, first.department) == (
        ActionKind.IMPROVEMENT, ActionState.PLANNED, head, executive, head.profile.department)
    assert first.description == "年 2 回、全従業者"
    assert (second.owner, second.due_date, second.department) == (manager, dt.date(2027, 1, 31), sales)
    assert StateLog.objects.filter(object_id=review.pk, transition="approve", by=executive).count() == 1
    assert StateLog.objects.filter(object_id__in=[first.pk, second.pk], transition="create").count() == 2


def test_the_snapshot_survives_approval(submitted, executive, head):
    frozen = submitted.snapshot

    review = services.review_approve(review=submitted, by=executive, conclusion="有効", decisions=[decision(head)])

    review.refresh_from_db()
    assert review.snapshot == frozen


def test_approval_needs_a_conclusion_and_a_decision(submitted, executive, head):
    with pytest.raises(ConditionsNotMet) as error:
        services.review_approve(review=submitted, by=executive, conclusion="", decisions=[])

    assert len(error.value.problems) == 2
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED
    assert not ReviewDecision.objects.exists()


def test_each_bad_decision_is_named(submitted, executive, head):
    with pytest.raises(ConditionsNotMet) as error:
        services.review_approve(review=submitted, by=executive, conclusion="有効", decisions=[
            decision(head),
            decision(head, due_date=dt.date(2026, 11, 1)),
            decision(executive, title=" "),
        ])

    problems = [str(p) for p in error.value.problems]
    assert problems == [
        "決定事項 2：期限に過去の日付は指定できません。",
        "決定事項 3：決定した内容を記入してください。",
        "決定事項 3：担当者は自分の処置の有効性を確認できません。別の有効性確認者を指定してください。",
    ]
    assert not Action.objects.exists() and not ReviewDecision.objects.exists()


def test_an_executive_may_own_a_decision_that_someone_else_verifies(submitted, executive, manager):
    review = services.review_approve(review=submitted, by=executive, conclusion="有効",
                                     decisions=[decision(executive, verifier=manager)])

    action = review.decisions.get().action
    assert (action.owner, action.verifier) == (executive, manager)


def test_only_top_management_approves_and_never_the_submitter(submitted, manager, head, it_dept):
    for user in (manager, head):
        with pytest.raises(NotPermitted):
            services.review_approve(review=submitted, by=user, conclusion="有効", decisions=[decision(head)])
    both = UserFactory(roles=["pms_manager", "executive"], department=it_dept)
    review = services.review_create(by=both, **TEXTS)
    review = transition_record(review, "submit", by=both)
    with pytest.raises(NotPermitted) as error:
        services.review_approve(review=review, by=both, conclusion="有効", decisions=[decision(head)])
    assert "提出した人以外" in str(error.value)


def test_a_draft_cannot_be_approved(draft, executive, head):
    with pytest.raises(TransitionNotAvailable):
        services.review_approve(review=draft, by=executive, conclusion="有効", decisions=[decision(head)])


def test_approval_is_all_or_nothing(submitted, executive, head):
    real_insert = services.action_insert
    calls = []

    def fail_on_second(**data):
        calls.append(data)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_insert(**data)

    with mock.patch.object(services, "action_insert", side_effect=fail_on_second), pytest.raises(RuntimeError):
        services.review_approve(review=submitted, by=executive, conclusion="有効",
                                decisions=[decision(head), decision(head, title="台帳の見直し")])

    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED
    assert not ReviewDecision.objects.exists() and not Action.objects.exists()
    assert not StateLog.objects.filter(transition="approve").exists()


def test_the_generic_transition_cannot_approve_without_decisions(submitted, executive):
    with pytest.raises(ConditionsNotMet):
        transition_record(submitted, "approve", by=executive, changes={"conclusion": "有効"})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_executives_approving_at_once_record_one_set_of_decisions(manager, executive, head, it_dept):
    second_executive = UserFactory(roles=["executive"], department=it_dept)
    review = services.review_create(by=manager, **TEXTS)
    transition_record(review, "submit", by=manager)
    copies = [Review.objects.get(pk=review.pk) for _ in range(2)]

    outcomes = race(*[
        (lambda copy=copy, by=by: services.review_approve(review=copy, by=by, conclusion="有効",
                                                          decisions=[decision(head)]))
        for copy, by in zip(copies, (executive, second_executive), strict=True)
    ])

    assert sum(isinstance(o, Review) for o in outcomes) == 1, outcomes
    assert ReviewDecision.objects.filter(review=review).count() == 1
    assert Action.objects.filter(kind=ActionKind.IMPROVEMENT).count() == 1


def test_a_reference_taken_at_the_same_moment_is_a_conflict_not_a_crash(draft, manager):
    # Both requests passed validation before either saved: the database refuses the second.
    with mock.patch.object(services, "_review_reference", return_value=draft.reference), \
            mock.patch.object(Review, "validate_unique"), pytest.raises(ConcurrentChange):
        services.review_create(by=manager)
    assert Review.objects.count() == 1


def test_editing_a_review_submitted_meanwhile_is_a_conflict(draft, manager):
    stale = Review.objects.get(pk=draft.pk)
    transition_record(draft, "submit", by=manager)

    with pytest.raises((ConcurrentChange, RecordClosed)):
        services.review_update(review=stale, version=stale.version, by=manager, feedback="書き換え")

    draft.refresh_from_db()
    assert draft.feedback == TEXTS["feedback"]
