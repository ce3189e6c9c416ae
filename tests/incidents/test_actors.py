"""Who did what is kept in columns, and separation of duties reads them (not the trail).

An action implemented by A, found ineffective by its verifier and implemented again by B
keeps both A and B as its implementers: neither may check it, close its incident or close
its finding; and that still holds after A is renamed or deactivated.
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit, AuditState, Finding, FindingState, Grade, Requirement
from audits.review_inputs import action_figures
from incidents import services
from incidents.exceptions import NotPermitted
from incidents.models import Action, ActionKind, ActionRound, ActionState, RoundOutcome, implementers_of
from incidents.services import next_reference
from tests.incidents.factories import ActionFactory, UserFactory, file_pending_tracks, reported_incident
from trail.chain import verify
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db

ACTION_SOD = "The effectiveness check must be done by someone who did not implement the action."
INCIDENT_SOD = "The closing verification must be done by someone who did not implement the incident's actions."
FINDING_SOD = "The finding must be verified by someone who did not implement its actions."

backfill = importlib.import_module("incidents.migrations.0011_actors_from_the_trail")


def step(record, name, user, comment="", **changes):
    return services.transition_record(record, name, by=user, comment=comment, changes=changes)


def refused(record, name, user, **changes) -> str:
    """The reason `user` may not take `name` on `record` (in English)."""
    from django.utils import translation

    with translation.override("en"), pytest.raises(NotPermitted) as error:
        step(record, name, user, **changes)
    with translation.override("en"):
        return str(error.value.message)


@pytest.fixture
def people(sales, it_dept):
    """A and B implement (PMS office, also internal auditors); V checks; C and D close."""
    def person(username, *roles, first="", last="", department=it_dept):
        return UserFactory(username=username, roles=["staff", *roles], department=department,
                           first_name=first, last_name=last)

    return {
        "owner": person("owner_s", department=sales),
        "a": person("impl_a", "pms_manager", "auditor", first="一郎", last="青木"),
        "b": person("impl_b", "pms_manager", "auditor", first="二郎", last="馬場"),
        "v": person("verif_v", "auditor", first="五郎", last="山田"),
        "c": person("office_c", "pms_manager", first="三郎", last="千葉"),
        "d": person("auditor_d", "auditor", first="四郎", last="土井"),
    }


@pytest.fixture
def worked(people, staff, manager, sales):
    """An action of an incident and of a finding: implemented by A, found ineffective by V,
    implemented again by B, verified effective by V. The incident and the finding are ready
    to close."""
    p = people
    incident = reported_incident(staff)
    incident = step(incident, "triage", manager, severity="L2")
    incident = step(incident, "contain", manager, containment_summary="削除を依頼し確認した。")
    from incidents.models import CauseCategory

    incident = step(incident, "analyse", manager, root_cause="確認手順がなかった。",
                    cause=CauseCategory.objects.get(code="insufficient_checking"))
    action = ActionFactory(incident=incident, department=incident.department, owner=p["owner"], verifier=p["v"],
                           created_by=manager, kind=ActionKind.CORRECTIVE)
    incident = step(incident, "plan_actions", manager)
    action = step(action, "start", p["a"])
    action = step(action, "implement", p["a"], implementation_note="送信前チェックを導入")
    action = step(action, "verify_ineffective", p["v"], effectiveness_note="翌月も誤送信が発生")
    action = step(action, "implement", p["b"], implementation_note="宛先の二重確認を追加")
    incident = step(incident, "verify", manager)
    action = step(action, "verify_effective", p["v"], effectiveness_note="3か月間誤送信なし")
    file_pending_tracks(incident, manager)

    audit = Audit.objects.create(
        reference=next_reference("AUD", 2), title="営業部 内部監査", lead_auditor=p["d"],
        planned_start=timezone.localdate(), planned_end=timezone.localdate(), created_by=p["d"],
        state=AuditState.REPORTED,
    )
    finding = Finding.objects.create(
        reference=next_reference("FND", 4), audit=audit, department=sales, grade=Grade.MINOR,
        requirement=Requirement.objects.filter(standard="jis_q_15001").first(), description="台帳が未更新",
        raised_by=p["d"], cause="手順なし", plan="手順を制定", responded_by=p["owner"],
        state=FindingState.VERIFYING,
    )
    finding.actions.add(action)
    return {"action": action, "incident": incident, "finding": finding}


def fresh(record):
    return type(record).objects.get(pk=record.pk)


def test_every_round_is_kept_with_its_people(worked, people):
    action = fresh(worked["action"])
    rounds = list(action.implementation_rounds())
    assert [(r.number, r.implemented_by, r.implementation_note, r.checked_by, r.check_note, r.outcome)
            for r in rounds] == [
        (1, people["a"], "送信前チェックを導入", people["v"], "翌月も誤送信が発生", RoundOutcome.INEFFECTIVE),
        (2, people["b"], "宛先の二重確認を追加", people["v"], "3か月間誤送信なし", RoundOutcome.EFFECTIVE),
    ]
    assert all(r.implemented_at and r.checked_at and r.implemented_at <= r.checked_at for r in rounds)
    assert rounds[0].checked_at <= rounds[1].implemented_at
    # The action's columns are the round that made it effective.
    assert (action.implemented_by, action.verified_by) == (people["b"], people["v"])
    assert (action.implemented_at, action.verified_at) == (rounds[1].implemented_at, rounds[1].checked_at)


def test_both_implementers_stay_implementers(worked, people):
    ids = {people["a"].pk, people["b"].pk}
    action, incident, finding = (fresh(worked[name]) for name in ("action", "incident", "finding"))
    assert ids | {people["owner"].pk} == action.implementer_ids()
    assert ids <= incident.implementer_ids()
    assert ids <= finding.implementer_ids()
    assert implementers_of([action.pk]) == ids


def test_the_rules_read_the_columns_not_the_trail(worked):
    action, incident, finding = (fresh(worked[name]) for name in ("action", "incident", "finding"))
    with CaptureQueriesContext(connection) as queries:
        action.implementer_ids(), incident.implementer_ids(), finding.implementer_ids()
    assert not [q["sql"] for q in queries if "trail_trailentry" in q["sql"]]


def test_neither_implementer_may_close_the_incident_or_the_finding(worked, people):
    incident, finding = fresh(worked["incident"]), fresh(worked["finding"])
    for implementer in (people["a"], people["b"]):
        assert refused(incident, "close", implementer) == INCIDENT_SOD
        assert refused(finding, "close", implementer) == FINDING_SOD
    assert step(incident, "close", people["c"]).state == "closed"
    assert step(finding, "close", people["d"]).state == "closed"


def test_the_implementer_of_an_earlier_round_may_not_check_a_later_one(people, manager):
    """Who implemented round 1 and is then named verifier may not check round 2 (implemented by B)."""
    p = people
    action = ActionFactory(owner=p["owner"], verifier=p["v"], created_by=manager)
    action = step(step(action, "start", p["a"]), "implement", p["a"], implementation_note="一回目")
    action = step(action, "verify_ineffective", p["v"], effectiveness_note="効果なし")
    action = services.action_update(action=action, by=manager, version=action.version, verifier=p["a"])
    action = step(action, "implement", p["b"], implementation_note="二回目")
    assert action.implemented_by == p["b"]  # the round under way: B's
    assert refused(action, "verify_effective", p["a"], effectiveness_note="有効") == ACTION_SOD
    action = services.action_update(action=fresh(action), by=manager, version=fresh(action).version,
                                    verifier=p["d"])
    assert step(action, "verify_effective", p["d"], effectiveness_note="有効").state == "effective"


@pytest.mark.parametrize("change", ["renamed", "deactivated"])
def test_the_rules_hold_whatever_becomes_of_the_implementer(worked, people, change):
    a = people["a"]
    if change == "renamed":
        a.username, a.first_name, a.last_name = "aoki_ichiro_renamed", "Ichiro", "Aoki-Sato"
        a.save()
    else:
        a.is_active = False
        a.save()
    action, incident, finding = (fresh(worked[name]) for name in ("action", "incident", "finding"))
    for record in (action, incident, finding):
        assert a.pk in record.implementer_ids()
    assert action.implemented_by_id == people["b"].pk
    assert fresh(action).rounds.get(number=1).implemented_by_id == a.pk
    if change == "deactivated":
        # A deactivated user holds no role at all; back at work, they are still an implementer.
        assert refused(incident, "close", a) != INCIDENT_SOD
        a.is_active = True
        a.save()
        a = type(a).objects.get(pk=a.pk)
    assert refused(incident, "close", a) == INCIDENT_SOD
    assert refused(finding, "close", a) == FINDING_SOD
    # ... and so is the other implementer, whatever became of A.
    assert refused(incident, "close", people["b"]) == INCIDENT_SOD


def test_the_api_shows_the_columns_and_the_rounds(worked, people, api_as, manager):
    action = worked["action"]
    body = api_as(manager).get(f"/api/actions/{action.pk}/").json()
    assert body["implemented_by"]["username"] == "impl_b"
    assert body["verified_by"] == {"id": people["v"].pk, "username": "verif_v", "name": "山田 五郎"}
    assert [(r["number"], r["implemented_by"]["username"], r["checked_by"]["username"], r["outcome"])
            for r in body["rounds"]] == [(1, "impl_a", "verif_v", "ineffective"), (2, "impl_b", "verif_v", "effective")]
    assert body["rounds"][0]["implementation_note"] == "送信前チェックを導入"
    assert body["rounds"][0]["check_note"] == "翌月も誤送信が発生"
    listed = api_as(manager).get("/api/actions/", {"page_size": 100}).json()["results"]
    assert [row["rounds"] for row in listed if row["id"] == action.pk] == [body["rounds"]]


def test_a_pending_round_and_an_action_without_one(people, manager, api_as):
    action = ActionFactory(owner=people["owner"], verifier=people["v"], created_by=manager)
    body = api_as(manager).get(f"/api/actions/{action.pk}/").json()
    assert (body["implemented_by"], body["verified_by"], body["rounds"]) == (None, None, [])
    action = step(step(action, "start", people["owner"]), "implement", people["owner"], implementation_note="実施")
    (pending,) = api_as(manager).get(f"/api/actions/{action.pk}/").json()["rounds"]
    assert (pending["implemented_by"]["username"], pending["checked_by"], pending["outcome"]) == (
        "owner_s", None, None)


@pytest.mark.parametrize("field", ["implemented_by", "verified_by", "rounds"])
def test_the_columns_are_read_only(worked, api_as, manager, field):
    action = fresh(worked["action"])
    response = api_as(manager).patch(f"/api/actions/{action.pk}/", {"version": action.version, field: None},
                                     format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert fresh(action).version == action.version


def test_the_list_takes_the_same_queries_with_more_rounds(people, manager, api_as):
    def make(count):
        for _ in range(count):
            action = ActionFactory(owner=people["owner"], verifier=people["v"], created_by=manager)
            action = step(step(action, "start", people["a"]), "implement", people["a"], implementation_note="実施")
            step(action, "verify_ineffective", people["v"], effectiveness_note="効果なし")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api_as(manager).get("/api/actions/", {"page_size": 100}).status_code == 200
        return len(queries)

    make(2)
    count()  # the first request warms what is cached per process
    few = count()
    make(6)
    assert count() == few


def test_the_action_page_shows_the_rounds(worked, people, manager):
    client = Client()
    client.force_login(manager)
    page = client.get(reverse("action_detail", args=[worked["action"].pk])).content.decode()
    rounds = page[page.index('id="action-rounds"'):]
    rounds = rounds[:rounds.index("</table>")]
    assert rounds.count("<tr>") == 3  # the head and two rounds
    for text in ("青木 一郎", "馬場 二郎", "山田 五郎", "有効性なし", "宛先の二重確認を追加"):
        assert text in rounds
    assert "実施と有効性確認の経過" in page


def test_found_ineffective_counts_from_the_rounds(people, manager):
    p = people
    first_time = ActionFactory(owner=p["owner"], verifier=p["v"], created_by=manager)
    first_time = step(step(first_time, "start", p["a"]), "implement", p["a"], implementation_note="実施")
    step(first_time, "verify_effective", p["v"], effectiveness_note="有効")
    second_time = ActionFactory(owner=p["owner"], verifier=p["v"], created_by=manager)
    second_time = step(step(second_time, "start", p["a"]), "implement", p["a"], implementation_note="実施")
    second_time = step(second_time, "verify_ineffective", p["v"], effectiveness_note="効果なし")
    second_time = step(second_time, "implement", p["b"], implementation_note="再実施")
    step(second_time, "verify_effective", p["v"], effectiveness_note="有効")
    still_failing = ActionFactory(owner=p["owner"], verifier=p["v"], created_by=manager)
    still_failing = step(step(still_failing, "start", p["a"]), "implement", p["a"], implementation_note="実施")
    step(still_failing, "verify_ineffective", p["v"], effectiveness_note="効果なし")

    day = timezone.localdate()
    totals = action_figures(day - dt.timedelta(days=365), day + dt.timedelta(days=365))["totals"]
    assert (totals["effective"], totals["effective_first_time"], totals["checked"]) == (2, 1, 3)


def test_a_check_of_an_action_implemented_before_rounds_were_kept(people, manager):
    """No round under way (an action the migration found no implement step for): the check makes one."""
    action = ActionFactory(owner=people["owner"], verifier=people["v"], created_by=manager,
                           state=ActionState.IMPLEMENTED, implemented_at=timezone.now(), implemented_by=people["a"],
                           implementation_note="記録前に実施")
    action = step(action, "verify_effective", people["v"], effectiveness_note="有効")
    (work,) = action.implementation_rounds()
    assert (work.number, work.implemented_by, work.checked_by, work.outcome) == (
        1, people["a"], people["v"], RoundOutcome.EFFECTIVE)


def test_the_database_keeps_one_round_under_way_and_the_checker_independent(people, manager):
    action = ActionFactory(owner=people["owner"], verifier=people["v"], created_by=manager)
    ActionRound.objects.create(action=action, number=1, implemented_by=people["a"], implemented_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionRound.objects.create(action=action, number=2, implemented_by=people["b"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionRound.objects.filter(action=action).update(checked_by=people["a"], checked_at=timezone.now(),
                                                        outcome=RoundOutcome.EFFECTIVE)


# ---------------------------------------------------------------------------
# The migration: the rounds of the actions that took steps before it, from the trail


class _Editor:
    connection = connection


def _rounds(action):
    return [(r.number, r.implemented_by_id, r.implementation_note, r.checked_by_id, r.check_note, r.outcome,
             r.implemented_at, r.checked_at) for r in fresh(action).implementation_rounds()]


def _close(first, second) -> bool:
    if first is None or second is None:
        return first is second
    return abs(first - second) < dt.timedelta(seconds=5)


def test_the_migration_recovers_the_rounds_from_the_trail(worked, people, manager):
    p = people
    pending = ActionFactory(owner=p["owner"], verifier=p["v"], created_by=manager)
    pending = step(step(pending, "start", p["owner"]), "implement", p["owner"], implementation_note="実施のみ")
    untouched = ActionFactory(owner=p["owner"], verifier=p["v"], created_by=manager)
    actions = [worked["action"], pending, untouched]
    expected = {a.pk: _rounds(a) for a in actions}
    columns = {a.pk: (fresh(a).implemented_by_id, fresh(a).verified_by_id) for a in actions}
    # As the database stood before the migration: no rounds, no columns.
    ActionRound.objects.all().delete()
    Action.objects.update(implemented_by=None, verified_by=None)

    backfill.rounds_from_the_trail(django_apps(), _Editor())

    for action in actions:
        got = _rounds(action)
        assert [row[:6] for row in got] == [row[:6] for row in expected[action.pk]]
        assert all(_close(g, e) for got_row, exp_row in zip(got, expected[action.pk], strict=True)
                   for g, e in zip(got_row[6:], exp_row[6:], strict=True))
        assert (fresh(action).implemented_by_id, fresh(action).verified_by_id) == columns[action.pk]
    assert list(verify()) == []  # every new saved version is sealed into the chain
    assert fresh(worked["action"]).history.filter(history_change_reason=backfill.REASON).count() == 1
    assert ActionRound.history.filter(history_change_reason=backfill.REASON, history_type="+").count() == 3
    # The rules read what the migration wrote.
    assert {p["a"].pk, p["b"].pk} <= fresh(worked["incident"]).implementer_ids()


def test_the_migration_stops_at_a_trail_that_breaks_separation_of_duties(people, manager):
    action = ActionFactory(owner=people["owner"], verifier=people["v"], created_by=manager,
                           state=ActionState.EFFECTIVE)
    kind = ContentType.objects.get_for_model(Action)
    for name, source, target in (("implement", "in_progress", "implemented"),
                                 ("verify_effective", "implemented", "effective")):
        TrailEntry.objects.create(content_type=kind, object_id=action.pk, transition=name, source_state=source,
                                  state=target, by=people["a"])
    with pytest.raises(RuntimeError, match=action.reference):
        backfill.rounds_from_the_trail(django_apps(), _Editor())


def django_apps():
    from django.apps import apps

    return apps
