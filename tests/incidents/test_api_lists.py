"""List endpoints: filters, search, ordering, pagination and a constant number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from incidents.models import (
    ActionKind,
    ActionState,
    CauseCategory,
    EventClass,
    IncidentKind,
    IncidentState,
    ReportingTrack,
    TrackKind,
    TrackState,
)
from incidents.tracks import sync_tracks
from tests.incidents.factories import ActionFactory, DepartmentFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

INCIDENTS_URL = reverse("api:incident-list")
ACTIONS_URL = reverse("api:action-list")


def references(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def force_state(record, state):
    """Put a record in a state without walking the workflow (list tests only read)."""
    type(record).objects.filter(pk=record.pk).update(state=state)


def named(records: dict, names: list[str]) -> list[str]:
    """The references of the named records (numbered by the real counter, in creation order)."""
    return [records[name].reference for name in names]


@pytest.fixture
def incidents(sales, it_dept):
    now = timezone.now()
    leak = IncidentFactory(
        title="顧客名簿の誤送信", kind=IncidentKind.LEAK, severity="L2",
        department=sales, involves_sensitive_data=True, discovered_at=now - dt.timedelta(days=3),
        affected_count=30,
    )
    loss = IncidentFactory(
        title="USBメモリの紛失", description="社外で USB メモリを紛失した。",
        kind=IncidentKind.LOSS, severity="L1", department=it_dept, discovered_at=now - dt.timedelta(days=1),
        affected_count=5,
    )
    near_miss = IncidentFactory(
        title="宛先確認漏れ", kind=IncidentKind.NEAR_MISS, severity="L0",
        department=sales, discovered_at=now - dt.timedelta(days=2), affected_count=0,
    )
    force_state(loss, IncidentState.TRIAGED)
    force_state(near_miss, IncidentState.CLOSED)
    return {"leak": leak, "loss": loss, "near_miss": near_miss}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "reported"}, ["leak"]),
        ({"state": ["triaged", "closed"]}, ["loss", "near_miss"]),
        ({"kind": "loss"}, ["loss"]),
        ({"kind": ["leak", "near_miss"]}, ["leak", "near_miss"]),
        ({"severity": "L0"}, ["near_miss"]),
        ({"reportable": "true"}, ["leak"]),
        ({"reportable": "false"}, ["loss", "near_miss"]),
        ({"search": "USB"}, ["loss"]),  # description
        ({"search": "誤送信"}, ["leak"]),  # title, in Japanese
    ],
)
def test_incident_filters_and_search(api_as, manager, incidents, query, expected):
    response = api_as(manager).get(INCIDENTS_URL, {**query, "ordering": "reference"})

    assert references(response) == named(incidents, expected)


def test_incident_search_by_reference(api_as, manager, incidents):
    near_miss = incidents["near_miss"].reference
    response = api_as(manager).get(INCIDENTS_URL, {"search": near_miss.removeprefix("INC-"), "ordering": "reference"})

    assert references(response) == [near_miss]  # part of a reference finds it


def test_incident_department_filter(api_as, manager, incidents, sales):
    response = api_as(manager).get(INCIDENTS_URL, {"department": sales.pk, "ordering": "reference"})

    assert references(response) == named(incidents, ["leak", "near_miss"])


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("discovered_at", ["leak", "near_miss", "loss"]),
        ("-discovered_at", ["loss", "near_miss", "leak"]),
        ("affected_count", ["near_miss", "loss", "leak"]),
        ("-reference", ["near_miss", "loss", "leak"]),
    ],
)
def test_incident_ordering(api_as, manager, incidents, ordering, expected):
    assert references(api_as(manager).get(INCIDENTS_URL, {"ordering": ordering})) == named(incidents, expected)


def test_an_invalid_filter_value_is_a_400_naming_the_filter(api_as, manager, incidents):
    response = api_as(manager).get(INCIDENTS_URL, {"state": "exploded"})

    assert response.status_code == 400
    assert "state" in response.json()


def test_incident_list_is_paginated(api_as, manager, incidents):
    client = api_as(manager)

    first = client.get(INCIDENTS_URL, {"ordering": "reference", "page_size": 2}).json()
    second = client.get(INCIDENTS_URL, {"ordering": "reference", "page_size": 2, "page": 2}).json()

    assert first["count"] == 3
    assert [row["reference"] for row in first["results"]] == named(incidents, ["leak", "loss"])
    assert first["previous"] is None and "page=2" in first["next"]
    assert [row["reference"] for row in second["results"]] == named(incidents, ["near_miss"])
    assert second["next"] is None
    assert client.get(INCIDENTS_URL, {"page": 9}).status_code == 404


def test_incident_rows_have_the_documented_fields(api_as, manager, incidents):
    row = api_as(manager).get(INCIDENTS_URL, {"search": incidents["leak"].reference}).json()["results"][0]

    assert row["reporter"].keys() == {"id", "username", "name"}
    assert row["reportable"] is True
    assert [reason["category"] for reason in row["reportable_reasons"]] == [1]
    assert {"code", "category", "message"} == row["reportable_reasons"][0].keys()
    assert "actions" not in row  # on the detail only
    assert row["tracks"] == []  # created directly, without the service that keeps the reports


@pytest.fixture
def actions(sales, it_dept, manager, head):
    today = timezone.localdate()
    first = ActionFactory(title="送信前ダブルチェック", kind=ActionKind.CORRECTIVE,
                          department=sales, owner=head, verifier=manager, due_date=today + dt.timedelta(days=5))
    second = ActionFactory(title="USB 利用禁止", description="暗号化 USB のみ許可",
                           kind=ActionKind.PREVENTIVE, department=it_dept, owner=manager, verifier=head,
                           due_date=today + dt.timedelta(days=1))
    third = ActionFactory(title="教育の実施", kind=ActionKind.IMPROVEMENT,
                          department=sales, owner=head, verifier=manager, due_date=today - dt.timedelta(days=2))
    force_state(second, ActionState.IN_PROGRESS)
    return {"first": first, "second": second, "third": third}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "planned"}, ["first", "third"]),
        ({"state": "in_progress"}, ["second"]),
        ({"kind": ["corrective", "preventive"]}, ["first", "second"]),
        ({"search": "暗号化"}, ["second"]),
        ({"ordering": "due_date"}, ["third", "second", "first"]),
        ({"ordering": "-reference"}, ["third", "second", "first"]),
    ],
)
def test_action_filters_search_and_ordering(api_as, manager, actions, query, expected):
    response = api_as(manager).get(ACTIONS_URL, {"ordering": "reference", **query})

    assert references(response) == named(actions, expected)


def test_action_search_by_reference(api_as, manager, actions):
    third = actions["third"].reference

    assert references(api_as(manager).get(ACTIONS_URL, {"search": third})) == [third]


def test_action_department_and_owner_filters(api_as, manager, actions, sales):
    client = api_as(manager)

    assert references(client.get(ACTIONS_URL, {"department": sales.pk, "ordering": "reference"})) == named(
        actions, ["first", "third"])
    assert references(client.get(ACTIONS_URL, {"owner": manager.pk})) == named(actions, ["second"])


def test_action_rows_show_people_and_overdue(api_as, manager, actions, head):
    rows = {row["reference"]: row for row in api_as(manager).get(ACTIONS_URL).json()["results"]}
    first, third = actions["first"].reference, actions["third"].reference

    assert rows[third]["is_overdue"] is True
    assert rows[first]["is_overdue"] is False
    assert rows[first]["owner"] == {"id": head.pk, "username": "head", "name": "head"}


# ---------------------------------------------------------------------------
# The same number of queries for 5 rows and for 50


def token_client(user) -> APIClient:
    """A client that authenticates like a real one, loading the user on every request."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200
    return len(queries)


def make_incidents(count, **fixed):
    """Incidents with their reports: every other one reportable (five tracks), one track filed."""
    event_classes = list(EventClass.objects.all())
    causes = list(CauseCategory.objects.all())
    for n in range(count):
        data = {"department": DepartmentFactory(), "severity": "L1", "involves_sensitive_data": n % 2 == 0,
                **fixed}
        incident = IncidentFactory(event_class=event_classes[n % len(event_classes)], cause=causes[n % len(causes)],
                                   **data)
        sync_tracks(incident, by=incident.reporter)
        incident.tracks.filter(kind=TrackKind.PMARK_FINAL).update(
            state=TrackState.FILED, filed_at=timezone.now(), filed_by=UserFactory(), recipient_reference="R-1"
        )


def make_actions(count, user=None):
    for n in range(count):
        # Half owned by the user, half to be verified by them (both make an action theirs).
        role = {} if user is None else {"owner": user} if n % 2 else {"verifier": user}
        ActionFactory(incident=IncidentFactory(), department=DepartmentFactory(), **role)


@pytest.mark.parametrize("who", ["manager", "staff", "head"])
def test_incident_list_queries_do_not_grow_with_rows(request, who):
    user = request.getfixturevalue(who)
    client = token_client(user)
    # What makes 50 incidents visible to each of them: everything, their own, their department's.
    fixed = {"manager": {}, "staff": {"reporter": user}, "head": {"department": user.profile.department}}[who]

    make_incidents(5, **fixed)
    with_5 = count_queries(client, INCIDENTS_URL)
    make_incidents(45, **fixed)
    with_50 = count_queries(client, INCIDENTS_URL)

    rows = client.get(INCIDENTS_URL, {"page_size": 100}).json()["results"]
    assert len(rows) == 50
    assert {len(row["tracks"]) for row in rows} == {1, 5}  # not reportable: the PrivacyMark 確報 only
    assert sum(len(row["tracks"]) for row in rows) == ReportingTrack.objects.count()
    assert all(row["rule_set"] for row in rows)
    assert all(track["filed_by"]["username"] for row in rows for track in row["tracks"]
               if track["kind"] == "pmark_final")
    assert with_5 == with_50


@pytest.mark.parametrize("who", ["manager", "staff"])
def test_action_list_queries_do_not_grow_with_rows(request, who):
    user = request.getfixturevalue(who)
    client = token_client(user)

    make_actions(5, user if who == "staff" else None)
    with_5 = count_queries(client, ACTIONS_URL)
    make_actions(45, user if who == "staff" else None)
    with_50 = count_queries(client, ACTIONS_URL)

    assert client.get(ACTIONS_URL, {"page_size": 100}).json()["count"] == 50
    assert with_5 == with_50


def test_a_record_asked_for_with_filters_is_filtered_as_the_list_is(api_as, manager, incidents):
    """Without a query string the detail skips the filter backends (they would change nothing);
    with one they apply, as DRF does: a record they exclude is a 404, a bad value a 400."""
    api = api_as(manager)
    url = reverse("api:incident-detail", args=[incidents["loss"].pk])
    assert api.get(url).status_code == 200
    assert api.get(url, {"state": "triaged"}).status_code == 200
    assert api.get(url, {"state": "closed"}).status_code == 404
    assert api.get(url, {"search": "誤送信"}).status_code == 404
    assert api.get(url, {"reportable": "maybe"}).status_code == 400
