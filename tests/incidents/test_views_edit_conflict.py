"""Two people with the same incident open in their browsers: the second save is a conflict
that keeps what they typed, and saving again cannot undo the first person's change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, TrackKind
from tests.incidents.factories import reported_incident

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def posted(form) -> dict:
    """What the browser posts for a form as it is shown (ticked boxes as "on", the rest as text)."""
    data = {}
    for field in form:
        value = field.value()
        if field.widget_type == "checkbox":
            if value:
                data[field.html_name] = "on"
        elif value is not None:
            data[field.html_name] = field.field.widget.format_value(value) or ""
    return data


def test_the_second_save_shows_both_versions_keeps_the_typing_and_then_merges(staff, manager, office):
    incident = reported_incident(staff, discovered_at=timezone.now() - dt.timedelta(hours=5, seconds=17))
    url = reverse("incident_edit", args=[incident.pk])
    first, second = browser(manager), browser(office)
    first_page, second_page = posted(first.get(url).context["form"]), posted(second.get(url).context["form"])

    assert first.post(url, {**first_page, "involves_sensitive_data": "on"}).status_code == 302
    response = second.post(url, {**second_page, "title": "宛先誤りによる誤送信（訂正）"})

    assert response.status_code == 409
    content = response.content.decode()
    assert 'id="conflict"' in content and "宛先誤りによる誤送信（訂正）" in content
    form = response.context["form"]
    rows = {row["label"]: row for row in form.conflict}
    sensitive = rows[str(Incident._meta.get_field("involves_sensitive_data").verbose_name)]
    assert sensitive["by"] == manager and not sensitive["clash"]
    # The office member's typing stays; the box they never touched now shows the tick.
    assert form["title"].value() == "宛先誤りによる誤送信（訂正）"
    assert form["involves_sensitive_data"].value() is True
    assert Incident.objects.get(pk=incident.pk).title == incident.title  # nothing saved

    again = second.post(url, posted(form))

    assert again.status_code == 302
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.title == "宛先誤りによる誤送信（訂正）"
    assert stored.involves_sensitive_data and stored.reportable
    assert {TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL} <= set(stored.tracks.pending().values_list("kind", flat=True))
    # Both saves kept the seconds of the discovery time the minute-precision field could not show.
    assert stored.discovered_at == incident.discovered_at


def test_a_field_both_changed_is_flagged_and_the_typed_value_wins_only_when_saved_again(staff, manager, office):
    incident = reported_incident(staff)
    url = reverse("incident_edit", args=[incident.pk])
    first, second = browser(manager), browser(office)
    first_page, second_page = posted(first.get(url).context["form"]), posted(second.get(url).context["form"])
    first.post(url, {**first_page, "title": "管理者の件名"})

    response = second.post(url, {**second_page, "title": "事務局の件名"})

    assert response.status_code == 409
    row = next(row for row in response.context["form"].conflict if row["in_form"])
    assert (row["seen"], row["current"], row["yours"], row["clash"]) == (incident.title, "管理者の件名", "事務局の件名", True)
    assert Incident.objects.get(pk=incident.pk).title == "管理者の件名"


def test_saving_an_unchanged_form_writes_nothing(staff, manager):
    incident = reported_incident(staff, discovered_at=timezone.now() - dt.timedelta(hours=3, seconds=41))
    url = reverse("incident_edit", args=[incident.pk])
    client = browser(manager)

    assert client.post(url, posted(client.get(url).context["form"])).status_code == 302

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.version, stored.discovered_at) == (incident.version, incident.discovered_at)
