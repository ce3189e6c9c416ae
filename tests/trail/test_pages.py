"""The trail for auditors on the web: a record's download, a period's export, the chain check."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Company
from incidents.roles import Role
from tests.incidents.factories import CompanyFactory, reported_incident, scope_role
from trail.guard import lifted

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(staff, manager):
    incident = reported_incident(staff)
    return services.incident_update(incident=incident, version=incident.version, by=manager, title="件名の訂正")


def export_url(record, fmt):
    return reverse("record_trail_export", args=[record._meta.label_lower, record.pk, fmt])


def test_whoever_sees_a_record_downloads_its_trail_with_the_hashes(client, incident, staff):
    client.force_login(staff)
    page = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert export_url(incident, "csv") in page
    response = client.get(export_url(incident, "json"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="trail-{incident.reference}.json"'
    entries = json.loads(response.content)["entries"]
    assert {row["table"] for row in entries} >= {"trail_trailentry", "incidents_historicalincident"}
    rows = list(csv.DictReader(io.StringIO(client.get(export_url(incident, "csv")).content.decode("utf-8-sig"))))
    assert [row["hash"] for row in rows] == [row["hash"] for row in entries]


def test_a_record_the_user_may_not_see_is_a_404(client, incident, other_staff):
    client.force_login(other_staff)
    assert client.get(export_url(incident, "json")).status_code == 404
    assert client.get(reverse("record_trail_export", args=["auth.user", 1, "json"])).status_code == 404
    assert client.get(reverse("record_trail_export", args=["incidents.incident", incident.pk, "xml"])).status_code == 404


def test_the_trail_page_is_for_the_office_and_the_auditors(client, staff, head, manager, auditor):
    for user, status in ((staff, 403), (head, 403), (manager, 200), (auditor, 200)):
        client.force_login(user)
        assert client.get(reverse("trail")).status_code == status


def test_in_a_group_the_whole_trail_is_for_group_wide_readers_only(client, incident, manager, auditor):
    """A period's trail holds every company's records: a PMS manager of one company reads
    the trail of that company's records from their pages, never the group's by period."""
    CompanyFactory()  # a second company: a role is no longer the whole group's by itself
    scope_role(manager, Role.PMS_MANAGER, Company.objects.default())
    scope_role(auditor, Role.AUDITOR, None)
    today = timezone.localdate().isoformat()
    client.force_login(manager)
    assert client.get(reverse("trail")).status_code == 403
    assert client.get(reverse("trail"), {"export": "1", "since": today, "until": today}).status_code == 403
    assert "/trail/" not in client.get(reverse("home")).content.decode()
    assert client.get(export_url(incident, "json")).status_code == 200  # its own company's record
    client.force_login(auditor)
    assert client.get(reverse("trail")).status_code == 200


def test_a_period_is_downloaded_and_bad_dates_are_a_400(client, incident, manager):
    client.force_login(manager)
    today = timezone.localdate()
    response = client.get(reverse("trail"), {"export": "1", "since": today.isoformat(), "until": today.isoformat(),
                                             "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert any(row["record"] == f"incidents.incident:{incident.pk}" for row in rows)
    bad = client.get(reverse("trail"), {"export": "1", "since": "2026-13-01", "until": today.isoformat()})
    assert bad.status_code == 400
    later = client.get(reverse("trail"), {"export": "1", "since": today.isoformat(),
                                          "until": (today - dt.timedelta(days=1)).isoformat()})
    assert later.status_code == 400


def test_checking_the_chain_on_the_page_says_whether_it_holds(client, incident, manager):
    client.force_login(manager)
    response = client.post(reverse("trail"))
    assert response.status_code == 200 and response.context["check"]["problems"] == []
    row = incident.history.order_by("history_id").last()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute(f"UPDATE {row._meta.db_table} SET title = 'x' WHERE history_id = %s", [row.history_id])
        else:
            with lifted(), connection.cursor() as cursor:
                cursor.execute(f"UPDATE {row._meta.db_table} SET title = 'x' WHERE history_id = %s", [row.history_id])
    response = client.post(reverse("trail"))
    [problem] = response.context["check"]["problems"]
    assert f"id {row.history_id}" in problem
    assert 'role="alert"' in response.content.decode()
