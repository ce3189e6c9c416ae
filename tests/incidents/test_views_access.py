"""Web UI: login, visibility (404 for records the user may not see) and the language switch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.incidents.factories import ActionFactory, reported_incident

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["home", "incident_list", "incident_report", "action_list", "action_create"])
def test_it_requires_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_requires_login_for_record_pages(client, staff):
    incident = reported_incident(staff)
    for url in [
        reverse("incident_detail", args=[incident.pk]),
        reverse("incident_edit", args=[incident.pk]),
        reverse("incident_transition", args=[incident.pk, "triage"]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login"))


def test_login_page_renders_with_the_layout(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"/static/css/pms.css" in response.content


def test_it_logs_in_and_lands_on_my_items(client, staff):
    response = client.post(reverse("login"), {"username": "staff", "password": "pass-for-tests"})
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_staff_sees_their_own_incident(client, staff):
    incident = reported_incident(staff, title="自分の報告")
    client.force_login(staff)
    response = client.get(reverse("incident_detail", args=[incident.pk]))
    assert response.status_code == 200
    assert "自分の報告" in response.content.decode()


def test_staff_gets_404_for_someone_elses_incident(client, staff, other_staff):
    incident = reported_incident(other_staff)
    client.force_login(staff)
    for url in [
        reverse("incident_detail", args=[incident.pk]),
        reverse("incident_edit", args=[incident.pk]),
        reverse("incident_transition", args=[incident.pk, "triage"]),
        reverse("action_create") + f"?incident={incident.pk}",
    ]:
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("incident_transition", args=[incident.pk, "triage"]),
        {"triage-expected_state": "reported", "triage-severity": "L1", "triage-kind": "leak"},
    )
    assert response.status_code == 404
    response = client.post(reverse("incident_edit", args=[incident.pk]), {"title": "書き換え"})
    assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.state == "reported"
    assert incident.title != "書き換え"


def test_staff_gets_404_for_an_action_not_assigned_to_them(client, staff, other_staff, it_dept):
    action = ActionFactory(department=it_dept, owner=other_staff)
    client.force_login(staff)
    for url in [
        reverse("action_detail", args=[action.pk]),
        reverse("action_edit", args=[action.pk]),
        reverse("action_transition", args=[action.pk, "start"]),
    ]:
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("action_transition", args=[action.pk, "start"]),
                           {"start-expected_state": "planned"})
    assert response.status_code == 404
    action.refresh_from_db()
    assert action.state == "planned"


def test_department_head_sees_their_departments_incidents(client, head, staff, other_staff):
    own_department = reported_incident(staff)
    elsewhere = reported_incident(other_staff)
    client.force_login(head)
    assert client.get(reverse("incident_detail", args=[own_department.pk])).status_code == 200
    assert client.get(reverse("incident_detail", args=[elsewhere.pk])).status_code == 404


def test_list_shows_only_visible_incidents(client, staff, other_staff):
    mine = reported_incident(staff, title="見える報告")
    reported_incident(other_staff, title="見えない報告")
    client.force_login(staff)
    content = client.get(reverse("incident_list")).content.decode()
    assert mine.reference in content
    assert "見える報告" in content
    assert "見えない報告" not in content


def test_pages_are_japanese_by_default(client, staff):
    client.force_login(staff)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert '<html lang="ja">' in response.content.decode()


def test_language_switch_to_english(client, staff):
    client.force_login(staff)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    content = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in content
    assert "My items" in content
    assert "Report an incident" in content


def test_header_shows_user_roles_and_staff_only_links(client, staff, manager):
    client.force_login(staff)
    content = client.get(reverse("home")).content.decode()
    assert reverse("api-docs") not in content
    assert reverse("admin:index") not in content
    assert f'action="{reverse("logout")}"' in content

    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    content = client.get(reverse("home")).content.decode()
    assert reverse("api-docs") in content
    assert reverse("admin:index") in content
