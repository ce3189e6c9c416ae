"""マイページ's reporting deadlines: one row per incident, its reports inside it, the nearest
limit first; and cards whose counts agree with the lists under them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from incidents.clocks import JAPAN
from incidents.models import ReportingTrack
from tests.incidents.factories import ActionFactory, IncidentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=JAPAN)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def home(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def section(response, anchor: str) -> str:
    return response.content.decode().split(f'id="{anchor}"')[1].split("</section>")[0]


def pending(incident, kind: str, limit: dt.datetime) -> ReportingTrack:
    return ReportingTrack.objects.create(incident=incident, kind=kind, due_at=limit, limit_at=limit)


def test_one_row_per_incident_its_reports_inside_the_nearest_limit_first(client, frozen, manager, staff, sales):
    many = IncidentFactory(reporter=staff, department=sales, title="三つの報告")
    pending(many, "pmark_final", NOW + dt.timedelta(days=30))
    pending(many, "ppc_preliminary", NOW - dt.timedelta(hours=1))  # overdue
    pending(many, "ppc_final", NOW + dt.timedelta(days=29))
    one = IncidentFactory(reporter=staff, department=sales, title="一つの報告")
    pending(one, "pmark_preliminary", NOW + dt.timedelta(days=2))

    response = home(client, manager)
    rows = response.context["deadlines"]["incidents"]
    assert [(row["incident"], row["urgency"]) for row in rows] == [(many, "overdue"), (one, "open")]
    assert [track.kind for track in rows[0]["tracks"]] == ["ppc_preliminary", "ppc_final", "pmark_final"]

    deadlines = section(response, "reporting-deadlines")
    body = deadlines.split("<tbody>")[1]
    assert body.count("<tr") == 2
    assert body.count(many.reference) == 1 and body.count(one.reference) == 1
    first_row = body.split("<tr")[1]
    assert first_row.startswith(' class="is-overdue"')
    assert first_row.index("PPC preliminary report") < first_row.index("PPC final report") < first_row.index(
        "PrivacyMark final report")
    # The card's counts are of the reports, and say so beside the rows of incidents.
    assert "Reports still owed: 4, for 2 incidents." in " ".join(deadlines.split())
    assert "1 overdue" in deadlines


def test_the_executives_overdue_ppc_reports_are_one_row_per_incident(client, frozen, executive, staff, sales):
    incident = IncidentFactory(reporter=staff, department=sales)
    pending(incident, "ppc_preliminary", NOW - dt.timedelta(days=2))
    pending(incident, "ppc_final", NOW - dt.timedelta(hours=2))
    response = home(client, executive)
    body = section(response, "overdue-ppc-reports").split("<tbody>")[1]
    assert body.count("<tr") == 1 and body.count(incident.reference) == 1
    assert len(re.findall(r"clock--overdue", body)) == 2


def test_the_due_card_counts_the_overdue_as_due(client, frozen, staff, head, sales):
    today = NOW.date()
    late = ActionFactory(owner=staff, verifier=head, department=sales, due_date=today - dt.timedelta(days=3))
    response = home(client, staff)
    card = section(response, "actions-to-do")
    # Nothing due this week but one overdue: the card says so, and the list shows it.
    assert "1 overdue" in card and "due within" not in card
    assert late.reference in card and "badge--overdue" in card
    assert (response.context["my_overdue_count"], response.context["my_due_soon_count"]) == (1, 0)

    ActionFactory(owner=staff, verifier=head, department=sales, due_date=today + dt.timedelta(days=7))
    ActionFactory(owner=staff, verifier=head, department=sales, due_date=today + dt.timedelta(days=8))
    response = home(client, staff)
    card = section(response, "actions-to-do")
    assert "1 overdue" in card and "1 due within 7 days" in card
    # The counts add up to the list's actions due within the week or late; the chip counts them all.
    assert response.context["actions_to_do"]["total"] == 3
    assert response.context["my_overdue_count"] + response.context["my_due_soon_count"] == 2


def test_an_implemented_action_awaiting_its_check_is_not_called_overdue(client, frozen, staff, head, sales):
    waiting = ActionFactory(owner=staff, verifier=head, department=sales, state="implemented",
                            due_date=NOW.date() - dt.timedelta(days=10), implemented_at=NOW - dt.timedelta(days=12))
    response = home(client, head)
    card = section(response, "actions-to-verify")
    assert waiting.reference in card
    assert "badge--overdue" not in card and "Overdue" not in card


def test_the_overdue_actions_card_counts_what_it_lists(client, frozen, manager, head, staff, sales):
    for days in (1, 2, 3):
        ActionFactory(owner=head, verifier=staff, department=sales, due_date=NOW.date() - dt.timedelta(days=days))
    ActionFactory(owner=head, verifier=staff, department=sales, due_date=NOW.date())  # due today: not overdue
    response = home(client, manager)
    overdue = response.context["overdue_actions"]
    assert overdue["total"] == len(overdue["rows"]) == 3
    assert '<span class="count-chip">3</span>' in response.content.decode().split("Overdue actions")[1][:200]
