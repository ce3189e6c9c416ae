"""The incident state machine: every transition with its conditions and roles."""

import pytest

from incidents import services
from incidents.exceptions import ConcurrentChange, ConditionsNotMet, NotPermitted, TransitionNotAvailable
from incidents.models import ActionKind, CauseCategory, IncidentKind
from incidents.selectors import trail
from tests.incidents.factories import (
    ActionFactory,
    IncidentFactory,
    UserFactory,
    file_pending_tracks,
    reported_incident,
)
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db


def step(incident, name, user, comment="", **changes):
    return services.transition_record(incident, name, by=user, comment=comment, changes=changes)


def cause():
    return CauseCategory.objects.get(code="insufficient_checking")


@pytest.fixture
def analysed(staff, manager):
    incident = reported_incident(staff)
    incident = step(incident, "triage", manager, severity="L2")
    incident = step(incident, "contain", manager, containment_summary="誤送信先に削除を依頼し、削除を確認した。")
    return step(incident, "analyse", manager, root_cause="宛先の確認手順がなかった。", cause=cause())


def add_action(incident, owner, verifier, kind=ActionKind.CORRECTIVE):
    return ActionFactory(incident=incident, department=incident.department, owner=owner, verifier=verifier,
                         created_by=owner, kind=kind)


def implement(action, owner):
    action = step(action, "start", owner)
    return step(action, "implement", owner, implementation_note="手順書を改訂し、全員に周知した。")


def test_it_walks_from_report_to_close(analysed, manager, office, head, auditor):
    corrective = add_action(analysed, owner=manager, verifier=head)
    preventive = add_action(analysed, owner=head, verifier=auditor, kind=ActionKind.PREVENTIVE)
    incident = step(analysed, "plan_actions", manager)
    implement(corrective, manager)
    implement(preventive, head)
    incident = step(incident, "verify", manager)
    corrective.refresh_from_db()
    preventive.refresh_from_db()
    step(corrective, "verify_effective", head, effectiveness_note="3か月間、誤送信なし。")
    step(preventive, "verify_effective", auditor, effectiveness_note="他部署にも展開済み。")
    file_pending_tracks(incident, manager)
    incident = step(incident, "close", office, comment="有効性を確認した。")

    incident.refresh_from_db()
    assert incident.state == "closed"
    assert incident.closed_at is not None
    assert [(e.transition, e.source_state, e.state) for e in trail(incident)] == [
        ("report", None, "reported"),
        ("update_tracks", "reported", "reported"),  # the PrivacyMark 確報 is owed
        ("triage", "reported", "triaged"),
        ("contain", "triaged", "contained"),
        ("analyse", "contained", "analysed"),
        ("plan_actions", "analysed", "correcting"),
        ("verify", "correcting", "verifying"),
        ("close", "verifying", "closed"),
    ]
    closing = trail(incident).last()
    assert (closing.by, closing.description) == (office, "有効性を確認した。")


@pytest.mark.parametrize("name", ["triage", "dismiss"])
def test_staff_cannot_run_the_response(staff, name):
    incident = reported_incident(staff)
    with pytest.raises(NotPermitted):
        step(incident, name, staff)
    incident.refresh_from_db()
    assert incident.state == "reported"


@pytest.mark.parametrize("role", ["department_head", "auditor", "audit_lead", "executive"])
def test_only_the_pms_office_triages(staff, role):
    incident = reported_incident(staff)
    with pytest.raises(NotPermitted):
        step(incident, "triage", UserFactory(roles=[role]), severity="L1")


def test_triage_needs_a_severity(staff, manager):
    incident = reported_incident(staff)
    with pytest.raises(ConditionsNotMet) as error:
        step(incident, "triage", manager)
    # Japanese is the default language, and the refusal says what is missing in it.
    assert error.value.problems == ["重大度（L0～L4）を設定してください。"]


def test_contain_needs_a_containment_summary(staff, manager):
    incident = step(reported_incident(staff), "triage", manager, severity="L1")
    with pytest.raises(ConditionsNotMet):
        step(incident, "contain", manager, containment_summary="   ")
    assert step(incident, "contain", manager, containment_summary="回収済み").state == "contained"


def test_analyse_needs_root_cause_and_cause_category(staff, manager):
    incident = step(reported_incident(staff), "triage", manager, severity="L1")
    incident = step(incident, "contain", manager, containment_summary="回収済み")
    with pytest.raises(ConditionsNotMet) as error:
        step(incident, "analyse", manager)
    assert error.value.problems == ["根本原因を記入してください。", "原因分類を選択してください。"]
    with pytest.raises(ConditionsNotMet):
        step(incident, "analyse", manager, root_cause="確認不足")
    assert step(incident, "analyse", manager, root_cause="確認不足", cause=cause()).state == "analysed"


def test_correcting_needs_a_corrective_action(analysed, manager, head):
    with pytest.raises(ConditionsNotMet):
        step(analysed, "plan_actions", manager)
    add_action(analysed, owner=head, verifier=manager, kind=ActionKind.PREVENTIVE)
    with pytest.raises(ConditionsNotMet):
        step(analysed, "plan_actions", manager)
    cancelled = add_action(analysed, owner=head, verifier=manager)
    step(cancelled, "cancel", manager, cancel_reason="重複")
    with pytest.raises(ConditionsNotMet):
        step(analysed, "plan_actions", manager)
    add_action(analysed, owner=head, verifier=manager)
    assert step(analysed, "plan_actions", manager).state == "correcting"


def test_a_near_miss_needs_no_corrective_action(staff, manager, office):
    incident = reported_incident(staff, kind=IncidentKind.NEAR_MISS)
    incident = step(incident, "triage", manager, severity="L0")
    incident = step(incident, "contain", manager, containment_summary="送信前に気づいた")
    incident = step(incident, "analyse", manager, root_cause="宛先の自動補完", cause=cause())
    incident = step(incident, "plan_actions", manager)
    incident = step(incident, "verify", manager)
    assert step(incident, "close", office).state == "closed"


def test_verifying_needs_every_action_implemented(analysed, manager, head):
    action = add_action(analysed, owner=head, verifier=manager)
    incident = step(analysed, "plan_actions", manager)
    with pytest.raises(ConditionsNotMet) as error:
        step(incident, "verify", manager)
    assert action.reference in error.value.problems[0]
    implement(action, head)
    assert step(incident, "verify", manager).state == "verifying"


def test_close_needs_every_action_effective(analysed, manager, office, head):
    action = add_action(analysed, owner=head, verifier=manager)
    incident = step(analysed, "plan_actions", manager)
    implement(action, head)
    incident = step(incident, "verify", manager)
    with pytest.raises(ConditionsNotMet) as error:
        step(incident, "close", office)
    assert action.reference in error.value.problems[0]


def test_the_closing_verification_is_not_done_by_an_implementer(analysed, manager, office, head):
    action = add_action(analysed, owner=manager, verifier=head)
    incident = step(analysed, "plan_actions", manager)
    implement(action, manager)
    incident = step(incident, "verify", manager)
    action.refresh_from_db()
    step(action, "verify_effective", head, effectiveness_note="効果あり")
    file_pending_tracks(incident, manager)
    with pytest.raises(NotPermitted) as error:
        step(incident, "close", manager)
    assert "処置を実施していない人" in str(error.value.message)
    assert step(incident, "close", office).state == "closed"


def test_someone_who_implemented_for_the_owner_cannot_close(analysed, manager, office, head):
    action = add_action(analysed, owner=head, verifier=manager)
    incident = step(analysed, "plan_actions", manager)
    step(action, "start", office)
    action.refresh_from_db()
    step(action, "implement", office, implementation_note="代理で実施")
    incident = step(incident, "verify", manager)
    action.refresh_from_db()
    step(action, "verify_effective", manager, effectiveness_note="効果あり")
    file_pending_tracks(incident, manager)
    with pytest.raises(NotPermitted):
        step(incident, "close", office)
    assert step(incident, "close", manager).state == "closed"


@pytest.mark.parametrize("state", ["reported", "triaged"])
def test_dismiss_needs_a_reason_and_an_early_state(staff, manager, state):
    incident = IncidentFactory(reporter=staff, state=state, severity="L1")
    with pytest.raises(ConditionsNotMet):
        step(incident, "dismiss", manager)
    dismissed = step(incident, "dismiss", manager, dismissal_reason="重複報告（INC-2026-0001と同一）")
    assert dismissed.state == "dismissed"
    assert dismissed.closed_at is not None


@pytest.mark.parametrize("state", ["contained", "analysed", "correcting", "verifying", "closed", "dismissed"])
def test_dismiss_is_not_available_later(staff, manager, state):
    incident = IncidentFactory(reporter=staff, state=state)
    with pytest.raises(TransitionNotAvailable):
        step(incident, "dismiss", manager, dismissal_reason="x")


def test_reopen_needs_a_comment_and_goes_back_to_correcting(staff, manager):
    incident = IncidentFactory(reporter=staff, state="closed")
    with pytest.raises(ConditionsNotMet):
        step(incident, "reopen", manager)
    with pytest.raises(NotPermitted):
        step(incident, "reopen", staff, comment="再発")
    reopened = step(incident, "reopen", manager, comment="同種の誤送信が再発した。")
    assert (reopened.state, reopened.closed_at) == ("correcting", None)


@pytest.mark.parametrize(
    ("state", "name"),
    [("reported", "contain"), ("triaged", "analyse"), ("closed", "close"), ("dismissed", "reopen")],
)
def test_transitions_out_of_order_are_not_available(staff, manager, state, name):
    incident = IncidentFactory(reporter=staff, state=state)
    with pytest.raises(TransitionNotAvailable):
        step(incident, name, manager)


def test_two_stale_copies_exactly_one_wins(staff, manager, office):
    incident = reported_incident(staff)
    first = type(incident).objects.get(pk=incident.pk)
    second = type(incident).objects.get(pk=incident.pk)
    step(first, "triage", manager, severity="L1")
    with pytest.raises(ConcurrentChange):
        step(second, "triage", office, severity="L3")
    incident.refresh_from_db()
    assert (incident.state, incident.severity) == ("triaged", "L1")
    assert StateLog.objects.filter(object_id=incident.pk, transition="triage").count() == 1


def test_a_refused_transition_saves_none_of_its_fields(staff, manager):
    incident = step(reported_incident(staff), "triage", manager, severity="L1")
    with pytest.raises(NotPermitted):
        step(incident, "contain", staff, containment_summary="書き換え")
    incident.refresh_from_db()
    assert (incident.state, incident.containment_summary) == ("triaged", "")


def test_state_cannot_be_written_directly(staff):
    incident = reported_incident(staff)
    with pytest.raises(AttributeError):
        incident.state = "closed"


def test_transitions_for_lists_what_the_user_may_take(staff, manager):
    incident = reported_incident(staff)
    assert [o.name for o in services.transitions_for(incident, staff)] == []
    assert [o.name for o in services.transitions_for(incident, manager)] == ["triage", "dismiss"]


def test_the_trail_entry_and_the_state_commit_together(staff, manager, monkeypatch):
    incident = reported_incident(staff)
    before = StateLog.objects.count()

    def failing_save(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(type(incident), "save", failing_save)
    with pytest.raises(RuntimeError):
        step(incident, "triage", manager, severity="L1")
    monkeypatch.undo()
    incident.refresh_from_db()
    assert (incident.state, incident.severity) == ("reported", "")
    assert StateLog.objects.count() == before


def test_dismiss_needs_its_open_actions_cancelled(staff, manager, head):
    incident = step(reported_incident(staff), "triage", manager, severity="L1")
    action = add_action(incident, owner=head, verifier=manager)
    with pytest.raises(ConditionsNotMet) as error:
        step(incident, "dismiss", manager, dismissal_reason="誤報")
    assert action.reference in error.value.problems[0]
    step(action, "cancel", manager, cancel_reason="誤報のため")
    assert step(incident, "dismiss", manager, dismissal_reason="誤報").state == "dismissed"
