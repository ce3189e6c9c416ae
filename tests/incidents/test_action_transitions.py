"""The action (CAPA) state machine, its roles and the separation of owner and verifier."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from incidents import services
from incidents.exceptions import ConditionsNotMet, NotPermitted, RecordClosed, TransitionNotAvailable
from incidents.models import ActionKind
from tests.incidents.factories import ActionFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def step(action, name, user, comment="", **changes):
    return services.transition_record(action, name, by=user, comment=comment, changes=changes)


@pytest.fixture
def action(head, manager):
    return ActionFactory(owner=head, verifier=manager, created_by=manager)


def test_owner_starts_and_implements(action, head):
    action = step(action, "start", head)
    with pytest.raises(ConditionsNotMet):
        step(action, "implement", head)
    action = step(action, "implement", head, implementation_note="鍵付きキャビネットを導入")
    assert action.state == "implemented"
    assert action.implemented_at is not None


def test_someone_else_cannot_work_the_action(action, staff):
    with pytest.raises(NotPermitted):
        step(action, "start", staff)


def test_the_pms_manager_may_start_for_the_owner(action, office):
    assert step(action, "start", office).state == "in_progress"


def test_only_the_verifier_checks_effectiveness(action, head, manager, office):
    action = step(step(action, "start", head), "implement", head, implementation_note="実施")
    for outsider in (head, office):
        with pytest.raises(NotPermitted):
            step(action, "verify_effective", outsider, effectiveness_note="有効")
    with pytest.raises(ConditionsNotMet):
        step(action, "verify_effective", manager)
    action = step(action, "verify_effective", manager, effectiveness_note="監査で運用を確認")
    assert action.state == "effective"
    assert action.verified_at is not None


def test_a_verifier_who_implemented_cannot_verify(action, head, manager):
    step(action, "start", manager)
    action.refresh_from_db()
    action = step(action, "implement", manager, implementation_note="代理で実施")
    with pytest.raises(NotPermitted):
        step(action, "verify_effective", manager, effectiveness_note="有効")


def test_an_ineffective_action_goes_back_to_work(action, head, manager):
    action = step(step(action, "start", head), "implement", head, implementation_note="実施")
    action = step(action, "verify_ineffective", manager, effectiveness_note="翌月も同じ誤りが発生")
    assert (action.state, action.implemented_at) == ("in_progress", None)
    action = step(action, "implement", head, implementation_note="二重確認を追加")
    assert action.state == "implemented"


@pytest.mark.parametrize("start", [False, True])
def test_cancel_needs_a_reason_and_the_pms_manager(action, head, manager, start):
    if start:
        action = step(action, "start", head)
    with pytest.raises(NotPermitted):
        step(action, "cancel", head, cancel_reason="不要")
    with pytest.raises(ConditionsNotMet):
        step(action, "cancel", manager)
    assert step(action, "cancel", manager, cancel_reason="別の処置に統合").state == "cancelled"


@pytest.mark.parametrize("state", ["implemented", "effective", "cancelled"])
def test_cancel_is_not_available_late(head, manager, state):
    action = ActionFactory(owner=head, verifier=manager, state=state)
    with pytest.raises(TransitionNotAvailable):
        step(action, "cancel", manager, cancel_reason="x")


def test_the_verifier_is_never_the_owner(head, manager, sales):
    with pytest.raises(ValidationError) as error:
        services.action_create(
            by=manager, kind=ActionKind.CORRECTIVE, title="x", department=sales, owner=head, verifier=head,
            due_date="2026-12-31",
        )
    assert "verifier" in error.value.message_dict


def test_the_database_refuses_owner_as_verifier(head):
    with pytest.raises(IntegrityError):
        ActionFactory(owner=head, verifier=head)


def test_action_create_numbers_and_logs(manager, head, sales, staff):
    incident = IncidentFactory(reporter=staff, department=sales, state="analysed")
    action = services.action_create(
        by=manager, kind=ActionKind.CORRECTIVE, title="宛先確認の二重化", department=sales, owner=head,
        verifier=manager, due_date="2026-12-31", incident=incident,
    )
    assert action.reference.startswith("ACT-")
    assert action.state == "planned"
    assert list(incident.actions.all()) == [action]


def test_staff_cannot_plan_actions(staff, head, manager, sales):
    with pytest.raises(NotPermitted):
        services.action_create(
            by=staff, kind=ActionKind.CORRECTIVE, title="x", department=sales, owner=head, verifier=manager,
            due_date="2026-12-31",
        )


def test_a_department_head_plans_actions_for_their_department_only(head, manager, sales, it_dept):
    common = {"kind": ActionKind.PREVENTIVE, "title": "x", "owner": head, "verifier": manager,
              "due_date": "2026-12-31"}
    assert services.action_create(by=head, department=sales, **common).pk
    with pytest.raises(NotPermitted):
        services.action_create(by=head, department=it_dept, **common)


def test_no_actions_on_a_closed_incident(manager, head, sales, staff):
    incident = IncidentFactory(reporter=staff, department=sales, state="closed")
    with pytest.raises(RecordClosed):
        services.action_create(
            by=manager, kind=ActionKind.CORRECTIVE, title="x", department=sales, owner=head, verifier=manager,
            due_date="2026-12-31", incident=incident,
        )


def test_closed_actions_cannot_be_edited(head, manager):
    action = ActionFactory(owner=head, verifier=manager, state="effective")
    with pytest.raises(RecordClosed):
        action = services.action_update(action=action, version=action.version, by=manager, title="変更")


def test_a_role_without_duties_cannot_edit_actions(head, manager):
    action = ActionFactory(owner=head, verifier=manager)
    with pytest.raises(NotPermitted):
        action = services.action_update(action=action, version=action.version, by=UserFactory(roles=["executive"]), title="変更")


def test_a_head_cannot_move_an_action_out_of_their_department(head, manager, sales, it_dept):
    action = ActionFactory(owner=head, verifier=manager, department=sales)
    with pytest.raises(NotPermitted):
        action = services.action_update(action=action, version=action.version, by=head, department=it_dept)
    action.refresh_from_db()
    assert action.department == sales


def test_an_action_cannot_be_moved_onto_a_dismissed_incident(head, manager, sales, staff):
    action = ActionFactory(owner=head, verifier=manager, department=sales)
    dismissed = IncidentFactory(reporter=staff, department=sales, state="dismissed")
    with pytest.raises(RecordClosed):
        action = services.action_update(action=action, version=action.version, by=manager, incident=dismissed)


def test_a_head_cannot_attach_an_action_to_an_incident_they_cannot_see(head, manager, sales, other_staff, it_dept):
    hidden = IncidentFactory(reporter=other_staff, department=it_dept, state="analysed")
    with pytest.raises(NotPermitted):
        services.action_create(
            by=head, kind=ActionKind.CORRECTIVE, title="x", department=sales, owner=head, verifier=manager,
            due_date="2026-12-31", incident=hidden,
        )
