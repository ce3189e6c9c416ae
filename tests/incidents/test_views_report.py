"""Web UI: the report form a staff member fills in under a minute."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db


def in_english(client) -> None:
    """Read the domain's messages by their msgid (the Japanese catalogue may translate them)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def local_input(value: dt.datetime) -> str:
    """A datetime as a datetime-local input sends it (Asia/Tokyo wall time)."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def report_data(department, **overrides) -> dict:
    data = {
        "title": "見積書の誤送信",
        "description": "A社宛の見積書メールを、誤ってB社の担当者に送信した。",
        "discovered_at": local_input(timezone.now() - dt.timedelta(minutes=30)),
        "department": department.pk,
        "kind": "leak",
    }
    data.update(overrides)
    return data


def test_form_is_prefilled_with_now_and_the_users_department(client, staff, sales):
    client.force_login(staff)
    response = client.get(reverse("incident_report"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["department"] == sales.pk
    assert abs(form.initial["discovered_at"] - timezone.now()) < dt.timedelta(minutes=2)
    content = response.content.decode()
    assert 'type="datetime-local"' in content
    assert "<details" in content  # the optional part is folded away
    assert content.count('type="radio"') == 8


def test_staff_reports_an_incident_in_japanese(client, staff, sales):
    client.force_login(staff)
    response = client.post(reverse("incident_report"), report_data(sales), follow=True)

    incident = Incident.objects.get()
    assert response.redirect_chain == [(reverse("incident_detail", args=[incident.pk]), 302)]
    assert incident.reporter == staff
    assert incident.department == sales
    assert incident.title == "見積書の誤送信"
    assert incident.state == "reported"
    assert incident.reference.startswith(f"INC-{timezone.localdate().year}-")
    content = response.content.decode()
    assert incident.reference in content
    assert "A社宛の見積書メール" in content
    # the creation is the first entry of the trail; the second lists the reports it owes
    # (a leak owes at least the PrivacyMark final report)
    report, tracks = StateLog.objects.filter(object_id=incident.pk, content_type__model="incident").order_by("id")
    assert (report.transition, report.by, report.source_state, report.state) == ("report", staff, None, "reported")
    assert (tracks.transition, tracks.by, tracks.source_state, tracks.state) == (
        "update_tracks", staff, "reported", "reported")
    assert list(incident.tracks.values_list("kind", "state")) == [("pmark_final", "pending")]


def test_optional_details_are_saved(client, staff, sales):
    client.force_login(staff)
    discovered = timezone.now() - dt.timedelta(hours=1)
    data = report_data(
        sales,
        discovered_at=local_input(discovered),
        occurred_at=local_input(discovered - dt.timedelta(days=1)),
        data_items="氏名、メールアドレス",
        affected_count="1200",
        affected_count_estimated="on",
        involves_sensitive_data="on",
        entrusted_by="株式会社サンプル",
    )
    response = client.post(reverse("incident_report"), data)
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.affected_count == 1200
    assert incident.affected_count_estimated
    assert incident.involves_sensitive_data
    assert incident.entrusted_by == "株式会社サンプル"
    assert incident.reportable
    assert timezone.localtime(incident.occurred_at).date() == timezone.localtime(
        discovered - dt.timedelta(days=1)
    ).date()


def test_discovery_in_the_future_is_an_error_on_the_field(client, staff, sales):
    client.force_login(staff)
    in_english(client)
    future = timezone.now() + dt.timedelta(days=1)
    response = client.post(reverse("incident_report"), report_data(sales, discovered_at=local_input(future)))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["discovered_at"] == ["The discovery cannot be in the future."]
    assert "The discovery cannot be in the future." in response.content.decode()
    assert not Incident.objects.exists()


def test_occurrence_after_discovery_is_an_error_on_the_field(client, staff, sales):
    client.force_login(staff)
    in_english(client)
    discovered = timezone.now() - dt.timedelta(days=2)
    response = client.post(reverse("incident_report"), report_data(
        sales, discovered_at=local_input(discovered), occurred_at=local_input(discovered + dt.timedelta(hours=3)),
    ))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["occurred_at"] == ["The incident cannot have occurred after it was discovered."]
    assert form.details_have_errors
    assert '<details class="more" open>' in response.content.decode()  # the error is not hidden
    assert not Incident.objects.exists()


def test_missing_title_is_an_error_in_the_users_language(client, staff, sales):
    client.force_login(staff)
    response = client.post(reverse("incident_report"), report_data(sales, title=""))
    assert response.status_code == 400
    # Django's own messages are translated already: the page is Japanese by default.
    assert response.context["form"].errors["title"] == ["この項目は必須です。"]
    assert "この項目は必須です。" in response.content.decode()
    assert not Incident.objects.exists()

    client.post(reverse("set_language"), {"language": "en"})
    response = client.post(reverse("incident_report"), report_data(sales, title=""))
    assert response.context["form"].errors["title"] == ["This field is required."]


def test_negative_count_and_unknown_kind_are_errors(client, staff, sales):
    client.force_login(staff)
    response = client.post(reverse("incident_report"), report_data(sales, affected_count="-3", kind="gossip"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "affected_count" in errors
    assert "kind" in errors
    assert not Incident.objects.exists()
