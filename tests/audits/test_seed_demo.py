"""`manage.py seed_demo` with the audits app: a fiscal year of audits in every state, findings
of every grade in every state with their actions, one department left unaudited, the group
companies' audits (one a cross-audit) and reviews (a company's and the group's); idempotent."""

import datetime as dt
from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone, translation

from audits.fiscal import fiscal_year_bounds, fiscal_year_of
from audits.models import (
    NONCONFORMITIES,
    Audit,
    AuditKind,
    AuditState,
    ChecklistItem,
    Finding,
    FindingState,
    Grade,
    Review,
    ReviewDecision,
    ReviewState,
)
from audits.selectors import programme
from incidents.models import (
    ACTION_WORK_STATES,
    Action,
    ActionKind,
    ActionState,
    Incident,
    ReferenceCounter,
    department_of,
)
from incidents.roles import Role, has_role
from incidents.selectors import trail
from incidents.services import transitions_for
from trail.models import TrailEntry as StateLog

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seed_demo_audits")]

PASSWORD = "demo-pass-2026"


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "audits": sorted(Audit.objects.values_list("reference", "title", "state", "planned_start", "updated_at")),
        "findings": sorted(Finding.objects.values_list("reference", "grade", "state", "updated_at")),
        "checklist": sorted(ChecklistItem.objects.values_list("audit__reference", "requirement__clause", "result")),
        "actions": sorted(Action.objects.values_list("reference", "state", "updated_at")),
        "reviews": sorted(Review.objects.values_list("reference", "state", "updated_at", "snapshot")),
        "decisions": sorted(ReviewDecision.objects.values_list("review__reference", "position", "action__reference")),
        "trail": StateLog.objects.count(),
        "counters": sorted(ReferenceCounter.objects.values_list("prefix", "year", "last_number")),
        "users": sorted(get_user_model().objects.values_list("username", "password")),
    }


@pytest.fixture
def seeded(demo):
    """The demo, seeded once for this module (tests/conftest.py demo_once)."""
    return demo


def this_year() -> int:
    return fiscal_year_of(timezone.localdate())




def test_seeding_twice_changes_nothing(seeded):
    before = snapshot()
    with translation.override("en"):
        output = seed()
    assert snapshot() == before
    assert "created in this run: 0, with 0 findings." in output
    assert "Management reviews created in this run: 0." in output


def test_a_fiscal_year_of_audits_in_every_state_and_findings_of_every_grade(seeded):
    year = this_year()
    audits = Audit.objects.filter(fiscal_year=year)
    assert set(audits.values_list("state", flat=True)) == set(AuditState.values)
    assert set(audits.values_list("kind", flat=True)) == set(AuditKind.values)
    findings = Finding.objects.filter(audit__fiscal_year=year)
    assert set(findings.values_list("grade", flat=True)) == set(Grade.values)
    assert set(findings.values_list("state", flat=True)) == set(FindingState.values)
    # Several grades are in several states.
    states_by_grade = defaultdict(set)
    for grade, state in findings.values_list("grade", "state"):
        states_by_grade[grade].add(state)
    assert all(len(states) >= 2 for states in states_by_grade.values())
    assert StateLog.objects.filter(transition="reject", content_type__model="finding").exists()
    first, last = fiscal_year_bounds(year)
    for audit in audits:
        assert first <= audit.planned_start <= audit.planned_end <= last


def test_one_department_is_left_unaudited(seeded):
    statuses = {row["department"].code: row["status"] for row in programme(year=this_year())}
    assert statuses == {"SALES": "done", "CS": "done", "HR": "done", "IT": "done", "PMS": "done", "GA": "none",
                        # The group companies': one audit closed, one in fieldwork.
                        "INS-SALES": "done", "INS-ADM": "done", "SOL-DEV": "planned", "SOL-ADM": "planned"}
    # Its only audit of the year was cancelled.
    assert set(Audit.objects.filter(departments__code="GA", fiscal_year=this_year())
               .values_list("state", flat=True)) == {"cancelled"}


def test_checklists_are_filled_in_as_the_state_implies(seeded):
    for audit in Audit.objects.all():
        results = list(audit.checklist.values_list("result", flat=True))
        assert results, audit
        if audit.state in (AuditState.REPORTED, AuditState.CLOSED):
            assert all(results), audit
            assert audit.conclusion.strip()
        elif audit.state == AuditState.FIELDWORK:
            assert any(results) and not all(results), audit
        else:
            assert not any(results), audit
        if audit.state == AuditState.CANCELLED:
            assert audit.cancel_reason.strip()
    # A nonconforming result always has its finding.
    for item in ChecklistItem.objects.filter(result="nonconforming"):
        assert Finding.objects.filter(checklist_item=item, grade__in=NONCONFORMITIES).exists(), item


def test_independence_is_respected(seeded):
    User = get_user_model()
    for audit in Audit.objects.prefetch_related("departments", "auditors"):
        assert not audit.independence_problems(), audit
        if audit.kind == AuditKind.INTERNAL:
            scope = set(audit.departments.values_list("pk", flat=True))
            for member in audit.team():
                assert department_of(member).pk not in scope, (audit, member)
    lead = User.objects.get(username="auditlead")
    assert has_role(lead, Role.AUDIT_LEAD) and not has_role(lead, Role.PMS_MANAGER)
    assert not User.objects.filter(groups__name=Role.AUDIT_LEAD).filter(groups__name=Role.PMS_MANAGER).exists()
    auditor2 = User.objects.get(username="auditor2")
    assert (auditor2.last_name, auditor2.first_name, department_of(auditor2).code) == ("松本", "亮", "IT")
    assert has_role(auditor2, Role.AUDITOR)


def test_findings_carry_their_corrective_actions(seeded):
    for finding in Finding.objects.all():
        actions = list(finding.actions.all())
        if finding.grade in NONCONFORMITIES and finding.state != FindingState.OPEN:
            assert actions, finding
        if finding.state == FindingState.CLOSED and finding.grade in NONCONFORMITIES:
            assert {a.state for a in actions} == {ActionState.EFFECTIVE}, finding
            closer = trail(finding).get(transition="close").by_id
            assert closer != finding.responded_by_id
            assert closer not in finding.implementer_ids()
        if finding.state == FindingState.VERIFYING:
            assert {a.state for a in actions} <= {ActionState.IMPLEMENTED, ActionState.EFFECTIVE}
        if finding.state in (FindingState.RESPONDED, FindingState.ACCEPTED, FindingState.VERIFYING):
            assert finding.cause.strip() and finding.plan.strip() and finding.responded_by is not None
        for action in actions:
            assert action.department == finding.department
            assert action.owner_id != action.verifier_id
    assert Finding.objects.filter(state=FindingState.CLOSED).exclude(grade__in=NONCONFORMITIES).exists()


def test_every_state_is_reached_through_the_trail_and_dated_in_order(seeded):
    now = timezone.now()
    for record in [*Audit.objects.all(), *Finding.objects.select_related("audit")]:
        entries = list(trail(record))
        times = [entry.timestamp for entry in entries]
        assert times == sorted(times), record
        assert times[0] == record.created_at, record
        assert times[-1] == record.updated_at <= now, record
        # Planned in its fiscal year (the previous year's audits in theirs).
        first, _last = fiscal_year_bounds(getattr(record, "audit", record).fiscal_year)
        assert timezone.localdate(times[0]) >= first, record
        assert entries[0].source_state is None
        assert entries[-1].state == record.state, record
        for before, after in zip(entries, entries[1:], strict=False):
            assert after.source_state == before.state, record
    for audit in Audit.objects.exclude(state__in=["planned", "cancelled"]):
        assert audit.started_at == trail(audit).get(transition="start").timestamp
    for item in ChecklistItem.objects.exclude(result=""):
        assert item.audit.started_at <= item.recorded_at <= now


def test_references_are_in_date_order_without_gaps(seeded):
    for model, prefix, width in ((Audit, "AUD", 2), (Finding, "FND", 4), (Action, "ACT", 4)):
        numbers = defaultdict(list)
        references = list(model.objects.order_by("created_at", "pk").values_list("reference", flat=True))
        for reference in references:
            _prefix, year, number = reference.split("-")
            assert _prefix == prefix and len(number) == width, reference
            numbers[int(year)].append(int(number))
        for year, taken in numbers.items():
            assert taken == list(range(1, len(taken) + 1)), (prefix, year)
            assert ReferenceCounter.objects.get(prefix=prefix, year=year).last_number == len(taken)






# ---------------------------------------------------------------------------
# The previous fiscal year and the management reviews


def test_last_year_has_records_for_its_review(seeded):
    """Last year's audits cover every department, with findings of three grades; its incidents
    include a near miss and a recurrence."""
    year = this_year() - 1
    audits = Audit.objects.filter(fiscal_year=year)
    assert audits.count() == 2
    assert set(audits.values_list("state", flat=True)) == {AuditState.CLOSED}
    assert set(audits.values_list("departments__code", flat=True)) == {"SALES", "CS", "HR", "IT", "GA", "PMS"}
    findings = Finding.objects.filter(audit__fiscal_year=year)
    assert {Grade.MINOR, Grade.OBSERVATION, Grade.OPPORTUNITY} <= set(findings.values_list("grade", flat=True))
    minor = findings.get(grade=Grade.MINOR)
    assert minor.state == FindingState.CLOSED
    assert [action.state for action in minor.actions.all()] == [ActionState.EFFECTIVE]
    inputs = Review.objects.get(reference=f"MR-INE-FY{year}").inputs()
    assert inputs["incidents"]["near_misses"] >= 1
    assert inputs["incidents"]["recurrence"]["recurring"] >= 1
    assert inputs["audits"]["coverage"]["rate"] == 100.0
    assert inputs["opportunities"]


def test_last_years_review_is_approved_with_decisions_under_way(seeded):
    User = get_user_model()
    manager, executive = User.objects.get(username="manager"), User.objects.get(username="executive")
    year = this_year() - 1
    review = Review.objects.get(reference=f"MR-INE-FY{year}")
    assert review.state == ReviewState.APPROVED
    assert (review.period_start, review.period_end) == fiscal_year_bounds(year)
    assert (review.created_by, review.submitted_by, review.approved_by) == (manager, manager, executive)
    assert review.conclusion.strip() and review.attendees.strip()
    assert all(review.inputs()["texts"][name].strip() for name in
               ("issues_changes", "interested_parties", "feedback", "risk_status", "improvement_notes"))
    # The frozen inputs, dated when it was submitted.
    assert review.snapshot is not None and review.snapshot["reference"] == review.reference
    assert dt.datetime.fromisoformat(review.snapshot["assembled_at"]) == review.submitted_at
    # The company's incidents discovered in that year, as many as there were when it was submitted
    # (four or five: one story falls on either side of April 1st depending on the day of seeding).
    that_year = [incident for incident in Incident.objects.filter(company=review.company)
                 if review.period_start <= timezone.localdate(incident.discovered_at) <= review.period_end
                 and incident.created_at <= review.submitted_at]
    assert review.snapshot["incidents"]["total"] == len(that_year) >= 4
    # The trail, in the story's order, in this fiscal year, all in the past.
    entries = list(trail(review))
    assert [(e.transition, e.by) for e in entries] == [("prepare", manager), ("submit", manager),
                                                       ("approve", executive)]
    assert [e.timestamp for e in entries] == [review.created_at, review.submitted_at, review.approved_at]
    assert review.updated_at == review.approved_at < timezone.now()
    assert timezone.localdate(review.created_at) >= fiscal_year_bounds(this_year())[0]
    assert review.held_on == timezone.localdate(review.approved_at)
    # Decisions, each an improvement action of its owner; the actions are under way.
    decisions = list(review.decisions.select_related("action", "owner"))
    assert len(decisions) >= 2
    states = []
    for decision in decisions:
        action = decision.action
        assert action is not None and action.kind == ActionKind.IMPROVEMENT
        assert (action.title, action.owner, action.due_date) == (decision.title, decision.owner, decision.due_date)
        assert action.owner_id != action.verifier_id
        assert action.created_at == review.approved_at
        assert action.due_date >= timezone.localdate(review.approved_at)
        action_trail = list(trail(action))
        assert (action_trail[0].transition, action_trail[0].by) == ("create", executive)
        assert all(entry.by == action.owner for entry in action_trail[1:])
        assert action.updated_at == action_trail[-1].timestamp <= timezone.now()
        states.append(action.state)
    assert ActionState.IN_PROGRESS in states
    assert all(state in [*ACTION_WORK_STATES, ActionState.IMPLEMENTED] for state in states)
    # Some still ahead of today.
    assert any(decision.due_date > timezone.localdate() for decision in decisions)


def test_this_years_review_is_a_draft_with_inputs_still_to_write(seeded):
    year = this_year()
    review = Review.objects.get(reference=f"MR-INE-FY{year}")
    assert review.state == ReviewState.DRAFT and review.snapshot is None
    assert (review.period_start, review.period_end) == fiscal_year_bounds(year)
    assert review.issues_changes.strip() and not review.feedback.strip()
    manager = get_user_model().objects.get(username="manager")
    [submit] = transitions_for(review, manager)
    assert submit.name == "submit" and submit.unmet_conditions
    # Its input (a): last year's decisions and where their actions stand.
    previous = review.inputs()["previous_review"]
    assert previous["reference"] == f"MR-INE-FY{year - 1}"
    assert previous["summary"]["open"] >= 1
    assert [entry.transition for entry in trail(review)] == ["prepare"]
    assert review.created_at == trail(review).get().timestamp <= review.updated_at < timezone.now()


def test_every_time_is_the_moment_of_its_step(seeded):
    """The seeder replays the stories with the clock moved: the saved versions, the creation and
    change times and the times the steps set are those of the steps, never dated afterwards."""
    for model in (Audit, Finding, Review, ChecklistItem):
        for record in model.objects.all():
            versions = list(record.history.order_by("history_id").values_list("history_date", flat=True))
            assert versions == sorted(versions), record
            if hasattr(record, "created_at"):
                assert versions[0] == record.created_at and versions[-1] == record.updated_at, record
    for item in ChecklistItem.objects.exclude(result=""):
        assert item.history.order_by("history_id").last().history_date == item.recorded_at, item
    stamps = {Audit: {"start": "started_at", "report": "reported_at", "close": "closed_at"},
              Finding: {"respond": "responded_at", "close": "closed_at"},
              Review: {"submit": "submitted_at", "approve": "approved_at"}}
    for model, by_step in stamps.items():
        for record in model.objects.all():
            for name, attname in by_step.items():
                entries = list(trail(record).filter(transition=name))
                if entries:
                    assert getattr(record, attname) == entries[-1].timestamp, (record, name)


# ---------------------------------------------------------------------------
# The group companies (issue 12)


def test_every_company_is_audited_and_one_by_another_companys_auditor(seeded):
    year = this_year()
    by_company = defaultdict(list)
    for audit in Audit.objects.filter(fiscal_year=year).select_related("company", "lead_auditor"):
        by_company[audit.company.code].append(audit)
        # An audit covers departments of its own company.
        assert set(audit.departments.values_list("company__code", flat=True)) == {audit.company.code}, audit
    assert set(by_company) == {"INE", "SOL", "INS"}
    # The cross-audit: 株式会社INEソリューションズ's auditor leads 株式会社INE保険サービス's audit.
    [cross] = by_company["INS"]
    assert cross.lead_auditor.username == "sol_auditor"
    assert department_of(cross.lead_auditor).company.code == "SOL"
    assert cross.state == AuditState.CLOSED and not cross.independence_problems()
    assert cross.company.privacy_officer not in cross.team()
    finding = cross.findings.get()
    assert (finding.company, finding.grade, finding.state) == (cross.company, Grade.MINOR, FindingState.ACCEPTED)
    assert [action.state for action in finding.actions.all()] == [ActionState.IN_PROGRESS]
    # The ISMS-only company is audited against ISO/IEC 27001.
    [isms] = by_company["SOL"]
    assert set(isms.clauses.values_list("standard", flat=True)) == {"iso_iec_27001"}
    assert isms.state == AuditState.FIELDWORK


def test_this_years_reviews_of_a_group_company_and_of_the_group(seeded):
    User = get_user_model()
    year = this_year()
    company_review = Review.objects.get(reference=f"MR-INS-FY{year}")
    assert company_review.company.code == "INS"
    assert company_review.created_by == User.objects.get(username="ins_manager")
    group_review = Review.objects.get(reference=f"MR-GROUP-FY{year}")
    assert group_review.company is None
    assert group_review.created_by == User.objects.get(username="manager")
    for review in (company_review, group_review):
        assert review.state == ReviewState.DRAFT
        assert (review.period_start, review.period_end) == fiscal_year_bounds(year)
        assert review.issues_changes.strip() and review.interested_parties.strip() and not review.feedback.strip()
    # The group review is read by the group's roles only; the company's by its own too.
    ins_manager, executive = User.objects.get(username="ins_manager"), User.objects.get(username="executive")
    assert set(Review.objects.visible_to(ins_manager)) == {company_review}
    assert {company_review, group_review} <= set(Review.objects.visible_to(executive))


# ---------------------------------------------------------------------------
# Work finds its people (issue 14): handlers, progress logs, overdue answers, the inbox


