"""The audits' share of the to-do page (issue 14 item 2): what waits for a department head, an
auditor, the audit lead and top management, each in order of urgency, the right items in
and the others out, for the same number of queries whatever the length of the list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits import selectors, services
from audits.fiscal import fiscal_year_of
from audits.models import Audit, AuditKind, AuditState, Finding
from incidents.roles import Role
from incidents.services import transition_record
from incidents.workflow.service import transitions_for
from tests.incidents.factories import CompanyFactory, DepartmentFactory, UserFactory, scope_role

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + dt.timedelta(days=30)
TEXTS = {
    "issues_changes": "法改正への対応準備。", "interested_parties": "取引先からの要望が増加。",
    "feedback": "苦情 2 件。", "risk_status": "リスクアセスメントを更新。",
}


def fresh(user):
    """The user as a new request sees it: nothing of its roles cached."""
    return get_user_model().objects.get(pk=user.pk)


def raise_finding(audit, by, grade="minor") -> Finding:
    return services.finding_raise(audit=audit, by=by, requirement=audit.clauses.first(), grade=grade,
                                  description=f"{grade} の指摘")


def responded(audit, by, head) -> Finding:
    """An observation the department has answered (no action needed)."""
    finding = raise_finding(audit, by, "observation")
    return transition_record(finding, "respond", by=head, changes={"cause": "原因", "plan": "計画"})


def verifying(audit, by, head) -> Finding:
    """An observation answered, accepted and submitted for verification."""
    finding = transition_record(responded(audit, by, head), "accept", by=by)
    return transition_record(finding, "submit_for_verification", by=head)


def queries(read) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured.captured_queries)


def finding_rows(findings) -> list:
    """What a to-do row shows of a finding."""
    return [(f.reference, f.department.name, f.department.head, f.audit.reference, f.audit.lead_auditor.username,
             [a.username for a in f.audit.auditors.all()], f.requirement.clause, f.company.name, f.response_due,
             f.response_overdue) for f in findings]


def assert_constant(selector, user, add, *, rows=finding_rows):
    """The selector costs the same queries for one item as for five."""
    add()
    one = queries(lambda: rows(selector(fresh(user))))
    assert len(rows(selector(fresh(user)))) == 1
    for _ in range(4):
        add()
    five = queries(lambda: rows(selector(fresh(user))))
    assert len(rows(selector(fresh(user)))) == 5
    assert five == one


# ---------------------------------------------------------------------------
# Findings to answer (the department head)


def test_findings_to_answer_are_the_open_ones_of_my_departments_earliest_deadline_first(
    fieldwork, lead_auditor, head, plan_audit, it_dept, second_auditor, staff
):
    minor = raise_finding(fieldwork, lead_auditor, "minor")
    major = raise_finding(fieldwork, lead_auditor, "major")
    opportunity = raise_finding(fieldwork, lead_auditor, "opportunity")
    observation = raise_finding(fieldwork, lead_auditor, "observation")
    responded(fieldwork, lead_auditor, head)  # answered: out
    it_head = UserFactory(username="ithead", roles=["staff", "department_head"], department=it_dept)
    it_audit = transition_record(plan_audit(departments=[it_dept], auditors=[]), "start", by=lead_auditor)
    it_finding = raise_finding(it_audit, lead_auditor)
    assert list(selectors.findings_to_answer(fresh(head))) == [major, minor, observation, opportunity]
    assert list(selectors.findings_to_answer(fresh(it_head))) == [it_finding]
    assert not selectors.findings_to_answer(fresh(staff)).exists()
    assert not selectors.findings_to_answer(fresh(lead_auditor)).exists()


def test_findings_to_answer_cost_constant_queries(fieldwork, lead_auditor, head):
    assert_constant(selectors.findings_to_answer, head, lambda: raise_finding(fieldwork, lead_auditor))


# ---------------------------------------------------------------------------
# Responses to accept (the audit team, the audit lead)


def test_responses_to_accept_go_to_the_team_and_the_audit_lead(fieldwork, lead_auditor, second_auditor, audit_lead,
                                                              auditor, head):
    first = responded(fieldwork, lead_auditor, head)
    second = responded(fieldwork, lead_auditor, head)
    raise_finding(fieldwork, lead_auditor)  # open: not a response yet
    for user in (lead_auditor, second_auditor, audit_lead):
        assert list(selectors.responses_to_accept(fresh(user))) == [first, second], user
    assert not selectors.responses_to_accept(fresh(auditor)).exists()  # an auditor not on the team
    assert not selectors.responses_to_accept(fresh(head)).exists()
    transition_record(first, "accept", by=lead_auditor)
    assert list(selectors.responses_to_accept(fresh(lead_auditor))) == [second]


def test_a_company_audit_lead_judges_their_companys_responses_only(fieldwork, lead_auditor, head):
    other = CompanyFactory(code="SOL")
    mine = responded(fieldwork, lead_auditor, head)
    theirs = UserFactory(username="sol_lead", roles=["staff", "audit_lead"], department=DepartmentFactory())
    scope_role(theirs, Role.AUDIT_LEAD, other)
    assert not selectors.responses_to_accept(fresh(theirs)).exists()
    ours = UserFactory(username="ine_lead", roles=["staff", "audit_lead"], department=DepartmentFactory())
    scope_role(ours, Role.AUDIT_LEAD, mine.company)
    assert list(selectors.responses_to_accept(fresh(ours))) == [mine]


def test_responses_to_accept_cost_constant_queries(fieldwork, lead_auditor, head):
    assert_constant(selectors.responses_to_accept, lead_auditor, lambda: responded(fieldwork, lead_auditor, head))


# ---------------------------------------------------------------------------
# Findings to verify (any independent auditor)


def test_findings_to_verify_are_those_the_auditor_may_verify(fieldwork, lead_auditor, second_auditor, auditor,
                                                           head, sales, staff):
    waiting = verifying(fieldwork, lead_auditor, head)
    responded(fieldwork, lead_auditor, head)  # not yet submitted
    # Auditors of the team and outside it, independent of sales: in, the team's first.
    assert list(selectors.findings_to_verify(fresh(lead_auditor))) == [waiting]
    assert list(selectors.findings_to_verify(fresh(auditor))) == [waiting]
    # An auditor of the audited department, its head, a staff member: out.
    sales_auditor = UserFactory(username="sales_auditor", roles=["staff", "auditor"], department=sales)
    assert not selectors.findings_to_verify(fresh(sales_auditor)).exists()
    assert not selectors.findings_to_verify(fresh(head)).exists()
    assert not selectors.findings_to_verify(fresh(staff)).exists()
    # The person who responded, if an auditor, may not verify it either.
    assert waiting.responded_by == head
    # Every finding listed passes the transition's own check.
    for finding in selectors.findings_to_verify(fresh(second_auditor)):
        assert "close" in [option.name for option in transitions_for(finding, second_auditor)]


def test_an_auditor_who_implemented_an_action_does_not_verify_its_finding(fieldwork, lead_auditor, second_auditor,
                                                                        auditor, head):
    finding = raise_finding(fieldwork, lead_auditor, "minor")
    action = services.finding_add_action(finding=finding, by=head, kind="corrective", title="手順の制定",
                                         owner=auditor, verifier=second_auditor, due_date=DUE)
    finding = transition_record(finding, "respond", by=head, changes={"cause": "原因", "plan": "計画"})
    finding = transition_record(finding, "accept", by=lead_auditor)
    action = transition_record(action, "start", by=auditor)
    transition_record(action, "implement", by=auditor, changes={"implementation_note": "制定した"})
    finding = transition_record(finding, "submit_for_verification", by=head)
    assert not selectors.findings_to_verify(fresh(auditor)).exists()
    assert list(selectors.findings_to_verify(fresh(second_auditor))) == [finding]


def test_the_audit_teams_findings_come_first(fieldwork, plan_audit, lead_auditor, auditor, head, it_dept,
                                             second_auditor):
    theirs = verifying(fieldwork, lead_auditor, head)
    # Another audit of sales, led by `auditor`: their own comes first for them.
    own_audit = transition_record(plan_audit(lead_auditor=auditor, auditors=[]), "start", by=auditor)
    own = verifying(own_audit, auditor, head)
    assert list(selectors.findings_to_verify(fresh(auditor))) == [own, theirs]
    assert list(selectors.findings_to_verify(fresh(lead_auditor))) == [theirs, own]


def test_findings_to_verify_cost_constant_queries(fieldwork, lead_auditor, head, auditor):
    assert_constant(selectors.findings_to_verify, auditor, lambda: verifying(fieldwork, lead_auditor, head))


# ---------------------------------------------------------------------------
# Audits to do (the team)


def test_audits_to_do_are_the_open_audits_i_lead_or_join(plan_audit, lead_auditor, second_auditor, auditor,
                                                       audit_lead):
    today = timezone.localdate()
    later = plan_audit(planned_start=today + dt.timedelta(days=20), planned_end=today + dt.timedelta(days=21))
    sooner = plan_audit(planned_start=today + dt.timedelta(days=5), planned_end=today + dt.timedelta(days=6))
    fieldwork = transition_record(plan_audit(), "start", by=lead_auditor)
    done = plan_audit()
    Audit.objects.filter(pk=done.pk).update(state=AuditState.CLOSED)
    cancelled = plan_audit()
    transition_record(cancelled, "cancel", by=audit_lead, changes={"cancel_reason": "延期"})
    not_mine = plan_audit(lead_auditor=auditor, auditors=[])
    assert list(selectors.audits_to_do(fresh(lead_auditor))) == [fieldwork, sooner, later]
    assert list(selectors.audits_to_do(fresh(second_auditor))) == [fieldwork, sooner, later]
    assert list(selectors.audits_to_do(fresh(auditor))) == [not_mine]


def test_audits_to_do_cost_constant_queries(plan_audit, lead_auditor):
    def rows(audits):
        return [(a.reference, a.lead_auditor.username, a.company.name, [d.name for d in a.departments.all()],
                 [u.username for u in a.auditors.all()]) for a in audits]

    assert_constant(selectors.audits_to_do, lead_auditor, plan_audit, rows=rows)


# ---------------------------------------------------------------------------
# Departments not audited this fiscal year (the audit lead)


def test_departments_not_audited_this_fiscal_year(plan_audit, audit_lead, lead_auditor, sales, it_dept, ga,
                                                  head):
    year = fiscal_year_of(timezone.localdate())
    hr = DepartmentFactory(code="HR", name="人事部")
    planned = plan_audit(departments=[sales])  # planned, not done: listed, marked
    reported = plan_audit(departments=[it_dept], auditors=[])
    Audit.objects.filter(pk=reported.pk).update(state=AuditState.REPORTED)  # done: out
    plan_audit(departments=[hr], kind=AuditKind.OPERATIONAL_CHECK)  # a check is not an audit
    cancelled = plan_audit(departments=[ga], lead_auditor=UserFactory(roles=["staff", "auditor"], department=it_dept),
                           auditors=[])
    transition_record(cancelled, "cancel", by=audit_lead, changes={"cancel_reason": "延期"})
    listed = list(selectors.departments_not_audited(fresh(audit_lead), year))
    assert [d.code for d in listed] == ["GA", "HR", "SALES"]  # none at all first, then the planned ones
    marks = {d.code: (d.audit_planned, d.next_audit_start) for d in listed}
    assert marks["SALES"] == (True, planned.planned_start) and marks["GA"] == (False, None)
    assert [d.code for d in selectors.departments_not_audited(fresh(audit_lead))] == ["GA", "HR", "SALES"]
    # Another fiscal year: nothing audited yet.
    assert len(selectors.departments_not_audited(fresh(audit_lead), year + 1)) == 4
    # Only the audit lead has this list.
    assert not selectors.departments_not_audited(fresh(lead_auditor), year).exists()
    assert not selectors.departments_not_audited(fresh(head), year).exists()


def test_a_company_audit_lead_sees_their_companys_departments(audit_lead, sales):
    other = CompanyFactory(code="SOL")
    theirs = DepartmentFactory(code="SOL-DEV", name="開発部", company=other)
    lead = UserFactory(username="sol_lead", roles=["staff", "audit_lead"], department=theirs)
    scope_role(lead, Role.AUDIT_LEAD, other)
    assert [d.code for d in selectors.departments_not_audited(fresh(lead))] == ["SOL-DEV"]
    # The audit lead of the whole group: every company's.
    scope_role(audit_lead, Role.AUDIT_LEAD, None)
    assert "SOL-DEV" in [d.code for d in selectors.departments_not_audited(fresh(audit_lead))]


def test_departments_not_audited_cost_constant_queries(audit_lead):
    def rows(departments):
        return [(d.code, d.company.name, d.head, d.audit_planned, d.next_audit_start) for d in departments]

    before = {d.pk for d in selectors.departments_not_audited(fresh(audit_lead))}

    def only_new(user):
        return selectors.departments_not_audited(user).exclude(pk__in=before)

    assert_constant(only_new, audit_lead, DepartmentFactory, rows=rows)


# ---------------------------------------------------------------------------
# Reviews to approve (top management)


def submitted_review(manager, year: int):
    review = services.review_create(by=manager, period_start=dt.date(year, 4, 1), period_end=dt.date(year + 1, 3, 31),
                                    **TEXTS)
    return transition_record(review, "submit", by=manager)


def test_reviews_to_approve_are_the_submitted_reviews_of_my_companies(manager, executive, staff):
    this_year = fiscal_year_of(timezone.localdate())
    older = submitted_review(manager, this_year - 1)
    newer = submitted_review(manager, this_year)
    services.review_create(by=manager, period_start=dt.date(this_year - 2, 4, 1),
                           period_end=dt.date(this_year - 1, 3, 31))  # a draft: out
    assert list(selectors.reviews_to_approve(fresh(executive))) == [older, newer]
    assert not selectors.reviews_to_approve(fresh(manager)).exists()
    assert not selectors.reviews_to_approve(fresh(staff)).exists()
    # Another company's top management: not theirs.
    other = CompanyFactory(code="SOL")
    theirs = UserFactory(username="sol_exec", roles=["executive"], department=DepartmentFactory(company=other))
    scope_role(theirs, Role.EXECUTIVE, other)
    assert not selectors.reviews_to_approve(fresh(theirs)).exists()
    # Nor the one an executive submitted themselves (they may not approve it).
    both = UserFactory(username="exec_manager", roles=["executive", "pms_manager"])
    assert list(selectors.reviews_to_approve(fresh(both))) == [older, newer]
    returned = transition_record(newer, "return_for_revision", by=executive, comment="数値を確認")
    mine = transition_record(returned, "submit", by=both)
    assert list(selectors.reviews_to_approve(fresh(both))) == [older]
    assert mine in selectors.reviews_to_approve(fresh(executive))


def test_reviews_to_approve_cost_constant_queries(manager, executive):
    years = iter(range(2010, 2030))

    def rows(reviews):
        return [(r.reference, r.company.name if r.company else "", r.submitted_by.username) for r in reviews]

    assert_constant(selectors.reviews_to_approve, executive, lambda: submitted_review(manager, next(years)),
                    rows=rows)
