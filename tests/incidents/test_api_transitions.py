"""The transition pattern of the API: what a user may do now, doing it, and the trail."""

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from knox.models import AuthToken
from rest_framework.test import APIClient

from incidents import services
from incidents.api.views import IncidentViewSet
from incidents.models import (
    Action,
    CauseCategory,
    EventClass,
    Incident,
    IncidentState,
    ReportingTrack,
    TrackKind,
)
from tests.incidents.factories import ActionFactory, reported_incident
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db


def basename(record) -> str:
    return {ReportingTrack: "track"}.get(type(record), type(record).__name__.lower())


def transitions_url(record) -> str:
    return reverse(f"api:{basename(record)}-transitions", args=[record.pk])


def transition_url(record, name: str) -> str:
    return reverse(f"api:{basename(record)}-transition", args=[record.pk, name])


def history_url(record) -> str:
    return reverse(f"api:{basename(record)}-history", args=[record.pk])


def trail_of(record) -> list[str]:
    return list(StateLog.objects.for_(record).order_by("timestamp", "id").values_list("transition", flat=True))


def step(record, name, user, comment="", **changes):
    return services.transition_record(record, name, by=user, comment=comment, changes=changes)


# ---------------------------------------------------------------------------
# GET …/transitions/


def test_the_pms_manager_is_offered_triage_and_dismiss_on_a_new_report(api_as, manager, staff):
    incident = reported_incident(staff)

    response = api_as(manager).get(transitions_url(incident), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    options = {option["name"]: option for option in response.json()}
    assert set(options) == {"triage", "dismiss"}
    assert options["triage"] == {
        "name": "triage",
        "label": "Start the response",
        "target": "triaged",
        "target_display": "Triaged",
        "fields": [{"name": "severity", "label": "severity"}, {"name": "kind", "label": "kind"},
                   {"name": "event_class", "label": "event class"},
                   {"name": "pmark_event", "label": "kind of 事故等 (PrivacyMark)"}],
        "comment_required": False,
        "unmet_conditions": [],
    }


def test_staff_are_offered_nothing_on_their_own_report(api_as, staff):
    incident = reported_incident(staff)

    assert api_as(staff).get(transitions_url(incident)).json() == []


def test_conditions_still_unmet_are_listed(api_as, manager, staff):
    incident = step(step(step(reported_incident(staff), "triage", manager, severity="L2"), "contain", manager,
                         containment_summary="削除依頼済み"), "analyse", manager, root_cause="確認不足",
                    cause=CauseCategory.objects.get(code="insufficient_checking"))

    options = api_as(manager).get(transitions_url(incident), HTTP_ACCEPT_LANGUAGE="en").json()

    assert [(o["name"], o["unmet_conditions"]) for o in options] == [
        ("plan_actions", ["Add at least one corrective action (not needed for a near miss)."]),
    ]


def test_labels_follow_the_users_language(api_as, manager, staff):
    incident = reported_incident(staff)
    client = api_as(manager)

    for language in ("en", "ja"):
        option = client.get(transitions_url(incident), HTTP_ACCEPT_LANGUAGE=language).json()[0]
        with translation.override(language):
            expected = (str(services.INCIDENT_TRANSITIONS["triage"].label), str(IncidentState.TRIAGED.label))
        assert (option["label"], option["target_display"]) == expected


# ---------------------------------------------------------------------------
# POST …/transitions/<name>/: every answer


def test_a_permitted_transition_is_200_with_the_record(api_as, manager, staff):
    incident = reported_incident(staff)
    event_class = EventClass.objects.get(code="mis_sending")

    response = api_as(manager).post(transition_url(incident, "triage"), {
        "comment": "初動対応を開始", "severity": "L2", "event_class": event_class.pk,
    }, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["state"], body["severity"], body["event_class"]) == (
        incident.pk, "triaged", "L2", event_class.pk)
    assert "actions" in body
    incident.refresh_from_db()
    assert (incident.state, incident.severity) == ("triaged", "L2")
    log = StateLog.objects.for_(incident).get(transition="triage")
    assert (log.by, log.description) == (manager, "初動対応を開始")


def test_an_unmet_condition_is_a_400_naming_it(api_as, manager, staff):
    incident = reported_incident(staff)

    response = api_as(manager).post(transition_url(incident, "triage"), {}, format="json",
                                    HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The conditions for this step are not met.",
        "code": "conditions_not_met",
        "unmet_conditions": ["Set the severity (L0-L4)."],
    }
    assert Incident.objects.get(pk=incident.pk).state == "reported"
    assert trail_of(incident) == ["report", "update_tracks"]  # nothing added by the refused step


def test_a_field_given_with_an_unmet_condition_is_not_saved(api_as, manager, staff):
    incident = step(reported_incident(staff), "triage", manager, severity="L1")

    response = api_as(manager).post(transition_url(incident, "contain"), {"correction_taken": "再送した"},
                                    format="json")

    assert response.status_code == 400
    assert Incident.objects.get(pk=incident.pk).correction_taken == ""


def test_a_transition_the_user_may_not_take_is_a_403_with_the_reason(api_as, staff):
    incident = reported_incident(staff)

    response = api_as(staff).post(transition_url(incident, "triage"), {"severity": "L1"}, format="json",
                                  HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert response.json()["detail"] == "Only the PMS manager or the PMS office may do this."
    assert Incident.objects.get(pk=incident.pk).severity == ""


def test_an_unknown_transition_is_a_404(api_as, manager, staff):
    incident = reported_incident(staff)

    response = api_as(manager).post(transition_url(incident, "approve"), {}, format="json",
                                    HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert response.json()["detail"] == "There is no such transition."


def test_a_transition_not_available_from_the_current_state_is_a_409(api_as, manager, staff):
    incident = reported_incident(staff)

    response = api_as(manager).post(transition_url(incident, "contain"), {"containment_summary": "封じ込め"},
                                    format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_available"
    assert Incident.objects.get(pk=incident.pk).containment_summary == ""


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"severity": "L9"}, {"severity"}),
        ({"severity": "L1", "kind": "explosion"}, {"kind"}),
        ({"severity": "L1", "event_class": 987654}, {"event_class"}),
        ({"severity": "L1", "state": "closed"}, {"state"}),
        ({"severity": "L1", "root_cause": "この段階では受け付けない"}, {"root_cause"}),
        ({"severity": "L1", "comment": ["not", "text"]}, {"comment"}),
    ],
)
def test_an_invalid_payload_is_a_400_per_field(api_as, manager, staff, payload, fields):
    incident = reported_incident(staff)

    response = api_as(manager).post(transition_url(incident, "triage"), payload, format="json")

    assert response.status_code == 400, response.content
    assert set(response.json()) == fields
    assert Incident.objects.get(pk=incident.pk).state == "reported"


def test_reopen_needs_a_comment(api_as, manager, office, staff):
    incident = step(reported_incident(staff, kind="near_miss"), "triage", manager, severity="L0")
    incident = step(incident, "contain", manager, containment_summary="影響なし")
    incident = step(incident, "analyse", manager, root_cause="確認不足",
                    cause=CauseCategory.objects.get(code="insufficient_checking"))
    for name in ("plan_actions", "verify", "close"):
        incident = step(incident, name, manager)
    client = api_as(office)

    options = {o["name"]: o for o in client.get(transitions_url(incident)).json()}
    without = client.post(transition_url(incident, "reopen"), {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    with_comment = client.post(transition_url(incident, "reopen"), {"comment": "同種の事故が再発した。"},
                               format="json")

    assert options["reopen"]["comment_required"] is True
    assert without.status_code == 400
    assert without.json()["unmet_conditions"] == ["Add a comment explaining this step."]
    assert with_comment.status_code == 200
    assert (with_comment.json()["state"], with_comment.json()["closed_at"]) == ("correcting", None)


def test_dismissing_takes_the_reason(api_as, manager, staff):
    incident = reported_incident(staff)

    response = api_as(manager).post(transition_url(incident, "dismiss"), {"dismissal_reason": "重複報告"},
                                    format="json")

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["dismissal_reason"]) == ("dismissed", "重複報告")
    assert response.json()["closed_at"] is not None


# ---------------------------------------------------------------------------
# Two stale copies: exactly one wins


def test_a_step_already_taken_by_someone_else_is_a_409_and_lands_once(api_as, manager, office, staff):
    incident = reported_incident(staff)
    first, second = Incident.objects.get(pk=incident.pk), Incident.objects.get(pk=incident.pk)

    step(first, "triage", office, severity="L1")
    with mock.patch.object(IncidentViewSet, "get_object", return_value=second):  # the copy read before
        stale = api_as(manager).post(transition_url(incident, "triage"), {"severity": "L3"}, format="json")
    reread = api_as(manager).post(transition_url(incident, "triage"), {"severity": "L3"}, format="json")

    assert stale.status_code == 409
    assert stale.json()["code"] == "concurrent_change"
    assert reread.status_code == 409
    assert reread.json()["code"] == "transition_not_available"
    incident.refresh_from_db()
    assert (incident.state, incident.severity) == ("triaged", "L1")
    assert trail_of(incident).count("triage") == 1


# ---------------------------------------------------------------------------
# Actions


def test_action_transitions_statuses(api_as, manager, head, staff):
    action = ActionFactory(owner=staff, verifier=head)
    owner = api_as(staff)

    assert owner.post(transition_url(action, "cancel"), {"cancel_reason": "不要"}, format="json").status_code == 403
    assert owner.post(transition_url(action, "implement"), {}, format="json").status_code == 409
    assert owner.post(transition_url(action, "finish"), {}, format="json").status_code == 404
    assert owner.post(transition_url(action, "start"), {}, format="json").status_code == 200
    missing_note = owner.post(transition_url(action, "implement"), {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert missing_note.status_code == 400
    assert missing_note.json()["unmet_conditions"] == ["Describe what was done."]
    implemented = owner.post(transition_url(action, "implement"), {"implementation_note": "手順書を改訂"},
                             format="json")
    assert implemented.status_code == 200
    assert implemented.json()["implemented_at"] is not None
    assert owner.post(transition_url(action, "verify_effective"), {"effectiveness_note": "自己評価"},
                      format="json").status_code == 403

    ineffective = api_as(head).post(transition_url(action, "verify_ineffective"),
                                {"effectiveness_note": "再発した", "comment": "やり直し"}, format="json")
    assert (ineffective.status_code, ineffective.json()["state"]) == (200, "in_progress")
    assert Action.objects.get(pk=action.pk).effectiveness_note == "再発した"


def test_the_action_owner_is_offered_start_only(api_as, manager, staff):
    action = ActionFactory(owner=staff, verifier=manager)

    assert [o["name"] for o in api_as(staff).get(transitions_url(action)).json()] == ["start"]
    assert [o["name"] for o in api_as(manager).get(transitions_url(action)).json()] == ["start", "cancel"]


# ---------------------------------------------------------------------------
# GET …/history/


def test_history_lists_every_step_with_who_when_and_why(api_as, manager, staff):
    staff.first_name, staff.last_name = "花子", "山田"
    staff.save()
    with translation.override("en"):  # what the system writes is stored in the company's language anyway
        incident = reported_incident(staff)
    incident = step(incident, "triage", manager, comment="初動開始", severity="L1")
    incident = step(incident, "contain", manager, containment_summary="回収済み")

    response = api_as(staff).get(history_url(incident), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    entries = response.json()
    assert [(e["transition"], e["from_state"], e["to_state"]) for e in entries] == [
        ("report", None, "reported"),
        ("update_tracks", "reported", "reported"),  # the PrivacyMark 確報 is owed
        ("triage", "reported", "triaged"),
        ("contain", "triaged", "contained"),
    ]
    report, tracks, triage, contain = entries
    assert report["by"] == {"id": staff.pk, "username": "staff", "name": "山田 花子"}  # family name first
    assert report["transition_label"] == "Report submitted"
    assert (tracks["transition_label"], tracks["by"]["username"]) == ("Reporting duties updated", "staff")
    with translation.override(settings.LANGUAGE_CODE):  # stored text is in the company's language
        owed = translation.gettext("%(track)s: required, limit %(limit)s.") % {
            "track": TrackKind.PMARK_FINAL.label, "limit": "\0"}
    assert tracks["comment"].startswith(owed.split("\0")[0])
    assert triage["by"]["username"] == "manager"
    assert (triage["transition_label"], triage["from_state_display"], triage["to_state_display"]) == (
        "Start the response", "Reported", "Triaged")
    assert triage["comment"] == "初動開始"
    assert contain["comment"] is None
    assert dt.datetime.fromisoformat(triage["timestamp"]).utcoffset() == dt.timedelta(hours=9)


def test_action_history(api_as, manager, staff):
    action = ActionFactory(owner=staff, verifier=manager)
    step(action, "start", staff)

    entries = api_as(manager).get(history_url(action)).json()

    # The factory writes the action without a creation step: its first version says "created".
    assert [e["kind"] for e in entries] == ["created", "step"]
    assert [(e["transition"], e["from_state"], e["to_state"], e["by"]["username"]) for e in entries[1:]] == [
        ("start", "planned", "in_progress", "staff")]


# ---------------------------------------------------------------------------
# The whole walk, through the API only


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}",
                       HTTP_ACCEPT_LANGUAGE="ja")
    return client


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def test_a_leak_from_report_to_closed_through_the_api_only(api, staff, manager, office, head, sales):
    # The staff member logs in with a password and reports the leak in Japanese.
    token = ok(api.post(reverse("auth_api:token"), {"username": "staff", "password": "pass-for-tests"}, format="json"))
    reporter = APIClient()
    reporter.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    incident = ok(reporter.post(reverse("api:incident-list"), {
        "title": "顧客リストの誤送信",
        "description": "取引先宛のメールに顧客リスト（氏名・電話番号、約40名分）を誤って添付して送信した。",
        "discovered_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "occurred_at": (timezone.now() - dt.timedelta(hours=3)).isoformat(),
        "kind": "leak",
        "data_items": "氏名、電話番号",
        "affected_count": 40,
    }, format="json"), 201)
    assert (incident["state"], incident["department"]) == ("reported", sales.pk)

    inc = Incident(pk=incident["id"])  # only to build URLs: everything else goes through the API
    pms = client_for(manager)

    def take(client, record, name, **payload):
        return ok(client.post(transition_url(record, name), payload, format="json"))

    take(pms, inc, "triage", severity="L2", event_class=EventClass.objects.get(code="mis_sending").pk,
         comment="初動対応を開始")
    take(pms, inc, "contain", containment_summary="送信先に削除を依頼し、削除完了の連絡を受けた。")
    take(pms, inc, "analyse", root_cause="送信前の宛先・添付ファイルの確認手順がなかった。",
         cause=CauseCategory.objects.get(code="insufficient_checking").pk)

    # Actions: the manager implements the corrective one, the sales head the preventive one.
    due = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    corrective = ok(pms.post(reverse("api:action-list"), {
        "kind": "corrective", "title": "送信前ダブルチェックの導入", "incident": inc.pk, "department": sales.pk,
        "owner": manager.pk, "verifier": head.pk, "due_date": due,
    }, format="json"), 201)
    preventive = ok(pms.post(reverse("api:action-list"), {
        "kind": "preventive", "title": "添付ファイルの自動暗号化", "incident": inc.pk, "department": sales.pk,
        "owner": head.pk, "verifier": manager.pk, "due_date": due,
    }, format="json"), 201)
    take(pms, inc, "plan_actions")

    sales_head = client_for(head)
    cor, pre = Action(pk=corrective["id"]), Action(pk=preventive["id"])
    take(pms, cor, "start")
    take(pms, cor, "implement", implementation_note="ダブルチェック手順を制定し、部内に周知した。")
    take(sales_head, pre, "start")
    take(sales_head, pre, "implement", implementation_note="メール添付の自動暗号化を設定した。")
    take(pms, inc, "verify")

    take(sales_head, cor, "verify_effective", effectiveness_note="1か月間、誤送信ゼロを確認。")
    take(pms, pre, "verify_effective", effectiveness_note="設定を抜き取り確認した。")

    # The manager implemented an action, so the closing verification is someone else's.
    refused = pms.post(transition_url(inc, "close"), {}, format="json")
    assert refused.status_code == 403
    closer = client_for(office)
    assert [o["name"] for o in ok(closer.get(transitions_url(inc)))] == ["close"]

    # Not reportable to the PPC (40 people, no category), but the PrivacyMark 確報 is owed,
    # and the incident cannot close while it is pending.
    tracks = ok(pms.get(reverse("api:incident-detail", args=[inc.pk])))["tracks"]
    assert [(t["kind"], t["state"]) for t in tracks] == [("pmark_final", "pending")]
    pending = closer.post(transition_url(inc, "close"), {}, format="json")
    assert pending.status_code == 400
    with translation.override("ja"):
        assert str(TrackKind.PMARK_FINAL.label) in pending.json()["unmet_conditions"][0]
    track = ReportingTrack(pk=tracks[0]["id"])
    filed = take(pms, track, "file", filed_at=timezone.now().isoformat(), recipient_reference="JIPDEC-2026-123",
                 method="online_form", comment="審査機関へ報告した。")
    assert (filed["state"], filed["filed_by"]["username"], filed["late"]) == ("filed", "manager", False)

    closed = take(closer, inc, "close", comment="全処置の有効性を確認した。")

    assert closed["state"] == "closed"
    assert closed["closed_at"] is not None
    assert {(a["kind"], a["state"]) for a in closed["actions"]} == {("corrective", "effective"),
                                                                    ("preventive", "effective")}
    # The reporter sees what became of it, and the whole trail.
    mine = ok(reporter.get(reverse("api:incident-detail", args=[inc.pk])))
    assert mine["state"] == "closed"
    trail = ok(reporter.get(history_url(inc)))
    assert [(e["transition"], e["by"]["username"]) for e in trail] == [
        ("report", "staff"), ("update_tracks", "staff"), ("triage", "manager"), ("contain", "manager"),
        ("analyse", "manager"), ("plan_actions", "manager"), ("verify", "manager"), ("close", "office"),
    ]
    assert [(t["kind"], t["state"], t["recipient_reference"]) for t in closed["tracks"]] == [
        ("pmark_final", "filed", "JIPDEC-2026-123")]
    assert [(e["transition"], e["by"]["username"], e["comment"]) for e in ok(pms.get(history_url(track)))
            if e["kind"] == "step"] == [
        ("file", "manager", "審査機関へ報告した。")]
    assert [e["transition"] for e in ok(pms.get(history_url(pre))) if e["kind"] == "step"] == [
        "create", "start", "implement", "verify_effective"]
