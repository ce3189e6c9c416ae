"""Who sees what: a record a user may not see is a 404 on every endpoint of the API."""

import pytest
from django.urls import reverse

from incidents.models import Incident
from tests.incidents.factories import ActionFactory, reported_incident
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db


def incident_urls(pk):
    return {
        "detail": reverse("api:incident-detail", args=[pk]),
        "transitions": reverse("api:incident-transitions", args=[pk]),
        "history": reverse("api:incident-history", args=[pk]),
        "transition": reverse("api:incident-transition", args=[pk, "triage"]),
    }


def action_urls(pk):
    return {
        "detail": reverse("api:action-detail", args=[pk]),
        "transitions": reverse("api:action-transitions", args=[pk]),
        "history": reverse("api:action-history", args=[pk]),
        "transition": reverse("api:action-transition", args=[pk, "start"]),
    }


def assert_hidden(client, urls, payload):
    """Every door of the record is a 404, and nothing was changed through any of them."""
    assert client.get(urls["detail"]).status_code == 404
    assert client.get(urls["transitions"]).status_code == 404
    assert client.get(urls["history"]).status_code == 404
    assert client.post(urls["transition"], {"severity": "L1"}, format="json").status_code == 404
    assert client.patch(urls["detail"], payload, format="json").status_code == 404
    assert client.put(urls["detail"], payload, format="json").status_code == 404


@pytest.fixture
def others_incident(other_staff):
    return reported_incident(other_staff, title="他部署の事故")


def test_staff_list_only_what_they_reported(api_as, staff, others_incident):
    mine = reported_incident(staff)

    response = api_as(staff).get(reverse("api:incident-list"))

    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_an_incident_someone_else_reported_is_a_404_everywhere_for_staff(api_as, staff, others_incident):
    logs_before = StateLog.objects.count()

    assert_hidden(api_as(staff), incident_urls(others_incident.pk), {"title": "書き換え"})

    others_incident.refresh_from_db()
    assert (others_incident.title, others_incident.state) == ("他部署の事故", "reported")
    assert StateLog.objects.count() == logs_before


def test_an_unknown_id_is_a_404_too(api_as, manager):
    assert_hidden(api_as(manager), incident_urls(987654), {"title": "x"})
    assert api_as(manager).get("/api/incidents/not-a-number/").status_code == 404


def test_department_head_sees_their_departments_incidents(api_as, head, staff, others_incident):
    in_sales = reported_incident(staff)
    client = api_as(head)

    assert [row["id"] for row in client.get(reverse("api:incident-list")).json()["results"]] == [in_sales.pk]
    assert client.get(incident_urls(in_sales.pk)["detail"]).status_code == 200
    assert client.get(incident_urls(others_incident.pk)["detail"]).status_code == 404


@pytest.mark.parametrize("who", ["manager", "executive", "auditor"])
def test_the_pms_office_auditors_and_executives_see_everything(request, api_as, who, staff, others_incident):
    mine = reported_incident(staff)
    client = api_as(request.getfixturevalue(who))

    ids = {row["id"] for row in client.get(reverse("api:incident-list")).json()["results"]}

    assert ids == {mine.pk, others_incident.pk}
    assert client.get(incident_urls(others_incident.pk)["history"]).status_code == 200


def test_seeing_is_not_editing_an_executive_gets_403(api_as, executive, others_incident):
    response = api_as(executive).patch(incident_urls(others_incident.pk)["detail"], {"version": others_incident.version, "title": "x"}, format="json")

    assert response.status_code == 403
    assert Incident.objects.get(pk=others_incident.pk).title == "他部署の事故"


def test_staff_see_only_the_actions_assigned_to_them(api_as, staff, other_staff, manager, it_dept):
    owned = ActionFactory(owner=staff, verifier=manager)
    to_verify = ActionFactory(owner=manager, verifier=staff)
    others = ActionFactory(owner=other_staff, verifier=manager, department=it_dept)
    client = api_as(staff)

    ids = {row["id"] for row in client.get(reverse("api:action-list")).json()["results"]}

    assert ids == {owned.pk, to_verify.pk}
    assert client.get(action_urls(owned.pk)["detail"]).status_code == 200
    assert_hidden(client, action_urls(others.pk), {"title": "x"})


def test_an_action_cannot_be_linked_to_an_incident_the_user_cannot_see(api_as, head, sales, manager, staff,
                                                                       others_incident):
    response = api_as(head).post(reverse("api:action-list"), {
        "kind": "corrective", "title": "対策", "incident": others_incident.pk, "department": sales.pk,
        "owner": staff.pk, "verifier": manager.pk, "due_date": "2099-01-31",
    }, format="json")

    assert response.status_code == 400
    assert "incident" in response.json()
