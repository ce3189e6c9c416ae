"""The reporting tracks' steps through the API: what is offered, filing, not required, the 委託元 release.

Every test runs at a fixed moment (time_machine), because every answer here depends on the clock.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from incidents import services
from incidents.models import CauseCategory, Incident, ReportingTrack, TrackKind
from tests.incidents.factories import (
    ActionFactory,
    UserFactory,
    file_pending_tracks,
    fill_ppc_items,
)
from tests.incidents.tracks_api import (
    DISCOVERED,
    NOW,
    REPORTABLE_KINDS,
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
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db

clock = pytest.fixture(name="clock")(frozen_clock)


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
    incident = fill_ppc_items(leak(staff), manager)  # the 確報 goes with its nine items
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
    track = track_of(fill_ppc_items(leak(staff), manager), TrackKind.PPC_FINAL)
    clock.move_to(end_of("2026-07-01"))
    client = api_as(manager)

    on_time = client.post(transition_url(track, "file"),
                          filing(filed_at="2026-06-30T23:59:00+09:00"), format="json")

    assert (on_time.status_code, on_time.json()["late"]) == (200, False)


def test_a_minute_past_the_final_report_limit_is_late(api_as, clock, staff, manager):
    track = track_of(fill_ppc_items(leak(staff), manager), TrackKind.PPC_FINAL)
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
    assert [e["kind"] for e in history] == ["created", "step"]  # the system created it with the report
    assert [(e["transition"], e["transition_label"], e["from_state"], e["to_state"], e["comment"])
            for e in history[1:]] == [("not_required", "Not required", "pending", "not_required", "本人通知は不要")]


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
    history = [e for e in client.get(history_url(track_of(incident, TrackKind.PPC_FINAL)), HTTP_ACCEPT_LANGUAGE="en").json()
               if e["kind"] == "step"]
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
    fill_ppc_items(incident, manager)  # the 確報 goes with its nine items
    for track in incident.tracks.all():
        payload = filing(method="notice") if track.kind == TrackKind.DATA_SUBJECTS else filing()
        assert client.post(transition_url(track, "file"), payload, format="json").status_code == 200
    closed = api_as(office).post(close_url, {}, format="json")

    assert closed.status_code == 200, closed.content
    assert closed.json()["state"] == "closed"
    assert {t["state"] for t in closed.json()["tracks"]} == {"filed"}
