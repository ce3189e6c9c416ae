"""The incident's handler (担当者, issue 14 item 4): the PMS office assigns one of its members,
through the one service (web control, edit form, API, admin); every change is on the trail
and goes through services.handler_changed, the notifications' hook."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from incidents import services
from incidents.exceptions import NotPermitted, RecordClosed, StaleEdit
from incidents.models import Incident
from incidents.workflow.timeline import timeline
from tests.incidents.factories import CompanyFactory, DepartmentFactory, UserFactory, reported_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Messages and pages are compared in English (the pages' language is the request's)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def hook():
    with mock.patch("incidents.services.handler_changed") as handler_changed:
        yield handler_changed


def assign(incident, by, handler):
    current = Incident.objects.get(pk=incident.pk)
    return services.incident_assign_handler(incident=current, by=by, handler=handler, version=current.version)


def test_the_office_assigns_a_handler_and_the_change_is_on_the_trail(incident, manager, office, hook):
    updated = assign(incident, manager, office)
    assert updated.handler == office
    hook.assert_called_once()
    args = hook.call_args.args
    assert (args[0].pk, args[1], args[2]) == (incident.pk, None, manager)
    edits = [moment for moment in timeline(updated) if moment.kind == "edit"]
    assert len(edits) == 1
    assert edits[0].by == manager
    assert [(change.field, change.old, change.new) for change in edits[0].changes] == [("handler", None, office.pk)]


def test_a_new_handler_is_told_with_the_previous_one(incident, manager, office, hook):
    assign(incident, manager, manager)
    assign(incident, office, office)
    assert [call.args[1:] for call in hook.call_args_list] == [(None, manager), (manager.pk, office)]
    assert [call.args[0].handler_id for call in hook.call_args_list] == [manager.pk, office.pk]
    # Sending the same handler again changes nothing and tells nobody.
    assign(incident, manager, office)
    assert hook.call_count == 2


def test_the_handler_can_be_removed(incident, manager, hook):
    assign(incident, manager, manager)
    assert assign(incident, manager, None).handler is None
    assert hook.call_args.args[1] == manager.pk


@pytest.mark.parametrize("who", ["head", "staff", "executive", "auditor"])
def test_only_the_office_assigns(request, incident, manager, head, who, hook):
    user = request.getfixturevalue(who)
    with pytest.raises(NotPermitted):
        assign(incident, user, manager)
    assert Incident.objects.get(pk=incident.pk).handler is None
    hook.assert_not_called()


def test_the_handler_is_a_member_of_the_office(incident, manager, staff, head, hook):
    for candidate in (staff, head):
        with pytest.raises(ValidationError) as raised:
            assign(incident, manager, candidate)
        assert "PMS office" in raised.value.message_dict["handler"][0]
    inactive = UserFactory(roles=["staff", "pms_manager"], is_active=False)
    with pytest.raises(ValidationError):
        assign(incident, manager, inactive)
    assert Incident.objects.get(pk=incident.pk).handler is None
    hook.assert_not_called()


def test_in_a_group_the_handler_is_of_the_incidents_company(manager, staff):
    other = CompanyFactory()
    outsider_office = UserFactory(roles=["pms_manager"], department=DepartmentFactory(company=other))
    incident = reported_incident(staff)
    with pytest.raises(ValidationError):
        assign(incident, manager, outsider_office)
    # …and the other company's office may not assign it either.
    with pytest.raises(NotPermitted):
        assign(incident, outsider_office, manager)


def test_a_closed_incident_keeps_its_handler(incident, manager):
    incident = services.transition_record(incident, "dismiss", by=manager, changes={"dismissal_reason": "重複"})
    with pytest.raises(RecordClosed):
        assign(incident, manager, manager)


def test_a_stale_page_does_not_change_the_handler(incident, manager, office):
    seen = Incident.objects.get(pk=incident.pk)
    assign(incident, office, office)
    with pytest.raises(StaleEdit):
        services.incident_assign_handler(incident=seen, by=manager, handler=manager, version=seen.version)
    assert Incident.objects.get(pk=incident.pk).handler == office


# ---------------------------------------------------------------------------
# The web pages


def test_the_incident_page_offers_the_control_to_the_office(client, incident, manager, office, head):
    client.force_login(manager)
    page = client.get(reverse("incident_detail", args=[incident.pk]))
    assert page.context["handler_form"] is not None
    offered = set(page.context["handler_form"].fields["handler"].queryset)
    assert offered == {manager, office}
    client.force_login(head)
    assert client.get(reverse("incident_detail", args=[incident.pk])).context["handler_form"] is None


def test_the_office_assigns_from_the_incident_page(client, incident, manager, office, hook):
    office.last_name, office.first_name = "佐藤", "花子"
    office.save()
    client.force_login(manager)
    url = reverse("incident_handler", args=[incident.pk])
    response = client.post(url, {"handler": office.pk, "version": incident.version})
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).handler == office
    hook.assert_called_once()
    page = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert "佐藤 花子" in page
    listing = client.get(reverse("incident_list")).content.decode()
    assert "Handler" in listing and "佐藤 花子" in listing


def test_the_page_refuses_a_handler_from_outside_the_office(client, incident, manager, staff):
    client.force_login(manager)
    response = client.post(reverse("incident_handler", args=[incident.pk]),
                           {"handler": staff.pk, "version": incident.version})
    assert response.status_code == 400
    assert Incident.objects.get(pk=incident.pk).handler is None


def test_the_page_refuses_others_and_stale_versions(client, incident, manager, office, head):
    url = reverse("incident_handler", args=[incident.pk])
    client.force_login(head)
    assert client.post(url, {"handler": manager.pk, "version": incident.version}).status_code == 403
    client.force_login(manager)
    assign(incident, office, office)
    assert client.post(url, {"handler": manager.pk, "version": incident.version}).status_code == 409
    assert Incident.objects.get(pk=incident.pk).handler == office


def test_the_edit_form_assigns_the_handler_too(client, incident, manager, office, hook):
    client.force_login(manager)
    form = client.get(reverse("incident_edit", args=[incident.pk])).context["form"]
    assert set(form.fields["handler"].queryset) == {manager, office}


# ---------------------------------------------------------------------------
# The API


def test_the_api_shows_and_changes_the_handler(api_as, incident, manager, office, staff, hook):
    client = api_as(manager)
    url = f"/api/incidents/{incident.pk}/"
    body = client.get(url).json()
    assert body["handler"] is None
    response = client.patch(url, {"handler": office.pk, "version": body["version"]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["handler"] == {"id": office.pk, "username": office.username, "name": office.username}
    hook.assert_called_once()
    listed = client.get("/api/incidents/").json()["results"]
    assert listed[0]["handler"]["id"] == office.pk
    assert client.get(f"/api/incidents/?handler={office.pk}").json()["count"] == 1
    assert client.get(f"/api/incidents/?handler={manager.pk}").json()["count"] == 0
    refused = client.patch(url, {"handler": staff.pk, "version": response.json()["version"]}, format="json")
    assert refused.status_code == 400
    assert "handler" in refused.json()
    # The reporter may still correct the report, but not name a handler.
    answer = api_as(staff).patch(url, {"handler": staff.pk, "version": response.json()["version"]}, format="json")
    assert answer.status_code in (400, 403)
    assert Incident.objects.get(pk=incident.pk).handler == office


def test_the_list_reads_handlers_in_constant_queries(api_as, manager, office, staff):
    client = api_as(manager)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/incidents/").status_code == 200
        return len(queries)

    for handler in (manager, office):
        assign(reported_incident(staff), manager, handler)
    few = count()
    for handler in (manager, office, manager, office):
        assign(reported_incident(staff), manager, handler)
    assert count() == few
