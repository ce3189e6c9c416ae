"""The steps bar under a record's title (incidents/_steps_bar.html, issue 16 item 2): the
steps this user may take now, each a link to the step's own page, with the record's state and
its next deadline; no bar for a user with no step."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from audits import services as audit_services
from audits.models import Requirement
from incidents import deadlines, services
from incidents.models import TrackState
from tests.incidents.factories import (
    ActionFactory,
    DepartmentFactory,
    UserFactory,
    file_pending_tracks,
    reported_incident,
)

pytestmark = pytest.mark.django_db

BAR = re.compile(r'<section class="steps-bar".*?</section>', re.S)


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def steps_bar(client, url: str) -> str | None:
    response = client.get(url)
    assert response.status_code == 200
    found = BAR.search(response.content.decode())
    return found.group(0) if found else None


def step_links(bar: str) -> dict[str, str]:
    """The bar's steps: name → the page it links to."""
    return {name: href for href, name in re.findall(r'href="([^"]+)" data-step="([a-z_]+)"', bar)}


def test_the_manager_has_the_new_reports_steps_at_the_top(client, staff, manager):
    incident = reported_incident(staff)
    client.force_login(manager)
    page = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    bar = BAR.search(page).group(0)

    assert step_links(bar) == {name: reverse("incident_transition", args=[incident.pk, name])
                               for name in ("triage", "dismiss")}
    assert 'class="badge badge--reported"' in bar  # the state
    # Above the record: before its first section and before the side panel's steps.
    assert page.index("steps-bar") < page.index('id="reporting"') < page.index('class="card transitions"')
    # Each link opens the step's page.
    assert client.get(step_links(bar)["triage"]).status_code == 200


def test_the_reporter_without_a_step_sees_no_bar(client, staff):
    incident = reported_incident(staff)
    client.force_login(staff)
    assert steps_bar(client, reverse("incident_detail", args=[incident.pk])) is None


def test_the_incidents_next_deadline_is_its_next_pending_report(client, staff, manager):
    incident = reported_incident(staff, affected_count=1200)  # over 1,000: the PPC is owed reports
    pending = incident.tracks.filter(state=TrackState.PENDING).order_by("limit_at")
    assert pending.exists()
    client.force_login(manager)
    bar = steps_bar(client, reverse("incident_detail", args=[incident.pk]))

    deadline = re.search(r'data-deadline="(\w+)".*?<a href="#reporting">([^<]+)</a>', bar, re.S)
    assert deadline.group(1) == "open"
    assert deadline.group(2) == pending.first().get_kind_display()
    assert timezone.localtime(pending.first().limit_at).strftime("%Y-%m-%d %H:%M") in bar


def test_the_actions_owner_has_its_steps_and_its_due_date(client, manager):
    owner = UserFactory(roles=["staff"])
    action = ActionFactory(owner=owner, due_date=timezone.localdate() + dt.timedelta(days=2))
    client.force_login(owner)
    url = reverse("action_detail", args=[action.pk])
    bar = steps_bar(client, url)
    assert set(step_links(bar)) == {"start"}
    assert 'data-deadline="soon"' in bar and action.due_date.strftime("%Y-%m-%d") in bar

    with time_machine.travel(timezone.now() + dt.timedelta(days=5), tick=False):
        bar = steps_bar(client, url)
    assert 'data-deadline="overdue"' in bar and "Overdue" in bar

    # The verifier has nothing to do on a planned action.
    client.force_login(action.verifier)
    assert steps_bar(client, url) is None


def test_a_finding_shows_its_response_deadline_to_the_department(client, sales, it_dept):
    ga = DepartmentFactory(code="GA", name="総務部")
    lead = UserFactory(roles=["staff", "audit_lead", "auditor"], department=ga)
    head = UserFactory(roles=["staff", "department_head"], department=sales)
    sales.head = head
    sales.save()
    clause = Requirement.objects.filter(standard="jis_q_15001", edition="2023", clause="9.2").get()
    today = timezone.localdate()
    audit = audit_services.audit_plan(
        by=lead, title="営業部 内部監査", departments=[sales], clauses=[clause], lead_auditor=lead,
        auditors=[], planned_start=today, planned_end=today + dt.timedelta(days=2))
    audit = services.transition_record(audit, "start", by=lead)
    finding = audit_services.finding_raise(audit=audit, by=lead, requirement=clause, grade="major",
                                           description="台帳が更新されていない")
    url = reverse("finding_detail", args=[finding.pk])

    client.force_login(head)
    bar = steps_bar(client, url)
    assert set(step_links(bar)) == {"respond"}
    assert step_links(bar)["respond"] == reverse("finding_transition", args=[finding.pk, "respond"])
    assert finding.response_due.strftime("%Y-%m-%d") in bar

    client.force_login(lead)  # the audit team does not respond for the department
    assert set(step_links(steps_bar(client, url))) == {"close"}


# ---------------------------------------------------------------------------
# The deadlines themselves


def test_a_day_is_due_soon_then_overdue():
    today = dt.date(2026, 4, 10)
    urgency = {days: deadlines.on_day("due", today + dt.timedelta(days=days), soon_days=3, today=today).urgency
               for days in (4, 3, 0, -1)}
    assert urgency == {4: "open", 3: "soon", 0: "soon", -1: "overdue"}
    assert deadlines.on_day("due", None, soon_days=3) is None


def test_a_done_action_and_a_settled_incident_have_no_deadline(staff, manager):
    action = ActionFactory(state="implemented")
    assert deadlines.action_deadline(action) is None
    incident = reported_incident(staff)
    assert deadlines.incident_deadline(incident.tracks.all()) is not None
    file_pending_tracks(incident, by=manager)
    assert deadlines.incident_deadline(incident.tracks.all()) is None
