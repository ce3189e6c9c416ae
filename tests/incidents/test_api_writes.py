"""Creating and editing incidents and actions through the API, and every bad input."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Action, Incident, RuleSet, UserProfile
from tests.incidents.factories import ActionFactory, reported_incident
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db

INCIDENTS_URL = reverse("api:incident-list")
ACTIONS_URL = reverse("api:action-list")


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def report(**overrides) -> dict:
    """A staff member's report, in Japanese, as a client would send it."""
    data = {
        "title": "顧客リストの誤送信",
        "description": "取引先宛のメールに顧客リスト（氏名・電話番号）を誤って添付した。",
        "discovered_at": iso(timezone.now() - dt.timedelta(hours=1)),
        "kind": "leak",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def year() -> int:
    return timezone.localdate().year


# ---------------------------------------------------------------------------
# Reporting an incident


def test_staff_report_an_incident_in_japanese(api_as, staff, sales):
    response = api_as(staff).post(INCIDENTS_URL, report(affected_count=12, data_items="氏名、電話番号"),
                                  format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"] == f"INC-{year()}-0001"
    assert body["state"] == "reported"
    assert body["title"] == "顧客リストの誤送信"
    assert body["reporter"] == {"id": staff.pk, "username": "staff", "name": "staff"}
    assert body["department"] == sales.pk  # the reporter's own, by default
    assert body["affected_count"] == 12
    assert body["reportable"] is False
    assert body["reportable_reasons"][0]["code"] == "no_category"
    assert body["actions"] == []
    # Not reportable, but not a near miss either: only the PrivacyMark 確報 is owed.
    assert [(track["kind"], track["state"]) for track in body["tracks"]] == [("pmark_final", "pending")]
    assert body["rule_set"] == RuleSet.objects.in_force_on(timezone.localdate()).version
    incident = Incident.objects.get()
    assert (incident.reporter, incident.department) == (staff, sales)
    assert list(StateLog.objects.for_(incident).order_by("id").values_list("transition", "by")) == [
        ("report", staff.pk), ("update_tracks", staff.pk)]


def test_a_report_may_name_another_department_and_the_appi_triggers(api_as, staff, it_dept):
    response = api_as(staff).post(
        INCIDENTS_URL, report(department=it_dept.pk, involves_sensitive_data=True), format="json"
    )

    assert response.status_code == 201
    assert response.json()["department"] == it_dept.pk
    assert response.json()["reportable"] is True
    assert response.json()["reportable_reasons"][0]["category"] == 1


def test_a_report_can_be_sent_as_a_form_too(api_as, staff):
    response = api_as(staff).post(INCIDENTS_URL, report())

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"title", "description", "discovered_at", "kind"}),
        (report(title=""), {"title"}),
        (report(title="長" * 201), {"title"}),
        (report(kind="explosion"), {"kind"}),
        (report(discovered_at="yesterday"), {"discovered_at"}),
        (report(discovered_at="0001-01-01T00:00:00"), {"discovered_at"}),
        (report(discovered_at="9999-12-31T23:59:59-05:00"), {"discovered_at"}),
        (report(discovered_at=iso(timezone.now() + dt.timedelta(days=1))), {"discovered_at"}),
        (report(occurred_at=iso(timezone.now() + dt.timedelta(days=1))), {"occurred_at"}),
        (report(discovered_at=iso(timezone.now() - dt.timedelta(days=2)),
                occurred_at=iso(timezone.now() - dt.timedelta(days=1))), {"occurred_at"}),
        (report(affected_count=-1), {"affected_count"}),
        (report(affected_count="many"), {"affected_count"}),
        (report(department=987654), {"department"}),
        (report(department=None, severity="L9"), {"severity"}),
        (report(event_class="mis_sending"), {"event_class"}),
        (report(involves_sensitive_data="perhaps"), {"involves_sensitive_data"}),
        (report(state="closed"), {"state"}),
        (report(reference="INC-1999-0001"), {"reference"}),
        (report(reportable=True), {"reportable"}),
        (report(titel="typo"), {"titel"}),
        (report(kind="explosion", state="closed"), {"kind", "state"}),
    ],
)
def test_bad_reports_get_a_400_per_field_and_save_nothing(api_as, staff, payload, fields):
    response = api_as(staff).post(INCIDENTS_URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400, response.content
    assert set(response.json()) == fields
    assert all(isinstance(message, str) for messages in response.json().values() for message in messages)
    assert not Incident.objects.exists()
    # The number a failed report would have taken is still free: no gaps in the references.
    assert reported_incident(staff).reference == f"INC-{year()}-0001"


def test_the_model_rules_answer_in_the_users_language(api_as, staff):
    payload = report(discovered_at=iso(timezone.now() + dt.timedelta(days=1)))

    english = api_as(staff).post(INCIDENTS_URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert english.json() == {"discovered_at": ["The discovery cannot be in the future."]}


def test_writing_the_state_is_a_400_that_says_how_to_change_it(api_as, staff):
    response = api_as(staff).post(INCIDENTS_URL, report(state="closed"), format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "transition" in response.json()["state"][0]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"title": "壊れた JSON', "application/json"),
        ("[1, 2]", "application/json"),
        ('"just a string"', "application/json"),
        ("null", "application/json"),
        ("<xml/>", "application/xml"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_4xx_not_a_500(api_as, staff, body, content_type):
    response = api_as(staff).generic("POST", INCIDENTS_URL, body, content_type=content_type)

    assert response.status_code in (400, 415)
    assert not Incident.objects.exists()


def test_without_a_department_of_their_own_the_department_is_required(api_as, db):
    user = User.objects.create_user("nodept", password="x")
    UserProfile.objects.create(user=user)

    response = api_as(user).post(INCIDENTS_URL, report(), format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"department"}


# ---------------------------------------------------------------------------
# Editing an incident


def detail_url(record) -> str:
    return reverse(f"api:{type(record).__name__.lower()}-detail", args=[record.pk])


def test_the_reporter_may_correct_their_report_while_it_is_new(api_as, staff):
    incident = reported_incident(staff)

    response = api_as(staff).patch(detail_url(incident), {"version": incident.version, "title": "顧客リストの誤送信（訂正）"}, format="json")

    assert response.status_code == 200
    assert response.json()["title"] == "顧客リストの誤送信（訂正）"
    assert Incident.objects.get(pk=incident.pk).title == "顧客リストの誤送信（訂正）"


def test_a_full_put_of_unchanged_classification_is_not_a_classification_change(api_as, staff):
    incident = reported_incident(staff)
    client = api_as(staff)
    body = {key: value for key, value in client.get(detail_url(incident)).json().items()
            if key in ("title", "description", "department", "kind", "discovered_at", "severity", "event_class")}

    response = client.put(detail_url(incident), {"version": incident.version, **body, "description": "訂正した説明"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["description"] == "訂正した説明"


def test_only_the_pms_manager_changes_the_classification(api_as, staff, manager):
    incident = reported_incident(staff)

    refused = api_as(staff).patch(detail_url(incident), {"version": incident.version, "severity": "L3"}, format="json",
                                  HTTP_ACCEPT_LANGUAGE="en")
    accepted = api_as(manager).patch(detail_url(incident), {"version": incident.version, "severity": "L3", "affected_count": 1500},
                                     format="json")

    # A field that is not theirs to write is a 400 naming it (issue 9), and nothing is saved.
    assert refused.status_code == 400
    assert refused.json() == {"severity": ["Only the PMS manager may fill in the assessment of an incident."]}
    assert accepted.status_code == 200
    assert accepted.json()["severity"] == "L3"
    assert accepted.json()["reportable"] is True
    assert [reason["category"] for reason in accepted.json()["reportable_reasons"]] == [4]


def test_the_reporter_may_not_edit_once_the_response_started(api_as, staff, manager):
    incident = services.transition_record(reported_incident(staff), "triage", by=manager,
                                          changes={"severity": "L1"})

    response = api_as(staff).patch(detail_url(incident), {"version": incident.version, "title": "後から変更"}, format="json")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"state": "closed"}, {"state"}),
        ({"state": "reported", "title": "同じ状態でも"}, {"state"}),
        ({"discovered_at": iso(timezone.now() + dt.timedelta(days=1))}, {"discovered_at"}),
        ({"occurred_at": iso(timezone.now())}, {"occurred_at"}),  # after the discovery an hour ago
        ({"affected_count": -5}, {"affected_count"}),
        ({"kind": "unknown"}, {"kind"}),
        ({"title": None}, {"title"}),
        ({"id": 5}, {"id"}),
    ],
)
def test_bad_edits_get_a_400_per_field_and_change_nothing(api_as, manager, staff, payload, fields):
    incident = reported_incident(staff)
    before = Incident.objects.filter(pk=incident.pk).values().get()

    response = api_as(manager).patch(detail_url(incident), {"version": incident.version, **payload}, format="json")

    assert response.status_code == 400, response.content
    assert set(response.json()) == fields
    assert Incident.objects.filter(pk=incident.pk).values().get() == before


def test_a_closed_or_dismissed_incident_cannot_be_edited(api_as, manager, staff):
    incident = services.transition_record(reported_incident(staff), "dismiss", by=manager,
                                          changes={"dismissal_reason": "重複報告"})

    response = api_as(manager).patch(detail_url(incident), {"version": incident.version, "title": "x"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "record_closed"


# ---------------------------------------------------------------------------
# Actions


def plan(incident, owner, verifier, /, **overrides) -> dict:
    data = {
        "kind": "corrective", "title": "送信前ダブルチェックの導入", "description": "宛先を二人で確認する。",
        "incident": incident.pk if incident else None, "department": incident.department_id if incident else None,
        "owner": owner.pk, "verifier": verifier.pk,
        "due_date": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_pms_manager_plans_an_action(api_as, manager, staff, head):
    incident = reported_incident(staff)

    response = api_as(manager).post(ACTIONS_URL, plan(incident, head, manager), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"] == f"ACT-{year()}-0001"
    assert body["state"] == "planned"
    assert body["incident"] == incident.pk
    assert body["owner"]["id"] == head.pk and body["verifier"]["id"] == manager.pk
    assert body["created_by"]["username"] == "manager"
    assert body["is_overdue"] is False
    summary = api_as(staff).get(detail_url(incident)).json()["actions"]
    assert summary == [{"id": body["id"], "reference": body["reference"], "kind": "corrective",
                        "state": "planned", "state_display": body["state_display"], "title": body["title"]}]


def test_a_department_head_plans_actions_for_their_department(api_as, head, manager, staff, sales):
    response = api_as(head).post(ACTIONS_URL, plan(None, staff, manager, department=sales.pk), format="json")

    assert response.status_code == 201


def test_staff_may_not_plan_actions(api_as, staff, manager, sales):
    response = api_as(staff).post(ACTIONS_URL, plan(None, staff, manager, department=sales.pk), format="json")

    assert response.status_code == 403
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"verifier": "owner"}, {"verifier"}),
        ({"due_date": None}, {"due_date"}),
        ({"due_date": "31/01/2099"}, {"due_date"}),
        ({"kind": "wishful"}, {"kind"}),
        ({"owner": 987654}, {"owner"}),
        ({"title": ""}, {"title"}),
        ({"state": "effective"}, {"state"}),
        ({"is_overdue": False}, {"is_overdue"}),
    ],
)
def test_bad_actions_get_a_400_per_field(api_as, manager, head, staff, overrides, fields):
    incident = reported_incident(staff)
    if overrides.get("verifier") == "owner":
        overrides["verifier"] = head.pk

    response = api_as(manager).post(ACTIONS_URL, plan(incident, head, manager, **overrides), format="json",
                                    HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400, response.content
    assert set(response.json()) == fields
    assert not Action.objects.exists()


def test_verifier_equal_to_owner_says_why(api_as, manager, head, staff):
    response = api_as(manager).post(ACTIONS_URL, plan(reported_incident(staff), head, head), format="json",
                                    HTTP_ACCEPT_LANGUAGE="en")

    assert response.json() == {"verifier": ["The verifier must be someone other than the owner."]}


def test_editing_an_action_to_make_the_owner_its_verifier_is_a_400(api_as, manager, head):
    action = ActionFactory(owner=head, verifier=manager)

    response = api_as(manager).patch(detail_url(action), {"version": action.version, "verifier": head.pk}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"verifier"}
    assert Action.objects.get(pk=action.pk).verifier == manager


def test_the_pms_manager_edits_an_action(api_as, manager, head):
    action = ActionFactory(owner=head, verifier=manager)
    new_due = timezone.localdate() + dt.timedelta(days=60)

    response = api_as(manager).patch(detail_url(action), {"version": action.version, "due_date": new_due.isoformat()}, format="json")

    assert response.status_code == 200
    assert Action.objects.get(pk=action.pk).due_date == new_due


def test_the_owner_may_not_edit_the_plan(api_as, manager, staff):
    action = ActionFactory(owner=staff, verifier=manager)

    response = api_as(staff).patch(detail_url(action), {"version": action.version, "title": "x"}, format="json")

    assert response.status_code == 403


def test_writing_an_actions_state_is_a_400(api_as, manager, head):
    action = ActionFactory(owner=head, verifier=manager)

    response = api_as(manager).put(detail_url(action), {"state": "effective"}, format="json")

    assert response.status_code == 400
    assert "state" in response.json()
    assert Action.objects.get(pk=action.pk).state == "planned"


def test_no_actions_on_a_dismissed_incident(api_as, manager, head, staff):
    incident = services.transition_record(reported_incident(staff), "dismiss", by=manager,
                                          changes={"dismissal_reason": "誤報"})

    response = api_as(manager).post(ACTIONS_URL, plan(incident, head, manager), format="json")

    assert response.status_code == 409
    assert not Action.objects.exists()


def test_deleting_is_not_offered(api_as, manager, staff):
    incident = reported_incident(staff)

    assert api_as(manager).delete(detail_url(incident)).status_code == 405
