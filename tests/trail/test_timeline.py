"""Every change to every field is on the record's timeline: who, when, through which door, old → new."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from incidents import services
from incidents.models import Action
from incidents.workflow.timeline import timeline
from tests.incidents.admin_pages import change_url, form_data
from tests.incidents.factories import reported_incident

pytestmark = pytest.mark.django_db

DUE = dt.date(2027, 1, 10)
MOVED = dt.date(2027, 6, 30)


@pytest.fixture
def action(manager, head, staff, sales):
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC), tick=False):
        return services.action_create(
            by=manager, kind="corrective", title="送信前の宛先ダブルチェック", description="第三者が宛先を確認する。",
            department=sales, owner=staff, verifier=manager, due_date=DUE,
            incident=reported_incident(staff),
        )


def edits(record) -> list:
    return [moment for moment in timeline(record) if moment.kind == "edit"]


def test_a_department_head_moves_a_due_date_and_the_manager_reads_who_when_and_what(client, action, head, manager):
    """The issue's walk-through: the change, who made it and when are on the action's timeline."""
    client.force_login(head)
    page = client.get(reverse("action_edit", args=[action.pk]))
    assert page.status_code == 200
    data = {name: value for name, value in page.context["form"].initial.items() if value is not None}
    data.update(due_date=MOVED.isoformat(), version=action.version)
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
    with time_machine.travel(dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.UTC), tick=False):
        response = client.post(reverse("action_edit", args=[action.pk]), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    client.force_login(manager)
    response = client.get(reverse("action_detail", args=[action.pk]))
    [moment] = [m for m in response.context["trail"] if m.kind == "edit"]
    [change] = moment.changes
    assert (change.field, change.old, change.new) == ("due_date", DUE, MOVED)
    assert (moment.by, moment.door) == (head, "web")
    assert moment.at == dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.UTC)
    content = response.content.decode()
    assert "2027-01-10" in content and "2027-06-30" in content
    assert "期限" in content.split("<del>2027-01-10</del>")[0].rsplit("trail__field", 1)[-1]


def test_an_api_edit_is_on_the_timeline_with_the_api_door(action, manager, office):
    api = APIClient()
    api.force_authenticate(manager)
    response = api.patch(f"/api/actions/{action.pk}/", {"version": action.version, "verifier": office.pk},
                         format="json")
    assert response.status_code == 200, response.content
    [moment] = edits(action)
    assert (moment.door, moment.by, [(c.field, c.old, c.new) for c in moment.changes]) == (
        "api", manager, [("verifier", manager.pk, office.pk)])
    history = api.get(f"/api/actions/{action.pk}/history/").json()
    [edit] = [entry for entry in history if entry["kind"] == "edit"]
    assert edit["changes"][0]["field"] == "verifier"
    assert edit["door"] == "api" and len(edit["hash"]) == 64 and edit["position"] > 0
    assert {entry["kind"] for entry in history} >= {"step", "edit"}


def test_an_admin_edit_is_on_the_timeline_with_the_admin_door(admin_client, pms_manager, action):
    client = admin_client(pms_manager)
    data = form_data(client.get(change_url(action)))
    data["title"] = "宛先の二重確認（全社）"
    response = client.post(change_url(action), data)
    assert response.status_code == 302
    [moment] = edits(action)
    assert (moment.door, moment.by) == ("admin", pms_manager)
    assert [(c.field, c.new) for c in moment.changes] == [("title", "宛先の二重確認（全社）")]


def test_a_command_edit_is_on_the_timeline_with_the_command_door(action, manager):
    services.action_update(action=action, version=action.version, by=manager, title="手順書の改訂")
    [moment] = edits(action)
    assert moment.door == "command"


def test_a_steps_fields_are_shown_with_the_step_not_as_an_edit(action, staff, manager):
    action = _step(action, "start", staff)
    action = _step(action, "implement", staff, changes={"implementation_note": "手順書を改訂し周知した。"})
    moments = timeline(action)
    assert not edits(action)
    implement = next(m for m in moments if m.transition == "implement")
    assert [(c.field, c.new) for c in implement.changes if c.field == "implementation_note"] == [
        ("implementation_note", "手順書を改訂し周知した。")]


def _step(record, name, by, changes=None):
    from incidents.workflow.service import transition_record

    return transition_record(record, name, by=by, changes=changes)


def test_an_incident_edit_is_on_the_timeline_with_every_field(staff, manager):
    incident = reported_incident(staff)
    incident = services.incident_update(
        incident=incident, version=incident.version, by=manager, severity="L0", description="訂正した説明",
    )
    [moment] = edits(incident)
    assert {c.field for c in moment.changes} == {"severity", "description"}
    assert moment.by == manager


def test_the_timeline_keeps_the_name_the_actor_had_then(action, head, manager):
    services.action_update(action=action, version=action.version, by=manager, title="改題")
    manager.last_name, manager.first_name, manager.username = "別名", "太郎", "renamed"
    manager.save()
    [moment] = edits(Action.objects.get(pk=action.pk))
    assert (moment.actor_name, moment.by) == ("manager", manager)  # the login it had then, the user it is now


def test_files_added_and_removed_are_in_the_trail(client, manager, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from incidents.attachments import attachment_add
    from incidents.models import Attachment

    incident = reported_incident(staff)
    attachment = attachment_add(record=incident, by=manager,
                                file=SimpleUploadedFile("memo.txt", "連絡メモ".encode(), content_type="text/plain"))
    history = Attachment.history.filter(id=attachment.pk)
    assert [row.history_type for row in history.order_by("history_id")] == ["+"]
    attachment.delete()
    assert [row.history_type for row in history.order_by("history_id")] == ["+", "-"]


@pytest.mark.parametrize("model_label", ["auth.user", "incidents.department", "incidents.ruleset", "audits.requirement",
                                         "incidents.eventclass"])
def test_reference_data_shows_its_saved_versions_in_the_admin(admin_client, superuser, head, sales, model_label):
    """Users, departments, rule sets, the catalogue, the pick-lists: their History page lists the changes."""
    from django.apps import apps

    model = apps.get_model(model_label)
    record = model._default_manager.order_by("pk").first()
    if model_label == "auth.user":
        record = head
        head.last_name = "鈴木"
        head._history_user = superuser
        head.save()
    app, name = model_label.split(".")
    response = admin_client(superuser).get(reverse(f"admin:{app}_{name}_history", args=[record.pk]))
    assert response.status_code == 200
    assert model.history.filter(id=record.pk).exists()
    if model_label == "auth.user":
        assert "鈴木" in response.content.decode()


def test_the_admin_change_page_shows_the_timeline_with_steps_and_edits(admin_client, pms_manager, staff):
    incident = reported_incident(staff)
    services.incident_update(incident=incident, version=incident.version, by=pms_manager, title="件名の訂正")
    content = admin_client(pms_manager).get(change_url(incident)).content.decode()
    trail = content.split("field-trail_display", 1)[1].split("</table>", 1)[0]
    assert "Report submitted" in trail and "Edited" in trail
    assert "件名の訂正" in trail and "manager" in trail
