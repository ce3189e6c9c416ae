"""Which reports an incident owes and by when, with frozen time (issue 3, domain.md §1)."""

import datetime as dt

import pytest
import time_machine

from incidents import services
from incidents.clocks import JAPAN
from incidents.exceptions import ConditionsNotMet, NotPermitted
from incidents.models import RuleSet
from tests.incidents.factories import fill_ppc_items, reported_incident
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db

DISCOVERED = dt.datetime(2025, 4, 1, 10, 0, tzinfo=JAPAN)  # a Tuesday


def jst(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JAPAN)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(DISCOVERED + dt.timedelta(hours=2), tick=False) as traveller:
        yield traveller


def report(staff, **fields):
    return reported_incident(staff, discovered_at=DISCOVERED, **fields)


def tracks(incident):
    return {t.kind: t for t in incident.tracks.all()}


def pending(incident):
    return sorted(incident.tracks.pending().values_list("kind", flat=True))


REPORTABLE = ["data_subjects", "pmark_final", "pmark_preliminary", "ppc_final", "ppc_preliminary"]


@pytest.mark.parametrize(
    "trigger",
    [{"involves_sensitive_data": True}, {"risk_of_financial_damage": True},
     {"suspected_unauthorized_purpose": True}, {"affected_count": 1001}],
)
def test_each_category_alone_owes_every_report(staff, trigger):
    assert pending(report(staff, **trigger)) == REPORTABLE


def test_no_category_owes_only_the_privacymark_final_report(staff):
    incident = report(staff, affected_count=1000)
    assert pending(incident) == ["pmark_final"]
    assert tracks(incident)["pmark_final"].limit_at == jst("2025-04-30 23:59:59.999999")


def test_a_near_miss_owes_nothing(staff):
    assert pending(report(staff, kind="near_miss", involves_sensitive_data=True)) == []


def test_strong_encryption_releases_the_ppc_reports(staff):
    incident = report(staff, involves_sensitive_data=True, strongly_encrypted=True)
    # Not PrivacyMark's: encrypted media are still reported, and sensitive data owes the 速報 (§1.13).
    assert pending(incident) == ["pmark_final", "pmark_preliminary"]


def test_data_being_collected_counts_only_with_an_unauthorized_purpose(staff):
    # Not for the PPC; PrivacyMark concerns every 個人情報, and sensitive data owes its 速報 (§1.13).
    assert pending(report(staff, data_in_collection=True, involves_sensitive_data=True)) == [
        "pmark_final", "pmark_preliminary"]
    skimmed = report(staff, data_in_collection=True, suspected_unauthorized_purpose=True)
    assert pending(skimmed) == REPORTABLE
    assert tracks(skimmed)["ppc_final"].limit_at.date() == dt.date(2025, 5, 30)  # 60 days


def test_the_clocks_of_a_reportable_leak(staff):
    by_kind = tracks(report(staff, involves_sensitive_data=True))
    assert (by_kind["ppc_preliminary"].due_at, by_kind["ppc_preliminary"].limit_at) == (
        jst("2025-04-04 10:00"), jst("2025-04-06 10:00"),
    )
    assert by_kind["ppc_final"].limit_at == jst("2025-04-30 23:59:59.999999")
    assert by_kind["pmark_final"].limit_at == by_kind["ppc_final"].limit_at
    assert by_kind["data_subjects"].due_at == jst("2025-04-06 10:00")
    assert by_kind["data_subjects"].limit_at == by_kind["ppc_final"].limit_at


def test_an_unauthorized_purpose_gives_60_days_also_with_other_categories(staff):
    by_kind = tracks(report(staff, involves_sensitive_data=True, suspected_unauthorized_purpose=True))
    assert by_kind["ppc_final"].limit_at.date() == dt.date(2025, 5, 30)
    assert by_kind["pmark_final"].limit_at.date() == dt.date(2025, 5, 30)


def file(track, by, when, **changes):
    changes = {"filed_at": when, "recipient_reference": "PPC-12345", **changes}
    return services.transition_record(track, "file", by=by, changes=changes)


def test_filing_on_day_30_is_on_time_and_on_day_31_late(staff, manager, frozen):
    incident = fill_ppc_items(report(staff, involves_sensitive_data=True), manager)
    final = tracks(incident)["ppc_final"]
    frozen.move_to(jst("2025-04-30 23:59:59"))
    assert final.overdue is False
    on_time = file(final, manager, jst("2025-04-30 23:59"))
    assert (on_time.state, on_time.late, on_time.filed_by) == ("filed", False, manager)

    other = fill_ppc_items(report(staff, involves_sensitive_data=True), manager)
    frozen.move_to(jst("2025-05-01 00:00"))
    late_track = tracks(other)["ppc_final"]
    assert late_track.overdue is True
    late = file(late_track, manager, jst("2025-05-01 00:00"))
    assert (late.state, late.late, late.overdue) == ("filed", True, False)
    frozen.move_to(jst("2025-06-01 00:00"))
    late.refresh_from_db()
    assert late.late is True  # a late filing stays marked late


def test_overdue_tracks_are_found_in_the_database(staff, frozen):
    from incidents.models import ReportingTrack

    report(staff, involves_sensitive_data=True)
    frozen.move_to(jst("2025-04-06 10:00"))
    assert list(ReportingTrack.objects.overdue().values_list("kind", flat=True)) == []
    frozen.move_to(jst("2025-04-06 10:01"))
    assert sorted(ReportingTrack.objects.overdue().values_list("kind", flat=True)) == [
        "pmark_preliminary", "ppc_preliminary",
    ]


def test_filing_needs_its_details(staff, manager):
    track = tracks(report(staff, involves_sensitive_data=True))["ppc_preliminary"]
    with pytest.raises(ConditionsNotMet):
        services.transition_record(track, "file", by=manager, changes={"filed_at": DISCOVERED})
    with pytest.raises(ConditionsNotMet):
        file(track, manager, DISCOVERED + dt.timedelta(days=1))  # in the future
    with pytest.raises(ConditionsNotMet):
        file(track, manager, DISCOVERED - dt.timedelta(minutes=1))  # before the discovery
    with pytest.raises(NotPermitted):
        file(track, staff, DISCOVERED)
    notice = tracks(track.incident)["data_subjects"]
    with pytest.raises(ConditionsNotMet):
        file(notice, manager, DISCOVERED, recipient_reference="")
    assert file(notice, manager, DISCOVERED, recipient_reference="", method="publication").state == "filed"


def test_not_required_needs_a_reason_and_keeps_it(staff, manager):
    track = tracks(report(staff, involves_sensitive_data=True))["data_subjects"]
    with pytest.raises(ConditionsNotMet):
        services.transition_record(track, "not_required", by=manager)
    done = services.transition_record(
        track, "not_required", by=manager, changes={"not_required_reason": "全件回収し、第三者の閲覧がないことを確認"}
    )
    assert (done.state, done.withdrawn_by_system) == ("not_required", False)


def test_notifying_the_entrusting_business_releases_the_ppc_reports(staff, manager):
    incident = report(staff, involves_sensitive_data=True, entrusted_by="株式会社サンプル")
    assert pending(incident) == sorted([*REPORTABLE, "entrusting_party"])
    entrusting = tracks(incident)["entrusting_party"]
    assert entrusting.limit_at == DISCOVERED + dt.timedelta(days=3)
    file(entrusting, manager, DISCOVERED + dt.timedelta(hours=1), recipient_reference="委託元 担当：山田様")
    by_kind = tracks(incident)
    for kind in ("ppc_preliminary", "ppc_final", "data_subjects"):
        assert by_kind[kind].state == "not_required"
        assert "委託元" in by_kind[kind].not_required_reason
    assert by_kind["pmark_preliminary"].state == "pending"  # PrivacyMark still wants its reports
    assert by_kind["pmark_final"].state == "pending"


def test_a_classification_change_after_triage_recomputes_and_is_in_the_trail(staff, manager):
    incident = report(staff, affected_count=300)
    incident = services.transition_record(incident, "triage", by=manager, changes={"severity": "L2"})
    assert pending(incident) == ["pmark_final"]
    incident = services.incident_update(incident=incident, version=incident.version, by=manager, suspected_unauthorized_purpose=True)
    assert pending(incident) == REPORTABLE
    assert tracks(incident)["pmark_final"].limit_at.date() == dt.date(2025, 5, 30)  # now 60 days
    entry = StateLog.objects.filter(object_id=incident.pk, transition="update_tracks").last()
    assert entry.by == manager
    assert "2025-05-30" in entry.description

    # Back to not reportable: the PPC tracks are withdrawn, with the reason, and can come back.
    incident = services.incident_update(incident=incident, version=incident.version, by=manager, suspected_unauthorized_purpose=False)
    by_kind = tracks(incident)
    assert by_kind["ppc_final"].state == "not_required"
    assert by_kind["ppc_final"].withdrawn_by_system is True
    incident = services.incident_update(incident=incident, version=incident.version, by=manager, affected_count=5000)
    assert tracks(incident)["ppc_final"].state == "pending"


def test_a_person_s_not_required_is_not_undone_by_the_system(staff, manager):
    incident = report(staff, involves_sensitive_data=True)
    notice = tracks(incident)["data_subjects"]
    services.transition_record(notice, "not_required", by=manager, changes={"not_required_reason": "連絡先不明のため公表で代替"})
    incident = services.incident_update(incident=incident, version=incident.version, by=manager, affected_count=2000)
    assert tracks(incident)["data_subjects"].state == "not_required"


def test_a_dismissed_report_owes_nothing(staff, manager):
    incident = report(staff, involves_sensitive_data=True)
    services.transition_record(incident, "dismiss", by=manager, changes={"dismissal_reason": "誤報"})
    assert pending(incident) == []


def test_a_new_rule_set_changes_only_incidents_discovered_after_it(staff, manager, frozen):
    old = report(staff, affected_count=600)
    RuleSet.objects.create(version="2026-01", name="仮の改正", effective_from=dt.date(2025, 4, 2),
                           subject_count_threshold=500, final_days=20)
    frozen.move_to(jst("2025-04-02 12:00"))
    services.incident_update(incident=old, version=old.version, by=manager, title="変更後も旧ルール")
    old.refresh_from_db()
    assert (old.rule_set.version, old.reportable, pending(old)) == ("2024-04", False, ["pmark_final"])
    new = reported_incident(staff, discovered_at=jst("2025-04-02 09:00"), affected_count=600)
    assert (new.rule_set.version, new.reportable) == ("2026-01", True)
    assert tracks(new)["ppc_final"].limit_at.date() == dt.date(2025, 4, 21)  # day 20


def test_a_reportable_incident_cannot_close_with_a_report_pending(staff, manager, office):
    from incidents.models import Incident

    incident = report(staff, involves_sensitive_data=True, kind="near_miss")
    assert pending(incident) == []
    leak = Incident.objects.get(pk=report(staff, involves_sensitive_data=True).pk)
    for name, changes in [("triage", {"severity": "L3"}), ("contain", {"containment_summary": "回収"}),
                          ("analyse", {"root_cause": "確認漏れ", "cause": leak.cause or _cause()})]:
        leak = services.transition_record(leak, name, by=manager, changes=changes)
    from tests.incidents.factories import ActionFactory

    action = ActionFactory(incident=leak, owner=manager, verifier=office, department=leak.department)
    leak = services.transition_record(leak, "plan_actions", by=manager)
    action = services.transition_record(action, "start", by=manager)
    services.transition_record(action, "implement", by=manager, changes={"implementation_note": "実施"})
    leak = services.transition_record(leak, "verify", by=manager)
    action.refresh_from_db()
    services.transition_record(action, "verify_effective", by=office, changes={"effectiveness_note": "有効"})
    with pytest.raises(ConditionsNotMet) as error:
        services.transition_record(leak, "close", by=office)
    message = error.value.problems[0]
    assert "速報" in message and "確報" in message and "本人通知" in message
    from tests.incidents.factories import file_pending_tracks

    fill_ppc_items(leak, manager)  # the 確報 goes with its nine items
    file_pending_tracks(leak, manager)
    assert services.transition_record(leak, "close", by=office).state == "closed"


def _cause():
    from incidents.models import CauseCategory

    return CauseCategory.objects.first()
