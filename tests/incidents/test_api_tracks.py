"""The reporting tracks through the API: on the incident, /api/tracks/, filing, and the 委託元 release.

Every test runs at a fixed moment (time_machine), because every answer here depends on the clock.
"""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_fsm_log.models import StateLog
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents import services
from incidents.clocks import JAPAN
from incidents.models import CauseCategory, Incident, ReportingTrack, RuleSet, TrackKind
from tests.incidents.factories import (
    ActionFactory,
    DepartmentFactory,
    UserFactory,
    file_pending_tracks,
    reported_incident,
)

pytestmark = pytest.mark.django_db

# A Monday in June, a month without national holidays: the 確報 limit is plain day 30, Tue 6/30.
DISCOVERED = dt.datetime(2026, 6, 1, 9, 0, tzinfo=JAPAN)
NOW = DISCOVERED + dt.timedelta(hours=1)

TRACKS_URL = reverse("api:track-list")
INCIDENTS_URL = reverse("api:incident-list")

TRACK_FIELDS = {
    "id", "kind", "kind_display", "state", "state_display", "due_at", "limit_at", "filed_at", "filed_by",
    "recipient_reference", "method", "filing_note", "not_required_reason", "overdue", "late", "version",
}
# In the order of the lists: by limit, then in the order the system created them.
REPORTABLE_KINDS = ["ppc_preliminary", "pmark_preliminary", "ppc_final", "pmark_final", "data_subjects"]


def at(days=0, hours=0, minutes=0) -> dt.datetime:
    return DISCOVERED + dt.timedelta(days=days, hours=hours, minutes=minutes)


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.max, tzinfo=JAPAN)


def moment(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def detail_url(track) -> str:
    return reverse("api:track-detail", args=[track.pk])


def transitions_url(track) -> str:
    return reverse("api:track-transitions", args=[track.pk])


def transition_url(track, name: str) -> str:
    return reverse("api:track-transition", args=[track.pk, name])


def history_url(track) -> str:
    return reverse("api:track-history", args=[track.pk])


def incident_url(incident) -> str:
    return reverse("api:incident-detail", args=[incident.pk])


@pytest.fixture
def clock():
    """Time stands still at NOW; `clock.move_to(...)` moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def leak(reporter, **overrides) -> Incident:
    """A leak of one customer's medical history (category 1: reportable), discovered at DISCOVERED."""
    data = {"discovered_at": DISCOVERED, "occurred_at": DISCOVERED - dt.timedelta(hours=3),
            "involves_sensitive_data": True, "affected_count": 1, "data_items": "氏名、病歴"}
    return reported_incident(reporter, **{**data, **overrides})


def track_of(incident, kind) -> ReportingTrack:
    return incident.tracks.get(kind=kind)


def filing(**overrides) -> dict:
    data = {"filed_at": NOW.isoformat(), "recipient_reference": "PPC-2026-000123", "method": "online_form",
            "filing_note": "報告フォームから送信", "comment": "速報を提出した。"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# ---------------------------------------------------------------------------
# The tracks on the incident


def test_a_reportable_leak_owes_five_reports_with_their_clocks(api_as, clock, staff, manager):
    incident = leak(staff)

    body = api_as(manager).get(incident_url(incident), HTTP_ACCEPT_LANGUAGE="en").json()

    assert body["reportable"] is True
    assert body["rule_set"] == RuleSet.objects.in_force_on(DISCOVERED.date()).version
    tracks = body["tracks"]
    assert all(track.keys() == TRACK_FIELDS for track in tracks)
    # Sorted by limit: the 速報s first (5 days from the moment of discovery), then the 確報s (day 30).
    assert [track["kind"] for track in tracks] == REPORTABLE_KINDS
    clocks = {t["kind"]: (moment(t["due_at"]), moment(t["limit_at"])) for t in tracks}
    assert clocks == {
        "ppc_preliminary": (at(days=3), at(days=5)),
        "pmark_preliminary": (at(days=3), at(days=5)),
        "data_subjects": (at(days=5), end_of("2026-06-30")),  # no later than the 確報
        "ppc_final": (end_of("2026-06-30"), end_of("2026-06-30")),
        "pmark_final": (end_of("2026-06-30"), end_of("2026-06-30")),
    }
    assert all(t["state"] == "pending" and t["state_display"] == "Pending" for t in tracks)
    assert all((t["filed_at"], t["filed_by"], t["overdue"], t["late"]) == (None, None, False, False)
               for t in tracks)
    kinds = {t["kind"]: t["kind_display"] for t in tracks}
    assert kinds["ppc_final"] == "PPC final report (確報)"
    assert moment(tracks[0]["limit_at"]).utcoffset() == dt.timedelta(hours=9)


def test_unauthorized_access_gives_the_final_reports_60_days(api_as, clock, staff, manager):
    incident = leak(staff, involves_sensitive_data=False, suspected_unauthorized_purpose=True)

    tracks = api_as(manager).get(incident_url(incident)).json()["tracks"]

    limits = {t["kind"]: moment(t["limit_at"]) for t in tracks}
    assert limits["ppc_final"] == limits["pmark_final"] == end_of("2026-07-30")  # day 60, a Thursday


def test_a_leak_that_is_not_reportable_owes_the_privacymark_final_report_only(api_as, clock, staff, manager):
    incident = leak(staff, involves_sensitive_data=False, affected_count=40)

    body = api_as(manager).get(incident_url(incident)).json()

    assert body["reportable"] is False
    assert [(t["kind"], t["state"], moment(t["limit_at"])) for t in body["tracks"]] == [
        ("pmark_final", "pending", end_of("2026-06-30"))]


def test_a_near_miss_owes_nothing(api_as, clock, staff, manager):
    incident = leak(staff, kind="near_miss", involves_sensitive_data=False)

    assert api_as(manager).get(incident_url(incident)).json()["tracks"] == []


def test_the_incident_list_shows_the_tracks_too(api_as, clock, staff, manager):
    leak(staff)
    leak(staff, involves_sensitive_data=False)

    rows = api_as(manager).get(INCIDENTS_URL, {"ordering": "reference"}).json()["results"]

    assert [[t["kind"] for t in row["tracks"]] for row in rows] == [REPORTABLE_KINDS, ["pmark_final"]]


def test_a_classification_change_updates_the_tracks_and_the_trail(api_as, clock, staff, manager):
    incident = leak(staff, involves_sensitive_data=False)
    client = api_as(manager)

    response = client.patch(incident_url(incident), {"version": incident.version, "affected_count": 1500}, format="json",
                            HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200, response.content
    assert sorted(t["kind"] for t in response.json()["tracks"]) == sorted(REPORTABLE_KINDS)
    trail = client.get(reverse("api:incident-history", args=[incident.pk]), HTTP_ACCEPT_LANGUAGE="en").json()
    assert [e["transition"] for e in trail] == ["report", "update_tracks", "update_tracks"]
    assert trail[-1]["by"]["username"] == "manager"
    with translation.override(settings.LANGUAGE_CODE):  # stored text is in the company's language
        line = translation.gettext("%(track)s: required, limit %(limit)s.") % {
            "track": TrackKind.PPC_FINAL.label, "limit": "2026-06-30 23:59"}
    assert line in trail[-1]["comment"].split("\n")


def test_the_system_withdraws_and_reinstates_tracks_when_the_classification_changes(api_as, clock, staff,
                                                                                     manager):
    incident = services.transition_record(leak(staff), "triage", by=manager, changes={"severity": "L3"})
    client = api_as(manager)
    track = track_of(incident, TrackKind.PPC_FINAL)

    encrypted = client.patch(incident_url(incident), {"version": incident.version, "strongly_encrypted": True}, format="json",
                             HTTP_ACCEPT_LANGUAGE="en")
    assert encrypted.status_code == 200, encrypted.content
    states = {t["kind"]: t["state"] for t in encrypted.json()["tracks"]}
    assert states == {**dict.fromkeys(REPORTABLE_KINDS, "not_required"), "pmark_final": "pending"}
    withdrawn = client.get(detail_url(track), HTTP_ACCEPT_LANGUAGE="en").json()
    with translation.override(settings.LANGUAGE_CODE):  # stored text is in the company's language
        prefix = translation.gettext("Not a reportable situation: %(reason)s").split("%(reason)s")[0]
    assert withdrawn["not_required_reason"].startswith(prefix)
    assert client.get(transitions_url(track)).json() == []  # nobody reinstates by hand

    clock.move_to(at(days=1))
    # The next edit carries the version the last answer showed.
    restored = client.patch(incident_url(incident), {"version": encrypted.json()["version"],
                                                     "strongly_encrypted": False}, format="json")
    assert {t["kind"]: t["state"] for t in restored.json()["tracks"]} == dict.fromkeys(REPORTABLE_KINDS, "pending")

    history = client.get(history_url(track), HTTP_ACCEPT_LANGUAGE="en").json()
    assert [(e["transition"], e["transition_label"], e["from_state"], e["to_state"], e["by"]["username"])
            for e in history] == [
        ("withdraw", "No longer required (decided by the system)", "pending", "not_required", "manager"),
        ("reinstate", "Required again (decided by the system)", "not_required", "pending", "manager"),
    ]
    assert client.get(detail_url(track)).json()["not_required_reason"] == ""


@pytest.mark.parametrize("field", ["tracks", "rule_set"])
def test_the_tracks_and_the_rule_set_are_read_only_on_the_incident(api_as, clock, staff, manager, field):
    incident = leak(staff)

    response = api_as(manager).patch(incident_url(incident), {"version": incident.version, field: []}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {field}


# ---------------------------------------------------------------------------
# The PPC report's items are the PMS office's to fill in

PPC_ITEMS = {
    "discovery_route": "顧客からの問い合わせで判明した。",
    "secondary_harm": "現時点で二次被害は確認されていない。",
    "subject_response": "対象の本人に電話で連絡した。",
    "publication": "公表していない。",
    "recurrence_prevention": "送信前の宛先確認を二人で行う。",
    "other_information": "特になし。",
}


def test_the_pms_manager_fills_in_the_ppc_report_items(api_as, clock, staff, manager):
    incident = services.transition_record(leak(staff), "triage", by=manager, changes={"severity": "L3"})

    response = api_as(manager).patch(incident_url(incident), {"version": incident.version, **PPC_ITEMS}, format="json")

    assert response.status_code == 200, response.content
    assert {key: response.json()[key] for key in PPC_ITEMS} == PPC_ITEMS
    stored = Incident.objects.filter(pk=incident.pk).values(*PPC_ITEMS).get()
    assert stored == PPC_ITEMS


@pytest.mark.parametrize("field", sorted(PPC_ITEMS))
def test_the_reporter_may_not_fill_in_the_ppc_report_items(api_as, clock, staff, field):
    incident = leak(staff)

    response = api_as(staff).patch(incident_url(incident), {"version": incident.version, field: PPC_ITEMS[field]},
                                   format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Incident.objects.filter(pk=incident.pk).values_list(field, flat=True).get() == ""


# ---------------------------------------------------------------------------
# /api/tracks/: list and detail


def test_a_track_in_detail_names_its_incident(api_as, clock, staff, manager):
    incident = leak(staff)
    track = track_of(incident, TrackKind.PPC_FINAL)

    body = api_as(manager).get(detail_url(track)).json()

    assert (body["id"], body["incident"], body["incident_reference"], body["incident_title"]) == (
        track.pk, incident.pk, incident.reference, incident.title)
    assert TRACK_FIELDS <= body.keys()


def test_the_list_is_sorted_by_limit_and_filtered(api_as, clock, staff, manager):
    first = leak(staff)
    clock.move_to(at(days=1, hours=1))
    second = leak(staff, discovered_at=at(days=1), involves_sensitive_data=False)
    file_pending_tracks(second, manager)
    client = api_as(manager)

    def rows(**query):
        response = client.get(TRACKS_URL, query)
        assert response.status_code == 200, response.content
        return [(row["incident"], row["kind"]) for row in response.json()["results"]]

    assert [moment(row["limit_at"]) for row in client.get(TRACKS_URL).json()["results"]] == sorted(
        moment(row["limit_at"]) for row in client.get(TRACKS_URL).json()["results"])
    assert len(rows()) == 6
    assert rows(kind="ppc_final") == [(first.pk, "ppc_final")]
    assert rows(kind=["ppc_final", "pmark_final"]) == [
        (first.pk, "ppc_final"), (first.pk, "pmark_final"), (second.pk, "pmark_final")]
    assert rows(state="filed") == [(second.pk, "pmark_final")]
    assert len(rows(state="pending")) == 5
    assert rows(incident=second.pk) == [(second.pk, "pmark_final")]
    assert rows(search=second.reference) == [(second.pk, "pmark_final")]
    assert rows(ordering="-limit_at")[0] == (second.pk, "pmark_final")  # day 30 from the later discovery
    assert client.get(TRACKS_URL, {"kind": "ppc_daily"}).status_code == 400


def test_the_overdue_filter_follows_the_clock(api_as, clock, staff, manager):
    incident = leak(staff)
    client = api_as(manager)

    def overdue(value):
        return sorted(row["kind"] for row in client.get(TRACKS_URL, {"overdue": value}).json()["results"])

    assert overdue("true") == []
    assert len(overdue("false")) == 5

    clock.move_to(at(days=5))  # the last moment of the 速報s' limit: not yet overdue
    assert overdue("true") == []

    clock.move_to(at(days=5, minutes=1))
    assert overdue("true") == ["pmark_preliminary", "ppc_preliminary"]
    assert overdue("false") == ["data_subjects", "pmark_final", "ppc_final"]
    rows = {row["kind"]: row for row in client.get(incident_url(incident)).json()["tracks"]}
    assert (rows["ppc_preliminary"]["overdue"], rows["ppc_final"]["overdue"]) == (True, False)

    # Filed tracks are never overdue, however late.
    services.transition_record(track_of(incident, TrackKind.PPC_PRELIMINARY), "file", by=manager,
                               changes={"filed_at": at(days=5, minutes=1), "recipient_reference": "R-1"})
    assert overdue("true") == ["pmark_preliminary"]

    clock.move_to(end_of("2026-06-30") + dt.timedelta(seconds=1))
    assert overdue("true") == ["data_subjects", "pmark_final", "pmark_preliminary", "ppc_final"]


def test_each_user_sees_the_tracks_of_the_incidents_they_see(api_as, clock, staff, other_staff, head, manager):
    own = leak(staff)
    others = leak(other_staff, involves_sensitive_data=False)

    def incidents_seen(user):
        return {row["incident"] for row in api_as(user).get(TRACKS_URL).json()["results"]}

    assert incidents_seen(staff) == {own.pk}
    assert incidents_seen(other_staff) == {others.pk}
    assert incidents_seen(head) == {own.pk}  # the sales department's
    assert incidents_seen(manager) == {own.pk, others.pk}
    assert incidents_seen(UserFactory(roles=["auditor"])) == {own.pk, others.pk}


def test_tracks_of_invisible_incidents_are_404_everywhere(api_as, clock, staff, other_staff, manager):
    track = track_of(leak(staff), TrackKind.PPC_PRELIMINARY)
    client = api_as(other_staff)

    assert client.get(detail_url(track)).status_code == 404
    assert client.get(transitions_url(track)).status_code == 404
    assert client.get(history_url(track)).status_code == 404
    response = client.post(transition_url(track, "file"), filing(), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert ReportingTrack.objects.get(pk=track.pk).state == "pending"


def test_tracks_are_not_created_edited_or_deleted_by_hand(api_as, clock, staff, manager):
    incident = leak(staff)
    track = track_of(incident, TrackKind.PPC_PRELIMINARY)
    client = api_as(manager)

    assert client.post(TRACKS_URL, {"incident": incident.pk, "kind": "ppc_final"}, format="json").status_code == 405
    assert client.patch(detail_url(track), {"state": "filed"}, format="json").status_code == 405
    assert client.put(detail_url(track), {"version": track.version, "recipient_reference": "x"}, format="json").status_code == 405
    assert client.delete(detail_url(track)).status_code == 405
    assert ReportingTrack.objects.get(pk=track.pk).state == "pending"


@pytest.mark.parametrize("who", ["manager", "staff"])
def test_the_track_list_takes_the_same_number_of_queries_for_5_and_50_incidents(request, clock, who):
    user = request.getfixturevalue(who)
    # Authenticated like a real client, loading the user (and their roles) on every request.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    filer = UserFactory(roles=["staff", "pms_manager"])

    def make(count):
        for _ in range(count):
            incident = leak(user if who == "staff" else UserFactory(department=DepartmentFactory()))
            # One filed track each, so that `filed_by` is read for every page too.
            services.transition_record(track_of(incident, TrackKind.PMARK_FINAL), "file", by=filer,
                                       changes={"filed_at": NOW, "recipient_reference": "R"})

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(TRACKS_URL, {"page_size": 200})
        assert response.status_code == 200
        return len(queries), response.json()

    make(5)
    with_5, _ = count_queries()
    make(45)
    with_50, body = count_queries()

    assert (body["count"], len(body["results"])) == (250, 200)
    filed = client.get(TRACKS_URL, {"state": "filed", "page_size": 200}).json()["results"]
    assert [row["filed_by"]["id"] for row in filed] == [filer.pk] * 50
    assert with_5 == with_50


# ---------------------------------------------------------------------------
# GET …/transitions/


def test_the_pms_manager_may_file_or_mark_not_required(api_as, clock, staff, manager):
    track = track_of(leak(staff), TrackKind.PPC_PRELIMINARY)

    options = api_as(manager).get(transitions_url(track), HTTP_ACCEPT_LANGUAGE="en").json()

    assert [(o["name"], o["target"]) for o in options] == [("file", "filed"), ("not_required", "not_required")]
    assert [f["name"] for f in options[0]["fields"]] == ["filed_at", "recipient_reference", "method", "filing_note"]
    assert [f["name"] for f in options[1]["fields"]] == ["not_required_reason"]
    assert options[0]["target_display"] == "Filed"


def test_staff_are_offered_nothing_on_their_own_incidents_tracks(api_as, clock, staff):
    track = track_of(leak(staff), TrackKind.PPC_PRELIMINARY)

    assert api_as(staff).get(transitions_url(track)).json() == []


def test_nothing_is_offered_on_a_filed_track(api_as, clock, staff, manager):
    incident = leak(staff)
    file_pending_tracks(incident, manager)

    assert api_as(manager).get(transitions_url(track_of(incident, TrackKind.PPC_FINAL))).json() == []


# ---------------------------------------------------------------------------
# POST …/transitions/file/


def test_the_pms_manager_files_a_report(api_as, clock, staff, manager):
    incident = leak(staff)
    track = track_of(incident, TrackKind.PPC_PRELIMINARY)
    clock.move_to(at(days=2))

    response = api_as(manager).post(transition_url(track, "file"), filing(filed_at=at(days=1, hours=23).isoformat()),
                                    format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["state"], body["state_display"]) == (track.pk, "filed", "Filed")
    assert body["filed_by"] == {"id": manager.pk, "username": "manager", "name": "manager"}
    assert moment(body["filed_at"]) == at(days=1, hours=23)
    assert (body["recipient_reference"], body["method"], body["filing_note"]) == (
        "PPC-2026-000123", "online_form", "報告フォームから送信")
    assert (body["late"], body["overdue"]) == (False, False)
    track.refresh_from_db()
    assert (track.state, track.filed_by, track.filed_at) == ("filed", manager, at(days=1, hours=23))
    log = StateLog.objects.for_(track).get()
    assert (log.transition, log.by, log.description) == ("file", manager, "速報を提出した。")
    # The incident shows it too.
    shown = {t["kind"]: t for t in api_as(staff).get(incident_url(incident)).json()["tracks"]}
    assert (shown["ppc_preliminary"]["state"], shown["ppc_final"]["state"]) == ("filed", "pending")


def test_the_data_subjects_notice_takes_the_method_instead_of_a_reference(api_as, clock, staff, manager):
    track = track_of(leak(staff), TrackKind.DATA_SUBJECTS)
    client = api_as(manager)

    without = client.post(transition_url(track, "file"), filing(recipient_reference=None, method=None),
                          format="json", HTTP_ACCEPT_LANGUAGE="en")
    notice = client.post(transition_url(track, "file"), filing(recipient_reference=None, method="publication"),
                         format="json")

    assert without.status_code == 400
    assert without.json()["unmet_conditions"] == [
        "Choose how the data subjects were notified (or the substitute measure)."]
    assert notice.status_code == 200, notice.content
    assert (notice.json()["state"], notice.json()["method"]) == ("filed", "publication")


def test_filing_after_the_limit_is_late_and_stays_late(api_as, clock, staff, manager):
    incident = leak(staff)
    track = track_of(incident, TrackKind.PPC_PRELIMINARY)
    client = api_as(manager)
    clock.move_to(at(days=6))
    assert client.get(detail_url(track)).json()["overdue"] is True

    response = client.post(transition_url(track, "file"), filing(filed_at=at(days=6).isoformat()), format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["late"], response.json()["overdue"]) == ("filed", True, False)
    clock.move_to(at(days=400))
    assert client.get(detail_url(track)).json()["late"] is True
    assert client.get(TRACKS_URL, {"overdue": "true", "incident": incident.pk}).json()["count"] == 4


def test_filed_within_the_limit_but_recorded_afterwards_is_not_late(api_as, clock, staff, manager):
    track = track_of(leak(staff), TrackKind.PPC_PRELIMINARY)
    clock.move_to(at(days=7))

    response = api_as(manager).post(transition_url(track, "file"), filing(filed_at=at(days=5).isoformat()),
                                    format="json")

    assert (response.status_code, response.json()["late"]) == (200, False)


def test_the_last_minute_of_the_final_report_limit_is_in_time(api_as, clock, staff, manager):
    track = track_of(leak(staff), TrackKind.PPC_FINAL)
    clock.move_to(end_of("2026-07-01"))
    client = api_as(manager)

    on_time = client.post(transition_url(track, "file"),
                          filing(filed_at="2026-06-30T23:59:00+09:00"), format="json")

    assert (on_time.status_code, on_time.json()["late"]) == (200, False)


def test_a_minute_past_the_final_report_limit_is_late(api_as, clock, staff, manager):
    track = track_of(leak(staff), TrackKind.PPC_FINAL)
    clock.move_to(end_of("2026-07-01"))

    late = api_as(manager).post(transition_url(track, "file"), filing(filed_at="2026-07-01T00:00:00+09:00"),
                                format="json")

    assert (late.status_code, late.json()["late"]) == (200, True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"filed_at": None}, "Enter when it was filed."),
        ({"recipient_reference": None}, "Enter the recipient's reference number (or the name of the person who "
                                        "received it)."),
        ({"recipient_reference": "   "}, "Enter the recipient's reference number (or the name of the person who "
                                         "received it)."),
        ({"filed_at": (NOW + dt.timedelta(minutes=1)).isoformat()}, "The filing time cannot be in the future."),
        ({"filed_at": (DISCOVERED - dt.timedelta(minutes=1)).isoformat()},
         "The filing time cannot be before the discovery."),
    ],
)
def test_filing_without_the_details_is_a_400_naming_what_is_missing(api_as, clock, staff, manager, overrides,
                                                                      message):
    track = track_of(leak(staff), TrackKind.PPC_PRELIMINARY)

    response = api_as(manager).post(transition_url(track, "file"), filing(**overrides), format="json",
                                    HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "The conditions for this step are not met.",
                               "code": "conditions_not_met", "unmet_conditions": [message]}
    track.refresh_from_db()
    assert (track.state, track.filed_at, track.recipient_reference, track.filed_by) == ("pending", None, "", None)
    assert not StateLog.objects.for_(track).exists()


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"filed_at": "yesterday"}, {"filed_at"}),
        ({"method": "carrier_pigeon"}, {"method"}),
        ({"recipient_reference": "R" * 101}, {"recipient_reference"}),
        ({"state": "filed"}, {"state"}),
        ({"filed_by": 1}, {"filed_by"}),
        ({"not_required_reason": "不要"}, {"not_required_reason"}),  # another step's field
        ({"late": False}, {"late"}),
    ],
)
def test_an_invalid_filing_payload_is_a_400_per_field(api_as, clock, staff, manager, overrides, fields):
    track = track_of(leak(staff), TrackKind.PPC_PRELIMINARY)

    response = api_as(manager).post(transition_url(track, "file"), filing(**overrides), format="json")

    assert response.status_code == 400, response.content
    assert set(response.json()) == fields
    assert ReportingTrack.objects.get(pk=track.pk).state == "pending"


@pytest.mark.parametrize("role", ["staff", "department_head", "auditor", "audit_lead", "executive"])
def test_only_the_pms_office_files_reports(api_as, clock, staff, head, role):
    track = track_of(leak(staff), TrackKind.PPC_PRELIMINARY)
    user = {"staff": staff, "department_head": head}.get(role) or UserFactory(roles=[role])

    response = api_as(user).post(transition_url(track, "file"), filing(), format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert response.json() == {"detail": "Only the PMS manager or the PMS office files reports.",
                               "code": "not_permitted"}
    track.refresh_from_db()
    assert (track.state, track.recipient_reference) == ("pending", "")


@pytest.mark.parametrize("name", ["withdraw", "reinstate", "delete", "close"])
def test_the_systems_steps_and_unknown_names_are_404(api_as, clock, staff, manager, name):
    incident = leak(staff)
    pending = track_of(incident, TrackKind.PPC_PRELIMINARY)
    withdrawn = track_of(incident, TrackKind.PPC_FINAL)
    services.transition_record(withdrawn, "not_required", by=manager,
                               changes={"not_required_reason": "委託元が報告する。"})
    client = api_as(manager)

    for track in (pending, withdrawn):
        response = client.post(transition_url(track, name), {"not_required_reason": "x"}, format="json",
                               HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404
        assert response.json() == {"detail": "There is no such transition.", "code": "unknown_transition"}
    assert ReportingTrack.objects.get(pk=pending.pk).state == "pending"
    assert ReportingTrack.objects.get(pk=withdrawn.pk).state == "not_required"


def test_filing_twice_is_a_409_and_keeps_the_first_filing(api_as, clock, staff, manager, office):
    track = track_of(leak(staff), TrackKind.PPC_PRELIMINARY)

    first = api_as(manager).post(transition_url(track, "file"), filing(), format="json")
    second = api_as(office).post(transition_url(track, "file"), filing(recipient_reference="PPC-OTHER"),
                                 format="json")

    assert first.status_code == 200
    assert (second.status_code, second.json()["code"]) == (409, "transition_not_available")
    track.refresh_from_db()
    assert (track.recipient_reference, track.filed_by) == ("PPC-2026-000123", manager)
    assert StateLog.objects.for_(track).count() == 1


# ---------------------------------------------------------------------------
# POST …/transitions/not_required/


def test_not_required_needs_a_reason(api_as, clock, staff, manager):
    track = track_of(leak(staff), TrackKind.DATA_SUBJECTS)
    client = api_as(manager)

    blank = client.post(transition_url(track, "not_required"), {"not_required_reason": "  "}, format="json",
                        HTTP_ACCEPT_LANGUAGE="en")
    assert blank.status_code == 400
    assert blank.json()["unmet_conditions"] == ["Give the reason why this report is not required."]
    assert ReportingTrack.objects.get(pk=track.pk).state == "pending"

    reason = "高度な暗号化が施されていたことが判明したため。"
    response = client.post(transition_url(track, "not_required"), {"not_required_reason": reason,
                                                                   "comment": "本人通知は不要"}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["not_required_reason"]) == ("not_required", reason)
    assert (response.json()["filed_at"], response.json()["filed_by"], response.json()["late"]) == (None, None, False)
    history = client.get(history_url(track), HTTP_ACCEPT_LANGUAGE="en").json()
    assert [(e["transition"], e["transition_label"], e["from_state"], e["to_state"], e["comment"])
            for e in history] == [("not_required", "Not required", "pending", "not_required", "本人通知は不要")]


def test_staff_may_not_mark_a_report_not_required(api_as, clock, staff):
    track = track_of(leak(staff), TrackKind.DATA_SUBJECTS)

    response = api_as(staff).post(transition_url(track, "not_required"), {"not_required_reason": "不要と判断"},
                                  format="json")

    assert response.status_code == 403
    assert ReportingTrack.objects.get(pk=track.pk).state == "pending"


# ---------------------------------------------------------------------------
# The 委託元 release (APPI art. 26(1) proviso)


def test_notifying_the_entrusting_business_releases_the_ppc_reports(api_as, clock, staff, manager):
    incident = leak(staff, entrusted_by="株式会社委託元")
    client = api_as(manager)
    before = {t["kind"]: t["state"] for t in client.get(incident_url(incident)).json()["tracks"]}
    assert before == dict.fromkeys([*REPORTABLE_KINDS, "entrusting_party"], "pending")
    entrusting = track_of(incident, TrackKind.ENTRUSTING_PARTY)
    clock.move_to(at(days=1))

    response = client.post(transition_url(entrusting, "file"),
                           filing(filed_at=at(hours=20).isoformat(), recipient_reference="委託元 総務部 佐藤様",
                                  method="email"), format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200, response.content
    tracks = {t["kind"]: t for t in client.get(incident_url(incident), HTTP_ACCEPT_LANGUAGE="en").json()["tracks"]}
    assert {kind: t["state"] for kind, t in tracks.items()} == {
        "entrusting_party": "filed",
        "ppc_preliminary": "not_required", "ppc_final": "not_required", "data_subjects": "not_required",
        # The PrivacyMark reports are owed by us whoever entrusted the data.
        "pmark_preliminary": "pending", "pmark_final": "pending",
    }
    with translation.override(settings.LANGUAGE_CODE):  # stored text is in the company's language
        release = translation.gettext("Released: the entrusting business (委託元) was notified on %(when)s "
                                      "(APPI art. 26(1) proviso).") % {"when": "2026-06-02 05:00"}
    assert all(tracks[kind]["not_required_reason"] == release
               for kind in ("ppc_preliminary", "ppc_final", "data_subjects"))
    assert client.get(TRACKS_URL, {"incident": incident.pk, "state": "pending"}).json()["count"] == 2

    # The system's step is in the track's trail, and the change in the incident's.
    history = client.get(history_url(track_of(incident, TrackKind.PPC_FINAL)), HTTP_ACCEPT_LANGUAGE="en").json()
    assert [(e["transition"], e["to_state"], e["by"]["username"], e["comment"]) for e in history] == [
        ("withdraw", "not_required", "manager", release)]
    assert history[0]["transition_label"] == "No longer required (decided by the system)"
    trail = client.get(reverse("api:incident-history", args=[incident.pk])).json()
    assert [e["transition"] for e in trail] == ["report", "update_tracks", "update_tracks"]
    # Withdrawn by the system, so no person can file them any more.
    assert client.get(transitions_url(track_of(incident, TrackKind.PPC_FINAL))).json() == []


# ---------------------------------------------------------------------------
# Closing


def verifying(incident, manager, head) -> Incident:
    """Walk the incident to `verifying`, its one corrective action implemented and proved effective."""
    incident = services.transition_record(incident, "triage", by=manager, changes={"severity": "L3"})
    incident = services.transition_record(incident, "contain", by=manager, changes={"containment_summary": "回収済み"})
    incident = services.transition_record(incident, "analyse", by=manager, changes={
        "root_cause": "確認不足", "cause": CauseCategory.objects.get(code="insufficient_checking")})
    action = ActionFactory(incident=incident, owner=head, verifier=manager, department=incident.department)
    incident = services.transition_record(incident, "plan_actions", by=manager)
    action = services.transition_record(action, "start", by=head)
    action = services.transition_record(action, "implement", by=head, changes={"implementation_note": "手順書を改訂"})
    incident = services.transition_record(incident, "verify", by=manager)
    services.transition_record(action, "verify_effective", by=manager, changes={"effectiveness_note": "確認済み"})
    return incident


def test_a_reportable_incident_closes_only_once_its_reports_are_settled(api_as, clock, staff, manager, office,
                                                                         head):
    incident = verifying(leak(staff), manager, head)
    close_url = reverse("api:incident-transition", args=[incident.pk, "close"])

    refused = api_as(office).post(close_url, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert refused.status_code == 400
    [problem] = refused.json()["unmet_conditions"]
    assert problem.startswith("These reports are still pending")
    for kind in REPORTABLE_KINDS:
        assert str(TrackKind(kind).label) in problem
    assert Incident.objects.get(pk=incident.pk).state == "verifying"

    client = api_as(manager)
    for track in incident.tracks.all():
        payload = filing(method="notice") if track.kind == TrackKind.DATA_SUBJECTS else filing()
        assert client.post(transition_url(track, "file"), payload, format="json").status_code == 200
    closed = api_as(office).post(close_url, {}, format="json")

    assert closed.status_code == 200, closed.content
    assert closed.json()["state"] == "closed"
    assert {t["state"] for t in closed.json()["tracks"]} == {"filed"}
