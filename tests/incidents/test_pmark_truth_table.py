"""PrivacyMark's own incident report (PMK500, domain.md §1.13) as a truth table (issue 13).

It is not the PPC's test: every 事故等 of the nine kinds is reported, even for one person,
for any 個人情報 (not only 個人データ), encrypted or not; a 速報 is owed on the PPC's four
triggers (counting 個人情報), on the My Number triggers and on a case judged serious. A
company without PrivacyMark owes none of it. Each row names every report owed and its clocks
(target, limit), read from the tracks the system created; the pure function is checked on
its own below. Then the three steps: the assessment body's notice, and the report on measures.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from incidents import pmark_reportability, services
from incidents.clocks import JAPAN
from incidents.exceptions import FieldsNotWritable, NotPermitted
from incidents.models import Incident, IncidentKind, PMarkEvent, RuleSet, TrackKind
from incidents.pmark_reportability import EVENT_OF_KIND, INCIDENT_EVENTS, event_of
from incidents.roles import Role
from incidents.tracks import PMARK_DUTIES, required_tracks
from tests.incidents.factories import (
    CompanyFactory,
    DepartmentFactory,
    close_incident,
    reported_incident,
    scope_role,
)

pytestmark = pytest.mark.django_db

DISCOVERED = dt.datetime(2026, 4, 1, 10, 0, tzinfo=JAPAN)  # a Wednesday
NOW = DISCOVERED + dt.timedelta(hours=2)


def jst(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JAPAN)


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.max, tzinfo=JAPAN)


# The clocks of a discovery on Wed 2026-04-01 10:00 (the rule set in force, 2024-04), as
# (target, limit). A 速報 runs in whole days from the moment of discovery; a 確報 counts the
# day of discovery as day 1, and a last day on a closed day moves to the next open day.
SOKUHO = (jst("2026-04-04 10:00"), jst("2026-04-06 10:00"))  # target 3 days, limit 5 days
FINAL_30 = (end_of("2026-04-30"), end_of("2026-04-30"))  # day 30: Thu 2026-04-30
FINAL_60 = (end_of("2026-06-01"), end_of("2026-06-01"))  # day 60 is Sat 2026-05-30: Mon 2026-06-01
NOTICE_30 = (jst("2026-04-06 10:00"), end_of("2026-04-30"))  # 本人通知: target 5 days, limit the 確報's
NOTICE_60 = (jst("2026-04-06 10:00"), end_of("2026-06-01"))

PPC_30 = {"ppc_preliminary": SOKUHO, "ppc_final": FINAL_30, "data_subjects": NOTICE_30}
PPC_60 = {"ppc_preliminary": SOKUHO, "ppc_final": FINAL_60, "data_subjects": NOTICE_60}
PMARK_FINAL_30 = {"pmark_final": FINAL_30}
PMARK_BOTH_30 = {"pmark_preliminary": SOKUHO, "pmark_final": FINAL_30}
PMARK_BOTH_60 = {"pmark_preliminary": SOKUHO, "pmark_final": FINAL_60}
NOTHING: dict = {}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def owed(incident) -> dict:
    """{kind: (target, limit)} of the reports the incident owes now."""
    return {track.kind: (track.due_at, track.limit_at) for track in Incident.objects.get(pk=incident.pk).tracks.pending()}


def assessed(staff, manager, *, department=None, report=None, assessment=None) -> Incident:
    """A staff member reports the facts; the PMS manager completes the assessment at triage."""
    facts = {"kind": IncidentKind.LEAK, "affected_count": 1, "data_items": "氏名、電話番号", **(report or {})}
    incident = reported_incident(staff, discovered_at=DISCOVERED, department=department, **facts)
    if assessment:
        incident = services.incident_update(incident=incident, by=manager, version=incident.version, **assessment)
    return incident


# ---------------------------------------------------------------------------
# Through real incidents: the tracks the system creates


def row(name, owes, *, report=None, assessment=None):
    return pytest.param(report or {}, assessment or {}, owes, id=name)


EVENT_ROWS = [
    # The PMS office names the kind of 事故等 on a report of kind "other" (so never the PPC's):
    # one person and no trigger, so the 確報 only, within 30 days.
    *[row(f"event {event}", PMARK_FINAL_30, report={"kind": "other"}, assessment={"pmark_event": event})
      for event in sorted(INCIDENT_EVENTS)],
    row("event ⑨: a loss only feared", PMARK_FINAL_30, report={"kind": "other"},
        assessment={"pmark_event": PMarkEvent.LOSS, "pmark_suspected": True}),
    row("event none: not a 事故等", NOTHING, assessment={"pmark_event": PMarkEvent.NONE}),
    row("a rule violation named ⑥ by the office", PMARK_FINAL_30, report={"kind": "violation"},
        assessment={"pmark_event": PMarkEvent.PURPOSE_VIOLATION}),
]
KIND_ROWS = [
    # No kind of 事故等 chosen: the report's kind decides (a leak ①, a loss ②, damage ③,
    # unauthorized use ⑥; anything else is not a 事故等).
    row("kind leak", PMARK_FINAL_30, report={"kind": "leak"}),
    row("kind loss", PMARK_FINAL_30, report={"kind": "loss"}),
    row("kind damage", PMARK_FINAL_30, report={"kind": "damage"}),
    row("kind misuse", PMARK_FINAL_30, report={"kind": "misuse"}),
    row("kind violation", NOTHING, report={"kind": "violation"}),
    row("kind weakness", NOTHING, report={"kind": "weakness"}),
    row("kind near miss", NOTHING, report={"kind": "near_miss"}),
    row("kind other", NOTHING, report={"kind": "other"}),
    row("a sensitive near miss", NOTHING, report={"kind": "near_miss", "involves_sensitive_data": True}),
]
TRIGGER_ROWS = [
    row("sensitive", {**PPC_30, **PMARK_BOTH_30}, report={"involves_sensitive_data": True}),
    row("sensitive, encrypted", PMARK_BOTH_30, report={"involves_sensitive_data": True, "strongly_encrypted": True}),
    row("one person, encrypted", PMARK_FINAL_30, report={"strongly_encrypted": True}),
    row("financial damage", {**PPC_30, **PMARK_BOTH_30}, report={"risk_of_financial_damage": True}),
    row("financial damage, encrypted", PMARK_BOTH_30,
        report={"risk_of_financial_damage": True, "strongly_encrypted": True}),
    row("unauthorized purpose: 60 days", {**PPC_60, **PMARK_BOTH_60}, report={"suspected_unauthorized_purpose": True}),
    row("unauthorized purpose, encrypted", PMARK_BOTH_60,
        report={"suspected_unauthorized_purpose": True, "strongly_encrypted": True}),
    row("1 person", PMARK_FINAL_30, report={"affected_count": 1}),
    row("1,000 people", PMARK_FINAL_30, report={"affected_count": 1000}),
    row("1,001 people", {**PPC_30, **PMARK_BOTH_30}, report={"affected_count": 1001}),
    row("1,001 people, encrypted", PMARK_BOTH_30, report={"affected_count": 1001, "strongly_encrypted": True}),
    row("number not known", PMARK_FINAL_30, report={"affected_count": None}),
]
NOT_PERSONAL_DATA_ROWS = [
    # 個人情報 that is not 個人データ (a single paper form): not the PPC's, still PrivacyMark's.
    row("not personal data, one person", PMARK_FINAL_30, assessment={"not_personal_data": True}),
    row("not personal data, sensitive", PMARK_BOTH_30, report={"involves_sensitive_data": True},
        assessment={"not_personal_data": True}),
    row("not personal data, 1,001 people", PMARK_BOTH_30, report={"affected_count": 1001},
        assessment={"not_personal_data": True}),
    row("not personal data, unauthorized purpose", PMARK_BOTH_60, report={"suspected_unauthorized_purpose": True},
        assessment={"not_personal_data": True}),
    # ... except information being collected taken for an unauthorized purpose (rule art. 7(3), 2024).
    row("not personal data, being collected, unauthorized purpose", {**PPC_60, **PMARK_BOTH_60},
        report={"suspected_unauthorized_purpose": True, "data_in_collection": True},
        assessment={"not_personal_data": True}),
]
MY_NUMBER_ROWS = [
    row("My Number, one person", PMARK_FINAL_30, assessment={"is_my_number": True}),
    row("My Number, network system", PMARK_BOTH_30,
        assessment={"is_my_number": True, "my_number_network_system": True}),
    row("My Number, publicly viewable", PMARK_BOTH_30,
        assessment={"is_my_number": True, "my_number_publicly_viewable": True}),
    row("My Number, unauthorized purpose", {**PPC_60, **PMARK_BOTH_60}, report={"suspected_unauthorized_purpose": True},
        assessment={"is_my_number": True}),
    row("My Number, 100 people", PMARK_FINAL_30, report={"affected_count": 100}, assessment={"is_my_number": True}),
    row("My Number, 101 people", PMARK_BOTH_30, report={"affected_count": 101}, assessment={"is_my_number": True}),
    row("not My Number, 101 people", PMARK_FINAL_30, report={"affected_count": 101}),
    row("My Number, 101 people, encrypted", PMARK_BOTH_30, report={"affected_count": 101, "strongly_encrypted": True},
        assessment={"is_my_number": True}),
]
CATCH_ALL_ROWS = [
    row("judged serious, with its reason", PMARK_BOTH_30,
        assessment={"pmark_judged_serious": True, "pmark_judged_serious_reason": "報道機関から問合せがあった。"}),
    row("judged serious, but not a 事故等", NOTHING, report={"kind": "weakness"},
        assessment={"pmark_judged_serious": True, "pmark_judged_serious_reason": "報道機関から問合せがあった。"}),
]
FLAGSHIP_ROW = [
    row("an encrypted laptop with sensitive data lost", PMARK_BOTH_30,
        report={"kind": "loss", "involves_sensitive_data": True, "strongly_encrypted": True,
                "data_items": "氏名、病歴"}),
]
ROWS = [*EVENT_ROWS, *KIND_ROWS, *TRIGGER_ROWS, *NOT_PERSONAL_DATA_ROWS, *MY_NUMBER_ROWS, *CATCH_ALL_ROWS,
        *FLAGSHIP_ROW]
PMARK_KINDS = {str(kind) for kind in PMARK_DUTIES}


@pytest.mark.parametrize(("report", "assessment", "owes"), ROWS)
def test_a_privacymark_holder_owes(staff, manager, report, assessment, owes):
    incident = assessed(staff, manager, report=report, assessment=assessment)
    assert owed(incident) == owes


@pytest.mark.parametrize(("report", "assessment", "owes"), ROWS)
def test_a_company_without_privacymark_owes_no_privacymark_report(staff, manager, report, assessment, owes):
    company = CompanyFactory(name="株式会社ISMSのみ", holds_privacymark=False)
    department = DepartmentFactory(company=company)
    scope_role(manager, Role.PMS_MANAGER, None)  # the group's PMS manager
    incident = assessed(staff, manager, department=department, report=report, assessment=assessment)
    # The PPC's reports are the same as the holder's; none of the assessment body's.
    assert owed(incident) == {kind: clock for kind, clock in owes.items() if kind not in PMARK_KINDS}
    _plans, reasons = required_tracks(Incident.objects.get(pk=incident.pk))
    for kind in PMARK_DUTIES:
        assert company.name in reasons[kind]


def test_the_flagship_case_owes_privacymark_and_not_the_ppc_with_the_reasons(staff, manager):
    """An encrypted laptop holding one customer's medical history is lost: PrivacyMark knows no
    encryption exemption, so its 速報 and 確報 are owed; the PPC's reports are not."""
    incident = assessed(staff, manager, report={
        "kind": "loss", "title": "暗号化ノートPCの紛失", "involves_sensitive_data": True, "strongly_encrypted": True,
        "data_items": "氏名、病歴"})
    assert owed(incident) == {"pmark_preliminary": SOKUHO, "pmark_final": FINAL_30}
    assert incident.reportable is False
    assert [reason.code for reason in incident.assessment.reasons] == ["strongly_encrypted"]
    pmark = incident.pmark_assessment
    assert (pmark.incident, pmark.preliminary, pmark.unauthorized_purpose) == (True, True, False)
    assert [reason.code for reason in pmark.reasons] == ["incident_event", "no_encryption_exemption"]
    assert [reason.code for reason in pmark.preliminary_reasons] == ["sensitive_data"]
    with translation.override("en"):
        _plans, reasons = required_tracks(incident)
    for kind in (TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL, TrackKind.DATA_SUBJECTS):
        assert reasons[kind].startswith("Not a reportable situation: ")
        assert "strong encryption" in reasons[kind]


def test_a_case_passing_the_threshold_later_gets_its_preliminary_report(staff, manager):
    incident = assessed(staff, manager, report={"affected_count": 1000})
    assert owed(incident) == PMARK_FINAL_30
    incident = services.incident_update(incident=incident, by=manager, version=incident.version, affected_count=1001)
    assert owed(incident) == {**PPC_30, **PMARK_BOTH_30}
    incident = services.incident_update(incident=incident, by=manager, version=incident.version,
                                        pmark_event=PMarkEvent.NONE)
    # The office says it is no 事故等: PrivacyMark's reports are withdrawn, the PPC's stay.
    assert owed(incident) == PPC_30
    withdrawn = incident.tracks.get(kind=TrackKind.PMARK_PRELIMINARY)
    assert (withdrawn.state, withdrawn.withdrawn_by_system) == ("not_required", True)


# ---------------------------------------------------------------------------
# The assessment's own rules: each decision carries its reason


@pytest.mark.parametrize(
    ("assessment", "field"),
    [
        ({"pmark_judged_serious": True}, "pmark_judged_serious_reason"),
        ({"pmark_judged_serious": True, "pmark_judged_serious_reason": "   "}, "pmark_judged_serious_reason"),
        ({"my_number_network_system": True}, "is_my_number"),
        ({"my_number_publicly_viewable": True}, "is_my_number"),
        ({"pmark_event": "explosion"}, "pmark_event"),
    ],
    ids=["serious without reason", "serious with a blank reason", "network system without My Number",
         "publicly viewable without My Number", "no such kind of 事故等"],
)
def test_an_assessment_without_its_reason_is_refused(staff, manager, assessment, field):
    incident = assessed(staff, manager)
    with pytest.raises(ValidationError) as error:
        services.incident_update(incident=incident, by=manager, version=incident.version, **assessment)
    assert field in error.value.message_dict
    assert owed(incident) == PMARK_FINAL_30  # nothing saved, nothing recomputed


def test_staff_do_not_assess(staff):
    with pytest.raises(FieldsNotWritable) as refused:
        reported_incident(staff, discovered_at=DISCOVERED, pmark_event=PMarkEvent.LEAK, is_my_number=True)
    assert set(refused.value.fields) == {"pmark_event", "is_my_number"}


# ---------------------------------------------------------------------------
# The pure function


RULES = SimpleNamespace(pmark_subject_count_threshold=1000, pmark_my_number_threshold=100)
NO_TRIGGER = ("no_preliminary_trigger",)


def assess(**overrides):
    facts = {
        "event": "leak", "suspected": False, "involves_sensitive_data": False, "risk_of_financial_damage": False,
        "suspected_unauthorized_purpose": False, "strongly_encrypted": False, "affected_count": 1,
        "is_my_number": False, "my_number_network_system": False, "my_number_publicly_viewable": False,
        "judged_serious": False, "judged_serious_reason": "", "rules": RULES,
    }
    return pmark_reportability.assess(**{**facts, **overrides})


def case(name, facts, incident, preliminary, unauthorized_purpose, preliminary_reasons, reasons=("incident_event",)):
    return pytest.param(facts, (incident, preliminary, unauthorized_purpose), reasons, preliminary_reasons, id=name)


ASSESS_ROWS = [
    *[case(f"event {event}", {"event": event}, True, False, False, NO_TRIGGER) for event in sorted(INCIDENT_EVENTS)],
    case("event none", {"event": "none"}, False, False, False, (), reasons=("not_an_incident",)),
    case("event none, sensitive", {"event": "none", "involves_sensitive_data": True}, False, False, False, (),
         reasons=("not_an_incident",)),
    case("no rules in force", {"rules": None}, False, False, False, ("no_rule_in_force",),
         reasons=("no_rule_in_force",)),
    case("⑨ suspected", {"suspected": True}, True, False, False, NO_TRIGGER),
    case("encrypted", {"strongly_encrypted": True}, True, False, False, NO_TRIGGER,
         reasons=("incident_event", "no_encryption_exemption")),
    case("encrypted, sensitive", {"strongly_encrypted": True, "involves_sensitive_data": True}, True, True, False,
         ("sensitive_data",), reasons=("incident_event", "no_encryption_exemption")),
    case("sensitive", {"involves_sensitive_data": True}, True, True, False, ("sensitive_data",)),
    case("financial damage", {"risk_of_financial_damage": True}, True, True, False, ("financial_damage",)),
    case("unauthorized purpose", {"suspected_unauthorized_purpose": True}, True, True, True,
         ("unauthorized_purpose",)),
    case("1 person", {"affected_count": 1}, True, False, False, NO_TRIGGER),
    case("1,000 people", {"affected_count": 1000}, True, False, False, NO_TRIGGER),
    case("1,001 people", {"affected_count": 1001}, True, True, False, ("over_threshold",)),
    case("number unknown", {"affected_count": None}, True, False, False, NO_TRIGGER),
    case("My Number alone", {"is_my_number": True}, True, False, False, NO_TRIGGER),
    case("My Number, network system", {"is_my_number": True, "my_number_network_system": True}, True, True, False,
         ("my_number_network_system",)),
    case("My Number, publicly viewable", {"is_my_number": True, "my_number_publicly_viewable": True}, True, True,
         False, ("my_number_publicly_viewable",)),
    case("My Number, unauthorized purpose", {"is_my_number": True, "suspected_unauthorized_purpose": True}, True,
         True, True, ("unauthorized_purpose", "my_number_unauthorized_purpose")),
    case("My Number, 100 people", {"is_my_number": True, "affected_count": 100}, True, False, False, NO_TRIGGER),
    case("My Number, 101 people", {"is_my_number": True, "affected_count": 101}, True, True, False,
         ("my_number_over_threshold",)),
    case("not My Number, 101 people", {"affected_count": 101}, True, False, False, NO_TRIGGER),
    case("My Number, 1,001 people", {"is_my_number": True, "affected_count": 1001}, True, True, False,
         ("over_threshold", "my_number_over_threshold")),
    case("judged serious", {"judged_serious": True, "judged_serious_reason": "報道機関から問合せ"}, True, True, False,
         ("judged_serious",)),
    case("every trigger", {"involves_sensitive_data": True, "risk_of_financial_damage": True,
                           "suspected_unauthorized_purpose": True, "affected_count": 1001}, True, True, True,
         ("sensitive_data", "financial_damage", "unauthorized_purpose", "over_threshold")),
]


@pytest.mark.parametrize(("facts", "outcome", "reasons", "preliminary_reasons"), ASSESS_ROWS)
def test_the_privacymark_test(facts, outcome, reasons, preliminary_reasons):
    result = assess(**facts)
    assert (result.incident, result.preliminary, result.unauthorized_purpose) == outcome
    assert tuple(reason.code for reason in result.reasons) == reasons
    assert tuple(reason.code for reason in result.preliminary_reasons) == preliminary_reasons


def test_the_thresholds_are_the_rule_sets():
    rules = SimpleNamespace(pmark_subject_count_threshold=500, pmark_my_number_threshold=10)
    assert assess(affected_count=501, rules=rules).preliminary is True
    assert assess(affected_count=500, rules=rules).preliminary is False
    assert assess(affected_count=11, is_my_number=True, rules=rules).preliminary is True
    assert assess(affected_count=10, is_my_number=True, rules=rules).preliminary is False


def test_the_seeded_rule_set_holds_pmk500s_figures():
    rules = RuleSet.objects.in_force_on(DISCOVERED.date())
    assert (rules.pmark_subject_count_threshold, rules.pmark_my_number_threshold) == (1000, 100)
    assert (rules.pmark_preliminary_target_days, rules.pmark_preliminary_limit_days) == (3, 5)
    assert (rules.pmark_final_days, rules.pmark_final_unauthorized_purpose_days) == (30, 60)
    assert rules.pmark_measures_target_days == 3


def test_the_reasons_name_the_serious_case_and_the_suspected_event():
    serious = assess(judged_serious=True, judged_serious_reason="  報道機関から問合せがあった。 ")
    assert "報道機関から問合せがあった。" in str(serious.preliminary_reasons[0].message)
    with translation.override("en"):
        feared = assess(event="loss", suspected=True)
        assert "② Loss (紛失), suspected (⑨)" in str(feared.reasons[0].message)


@pytest.mark.parametrize(
    ("kind", "event"),
    [("leak", "leak"), ("loss", "loss"), ("damage", "destruction"), ("misuse", "purpose_violation"),
     ("violation", "none"), ("weakness", "none"), ("near_miss", "none"), ("other", "none")],
)
def test_each_kind_of_report_has_its_default_event(kind, event):
    assert event_of(kind, "") == event
    assert event_of(kind, PMarkEvent.REQUEST_REFUSAL) == "request_refusal"  # the office's choice wins
    assert set(IncidentKind.values) >= set(EVENT_OF_KIND)


# ---------------------------------------------------------------------------
# The three steps: 確報 → the assessment body's 事故措置の通知 → the report on measures


NOTICE_DAY = dt.date(2026, 5, 20)


@pytest.fixture
def closed(staff, manager, office, head):
    """A one-person leak, its PrivacyMark 確報 filed, closed on 2026-04-01."""
    return close_incident(assessed(staff, manager), manager=manager, head=head, closer=office)


def notice(received_on, due_on, requests="誤送信防止策の実施状況を報告すること。") -> dict:
    return {"pmark_notice_received_on": received_on, "pmark_notice_due_on": due_on, "pmark_notice_requests": requests}


@pytest.mark.parametrize(
    ("due_on", "target"),
    [
        (dt.date(2026, 6, 19), end_of("2026-06-16")),  # the reminder 3 days before the date set
        (dt.date(2026, 5, 23), end_of("2026-05-20")),  # exactly 3 days
        (dt.date(2026, 5, 22), end_of("2026-05-20")),  # less: not before the day the notice arrived
        (NOTICE_DAY, end_of("2026-05-20")),  # due on the day it arrived
    ],
)
def test_the_notice_on_a_closed_incident_owes_the_report_on_measures(frozen, closed, manager, due_on, target):
    assert closed.state == "closed"
    assert owed(closed) == NOTHING
    frozen.move_to(jst("2026-05-20 15:00"))
    incident = services.incident_update(incident=closed, by=manager, version=closed.version,
                                        **notice(NOTICE_DAY, due_on))
    assert incident.state == "closed"
    limit = dt.datetime.combine(due_on, dt.time.max, tzinfo=JAPAN)
    assert owed(incident) == {"pmark_measures": (target, limit)}

    # Filed after the close, like any report.
    measures = incident.tracks.get(kind=TrackKind.PMARK_MEASURES)
    filed = services.transition_record(measures, "file", by=manager, changes={
        "filed_at": jst("2026-05-20 15:00"), "recipient_reference": "JIPDEC-2026-0042"})
    assert (filed.state, filed.late) == ("filed", False)
    assert owed(incident) == NOTHING


def test_a_pending_report_on_measures_does_not_hold_up_the_close(frozen, staff, manager, office, head):
    incident = assessed(staff, manager)
    services.transition_record(incident.tracks.get(kind=TrackKind.PMARK_FINAL), "file", by=manager, changes={
        "filed_at": NOW, "recipient_reference": "JIPDEC-2026-0001"})
    frozen.move_to(jst("2026-04-10 09:00"))
    incident = Incident.objects.get(pk=incident.pk)
    incident = services.incident_update(incident=incident, by=manager, version=incident.version,
                                        **notice(dt.date(2026, 4, 10), dt.date(2026, 5, 8)))
    assert owed(incident) == {"pmark_measures": (end_of("2026-05-05"), end_of("2026-05-08"))}

    incident = close_incident(incident, manager=manager, head=head, closer=office)

    assert incident.state == "closed"
    assert list(incident.tracks.pending().values_list("kind", flat=True)) == ["pmark_measures"]


def test_no_report_on_measures_without_a_privacymark_report(staff, manager):
    incident = assessed(staff, manager, report={"kind": "weakness"})
    incident = services.incident_update(incident=incident, by=manager, version=incident.version,
                                        **notice(dt.date(2026, 4, 1), dt.date(2026, 4, 30)))
    assert owed(incident) == NOTHING


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"pmark_notice_due_on": None}, "pmark_notice_due_on", id="due cleared alone"),
        pytest.param({"pmark_notice_received_on": None}, "pmark_notice_received_on", id="received cleared alone"),
        pytest.param({"pmark_notice_due_on": dt.date(2026, 5, 19)}, "pmark_notice_due_on", id="due before received"),
        pytest.param({"pmark_notice_received_on": dt.date(2026, 5, 21), "pmark_notice_due_on": dt.date(2026, 6, 30)},
                     "pmark_notice_received_on", id="received in the future"),
        pytest.param({"pmark_notice_received_on": dt.date(1999, 12, 31)}, "pmark_notice_received_on",
                     id="received before 2000"),
        pytest.param({"pmark_notice_due_on": dt.date(2101, 1, 1)}, "pmark_notice_due_on", id="due after 2100"),
    ],
)
def test_a_bad_notice_is_refused_and_nothing_changes(frozen, closed, manager, changes, field):
    frozen.move_to(jst("2026-05-20 15:00"))
    incident = services.incident_update(incident=closed, by=manager, version=closed.version,
                                        **notice(NOTICE_DAY, dt.date(2026, 6, 19)))
    before = owed(incident)
    with pytest.raises(ValidationError) as error:
        services.incident_update(incident=incident, by=manager, version=incident.version, **changes)
    assert field in error.value.message_dict
    fresh = Incident.objects.get(pk=incident.pk)
    assert (fresh.pmark_notice_received_on, fresh.pmark_notice_due_on) == (NOTICE_DAY, dt.date(2026, 6, 19))
    assert owed(fresh) == before


def test_clearing_both_dates_withdraws_the_pending_report_on_measures(frozen, closed, manager):
    frozen.move_to(jst("2026-05-20 15:00"))
    incident = services.incident_update(incident=closed, by=manager, version=closed.version,
                                        **notice(NOTICE_DAY, dt.date(2026, 6, 19)))
    incident = services.incident_update(incident=incident, by=manager, version=incident.version,
                                        **notice(None, None, requests=""))
    assert owed(incident) == NOTHING
    measures = incident.tracks.get(kind=TrackKind.PMARK_MEASURES)
    assert (measures.state, measures.withdrawn_by_system) == ("not_required", True)


def test_staff_cannot_record_the_notice(frozen, closed, staff, head):
    frozen.move_to(jst("2026-05-20 15:00"))
    for person in (staff, head):  # the reporter, the department's head
        with pytest.raises(NotPermitted):
            services.incident_update(incident=closed, by=person, version=closed.version,
                                     **notice(NOTICE_DAY, dt.date(2026, 6, 19)))
    assert Incident.objects.get(pk=closed.pk).pmark_notice_received_on is None
    # Nor on their own report while it is open.
    own = assessed(staff, None)
    with pytest.raises(FieldsNotWritable) as refused:
        services.incident_update(incident=own, by=staff, version=own.version,
                                 **notice(NOTICE_DAY, dt.date(2026, 6, 19)))
    assert set(refused.value.fields) == {"pmark_notice_received_on", "pmark_notice_due_on", "pmark_notice_requests"}
