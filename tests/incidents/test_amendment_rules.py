"""The 2026 APPI amendment as data, not code (domain.md §1.12, issue 13).

A rule set in force from the cabinet order's date (at the latest 2028-07-16) relieves the
notice to data subjects (本人通知) where the risk to them is small, once the PMS manager
records why (and any substitute measure). It waives neither the 速報 nor the 確報. An
incident keeps the rules in force on the day of its discovery, so one discovered the day
before still owes the notice. Each row names every report owed and its clocks.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from incidents import services
from incidents.clocks import JAPAN
from incidents.models import Incident, RuleSet, TrackKind
from incidents.ppc_report import build_ppc_report
from incidents.tracks import required_tracks
from tests.incidents.factories import fill_ppc_items, reported_incident

pytestmark = pytest.mark.django_db

IN_FORCE = dt.date(2028, 7, 16)  # a Sunday
NOW = dt.datetime(2028, 7, 16, 12, 0, tzinfo=JAPAN)
DAY_BEFORE = dt.datetime(2028, 7, 15, 10, 0, tzinfo=JAPAN)  # a Saturday
FIRST_DAY = dt.datetime(2028, 7, 16, 10, 0, tzinfo=JAPAN)

REASON = "漏えいしたのは社内の会員管理番号のみで、それ単体では本人を識別できず、悪用のおそれもない。"
MEASURE = "当社ウェブサイトに経緯を掲載し、問合せ窓口を設けた。"


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.max, tzinfo=JAPAN)


# Every report a sensitive leak owes, as (target, limit). The 速報 and the notice run in
# whole days from the discovery; the 確報 counts the day of discovery as day 1: from Sat
# 07-15, day 30 is Sun 08-13, a closed day, so the limit moves to Mon 08-14; from Sun 07-16,
# day 30 is Mon 08-14 itself.
def owes(discovered: dt.datetime, *, notice: bool) -> dict:
    final = (end_of("2028-08-14"), end_of("2028-08-14"))
    sokuho = (discovered + dt.timedelta(days=3), discovered + dt.timedelta(days=5))
    tracks = {"ppc_preliminary": sokuho, "ppc_final": final, "pmark_preliminary": sokuho, "pmark_final": final}
    if notice:
        tracks["data_subjects"] = (discovered + dt.timedelta(days=5), end_of("2028-08-14"))
    return tracks


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def amended(db) -> RuleSet:
    """The amendment, entered by the administrator as a new rule set: the current one's
    figures, and no 本人通知 for a small risk."""
    current = RuleSet.objects.in_force_on(IN_FORCE - dt.timedelta(days=1))
    copied = {field.name: getattr(current, field.name) for field in RuleSet._meta.concrete_fields
              if field.name not in ("id", "version", "name", "effective_from")}
    return RuleSet.objects.create(**{
        **copied, "version": "2028-07", "name": "改正個人情報保護法（令和8年法律第56号）",
        "effective_from": IN_FORCE, "data_subjects_low_risk_exemption": True,
    })


def pending(incident) -> dict:
    return {t.kind: (t.due_at, t.limit_at) for t in Incident.objects.get(pk=incident.pk).tracks.pending()}


def leak(staff, discovered: dt.datetime) -> Incident:
    """Internal member numbers of one customer, with a medical note, sent to the wrong address:
    category 1 (sensitive), so the PPC and the assessment body are owed."""
    return reported_incident(staff, discovered_at=discovered, kind="leak", involves_sensitive_data=True,
                             affected_count=1, data_items="会員管理番号、通院歴")


def row(day, low_risk, reason, outcome):
    name = f"{'day before' if day is DAY_BEFORE else 'first day'}, {'low risk' if low_risk else 'not low risk'}, " \
           f"{'with reason' if reason else 'no reason'}"
    return pytest.param(day, low_risk, reason, outcome, id=name)


# outcome: "notice" (本人通知 owed), "exempt" (not required), or the field a validation error names.
ROWS = [
    row(DAY_BEFORE, False, False, "notice"),
    row(DAY_BEFORE, False, True, "notice"),
    row(DAY_BEFORE, True, False, "subjects_low_risk"),  # the rules of that day know no such relief
    row(DAY_BEFORE, True, True, "subjects_low_risk"),
    row(FIRST_DAY, False, False, "notice"),
    row(FIRST_DAY, False, True, "notice"),  # a reason alone claims nothing
    row(FIRST_DAY, True, False, "subjects_low_risk_reason"),
    row(FIRST_DAY, True, True, "exempt"),
]


@pytest.mark.parametrize(("day", "low_risk", "reason", "outcome"), ROWS)
def test_the_notice_to_data_subjects_under_the_amendment(amended, staff, manager, day, low_risk, reason, outcome):
    incident = leak(staff, day)
    assert incident.rule_set.version == ("2028-07" if day is FIRST_DAY else "2024-04")
    assessment = {"subjects_low_risk": low_risk}
    if reason:
        assessment.update(subjects_low_risk_reason=REASON, substitute_measure=MEASURE)

    if outcome in ("notice", "exempt"):
        services.incident_update(incident=incident, by=manager, version=incident.version, **assessment)
    else:
        with pytest.raises(ValidationError) as error:
            services.incident_update(incident=incident, by=manager, version=incident.version, **assessment)
        assert outcome in error.value.message_dict
        if outcome == "subjects_low_risk":
            assert "2024-04" in " ".join(error.value.message_dict[outcome])  # names the rules in force
        assert Incident.objects.get(pk=incident.pk).subjects_low_risk is False

    # The 速報 and 確報 are owed whatever the outcome: the amendment did not waive them.
    assert pending(incident) == owes(day, notice=outcome != "exempt")


def test_the_relief_is_recorded_with_its_reason_and_substitute_measure(amended, staff, manager):
    incident = leak(staff, FIRST_DAY)
    assert TrackKind.DATA_SUBJECTS in pending(incident)
    incident = services.incident_update(incident=incident, by=manager, version=incident.version,
                                        subjects_low_risk=True, subjects_low_risk_reason=REASON,
                                        substitute_measure=MEASURE)

    notice = incident.tracks.get(kind=TrackKind.DATA_SUBJECTS)
    assert (notice.state, notice.withdrawn_by_system) == ("not_required", True)
    assert REASON in notice.not_required_reason and MEASURE in notice.not_required_reason
    assert "2028-07" in notice.not_required_reason and "2028-07-16" in notice.not_required_reason
    _plans, reasons = required_tracks(Incident.objects.get(pk=incident.pk))
    assert REASON in reasons[TrackKind.DATA_SUBJECTS] and MEASURE in reasons[TrackKind.DATA_SUBJECTS]

    # Item 6 of the PPC report says the notice is not made, and why; the 確報 may go with it.
    incident = fill_ppc_items(incident, manager, skip={"subject_response"})
    report = build_ppc_report(incident)
    item_6 = {item.key: item for item in report.items}["subject_response"]
    assert item_6.empty is False
    assert item_6.text == (f"本人の権利利益を害するおそれが小さいため、本人への通知は行わない。理由：{REASON}\n"
                           f"代替措置：{MEASURE}")
    final = incident.tracks.get(kind=TrackKind.PPC_FINAL)
    filed = services.transition_record(final, "file", by=manager,
                                       changes={"filed_at": NOW, "recipient_reference": "PPC-2028-000001"})
    assert filed.state == "filed"


def test_without_a_substitute_measure_the_reason_alone_is_recorded(amended, staff, manager):
    incident = leak(staff, FIRST_DAY)
    incident = services.incident_update(incident=incident, by=manager, version=incident.version,
                                        subjects_low_risk=True, subjects_low_risk_reason=REASON)
    notice = incident.tracks.get(kind=TrackKind.DATA_SUBJECTS)
    assert REASON in notice.not_required_reason
    item_6 = {item.key: item.text for item in build_ppc_report(incident).items}["subject_response"]
    assert item_6 == f"本人の権利利益を害するおそれが小さいため、本人への通知は行わない。理由：{REASON}"


def test_taking_the_relief_back_owes_the_notice_again(amended, staff, manager):
    incident = leak(staff, FIRST_DAY)
    incident = services.incident_update(incident=incident, by=manager, version=incident.version,
                                        subjects_low_risk=True, subjects_low_risk_reason=REASON)
    assert pending(incident) == owes(FIRST_DAY, notice=False)
    incident = services.incident_update(incident=incident, by=manager, version=incident.version,
                                        subjects_low_risk=False)
    assert pending(incident) == owes(FIRST_DAY, notice=True)


def test_the_relief_is_the_pms_office_s_to_claim(amended, staff):
    from incidents.exceptions import FieldsNotWritable

    with pytest.raises(FieldsNotWritable) as refused:
        reported_incident(staff, discovered_at=FIRST_DAY, kind="leak", involves_sensitive_data=True,
                          subjects_low_risk=True, subjects_low_risk_reason=REASON)
    assert set(refused.value.fields) == {"subjects_low_risk", "subjects_low_risk_reason"}


def test_without_the_amendment_nothing_changes(staff, manager):
    """No rule set carries the relief yet: an incident discovered on 2028-07-16 still owes the notice."""
    incident = leak(staff, FIRST_DAY)
    assert incident.rule_set.version == "2024-04"
    with pytest.raises(ValidationError) as error:
        services.incident_update(incident=incident, by=manager, version=incident.version,
                                 subjects_low_risk=True, subjects_low_risk_reason=REASON)
    assert "subjects_low_risk" in error.value.message_dict
    assert pending(incident) == owes(FIRST_DAY, notice=True)


def test_a_new_report_reads_the_rules_in_force_once_and_each_later_save_again(amended, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        incident = leak(staff, FIRST_DAY)
    assert sum('FROM "incidents_ruleset"' in query["sql"] for query in queries) == 1
    assert incident.rule_set == amended
    # The day changes: the next save takes the rules of the new day, read afresh.
    incident.discovered_at = DAY_BEFORE
    incident.save()
    assert Incident.objects.get(pk=incident.pk).rule_set.version != "2028-07"
    incident.discovered_at = FIRST_DAY
    with CaptureQueriesContext(connection) as queries:
        incident.save()
    assert sum('FROM "incidents_ruleset"' in query["sql"] for query in queries) == 1
    assert Incident.objects.get(pk=incident.pk).rule_set == amended
