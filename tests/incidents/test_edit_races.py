"""Two people editing the same record at the same moment, through the whole API stack.

Each editor is its own API client in its own thread with its own database connection.
Both read the record (the same version), wait for each other, then send a PATCH of a
different field. In every round either both changes are kept or one editor is told 409;
never is a change lost while its editor was told "saved". CI runs this on SQLite and on
PostgreSQL, where the row lock of select_for_update serialises the two.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.models import Action, Incident, TrackKind
from tests.incidents.factories import ActionFactory, reported_incident
from tests.threads import race

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROUNDS = 12
PPC_TRACKS = {TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def edit_race(record, url: str, edits: list[tuple]) -> list:
    """Each (user, field, value) edits `field` from the version both read; returns the responses."""
    clients = [client_for(user) for user, _field, _value in edits]
    versions = [client.get(url).json()["version"] for client in clients]
    assert len(set(versions)) == 1
    return race(*[
        (lambda client=client, field=field, value=value, version=version:
         client.patch(url, {"version": version, field: value}, format="json"))
        for client, (_user, field, value), version in zip(clients, edits, versions, strict=True)
    ])


def assert_no_silent_loss(model, pk: int, edits: list[tuple], responses: list) -> dict:
    """Every 200 kept its value; every refusal is a 409 naming the other editor's field."""
    codes = [getattr(response, "status_code", response) for response in responses]
    # Both read the same version, so whoever saves second is refused: strict optimistic locking.
    assert sorted(codes) == [200, 409], codes
    stored = model.objects.get(pk=pk)
    for (user, field, value), response in zip(edits, responses, strict=True):
        if response.status_code == 200:
            assert getattr(stored, field if not hasattr(stored, f"{field}_id") else f"{field}_id") == value, (
                f"{user}'s {field} was lost although they were told it was saved"
            )
        else:
            body = response.json()
            others = {f for u, f, _v in edits if u != user}
            assert {change["field"] for change in body["changed_fields"]} >= others
            assert body["current"]["version"] == stored.version
    return {"codes": codes, "stored": stored}


def test_two_editors_of_an_incident_never_lose_each_others_fields(staff, manager, office):
    for round_ in range(ROUNDS):
        incident = reported_incident(staff)
        url = reverse("api:incident-detail", args=[incident.pk])
        edits = [(manager, "severity", "L2"), (office, "title", f"件名の訂正 {round_}")]

        assert_no_silent_loss(Incident, incident.pk, edits, edit_race(incident, url, edits))


def test_the_sensitive_data_tick_is_never_lost_and_the_reports_follow_the_saved_row(staff, manager, office):
    """The case of the issue: the PMS manager ticks 要配慮個人情報 while an office member retitles."""
    for round_ in range(ROUNDS):
        incident = reported_incident(staff)
        url = reverse("api:incident-detail", args=[incident.pk])
        edits = [(manager, "involves_sensitive_data", True), (office, "title", f"宛先誤り {round_}")]

        outcome = assert_no_silent_loss(Incident, incident.pk, edits, edit_race(incident, url, edits))

        stored = outcome["stored"]
        pending = {track.kind for track in stored.tracks.pending()}
        if outcome["codes"][0] == 200:
            assert stored.involves_sensitive_data and stored.reportable
            assert PPC_TRACKS <= pending  # the PPC clocks run
        else:
            # The tick was refused with a 409 (its editor knows) and nothing derived from it.
            assert not stored.involves_sensitive_data and not stored.reportable
            assert not PPC_TRACKS & pending


def test_two_editors_of_an_action_never_lose_each_others_fields(staff, head, manager, office, sales):
    for round_ in range(ROUNDS):
        action = ActionFactory(department=sales, owner=staff, verifier=head, created_by=manager)
        url = reverse("api:action-detail", args=[action.pk])
        edits = [(manager, "title", f"手順書の改訂 {round_}"), (office, "description", "二重チェックを追加")]

        assert_no_silent_loss(Action, action.pk, edits, edit_race(action, url, edits))


def test_a_stale_version_is_refused_with_what_changed_and_who_changed_it(staff, manager, office):
    incident = reported_incident(staff)
    url = reverse("api:incident-detail", args=[incident.pk])
    seen = client_for(office).get(url).json()["version"]
    assert client_for(manager).patch(url, {"version": seen, "involves_sensitive_data": True},
                                     format="json").status_code == 200

    response = client_for(office).patch(url, {"version": seen, "title": "件名の訂正"}, format="json",
                                        HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_edit"
    assert (body["seen_version"], body["current_version"]) == (seen, seen + 1)
    changes = {change["field"]: change for change in body["changed_fields"]}
    assert set(changes) >= {"involves_sensitive_data", "reportable"}
    sensitive = changes["involves_sensitive_data"]
    assert (sensitive["seen"], sensitive["current"]) == (False, True)
    assert sensitive["changed_by"]["username"] == "manager"
    assert body["current"]["involves_sensitive_data"] is True
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.title != "件名の訂正" and stored.version == seen + 1
