"""`manage.py seed_demo`: the demo group (株式会社INE and two group companies), complete and idempotent."""

import datetime as dt
import re
from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone, translation

from incidents import clocks, services
from incidents.models import (
    FOLLOW_UPS,
    Action,
    ActionKind,
    ActionState,
    Company,
    Department,
    Incident,
    IncidentKind,
    IncidentState,
    ReferenceCounter,
    ReportingTrack,
    RoleScope,
    TrackKind,
    TrackState,
    UserProfile,
)
from incidents.models.company import LeakAuthority, corporate_number_problem
from incidents.models.incident import TRACKS_UPDATED
from incidents.roles import Role, has_role, role_companies, seen_companies
from incidents.selectors import trail
from incidents.tracks import required_tracks, sync_tracks
from trail.models import TrailEntry as StateLog

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seed_demo_incidents")]

PASSWORD = "demo-pass-2026"
USERNAMES = ["staff", "manager", "office", "head_sales", "head_cs", "auditor", "auditlead", "executive", "admin",
             "sol_head_dev", "sol_auditor", "ins_manager", "ins_exec", "ins_staff"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    User = get_user_model()
    return {
        "counts": {model.__name__: model.objects.count() for model in (
            User, Company, RoleScope, Department, UserProfile, Group, Incident, Action, ReportingTrack, StateLog,
            ReferenceCounter,
        )},
        "companies": sorted(Company.objects.values_list(
            "code", "name", "corporate_number", "is_default", "holds_privacymark", "privacy_officer__username",
        )),
        "scopes": sorted(RoleScope.objects.values_list("user__username", "role", "company__code")),
        "incidents": sorted(Incident.objects.values_list("reference", "state", "updated_at")),
        "actions": sorted(Action.objects.values_list("reference", "state", "updated_at")),
        "tracks": sorted(ReportingTrack.objects.values_list(
            "incident__reference", "kind", "state", "due_at", "limit_at", "filed_at", "updated_at",
        )),
        "counters": sorted(ReferenceCounter.objects.values_list("prefix", "year", "last_number")),
        "users": sorted(User.objects.values_list("username", "password", "last_name", "first_name")),
    }


@pytest.fixture
def seeded(demo):
    """The demo, seeded once for this module (tests/conftest.py demo_once)."""
    return demo


def test_seeding_twice_changes_nothing(seeded):
    before = snapshot()
    with translation.override("en"):
        output = seed()
    assert snapshot() == before
    assert "0 incidents" in output


def test_seeding_after_real_use_adds_nothing_and_touches_nothing(seeded):
    staff = get_user_model().objects.get(username="staff")
    report = services.incident_report(
        reporter=staff, title="名刺の紛失", description="名刺入れを紛失した。", department=staff.profile.department,
        kind=IncidentKind.LOSS, discovered_at=timezone.now() - dt.timedelta(hours=1),
    )
    before = snapshot()
    seed()
    assert snapshot() == before
    assert Incident.objects.get(pk=report.pk).state == "reported"




def test_every_state_of_both_machines_is_present(seeded):
    assert set(Incident.objects.values_list("state", flat=True)) == set(IncidentState.values)
    assert set(Action.objects.values_list("state", flat=True)) == set(ActionState.values)


def test_the_records_cover_the_kinds_and_the_interesting_cases(seeded):
    assert set(Action.objects.values_list("kind", flat=True)) == set(ActionKind.values)
    kinds = set(Incident.objects.values_list("kind", flat=True))
    assert {"leak", "loss", "damage", "violation", "weakness", "near_miss"} <= kinds
    categories = {
        incident.title: {reason["category"] for reason in incident.reportable_reasons}
        for incident in Incident.objects.filter(reportable=True, company__is_default=True)
    }
    # Sensitive data (1), unauthorized purpose (3, once by the 2024 rule), over 1,000 (4).
    assert sorted(map(sorted, categories.values())) == [[1], [3], [3, 4], [4]]
    assert Incident.objects.filter(reportable=True, data_in_collection=True).exists()
    assert any(action.is_overdue for action in Action.objects.all())
    assert Action.objects.filter(incident__isnull=True).exists()
    assert StateLog.objects.filter(transition="verify_ineffective").exists()
    assert StateLog.objects.filter(transition="reopen").exists()


def test_every_role_has_a_user_and_every_department_a_head(seeded):
    User = get_user_model()
    for role in Role:
        assert User.objects.filter(groups__name=role.value).exists(), role
    assert User.objects.get(username="admin").is_superuser
    for username in ("manager", "office"):
        assert User.objects.get(username=username).is_staff
    assert not Department.objects.filter(head__isnull=True).exists()
    assert {"SALES", "CS", "HR", "IT", "GA", "PMS"} <= set(Department.objects.values_list("code", flat=True))
    manager = User.objects.get(username="manager")
    assert manager.profile.department.code == "PMS"
    assert (manager.last_name, manager.first_name) == ("高橋", "誠")


def test_the_demo_passwords_work(seeded, client):
    for username in USERNAMES:
        assert client.login(username=username, password=PASSWORD), username
        client.logout()


def test_it_prints_the_demo_logins(seeded):
    for username in USERNAMES:
        assert re.search(rf"^\s+{username}\s+{PASSWORD}\s", seeded, re.MULTILINE), username


def test_the_records_span_the_last_twelve_months(seeded):
    now = timezone.now()
    discovered = list(Incident.objects.values_list("discovered_at", flat=True))
    assert min(discovered) > now - dt.timedelta(days=366)
    assert min(discovered) < now - dt.timedelta(days=300)
    for record in [*Incident.objects.all(), *Action.objects.all()]:
        times = [entry.timestamp for entry in trail(record)]
        assert times == sorted(times), record
        assert times[0] == record.created_at, record
        assert times[-1] <= now
        if isinstance(record, Incident):
            # An edit (the PPC report items) changes it without a trail entry.
            assert times[-1] <= record.updated_at <= now, record
        else:
            assert record.updated_at == times[-1], record
    for track in ReportingTrack.objects.select_related("incident"):
        times = [entry.timestamp for entry in trail(track)]
        assert times == sorted(times), track
        # A report is owed from the report, or from the step that made it owed (the triage's
        # classification, the 確報 for the 追完, the assessment body's notice for the report
        # on measures), which the incident's trail records at that moment.
        if track.kind in FOLLOW_UPS or track.created_at != track.incident.created_at:
            updates = trail(track.incident).filter(transition=TRACKS_UPDATED)
            assert track.created_at in {entry.timestamp for entry in updates}, track
        assert all(track.created_at <= moment <= track.updated_at <= now for moment in times), track
    for incident in Incident.objects.all():
        assert incident.occurred_at is None or incident.occurred_at <= incident.discovered_at
        assert incident.discovered_at <= incident.created_at
        assert str(timezone.localtime(incident.created_at).year) in incident.reference


def test_the_demo_obeys_the_workflow_rules(seeded):
    for action in Action.objects.all():
        assert action.owner_id != action.verifier_id
        verifications = trail(action).filter(transition__in=["verify_effective", "verify_ineffective"])
        for entry in verifications:
            assert entry.by_id == action.verifier_id
    # Incidents' closes (audits and findings close too: tests/audits/test_seed_demo.py).
    closes = StateLog.objects.filter(transition="close", content_type__app_label="incidents",
                                     content_type__model="incident")
    for entry in closes:
        incident = Incident.objects.get(pk=entry.object_id)
        assert entry.by_id not in incident.implementer_ids()
    closer_names = set(closes.values_list("by__username", flat=True))
    assert "office" in closer_names


def assert_references_have_no_gaps():
    numbers = defaultdict(list)
    for model in (Incident, Action):
        for reference in model.objects.values_list("reference", flat=True):
            prefix, year, number = reference.split("-")
            numbers[(prefix, int(year))].append(int(number))
    for (prefix, year), taken in numbers.items():
        assert sorted(taken) == list(range(1, len(taken) + 1)), (prefix, year)
        assert ReferenceCounter.objects.get(prefix=prefix, year=year).last_number == len(taken)


def test_references_are_dated_in_order_and_without_gaps(seeded):
    assert_references_have_no_gaps()
    for model in (Incident, Action):
        references = list(model.objects.order_by("created_at", "pk").values_list("reference", flat=True))
        by_year = defaultdict(list)
        for reference in references:
            by_year[reference.rsplit("-", 1)[0]].append(reference)
        for in_year in by_year.values():
            assert in_year == sorted(in_year)


# ---------------------------------------------------------------------------
# Reporting tracks (issue 3)


def test_reports_are_in_every_state(seeded):
    assert set(ReportingTrack.objects.values_list("state", flat=True)) == set(TrackState.values)
    assert set(ReportingTrack.objects.values_list("kind", flat=True)) == set(TrackKind.values)
    filed = ReportingTrack.objects.filter(state=TrackState.FILED)
    assert [track.late for track in filed].count(True) == 1
    for track in filed:
        assert track.incident.discovered_at <= track.filed_at <= timezone.now()
        assert track.filed_by.groups.filter(name=Role.PMS_MANAGER).exists()
        assert track.recipient_reference or track.kind == TrackKind.DATA_SUBJECTS
    ppc = filed.filter(kind=TrackKind.PPC_PRELIMINARY).first()
    assert ppc.recipient_reference.startswith(f"PPC受付番号 {timezone.localtime(ppc.filed_at).year}-")


def test_reports_decided_not_required_by_a_person_and_by_the_system(seeded):
    decided = ReportingTrack.objects.filter(state=TrackState.NOT_REQUIRED, withdrawn_by_system=False)
    assert decided.count() >= 1
    for track in decided:
        entry = trail(track).get(transition="not_required")
        assert entry.by.username in ("manager", "office")
        assert track.not_required_reason.strip()
    # Dismissing a report withdraws what it owed.
    dismissed = Incident.objects.get(state=IncidentState.DISMISSED)
    assert [track.withdrawn_by_system for track in dismissed.tracks.all()] == [True]


def test_the_entrusting_business_release(seeded):
    incident = Incident.objects.exclude(entrusted_by="").get()
    tracks = {track.kind: track for track in incident.tracks.all()}
    assert tracks[TrackKind.ENTRUSTING_PARTY].state == TrackState.FILED
    for kind in (TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL, TrackKind.DATA_SUBJECTS):
        assert tracks[kind].state == TrackState.NOT_REQUIRED
        assert tracks[kind].withdrawn_by_system
        assert "委託元" in tracks[kind].not_required_reason
    # The PrivacyMark reports are not released.
    assert tracks[TrackKind.PMARK_FINAL].state == TrackState.FILED
    assert incident.state == IncidentState.CLOSED




def test_the_showcase_leak_of_1200_customers(seeded):
    incident = Incident.objects.get(affected_count=1200)
    assert incident.kind == IncidentKind.LEAK
    assert incident.suspected_unauthorized_purpose and incident.reportable
    assert "住所" in incident.data_items
    assert {reason["category"] for reason in incident.reportable_reasons} == {3, 4}
    assert incident.state in (IncidentState.TRIAGED, IncidentState.CONTAINED)
    assert timezone.now() - dt.timedelta(days=3) < incident.discovered_at < timezone.now() - dt.timedelta(days=1)
    tracks = {track.kind: track for track in incident.tracks.all()}
    assert set(tracks) == {
        TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL, TrackKind.PMARK_PRELIMINARY, TrackKind.PMARK_FINAL,
        TrackKind.DATA_SUBJECTS,
    }
    assert {track.state for track in tracks.values()} == {TrackState.PENDING}
    assert tracks[TrackKind.PPC_PRELIMINARY].limit_at == incident.discovered_at + dt.timedelta(days=5)
    assert tracks[TrackKind.PPC_FINAL].limit_at == clocks.day_count_limit(incident.discovered_at, 60)
    # Its 速報 target (3 days) is within the next 24 hours: it is on the dashboard as due soon.
    assert tracks[TrackKind.PPC_PRELIMINARY] in ReportingTrack.objects.due_soon()


def test_the_reportable_incidents_hold_the_ppc_report_items(seeded):
    fields = ["discovery_route", "secondary_harm", "subject_response", "publication", "recurrence_prevention",
              "other_information"]
    for incident in Incident.objects.filter(reportable=True):
        assert all(getattr(incident, name).strip() for name in fields), incident


def test_the_clocks_are_those_of_the_discovery_time(seeded):
    manager = get_user_model().objects.get(username="manager")
    for incident in Incident.objects.all():
        assert sync_tracks(incident, by=manager) == [], incident
    assert not Incident.objects.filter(
        state=IncidentState.CLOSED, tracks__state=TrackState.PENDING,
    ).exists()


# ---------------------------------------------------------------------------
# The trail: written once, at the moment of each step (the seeder replays the stories with
# the clock moved, and never dates anything after the fact)




def test_every_time_is_the_moment_of_its_step(seeded):
    """Creation and change times, the saved versions and the times the steps set agree with the
    trail entries of those steps: all were written at the step's moment."""
    for model in (Incident, Action, ReportingTrack):
        for record in model.objects.all():
            versions = list(record.history.order_by("history_id").values_list("history_date", flat=True))
            assert versions == sorted(versions), record
            assert versions[0] == record.created_at and versions[-1] == record.updated_at, record
    stamps = {Incident: {"contain": "contained_at", "close": "closed_at", "dismiss": "closed_at"},
              Action: {"implement": "implemented_at", "verify_effective": "verified_at"},
              ReportingTrack: {"file": "filed_at"}}
    for model, by_step in stamps.items():
        for record in model.objects.all():
            for name, attname in by_step.items():
                entries = list(trail(record).filter(transition=name))
                if entries and getattr(record, attname) is not None:
                    assert getattr(record, attname) == entries[-1].timestamp, (record, name)
    # The demo's people were there before anything happened to them.
    first = StateLog.objects.order_by("timestamp").first().timestamp
    User = get_user_model()
    assert User.objects.filter(username__in=USERNAMES).count() == len(USERNAMES)
    assert all(user.date_joined < first for user in User.objects.filter(username__in=USERNAMES))


def test_the_steps_are_played_in_date_order_across_stories(seeded):
    """One timeline for every story: the trail's order of writing (its chain) is the order of time."""
    times = list(StateLog.objects.order_by("chain_seq").values_list("timestamp", flat=True))
    assert times == sorted(times)




# ---------------------------------------------------------------------------
# The group (issue 12): 株式会社INE and two group companies


def company(code: str) -> Company:
    return Company.objects.get(code=code)


def user(username: str):
    return get_user_model().objects.get(username=username)


def test_the_demo_is_a_group_of_three_companies(seeded):
    assert list(Company.objects.values_list("code", flat=True)) == ["INE", "SOL", "INS"]
    ine, sol, ins = company("INE"), company("SOL"), company("INS")
    assert Company.objects.default() == ine and ine.name == "株式会社INE"
    for each in (ine, sol, ins):
        assert corporate_number_problem(each.corporate_number) is None, each
        # A few departments each, every one with a head, and people in them.
        departments = Department.objects.filter(company=each)
        assert departments.count() >= 2, each
        assert not departments.filter(head__isnull=True).exists(), each
        assert UserProfile.objects.filter(department__company=each).count() >= 3, each
        assert department_company(each.privacy_officer) == each
    # INE: PrivacyMark, the responsible company for jointly used data.
    assert ine.holds_privacymark and ine.privacymark_number and "JIPDEC" in ine.privacymark_body
    assert ine.joint_use_manager and not sol.joint_use_manager and not ins.joint_use_manager
    # ISMS only.
    assert sol.iso27001_certified and sol.iso27001_certificate and not sol.holds_privacymark
    # PrivacyMark, its leaks reported to the ministry the PPC delegated to.
    assert ins.holds_privacymark and ins.leak_authority == LeakAuthority.DELEGATED
    assert ins.leak_authority_display == "金融庁" and ine.leak_authority_display == "個人情報保護委員会"
    assert {ine.privacy_officer.username, ins.privacy_officer.username} == {"manager", "ins_manager"}


def department_company(person) -> Company:
    return person.profile.department.company


def test_the_group_office_holds_its_roles_for_the_whole_group_and_a_group_company_its_own(seeded):
    for username, role in [("manager", Role.PMS_MANAGER), ("office", Role.PMS_MANAGER), ("auditor", Role.AUDITOR),
                           ("auditlead", Role.AUDIT_LEAD), ("executive", Role.EXECUTIVE)]:
        person = user(username)
        assert RoleScope.objects.get(user=person, role=role).company is None, username
        assert role_companies(person, role) is None, username
        assert set(Incident.objects.visible_to(person)) == set(Incident.objects.all()), username
    ins = company("INS")
    for username, role in [("ins_manager", Role.PMS_MANAGER), ("ins_exec", Role.EXECUTIVE)]:
        person = user(username)
        assert [scope.company for scope in RoleScope.objects.filter(user=person)] == [ins], username
        assert role_companies(person, role) == {ins.pk}, username
        assert not has_role(person, role, company=company("INE")), username
        # Every record of its company, and none of the others'.
        assert set(Incident.objects.visible_to(person)) == set(Incident.objects.filter(company=ins)), username
        assert set(Action.objects.visible_to(person)) == set(Action.objects.filter(company=ins)), username
    # Department heads and staff hold their roles where they work, without a scope of their own.
    assert not RoleScope.objects.filter(user__username__in=["head_sales", "sol_head_dev", "ins_head", "staff"]).exists()
    assert seen_companies(user("sol_head_dev")) == frozenset()
    assert set(Incident.objects.visible_to(user("sol_head_dev"))) == set(
        Incident.objects.filter(department__head__username="sol_head_dev"))




def test_the_joint_use_incident_owes_its_notice_to_ine(seeded):
    incident = Incident.objects.get(involves_joint_use=True)
    ins, ine = company("INS"), company("INE")
    assert (incident.company, incident.joint_use_company) == (ins, ine)
    tracks = {track.kind: track for track in incident.tracks.all()}
    notice = tracks[TrackKind.JOINT_USE]
    assert notice.state == TrackState.FILED and not notice.late
    assert notice.filed_by == user("ins_manager") and "株式会社INE" in notice.recipient_reference
    assert notice.filed_at - incident.discovered_at < dt.timedelta(hours=3)
    # Its company holds PrivacyMark: its own report to the body is owed.
    assert tracks[TrackKind.PMARK_FINAL].state == TrackState.PENDING
    # Run by the group company's own PMS manager; INE's office sees it too.
    assert trail(incident).get(transition="triage").by == user("ins_manager")
    assert incident in Incident.objects.visible_to(user("ins_manager"))
    assert incident in Incident.objects.visible_to(user("manager"))
    assert incident not in Incident.objects.visible_to(user("staff"))


def test_the_isms_only_company_owes_no_privacymark_report(seeded):
    sol = company("SOL")
    incidents = Incident.objects.filter(company=sol)
    assert incidents.exists()
    assert not ReportingTrack.objects.filter(
        incident__company=sol, kind__in=[TrackKind.PMARK_PRELIMINARY, TrackKind.PMARK_FINAL]).exists()
    # Its leak of over 1,000 applicants' résumés owes the PPC's reports all the same.
    leak = incidents.get(kind=IncidentKind.LEAK, reportable=True)
    kinds = set(leak.tracks.values_list("kind", flat=True))
    assert kinds == {TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL, TrackKind.DATA_SUBJECTS}
    _plans, reasons = required_tracks(leak)
    assert "株式会社INEソリューションズ" in reasons[TrackKind.PMARK_FINAL]
    assert "株式会社INEソリューションズ" in reasons[TrackKind.PMARK_PRELIMINARY]
    # The PrivacyMark holders' leaks do owe it.
    assert ReportingTrack.objects.filter(incident__company__code="INE", kind=TrackKind.PMARK_FINAL).exists()




# ---------------------------------------------------------------------------
# Handlers and progress logs (issue 14)


def test_the_open_cases_have_handlers_and_the_showcase_a_progress_log(seeded):
    from incidents.ppc_report import build_ppc_report

    office = Incident.objects.filter(company__is_default=True)
    handled = office.exclude(state__in=[IncidentState.REPORTED, IncidentState.CLOSED, IncidentState.DISMISSED])
    # Every case the office runs has a handler; the report not yet triaged waits for one.
    assert handled.exists() and not handled.filter(handler__isnull=True).exists()
    assert set(handled.values_list("handler__username", flat=True)) == {"manager", "office"}
    assert not office.filter(state=IncidentState.REPORTED, handler__isnull=False).exists()
    for incident in Incident.objects.exclude(handler=None):
        # Assigned by the PMS office, through the service (a saved version names the handler).
        assert has_role(incident.handler, Role.PMS_MANAGER, company=incident.company_id), incident
        assert incident.history.filter(handler=incident.handler).exists(), incident
    # The showcase leak: open, handled by the PMS manager, its progress log of 3–5 entries
    # written by the people on the case, in order and in the past.
    showcase = Incident.objects.get(affected_count=1200)
    assert showcase.is_open and showcase.handler.username == "manager"
    entries = list(showcase.progress_entries.order_by("occurred_at", "id"))
    assert 3 <= len(entries) <= 5
    assert {entry.written_by.username for entry in entries} >= {"head_it", "office", "manager"}
    assert showcase.discovered_at <= entries[0].occurred_at
    assert all(entry.occurred_at <= entry.created_at < timezone.now() for entry in entries)
    # They are the 事実経過 of its report to the PPC (item 1).
    course = build_ppc_report(showcase).document.split("・事実経過：", 1)[1]
    for entry in entries:
        assert entry.text in course
    assert f"{timezone.localtime(entries[0].occurred_at):%Y年%m月%d日 %H時%M分}" in course


# ---------------------------------------------------------------------------
# Readings (issue 14: the person pickers find people by kana)


def test_every_demo_person_has_a_katakana_reading(seeded):
    from audits.demo.people import DEMO_USERS

    readings = dict(UserProfile.objects.values_list("user__username", "name_kana"))
    assert {demo.username: readings[demo.username] for demo in DEMO_USERS} == {
        demo.username: demo.kana for demo in DEMO_USERS}
    katakana = re.compile(r"[ァ-ヶー]+ [ァ-ヶー]+")
    assert all(katakana.fullmatch(demo.kana) for demo in DEMO_USERS), [d.kana for d in DEMO_USERS]
    assert readings["office"] == "タナカ ミサキ"


@pytest.mark.parametrize("typed", ["たなか", "タナカ", "ﾀﾅｶ", "たなか みさき", "タナカミサキ"])
def test_the_person_picker_finds_tanaka_misaki_by_her_reading(seeded, client, typed):
    from incidents import people

    found = people.search(people.eligible(), typed)
    assert [(user.last_name, user.first_name) for user in found] == [("田中", "美咲")]
    client.force_login(get_user_model().objects.get(username="manager"))
    response = client.get("/people/search/", {"q": typed, "role": "pms_manager"})
    assert response.status_code == 200
    assert [(row["username"], row["kana"]) for row in response.json()] == [("office", "タナカ ミサキ")]


def test_seeding_again_gives_the_demo_people_their_readings_and_keeps_one_edited(seeded):
    UserProfile.objects.filter(user__username__in=["office", "auditor2", "ins_staff"]).update(name_kana="")
    UserProfile.objects.filter(user__username="staff").update(name_kana="サトウ ハナ")  # corrected by hand
    seed()
    readings = dict(UserProfile.objects.values_list("user__username", "name_kana"))
    assert (readings["office"], readings["auditor2"], readings["ins_staff"]) == (
        "タナカ ミサキ", "マツモト リョウ", "マツダ アヤ")
    assert readings["staff"] == "サトウ ハナ"
