"""No page holds the same id twice, and every label reaches its own field (issue 16).

An incident's page carries the same step ("Record as filed") for each of its reports, a
request's page a form per thing asked for, an audit's page a form per checklist item: read as
the PMS manager (and the audit's lead auditor, who sees the checklist's forms), each page's
ids are unique and each <label for> names exactly one element.
"""

from __future__ import annotations

import collections
import datetime as dt
from html.parser import HTMLParser

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audits import services as audit_services
from audits.models import Requirement
from incidents import case_services
from incidents.clocks import JAPAN
from incidents.models import IdentityMethod, IdentityResult, RequestKind
from incidents.workflow.service import transition_record
from tests.incidents.factories import DepartmentFactory, UserFactory, reported_incident

pytestmark = pytest.mark.django_db

DISCOVERED = dt.datetime(2026, 4, 1, 10, 0, tzinfo=JAPAN)


class Page(HTMLParser):
    """The ids of a page, and the ids its labels point at."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: collections.Counter[str] = collections.Counter()
        self.label_targets: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids[attrs["id"]] += 1
        if tag == "label" and attrs.get("for"):
            self.label_targets.append(attrs["for"])

    @property
    def duplicated(self) -> dict[str, int]:
        return {name: count for name, count in self.ids.items() if count > 1}

    @property
    def labels_missing_their_field(self) -> list[str]:
        return [target for target in self.label_targets if self.ids[target] != 1]


def read(user, url: str) -> Page:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return Page(response.content.decode())


@pytest.fixture
def clock():
    with time_machine.travel(DISCOVERED + dt.timedelta(hours=2), tick=False):
        yield


def test_an_incident_with_several_reports_to_file_has_unique_ids(clock, staff, manager):
    # A leak of 1,200 customers' addresses by unauthorized access: every report is owed.
    incident = reported_incident(
        staff, discovered_at=DISCOVERED, kind="leak", data_items="氏名、住所", affected_count=1200,
        suspected_unauthorized_purpose=True,
    )
    pending = incident.tracks.pending()
    assert pending.count() >= 3

    page = read(manager, reverse("incident_detail", args=[incident.pk]))

    assert page.duplicated == {}
    assert page.labels_missing_their_field == []
    # Each report's filing form is there, with its own fields.
    for track in pending:
        assert page.ids[f"id_reportingtrack{track.pk}_file-filed_at"] == 1


def test_a_request_with_several_things_asked_has_unique_ids(clock, staff, manager):
    request = case_services.request_receive(
        by=manager, kinds=[RequestKind.DISCLOSURE, RequestKind.CORRECTION, RequestKind.STOP_USE],
        channel="post", received_on=DISCOVERED.date(), requester_name="山田 花子", summary="開示と訂正を求める",
    )
    request = transition_record(request, "confirm_identity", by=manager, changes={
        "identity_method": IdentityMethod.ID_COPY, "identity_result": IdentityResult.CONFIRMED,
        "identity_checked_on": DISCOVERED.date()})

    page = read(manager, reverse("request_detail", args=[request.pk]))

    assert page.duplicated == {}
    assert page.labels_missing_their_field == []


def test_an_audit_in_fieldwork_has_unique_ids(clock, manager, sales):
    ga = DepartmentFactory(code="GA", name="総務部")
    lead = UserFactory(username="lead", roles=["staff", "audit_lead", "auditor"], department=ga)
    auditor = UserFactory(username="ga_auditor", roles=["staff", "auditor"], department=ga)
    clauses = list(Requirement.objects.filter(standard="jis_q_15001", edition="2023",
                                              clause__in=["6.1", "9.2", "5.2"]))
    today = timezone.localdate()
    audit = audit_services.audit_plan(
        by=lead, title="営業部 内部監査", departments=[sales], clauses=clauses, lead_auditor=auditor,
        planned_start=today, planned_end=today + dt.timedelta(days=2),
    )
    audit = transition_record(audit, "start", by=auditor)
    assert audit.checklist.count() == 3

    for user in (manager, auditor):
        page = read(user, reverse("audit_detail", args=[audit.pk]))
        assert page.duplicated == {}, user.username
        assert page.labels_missing_their_field == [], user.username
