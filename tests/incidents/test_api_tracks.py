"""The reporting tracks through the API: on the incident, the PPC report items, /api/tracks/.

Every test runs at a fixed moment (time_machine), because every answer here depends on the clock.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from knox.models import AuthToken
from rest_framework.test import APIClient

from incidents import services
from incidents.models import Incident, ReportingTrack, RuleSet, TrackKind
from tests.incidents.factories import (
    DepartmentFactory,
    UserFactory,
    file_pending_tracks,
)
from tests.incidents.tracks_api import (
    DISCOVERED,
    INCIDENTS_URL,
    NOW,
    REPORTABLE_KINDS,
    TRACK_FIELDS,
    TRACKS_URL,
    at,
    detail_url,
    end_of,
    filing,
    frozen_clock,
    history_url,
    incident_url,
    leak,
    moment,
    track_of,
    transition_url,
    transitions_url,
)

pytestmark = pytest.mark.django_db

clock = pytest.fixture(name="clock")(frozen_clock)


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
    timeline = client.get(reverse("api:incident-history", args=[incident.pk]), HTTP_ACCEPT_LANGUAGE="en").json()
    # The edit itself, then what the system recomputed from it.
    assert [(e["kind"], e["transition"]) for e in timeline] == [
        ("step", "report"), ("step", "update_tracks"), ("edit", None), ("step", "update_tracks")]
    assert [(c["field"], c["old"], c["new"]) for c in timeline[2]["changes"]] == [
        ("affected_count", 1, 1500), ("reportable", False, True)]
    trail = [e for e in timeline if e["kind"] == "step"]
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
    # Strong encryption releases the PPC's reports only: PrivacyMark knows no such exemption,
    # and the medical history still owes its 速報 (PMK500, domain.md §1.13).
    assert states == {**dict.fromkeys(REPORTABLE_KINDS, "not_required"), "pmark_preliminary": "pending",
                      "pmark_final": "pending"}
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

    history = [e for e in client.get(history_url(track), HTTP_ACCEPT_LANGUAGE="en").json() if e["kind"] == "step"]
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
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
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


