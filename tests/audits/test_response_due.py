"""Finding response deadlines (回答期限, issue 14 item 3): set from the grade when a finding is
raised (a policy the PMS office edits in the admin), moved by the audit team until the
department responds, shown with overdue marks, in the API, in the reminders' selectors and in
the management review."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import selectors, services
from audits.models import Finding, FindingResponsePolicy, FindingState, default_response_due
from audits.review_inputs import audit_figures
from incidents.exceptions import FieldsNotWritable, NotPermitted
from incidents.models import Company
from incidents.services import transition_record
from tests.incidents.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def raise_finding(audit, by, grade="minor", **data) -> Finding:
    return services.finding_raise(audit=audit, by=by, requirement=audit.clauses.first(), grade=grade,
                                  description=f"{grade} の指摘", **data)


def later(days: int):
    """Time travel `days` days ahead of now (Asia/Tokyo dates move with it)."""
    return time_machine.travel(timezone.now() + dt.timedelta(days=days), tick=False)


def respond(finding, head) -> Finding:
    return transition_record(finding, "respond", by=head, changes={"cause": "手順がない", "plan": "手順を定める"})


# ---------------------------------------------------------------------------
# Defaults and the policy


def test_each_grade_gets_its_default_deadline(fieldwork, lead_auditor):
    today = timezone.localdate()
    due = {grade: raise_finding(fieldwork, lead_auditor, grade).response_due
           for grade in ("major", "minor", "observation", "opportunity")}
    assert due == {"major": today + dt.timedelta(days=14), "minor": today + dt.timedelta(days=30),
                   "observation": today + dt.timedelta(days=60), "opportunity": None}


def test_a_finding_raised_by_the_checklist_gets_its_deadline(fieldwork, lead_auditor):
    services.checklist_record(item=fieldwork.checklist.first(), by=lead_auditor, result="nonconforming",
                              grade="major", note="台帳が更新されていない")
    assert Finding.objects.get().response_due == timezone.localdate() + dt.timedelta(days=14)


def test_the_policy_the_office_edits_applies_to_findings_raised_afterwards(fieldwork, lead_auditor):
    before = raise_finding(fieldwork, lead_auditor, "major")
    policy = FindingResponsePolicy.objects.get(company__isnull=True)  # seeded by the migration
    policy.major_days, policy.opportunity_days = 7, 90
    policy.save()
    today = timezone.localdate()
    assert raise_finding(fieldwork, lead_auditor, "major").response_due == today + dt.timedelta(days=7)
    assert raise_finding(fieldwork, lead_auditor, "opportunity").response_due == today + dt.timedelta(days=90)
    before.refresh_from_db()
    assert before.response_due == today + dt.timedelta(days=14)  # a finding already raised keeps its own
    assert policy.history.count() == 1  # the change is on the trail (the seeded row had no history)


def test_a_companys_own_policy_replaces_the_groups(db):
    day = dt.date(2026, 6, 1)
    default = Company.objects.default()
    other = CompanyFactory(code="SOL")
    FindingResponsePolicy.objects.create(company=other, major_days=5, minor_days=10, observation_days=None,
                                         opportunity_days=None)
    assert default_response_due("major", other.pk, day) == dt.date(2026, 6, 6)
    assert default_response_due("observation", other.pk, day) is None  # empty: no answer asked
    assert default_response_due("major", default.pk, day) == dt.date(2026, 6, 15)  # the group's row
    FindingResponsePolicy.objects.all().delete()
    assert default_response_due("minor", default.pk, day) == dt.date(2026, 7, 1)  # the built-in days


def test_one_policy_per_company_and_one_for_the_group(db):
    with pytest.raises(ValidationError):
        FindingResponsePolicy(company=None, major_days=1).full_clean()
    other = CompanyFactory(code="SOL")
    FindingResponsePolicy.objects.create(company=other)
    with pytest.raises(ValidationError):
        FindingResponsePolicy(company=other).full_clean()


def test_the_pms_office_edits_the_policy_in_the_admin(admin_client, manager, staff):
    policy = FindingResponsePolicy.objects.get(company__isnull=True)
    url = reverse("admin:audits_findingresponsepolicy_change", args=[policy.pk])
    client = admin_client(manager)
    manager.is_staff = True
    manager.save()
    assert client.get(url).status_code == 200
    response = client.post(url, {"company": "", "major_days": "10", "minor_days": "20", "observation_days": "",
                                 "opportunity_days": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    policy.refresh_from_db()
    assert (policy.major_days, policy.minor_days, policy.observation_days) == (10, 20, None)
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get(url).status_code in (302, 403)


# ---------------------------------------------------------------------------
# Who moves it, and when


def test_the_audit_team_moves_the_deadline_until_the_department_responds(fieldwork, lead_auditor, head):
    finding = raise_finding(fieldwork, lead_auditor, "observation")
    moved = timezone.localdate() + dt.timedelta(days=10)
    finding = services.finding_update(finding=finding, by=lead_auditor, version=finding.version, response_due=moved)
    assert finding.response_due == moved
    with pytest.raises(FieldsNotWritable) as refused:
        services.finding_update(finding=finding, by=head, version=finding.version, response_due=None)
    assert "response_due" in refused.value.fields
    finding = respond(finding, head)
    with pytest.raises(NotPermitted):
        services.finding_update(finding=finding, by=lead_auditor, version=finding.version,
                                response_due=moved + dt.timedelta(days=1))


def test_a_deadline_before_the_finding_was_raised_is_refused(fieldwork, lead_auditor):
    finding = raise_finding(fieldwork, lead_auditor)
    with pytest.raises(ValidationError) as refused:
        services.finding_update(finding=finding, by=lead_auditor, version=finding.version,
                                response_due=timezone.localdate() - dt.timedelta(days=1))
    assert "response_due" in refused.value.message_dict


def test_a_new_grade_moves_a_default_deadline_but_not_one_set_by_hand(fieldwork, lead_auditor):
    today = timezone.localdate()
    finding = raise_finding(fieldwork, lead_auditor, "minor")
    finding = services.finding_update(finding=finding, by=lead_auditor, version=finding.version, grade="major")
    assert finding.response_due == today + dt.timedelta(days=14)
    by_hand = today + dt.timedelta(days=3)
    finding = services.finding_update(finding=finding, by=lead_auditor, version=finding.version,
                                      response_due=by_hand)
    finding = services.finding_update(finding=finding, by=lead_auditor, version=finding.version, grade="minor")
    assert finding.response_due == by_hand


# ---------------------------------------------------------------------------
# Overdue, answered late


def test_overdue_until_answered_and_then_answered_late(fieldwork, lead_auditor, head):
    finding = raise_finding(fieldwork, lead_auditor, "observation")  # due in 60 days
    on_time = raise_finding(fieldwork, lead_auditor, "observation")
    no_deadline = raise_finding(fieldwork, lead_auditor, "opportunity")
    respond(on_time, head)
    assert not finding.response_overdue
    with later(61):
        today = timezone.localdate()
        finding.refresh_from_db()
        assert finding.response_overdue and not finding.responded_late
        assert list(Finding.objects.response_overdue(today)) == [finding]
        assert not Finding.objects.response_overdue(today - dt.timedelta(days=2)).exists()
        finding = respond(finding, head)
        assert not finding.response_overdue and finding.responded_late
        assert not Finding.objects.response_overdue(today).exists()
        on_time.refresh_from_db()
        no_deadline.refresh_from_db()
        assert not on_time.responded_late and not no_deadline.response_overdue
        # A rejected response is open, and overdue, again.
        finding = transition_record(finding, "reject", by=lead_auditor, comment="原因が特定されていない")
        assert finding.state == FindingState.OPEN and finding.response_overdue


def test_due_soon_and_overdue_selectors(fieldwork, lead_auditor, django_assert_num_queries):
    today = timezone.localdate()
    major = raise_finding(fieldwork, lead_auditor, "major")  # due in 14 days
    raise_finding(fieldwork, lead_auditor, "minor")  # in 30
    assert list(selectors.findings_response_due_soon(today + dt.timedelta(days=11))) == [major]
    assert list(selectors.findings_response_due_soon(today + dt.timedelta(days=14), days=0)) == [major]
    assert not selectors.findings_response_due_soon(today + dt.timedelta(days=10)).exists()
    assert not selectors.findings_response_due_soon(today + dt.timedelta(days=15)).exists()
    assert list(selectors.findings_response_overdue(today + dt.timedelta(days=15))) == [major]
    assert not selectors.findings_response_overdue(today + dt.timedelta(days=14)).exists()


def _walk(findings) -> list:
    """What a reminder reads of each finding: its department's head, its audit's team."""
    return [(f.reference, f.department.name, f.department.head, f.audit.reference, f.audit.lead_auditor.username,
             [a.username for a in f.audit.auditors.all()], f.requirement.clause, f.company.name) for f in findings]


@pytest.mark.parametrize("selector", ["findings_response_due_soon", "findings_response_overdue"])
def test_the_reminder_selectors_cost_the_same_queries_for_one_finding_or_five(fieldwork, lead_auditor, head,
                                                                             selector):
    day = timezone.localdate() + dt.timedelta(days=14 if selector.endswith("soon") else 15)
    query = getattr(selectors, selector)
    raise_finding(fieldwork, lead_auditor, "major")
    with CaptureQueriesContext(connection) as one:
        rows = _walk(query(day))
    assert len(rows) == 1 and rows[0][2] == head
    for _ in range(4):
        raise_finding(fieldwork, lead_auditor, "major")
    with CaptureQueriesContext(connection) as five:
        assert len(_walk(query(day))) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


# ---------------------------------------------------------------------------
# Pages and API


def test_the_finding_page_and_lists_show_the_deadline_and_the_overdue_mark(client, fieldwork, lead_auditor, head):
    finding = raise_finding(fieldwork, lead_auditor, "observation")
    due = finding.response_due.isoformat()
    client.force_login(head)
    html = client.get(reverse("finding_detail", args=[finding.pk])).content.decode()
    assert due in html and "badge--overdue" not in html
    with later(61):
        client.force_login(head)
        html = client.get(reverse("finding_detail", args=[finding.pk])).content.decode()
        assert due in html and "badge--overdue" in html
        for url in (reverse("finding_list"), reverse("finding_mine"), reverse("audit_detail", args=[fieldwork.pk])):
            html = client.get(url).content.decode()
            assert due in html and 'class="is-overdue"' in html, url
        listed = client.get(reverse("finding_list"), {"response_overdue": "on"}).context["page"].object_list
        assert [f.pk for f in listed] == [finding.pk]
        finding = respond(finding, head)
        html = client.get(reverse("finding_detail", args=[finding.pk])).content.decode()
        assert "badge--late" in html and "badge--overdue" not in html


def test_the_edit_page_offers_the_deadline_to_the_audit_team_only(client, fieldwork, lead_auditor, head):
    finding = raise_finding(fieldwork, lead_auditor, "minor")
    url = reverse("finding_edit", args=[finding.pk])
    client.force_login(head)
    assert "response_due" not in client.get(url).context["form"].fields
    client.force_login(lead_auditor)
    assert "response_due" in client.get(url).context["form"].fields
    moved = timezone.localdate() + dt.timedelta(days=5)
    response = client.post(url, {"requirement": finding.requirement_id, "department": finding.department_id,
                                 "grade": "minor", "description": finding.description, "evidence": "",
                                 "response_due": moved.isoformat(), "version": finding.version})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.response_due == moved


def test_the_api_reads_and_writes_the_deadline(api_as, fieldwork, lead_auditor, head, sales):
    client = api_as(lead_auditor)
    finding = raise_finding(fieldwork, lead_auditor, "major")
    url = reverse("audits_api:finding-detail", args=[finding.pk])
    data = client.get(url).json()
    assert data["response_due"] == finding.response_due.isoformat()
    assert data["response_overdue"] is False and data["responded_late"] is False
    moved = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.patch(url, {"response_due": moved, "version": finding.version}, format="json", **EN)
    assert response.status_code == 200, response.content
    assert response.json()["response_due"] == moved
    # The department's head may not move it: a 400 naming the field.
    response = api_as(head).patch(url, {"response_due": None, "version": response.json()["version"]},
                                  format="json", **EN)
    assert response.status_code == 400 and "response_due" in response.json()
    # Raising a finding with a deadline of its own, or with none.
    requirement = fieldwork.clauses.first()
    payload = {"audit": fieldwork.pk, "requirement": requirement.pk, "department": sales.pk, "grade": "minor",
               "description": "記録がない", "incidents": []}
    created = api_as(lead_auditor).post(reverse("audits_api:finding-list"), {**payload, "response_due": moved},
                                        format="json", **EN)
    assert created.status_code == 201, created.content
    assert created.json()["response_due"] == moved
    created = api_as(lead_auditor).post(reverse("audits_api:finding-list"), payload, format="json", **EN)
    assert created.json()["response_due"] == (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    with later(31):
        listed = api_as(lead_auditor).get(reverse("audits_api:finding-list"), {"response_overdue": "true"}).json()
        assert {row["reference"] for row in listed["results"]} == {
            f.reference for f in Finding.objects.filter(state="open")}
        assert all(row["response_overdue"] for row in listed["results"])


# ---------------------------------------------------------------------------
# The management review


def test_the_review_counts_responses_answered_late_and_still_overdue(fieldwork, lead_auditor, head, manager):
    start, end = fieldwork.planned_start - dt.timedelta(days=1), fieldwork.planned_start + dt.timedelta(days=300)
    late = raise_finding(fieldwork, lead_auditor, "observation")
    overdue = raise_finding(fieldwork, lead_auditor, "observation")
    raise_finding(fieldwork, lead_auditor, "major")  # not yet due when the figures are read
    on_time = raise_finding(fieldwork, lead_auditor, "observation")
    respond(on_time, head)
    raise_finding(fieldwork, lead_auditor, "opportunity")  # no deadline
    with later(20):
        figures = audit_figures(start, end)
        assert figures["findings_answered_late"] == 0 and figures["findings_response_overdue"] == 1  # the major
    with later(61):
        respond(late, head)
    with later(70):
        figures = audit_figures(start, end)
        assert set(Finding.objects.response_overdue().values_list("pk", flat=True)) == {
            overdue.pk, Finding.objects.get(grade="major").pk}
    by_grade = {row["grade"]: row for row in figures["by_grade"]}
    assert (by_grade["observation"]["answered_late"], by_grade["observation"]["response_overdue"]) == (1, 1)
    assert (by_grade["major"]["answered_late"], by_grade["major"]["response_overdue"]) == (0, 1)
    assert (figures["findings_answered_late"], figures["findings_response_overdue"]) == (1, 2)


def test_the_review_page_shows_the_response_figures(client, fieldwork, lead_auditor, manager):
    raise_finding(fieldwork, lead_auditor, "major")
    review = services.review_create(by=manager, period_start=fieldwork.planned_start - dt.timedelta(days=1),
                                    period_end=fieldwork.planned_start + dt.timedelta(days=200))
    with later(15):
        client.force_login(manager)
        page = client.get(reverse("review_detail", args=[review.pk]), **EN)
    assert page.status_code == 200
    audits = page.context["inputs"]["audits"]
    assert (audits["findings_response_overdue"], audits["findings_answered_late"]) == ("1", "0")
    assert "Finding responses overdue" in [str(figure["label"]) for figure in page.context["inputs"]["key_figures"]]


def test_an_old_snapshot_without_deadlines_still_renders(client, manager):
    from audits.review_views import readable_inputs

    inputs = readable_inputs({"audits": {"by_grade": [{"grade": "major", "count": 1, "open": 1, "previous": 0}],
                                         "findings_total": 1, "findings_open": 1}})
    assert inputs["audits"]["findings_answered_late"] == "—"
    assert inputs["audits"]["by_grade"][0]["response_overdue"] == "—"


def test_a_company_scoped_office_sets_only_its_companys_policy(admin_client, db):
    from incidents.roles import Role
    from tests.incidents.factories import scope_role

    other = CompanyFactory(code="SOL")
    office = UserFactory(username="sol_office", roles=["staff", "pms_manager"], is_staff=True)
    scope_role(office, Role.PMS_MANAGER, other)
    group_row = FindingResponsePolicy.objects.get(company__isnull=True)
    client = admin_client(office)
    url = reverse("admin:audits_findingresponsepolicy_change", args=[group_row.pk])
    response = client.post(url, {"company": "", "major_days": "1", "minor_days": "1", "observation_days": "1",
                                 "opportunity_days": ""})
    group_row.refresh_from_db()
    assert group_row.major_days == 14  # the group's row is the group's office's
    assert response.status_code in (200, 302, 403)
    response = client.post(reverse("admin:audits_findingresponsepolicy_add"), {
        "company": other.pk, "major_days": "7", "minor_days": "21", "observation_days": "", "opportunity_days": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert FindingResponsePolicy.objects.get(company=other).major_days == 7
