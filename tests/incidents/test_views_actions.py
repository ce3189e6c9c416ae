"""Web UI: planning and changing corrective and preventive actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from incidents import services
from incidents.models import PPC_ITEM_KEYS, Action
from tests.incidents.factories import ActionFactory, reported_incident

pytestmark = pytest.mark.django_db


def action_data(**overrides) -> dict:
    data = {
        "kind": "corrective",
        "title": "送信前の宛先ダブルチェック",
        "description": "外部宛メールは送信前に第三者が宛先を確認する。",
        "due_date": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
    }
    data.update(overrides)
    return data


def test_add_action_link_only_for_users_who_may_plan(client, staff, manager):
    incident = reported_incident(staff)
    create_url = reverse("action_create") + f"?incident={incident.pk}"
    client.force_login(staff)
    assert create_url not in client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert client.get(create_url).status_code == 403
    client.force_login(manager)
    assert create_url in client.get(reverse("incident_detail", args=[incident.pk])).content.decode()


def test_the_form_is_prefilled_with_the_incident_and_its_department(client, staff, manager, sales):
    incident = reported_incident(staff)
    client.force_login(manager)
    response = client.get(reverse("action_create") + f"?incident={incident.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial == {"incident": incident.pk, "department": sales.pk}
    assert f'value="{incident.pk}"' in response.content.decode()


def test_the_manager_plans_an_action_for_an_incident(client, staff, head, manager, sales):
    incident = reported_incident(staff)
    client.force_login(manager)
    response = client.post(reverse("action_create"), action_data(
        incident=incident.pk, department=sales.pk, owner=head.pk, verifier=manager.pk,
    ))
    action = Action.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("action_detail", args=[action.pk])
    assert (action.incident, action.owner, action.verifier, action.created_by) == (incident, head, manager, manager)
    assert action.state == "planned"
    content = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert action.reference in content


def test_verifier_equal_to_owner_is_an_error_on_the_verifier(client, staff, head, manager, sales):
    incident = reported_incident(staff)
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("action_create"), action_data(
        incident=incident.pk, department=sales.pk, owner=head.pk, verifier=head.pk,
    ))
    assert response.status_code == 400
    assert response.context["form"].errors["verifier"] == ["The verifier must be someone other than the owner."]
    assert not Action.objects.exists()


def test_owner_choices_show_full_name_and_department(client, manager, head):
    head.first_name, head.last_name = "花子", "山田"
    head.save()
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    content = client.get(reverse("action_create")).content.decode()
    assert "山田 花子 (営業部)" in content  # family name first, then the department (the person picker)


def test_department_head_plans_actions_only_for_their_department(client, head, staff, other_staff, sales, it_dept):
    incident = reported_incident(staff)
    client.force_login(head)
    response = client.get(reverse("action_create") + f"?incident={incident.pk}")
    assert response.status_code == 200
    assert list(response.context["form"].fields["department"].queryset) == [sales]
    response = client.post(reverse("action_create"), action_data(
        incident=incident.pk, department=it_dept.pk, owner=staff.pk, verifier=head.pk,
    ))
    assert response.status_code == 400
    assert "department" in response.context["form"].errors
    response = client.post(reverse("action_create"), action_data(
        incident=incident.pk, department=sales.pk, owner=staff.pk, verifier=head.pk,
    ))
    assert response.status_code == 302


def test_actions_cannot_be_added_to_a_closed_incident(client, staff, manager):
    incident = reported_incident(staff)
    services.transition_record(incident, "dismiss", by=manager, changes={"dismissal_reason": "重複"})
    client.force_login(manager)
    response = client.get(reverse("action_create") + f"?incident={incident.pk}")
    assert response.status_code == 302
    assert response.url == reverse("incident_detail", args=[incident.pk])


def test_the_manager_edits_an_action(client, manager, head, staff, sales):
    action = ActionFactory(department=sales, owner=staff, verifier=head, created_by=manager)
    client.force_login(manager)
    response = client.post(reverse("action_edit", args=[action.pk]), action_data(
        department=sales.pk, owner=staff.pk, verifier=manager.pk, title="手順書の改訂", version=action.version,
    ))
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.title, action.verifier) == ("手順書の改訂", manager)


def test_the_owner_may_not_edit_their_action(client, staff, head, manager, sales):
    action = ActionFactory(department=sales, owner=staff, verifier=head, created_by=manager)
    client.force_login(staff)
    assert client.get(reverse("action_edit", args=[action.pk])).status_code == 403
    response = client.post(reverse("action_edit", args=[action.pk]), action_data(
        department=sales.pk, owner=staff.pk, verifier=head.pk, title="勝手に変更",
    ))
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.title != "勝手に変更"


def test_the_reporter_edits_the_report_fields_only(client, staff, sales):
    incident = reported_incident(staff)
    client.force_login(staff)
    response = client.get(reverse("incident_edit", args=[incident.pk]))
    assert response.status_code == 200
    fields = set(response.context["form"].fields)
    # The assessment is the PMS office's; with one company there is no jointly used data to tick.
    assert fields == {*services.REPORT_FIELDS, "version"} - {"involves_joint_use"}
    assert "severity" not in fields
    data = {
        "title": "訂正後の件名", "description": incident.description, "department": sales.pk, "kind": "loss",
        "discovered_at": timezone.localtime(incident.discovered_at).strftime("%Y-%m-%dT%H:%M"),
        "severity": "L4",  # not a field for the reporter: ignored
        "version": incident.version,
    }
    assert client.post(reverse("incident_edit", args=[incident.pk]), data).status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.kind, incident.severity) == ("訂正後の件名", "loss", "")


def test_the_manager_edits_the_classification(client, staff, manager, sales):
    incident = reported_incident(staff)
    client.force_login(manager)
    form = client.get(reverse("incident_edit", args=[incident.pk])).context["form"]
    # The whole assessment, except: the items not yet known are one input per item, offered
    # once the PPC report is owed (not the JSON field); the small-risk relief of the 2026
    # amendment only where the rules of the day of discovery carry it (2024-04's do not).
    # And the handler (担当者), whom the PMS office assigns.
    assert set(form.fields) == (services.REPORT_FIELDS | services.ASSESSMENT_FIELDS | {"version", "handler"}) - {
        "involves_joint_use", "ppc_unknown_items", "subjects_low_risk", "subjects_low_risk_reason",
        "substitute_measure"}
    data = {
        "title": incident.title, "description": incident.description, "department": sales.pk, "kind": "leak",
        "discovered_at": timezone.localtime(incident.discovered_at).strftime("%Y-%m-%dT%H:%M"),
        "severity": "L3", "involves_sensitive_data": "on", "version": incident.version,
    }
    assert client.post(reverse("incident_edit", args=[incident.pk]), data).status_code == 302
    incident.refresh_from_db()
    assert incident.severity == "L3"
    assert incident.reportable
    # Now the PPC is owed: each of the nine items may be marked as not yet known.
    form = client.get(reverse("incident_edit", args=[incident.pk])).context["form"]
    assert set(form.fields) - (services.REPORT_FIELDS | services.ASSESSMENT_FIELDS | {"version", "handler"}) == {
        f"unknown_{key}" for key in PPC_ITEM_KEYS}
    content = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    with translation.override(settings.LANGUAGE_CODE):
        reasons = [reason["message"] for reason in incident.reportable_reasons]
    assert reasons
    for message in reasons:
        assert message in content
