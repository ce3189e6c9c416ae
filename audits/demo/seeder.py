"""AuditSeeder: the incidents app's DemoSeeder, extended with the internal audits and the
management reviews (audits/demo/__init__.py tells the story).

As for the incidents, adding a story only dates its steps and puts them on the timeline
(incidents/demo/timeline.py), which plays every step of every story in date order with
the clock moved to its moment. Everything goes through the services (audit_plan,
checklist_record, finding_raise, finding_add_action, review_create, review_update,
review_approve, transition_record) as the user whose job it is.

Idempotent: each audit is keyed by its title and fiscal year; an audit that exists is left
as it is, with its findings and actions; a review by its company and period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.core.management.base import CommandError
from django.utils import timezone

from audits import services
from audits.fiscal import fiscal_year_bounds, fiscal_year_of
from audits.models import Audit, Finding, Requirement, Review
from audits.models.review import TEXT_INPUTS
from incidents.demo.people import GROUP, DemoUser
from incidents.demo.seeder import DemoSeeder
from incidents.models import Action

from .story import GUIDELINE, STORY_SPAN, AuditStory


@dataclass
class AuditCast:
    """An audit story's records as its steps create and move them on."""

    audit: Audit | None = None
    findings: dict[str, Finding] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    # its standard's by clause number, and the guideline's J items it checks
    clauses: dict[str, Requirement] = field(default_factory=dict)


@dataclass
class ReviewCast:
    review: Review | None = None
    actions: list[Action] = field(default_factory=list)  # the decisions' actions, in their order


class AuditSeeder(DemoSeeder):
    """DemoSeeder plus the audits of this fiscal year and the last, and the management reviews."""

    def __init__(self, demo_users: Sequence[DemoUser]):
        super().__init__(demo_users)
        self.created.update(audits=0, findings=0, previous_audits=0, previous_findings=0, reviews=0)
        today = timezone.localdate(self.now)
        self.fiscal_year = fiscal_year_of(today)
        self.year_start, self.year_end = fiscal_year_bounds(self.fiscal_year)
        self.catalogues: dict[tuple[str, str], dict[str, Requirement]] = {}

    def clauses_of(self, standard: tuple[str, str]) -> dict[str, Requirement]:
        """The standard's requirements by clause number."""
        if standard not in self.catalogues:
            self.catalogues[standard] = {r.clause: r for r in Requirement.objects.of(*standard)}
        return self.catalogues[standard]

    # --- one audit and what came of it

    def add_audit(self, story: AuditStory, *, previous_year: bool = False) -> None:
        """One audit and what came of it, in the current fiscal year (or in the previous one)."""
        year = self.fiscal_year - 1 if previous_year else self.fiscal_year
        if Audit.objects.filter(title=story.title, fiscal_year=year).exists():
            return
        day = self.previous_year_day if previous_year else self.day
        counted = "previous_" if previous_year else ""
        if story.start is None:
            # The audit still to come: a month from today, inside the fiscal year.
            first = min(timezone.localdate(self.now) + dt.timedelta(days=30), self.year_end)
            planned = first, min(first + dt.timedelta(days=1), self.year_end)
        else:
            planned = timezone.localdate(day(story.start)), timezone.localdate(day(story.end))
        clauses = dict(self.clauses_of(story.standard))
        if story.guideline:
            clauses.update(self.clauses_of(GUIDELINE))  # "J.…" numbers: no clash with the standard's
        cast = AuditCast(clauses=clauses)
        thread = self.timeline.thread(story.title)
        thread.add(day(story.planned_at), "plan", partial(self.plan_audit, cast, story, planned, counted))
        for kind, *rest in story.steps:
            if kind == "audit":
                name, by, at, comment, changes = rest
                thread.add(day(at), name, partial(self.audit_step, cast, name, by, comment, changes))
            elif kind == "check":
                clause, by, at, result, evidence, note = rest
                thread.add(day(at), f"check {clause}", partial(self.check, cast, clause, by, result, evidence, note))
            elif kind == "finding":
                key, by, at, data = rest
                if data["response_due"] is not None:
                    data = {**data, "response_due": timezone.localdate(day(data["response_due"]))}
                thread.add(day(at), f"finding {key}", partial(self.raise_finding, cast, key, by, data, counted))
            elif kind == "action":
                finding_key, key, by, at, fields = rest
                fields = dict(fields)
                due = timezone.localdate(day(fields.pop("due")))
                thread.add(day(at), f"action {key}",
                           partial(self.add_finding_action, cast, finding_key, key, by, due, fields))
            elif kind == "act":
                key, name, by, at, comment, changes = rest
                thread.add(day(at), f"{key} {name}", partial(self.action_step, cast, key, name, by, comment, changes))
            else:
                key, name, by, at, comment, changes = rest
                thread.add(day(at), f"{key} {name}", partial(self.finding_step, cast, key, name, by, comment, changes))

    # What the audit's steps do when their moment comes.

    def plan_audit(self, cast: AuditCast, story: AuditStory, planned: tuple[dt.date, dt.date], counted: str) -> None:
        cast.audit = services.audit_plan(
            by=self.users[story.planned_by],
            title=story.title, kind=story.kind,
            departments=[self.departments[code] for code in story.departments],
            clauses=[cast.clauses[clause] for clause in (*story.clauses, *story.guideline)],
            lead_auditor=self.users[story.lead],
            auditors=[self.users[name] for name in story.auditors],
            planned_start=planned[0], planned_end=planned[1],
        )
        self.created[f"{counted}audits"] += 1

    def audit_step(self, cast: AuditCast, name, by, comment, changes) -> None:
        cast.audit = self.transition(cast.audit, name, by, comment, changes)

    def check(self, cast: AuditCast, clause, by, result, evidence, note) -> None:
        item = cast.audit.checklist.get(requirement=cast.clauses[clause])
        services.checklist_record(item=item, by=self.users[by], result=result, evidence=evidence, note=note)

    def raise_finding(self, cast: AuditCast, key, by, data, counted: str) -> None:
        item = cast.audit.checklist.get(requirement=cast.clauses[data["clause"]]) if data["item"] else None
        cast.findings[key] = services.finding_raise(
            audit=cast.audit, by=self.users[by], checklist_item=item,
            requirement=cast.clauses[data["clause"]],
            department=self.departments[data["department"]], grade=data["grade"],
            description=data["description"], evidence=data["evidence"],
            # The team's own deadline; otherwise the grade's default.
            **({"response_due": data["response_due"]} if data["response_due"] is not None else {}),
        )
        self.created[f"{counted}findings"] += 1

    def add_finding_action(self, cast: AuditCast, finding_key, key, by, due: dt.date, fields: dict) -> None:
        fields = dict(fields)
        cast.actions[key] = services.finding_add_action(
            finding=cast.findings[finding_key], by=self.users[by],
            owner=self.users[fields.pop("owner")], verifier=self.users[fields.pop("verifier")],
            due_date=due, **fields,
        )
        self.created["actions"] += 1

    def action_step(self, cast, key, name, by, comment, changes) -> None:
        cast.actions[key] = self.transition(cast.actions[key], name, by, comment, changes)

    def finding_step(self, cast: AuditCast, key, name, by, comment, changes) -> None:
        cast.findings[key] = self.transition(cast.findings[key], name, by, comment, changes)

    # --- dates

    def day(self, at: float) -> dt.datetime:
        """The moment of day `at` of the story, stretched or compressed so that day STORY_SPAN is
        yesterday: whole days map to dates, fractions to hours between 9:00 and 18:00. (A due
        date may fall after today; a step may not, which the timeline checks.)"""
        tz = timezone.get_current_timezone()
        last_day = (timezone.localdate(self.now) - self.year_start).days - 1
        if last_day < 1:
            # Seeded on the first day or two of the fiscal year: squeeze the story into the time since.
            origin = dt.datetime.combine(self.year_start, dt.time(0, 0), tzinfo=tz)
            span = max(self.now - origin - dt.timedelta(minutes=1), dt.timedelta(0))
            return origin + span * (at / STORY_SPAN)
        mapped = at * last_day / STORY_SPAN
        whole = int(mapped)
        moment = dt.datetime.combine(self.year_start + dt.timedelta(days=whole), dt.time(9, 0), tzinfo=tz)
        moment += dt.timedelta(hours=9) * (mapped - whole)
        return moment.replace(second=0, microsecond=0)

    def previous_year_day(self, at: float) -> dt.datetime:
        """Day `at` of the previous fiscal year (wholly past: no stretching), fractions as hours
        between 9:00 and 18:00."""
        first, _last = fiscal_year_bounds(self.fiscal_year - 1)
        whole = int(at)
        moment = dt.datetime.combine(first + dt.timedelta(days=whole), dt.time(9, 0),
                                     tzinfo=timezone.get_current_timezone())
        moment += dt.timedelta(hours=9) * (at - whole)
        moment = moment.replace(second=0, microsecond=0)
        if moment >= dt.datetime.combine(self.year_start, dt.time(0, 0), tzinfo=moment.tzinfo):
            raise CommandError(f"Demo data error: day {at} is not in the previous fiscal year.")
        return moment

    # --- the management reviews

    def add_previous_review(self, story: dict) -> None:
        """Last fiscal year's review: prepared, written and submitted by the PMS manager (submitting
        freezes its inputs as they are at that moment), approved by top management with decisions
        (services.review_approve) whose improvement actions their owners have since started or
        implemented."""
        first, last = fiscal_year_bounds(self.fiscal_year - 1)
        if Review.objects.filter(company__is_default=True, period_start=first, period_end=last).exists():
            return
        today = timezone.localdate(self.now)
        decisions = []
        for decision in story["decisions"]:
            # Never due before the day of seeding (the service refuses a due date in the past).
            day_of_year, at_least = decision["due"]
            due = max(self.year_start + dt.timedelta(days=day_of_year), today + dt.timedelta(days=at_least))
            decisions.append({**decision, "due_date": due})
        cast = ReviewCast()
        title = f"MR-FY{self.fiscal_year - 1}"
        thread = self.timeline.thread(title)
        thread.add(self.day(story["prepared"]), "prepare", partial(self.prepare_review, cast, first, last))
        thread.add(self.day(story["written"]), "write", partial(self.write_review, cast, {
            name: story[name] for name in (*TEXT_INPUTS, "improvement_notes")
        }))
        thread.add(self.day(story["submitted"]), "submit",
                   partial(self.submit_review, cast, story["submit_comment"]))
        approved = self.day(story["approved"])
        thread.add(approved, "approve", partial(self.approve_review, cast, story, decisions))
        for position, decision in enumerate(decisions):
            # Each decision's action goes its own way from the approval on.
            action_thread = self.timeline.thread(f"{title}, decision {position + 1}", after=approved)
            for name, by, at, comment, changes in decision["steps"]:
                action_thread.add(self.day(at), name,
                                  partial(self.decision_step, cast, position, name, by, comment, changes))

    def add_current_review(self, story: dict) -> None:
        """This year's review: a draft the PMS manager has started, some inputs still to write."""
        if Review.objects.filter(company__is_default=True, period_start=self.year_start,
                                 period_end=self.year_end).exists():
            return
        cast = ReviewCast()
        thread = self.timeline.thread(f"MR-FY{self.fiscal_year}")
        thread.add(self.day(story["prepared"]), "prepare",
                   partial(self.prepare_review, cast, self.year_start, self.year_end))
        thread.add(self.day(story["written"]), "write", partial(self.write_review, cast, {
            "issues_changes": story["issues_changes"], "interested_parties": story["interested_parties"],
        }))

    def add_group_review(self, story: dict) -> None:
        """This year's draft of a group company's review (`company`, its code) or of the whole
        group's (`company` GROUP), prepared and partly written by its PMS manager (`by`). Its
        period is the company's fiscal year (the group's: the default company's)."""
        reviews = Review.objects.filter(period_start=self.year_start, period_end=self.year_end)
        if story["company"] == GROUP:
            reviews = reviews.filter(company__isnull=True)
        else:
            reviews = reviews.filter(company__code=story["company"])
        if reviews.exists():
            return
        cast = ReviewCast()
        thread = self.timeline.thread(f"MR-{story['company']}-FY{self.fiscal_year}")
        thread.add(self.day(story["prepared"]), "prepare", partial(self.prepare_group_review, cast, story))
        thread.add(self.day(story["written"]), "write", partial(self.write_review, cast, {
            name: story[name] for name in TEXT_INPUTS if name in story
        }, by=story["by"]))

    # What the reviews' steps do when their moment comes.

    def prepare_review(self, cast: ReviewCast, first: dt.date, last: dt.date) -> None:
        cast.review = services.review_create(by=self.users["manager"], period_start=first, period_end=last)
        self.created["reviews"] += 1

    def prepare_group_review(self, cast: ReviewCast, story: dict) -> None:
        company = None if story["company"] == GROUP else self.companies[story["company"]]
        cast.review = services.review_create(by=self.users[story["by"]], company=company)
        self.created["reviews"] += 1

    def write_review(self, cast: ReviewCast, inputs: dict, by: str = "manager") -> None:
        """The inputs only people know (no trail entry: the review's saved versions record it)."""
        cast.review = services.review_update(review=cast.review, by=self.users[by], version=None, **inputs)

    def submit_review(self, cast: ReviewCast, comment: str) -> None:
        cast.review = self.transition(cast.review, "submit", "manager", comment, {})

    def approve_review(self, cast: ReviewCast, story: dict, decisions: list[dict]) -> None:
        approved = timezone.now()
        cast.review = services.review_approve(
            review=cast.review, by=self.users["executive"], conclusion=story["conclusion"],
            held_on=timezone.localdate(approved), attendees=story["attendees"], comment=story["comment"],
            decisions=[{
                "title": decision["title"], "kind": decision["kind"], "detail": decision["detail"],
                "owner": self.users[decision["owner"]], "due_date": decision["due_date"],
                **({"verifier": self.users[decision["verifier"]]} if decision["verifier"] else {}),
            } for decision in decisions],
        )
        cast.actions = [decision.action for decision in cast.review.decisions.order_by("position")
                        .select_related("action")]
        self.created["actions"] += len(cast.actions)

    def decision_step(self, cast: ReviewCast, position: int, name, by, comment, changes) -> None:
        cast.actions[position] = self.transition(cast.actions[position], name, by, comment, changes)
