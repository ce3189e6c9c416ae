"""Every list, as a page and from the API, reads its rows in the same number of queries for 2
rows as for 6 and more: nothing a row shows is fetched per row (issue 17).

For the group's PMS office (whose lists have no visibility filter) and for a company's (whose
is `company_id IN (…)`), in a group of two companies, with rows that differ in what they
show: incidents with and without a handler, one saved without a rule set (as records loaded
in bulk are), reports filed and pending, actions planned, implemented (with a round of work)
and verified, requests with and without a handler. No timings here: bench/list_scale.py
measures them.
"""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import services as audit_services
from audits.models import Requirement
from incidents import case_services
from incidents.models import (
    Action,
    ActionRound,
    ActionState,
    Incident,
    ReportingTrack,
    RequestKind,
    RoundOutcome,
    TrackState,
)
from incidents.services import transition_record
from incidents.tracks import sync_tracks
from tests.incidents.factories import (
    ActionFactory,
    CompanyFactory,
    DepartmentFactory,
    IncidentFactory,
    UserFactory,
    scope_role,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_lazy_columns")]

# list: (the page, the API list)
LISTS = {
    "incidents": ("incident_list", "api:incident-list"),
    "actions": ("action_list", "api:action-list"),
    "tracks": ("track_list", "api:track-list"),
    "findings": ("finding_list", "audits_api:finding-list"),
    "audits": ("audit_list", "audits_api:audit-list"),
    "requests": ("request_list", "api:request-list"),
    "complaints": ("complaint_list", "api:complaint-list"),
}


@pytest.fixture
def group(sales, manager, office):
    """A group of two companies: the default one (sales, IT) and a subsidiary (its own
    department); `manager` is the default company's PMS office, `office` the group's."""
    subsidiary = CompanyFactory(code="SUB", name="株式会社サブ")
    scope_role(office, "pms_manager", None)
    return {"other_department": DepartmentFactory(code="SUB-OPS", name="業務部", company=subsidiary)}


@pytest.fixture
def makers(group, sales, manager, office, staff):
    """makers[list](n): n more rows of the list in each company (the default company only for
    audits, findings, requests and complaints)."""
    numbers = count()
    audit_team = _audit_team()

    def incidents(n, *, reportable=False):
        made = []
        for _ in range(n):
            number = next(numbers)
            for department in (sales, group["other_department"]):
                incident = IncidentFactory(department=department, reporter=staff, involves_sensitive_data=reportable)
                if number % 2:
                    Incident.objects.filter(pk=incident.pk).update(handler=office)
                if number == 0:  # as a bulk insert leaves it: its rules are read from the day
                    Incident.objects.filter(pk=incident.pk).update(rule_set=None)
                made.append(incident)
        return made

    def tracks(n):
        for incident in incidents(n, reportable=True):
            sync_tracks(incident, by=office)
            ReportingTrack.objects.filter(incident=incident, kind="ppc_preliminary").update(
                state=TrackState.FILED, filed_at=timezone.now(), filed_by=office)

    def actions(n):
        for incident in incidents(n):
            number = next(numbers)
            owner, verifier = UserFactory(department=incident.department), UserFactory()
            action = ActionFactory(incident=incident, department=incident.department, owner=owner, verifier=verifier,
                                   due_date=timezone.localdate() + dt.timedelta(days=number - 3))
            if number % 3:  # implemented (a round of work), and every other one verified effective
                done = number % 3 == 2
                Action.objects.filter(pk=action.pk).update(
                    state=ActionState.EFFECTIVE if done else ActionState.IMPLEMENTED, implemented_by=owner,
                    implemented_at=timezone.now(), verified_by=verifier if done else None,
                    verified_at=timezone.now() if done else None)
                ActionRound.objects.create(action=action, number=1, implemented_by=owner, implemented_at=timezone.now(),
                                           checked_by=verifier if done else None,
                                           checked_at=timezone.now() if done else None,
                                           outcome=RoundOutcome.EFFECTIVE if done else None)

    def audits(n):
        return [audit_services.audit_plan(
            by=audit_team["lead"], title=f"営業部 内部監査 {next(numbers)}", departments=[sales],
            clauses=audit_team["clauses"], lead_auditor=audit_team["lead"], auditors=[audit_team["auditor"]],
            planned_start=timezone.localdate(), planned_end=timezone.localdate() + dt.timedelta(days=2),
        ) for _ in range(n)]

    def findings(n):
        audit = transition_record(audits(1)[0], "start", by=audit_team["lead"])
        for number in range(n):
            audit_services.finding_raise(
                audit=audit, by=audit_team["lead"], requirement=audit_team["clauses"][number % 3],
                grade=["major", "minor", "observation"][number % 3], description=f"指摘 {number}", department=sales)

    def requests(n):
        for number in range(n):
            request = case_services.request_receive(
                by=staff, kinds=[RequestKind.DISCLOSURE, RequestKind.CORRECTION][: 1 + number % 2], channel="post",
                received_on=timezone.localdate(), requester_name="山田 花子", summary="保有個人データの開示")
            if number % 2:
                case_services.request_update(request=request, by=manager, version=request.version, handler=manager)

    def complaints(n):
        for _ in range(n):
            case_services.complaint_receive(by=staff, channel="phone", received_on=timezone.localdate(),
                                            complainant_name="鈴木 一郎", summary="宛先に他人の名前があった")

    return {"incidents": incidents, "tracks": tracks, "actions": actions, "audits": audits,
            "findings": findings, "requests": requests, "complaints": complaints}


def _audit_team() -> dict:
    ga = DepartmentFactory(code="GA", name="総務部")
    lead = UserFactory(username="auditlead", roles=["staff", "audit_lead", "auditor"], department=ga)
    scope_role(lead, "audit_lead", None)
    scope_role(lead, "auditor", None)
    return {
        "lead": lead,
        "auditor": UserFactory(username="auditor2", roles=["staff", "auditor"], department=ga),
        "clauses": list(Requirement.objects.filter(standard="jis_q_15001", edition="2023",
                                                   clause__in=["6.1", "9.2", "5.2"])),
    }


def page(client, name: str, kind: str) -> tuple[int, int]:
    """(queries, rows) of the list's first page, after a first request (sessions, caches)."""
    html, api = LISTS[name]
    url = reverse(html if kind == "html" else api)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    rows = len(response.context["page"].object_list) if kind == "html" else len(response.json()["results"])
    return len(queries), rows


@pytest.mark.parametrize("kind", ["html", "api"])
@pytest.mark.parametrize("name", list(LISTS))
@pytest.mark.parametrize("who", ["office", "manager"])
def test_every_list_takes_the_same_queries_for_2_rows_and_for_6(client, request, makers, name, kind, who):
    client.force_login(request.getfixturevalue(who))

    makers[name](2 if name != "tracks" else 1)
    few, few_rows = page(client, name, kind)
    makers[name](4 if name != "tracks" else 2)
    many, many_rows = page(client, name, kind)

    assert few_rows >= 2 and many_rows >= 6 and many_rows > few_rows
    assert many == few, f"{few} queries for {few_rows} rows, {many} for {many_rows}"


def test_incidents_without_a_rule_set_cost_no_query_each(client, makers, office):
    """The API reads their rules from the day of discovery, once for the page."""
    client.force_login(office)
    url = reverse("api:incident-list")
    made = makers["incidents"](1)
    Incident.objects.filter(pk__in=[incident.pk for incident in made]).update(rule_set=None)
    few, rows = page(client, "incidents", "api")
    assert rows == 2
    made = makers["incidents"](3)
    Incident.objects.filter(pk__in=[incident.pk for incident in made]).update(rule_set=None)
    many, rows = page(client, "incidents", "api")
    assert rows == 8
    assert many == few
    # What they show is the rule set in force on their day, as before.
    shown = {row["reference"]: row for row in client.get(url).json()["results"]}
    assert all(row["rule_set"] is None and row["reportable_reasons"] for row in shown.values())
    assert {row["reportable_reasons"][0]["code"] for row in shown.values()} != {"no_rule_in_force"}
