"""AuditSeeder: the incidents app's DemoSeeder, extended with the internal audits and the
management reviews (audits/demo/__init__.py tells the story).

Everything goes through the services (audit_plan, checklist_record, finding_raise,
finding_add_action, transition_record) as the user whose job it is; afterwards the dates
are moved back to the story's, as the incidents stories do.

Idempotent: each audit is keyed by its title and fiscal year; an audit that exists is left
as it is, with its findings and actions; a review by its period. Each audit's and each
review's story is one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audits import services
from audits.fiscal import fiscal_year_bounds, fiscal_year_of
from audits.models import Audit, ChecklistItem, Finding, Requirement, Review
from audits.models.review import TEXT_INPUTS
from incidents import services as incident_services
from incidents.demo.people import DemoUser
from incidents.demo.seeder import DemoSeeder
from incidents.exceptions import ConditionsNotMet
from incidents.models import Action
from trail.models import TrailEntry as StateLog

from .story import EDITION, STANDARD, STORY_SPAN, AuditStory


class AuditSeeder(DemoSeeder):
    """DemoSeeder plus the audits of this fiscal year and the last, and the management reviews."""

    def __init__(self, demo_users: Sequence[DemoUser]):
        super().__init__(demo_users)
        self.created.update(audits=0, findings=0, previous_audits=0, previous_findings=0, reviews=0)
        for model in (Audit, Finding, Review):
            self.new_records.setdefault(model, [])
        today = timezone.localdate(self.now)
        self.fiscal_year = fiscal_year_of(today)
        self.year_start, self.year_end = fiscal_year_bounds(self.fiscal_year)
        self.clauses = {r.clause: r for r in Requirement.objects.of(STANDARD, EDITION)}

    def history_scope(self) -> list:
        audits = self.new_records[Audit]
        return [
            *super().history_scope(),
            Audit.objects.filter(pk__in=audits),
            ChecklistItem.objects.filter(audit_id__in=audits),
            Finding.objects.filter(pk__in=self.new_records[Finding]),
            Review.objects.filter(pk__in=self.new_records.get(Review, [])),
        ]

    # --- one audit and what came of it

    def seed_audit(self, story: AuditStory, *, previous_year: bool = False) -> None:
        """One audit and what came of it, in the current fiscal year (or in the previous one)."""
        year = self.fiscal_year - 1 if previous_year else self.fiscal_year
        if Audit.objects.filter(title=story.title, fiscal_year=year).exists():
            return
        day = self.previous_year_day if previous_year else self.day
        with transaction.atomic():
            planned_at = day(story.planned_at)
            if story.start is None:
                # The audit still to come: a month from today, inside the fiscal year.
                first = min(timezone.localdate(self.now) + dt.timedelta(days=30), self.year_end)
                planned_start, planned_end = first, min(first + dt.timedelta(days=1), self.year_end)
            else:
                planned_start = timezone.localdate(day(story.start))
                planned_end = timezone.localdate(day(story.end))
            with self.stamped(planned_at):
                audit = services.audit_plan(
                    by=self.users[story.planned_by],
                    title=story.title, kind=story.kind,
                    departments=[self.departments[code] for code in story.departments],
                    clauses=[self.clauses[clause] for clause in story.clauses],
                    lead_auditor=self.users[story.lead],
                    auditors=[self.users[name] for name in story.auditors],
                    planned_start=planned_start, planned_end=planned_end,
                )
            self.backdate_creation(audit, "AUD", planned_at)
            counted = "previous_" if previous_year else ""
            self.created[f"{counted}audits"] += 1
            last = {("audit", audit.pk): planned_at}
            findings: dict[str, Finding] = {}
            actions: dict[str, Action] = {}
            for entry in story.steps:
                kind, *rest = entry
                if kind == "audit":
                    name, by, at, comment, changes = rest
                    when = day(at)
                    with self.stamped(when):
                        audit = self.step(audit, name, by, when, comment, changes, story)
                    last[("audit", audit.pk)] = when
                elif kind == "check":
                    clause, by, at, result, evidence, note = rest
                    when = day(at)
                    item = audit.checklist.get(requirement=self.clauses[clause])
                    with self.stamped(when):
                        services.checklist_record(item=item, by=self.users[by], result=result, evidence=evidence,
                                                  note=note)
                    ChecklistItem.objects.filter(pk=item.pk).update(recorded_at=when)
                elif kind == "finding":
                    key, by, at, data = rest
                    when = day(at)
                    item = audit.checklist.get(requirement=self.clauses[data["clause"]]) if data["item"] else None
                    with self.stamped(when):
                        findings[key] = services.finding_raise(
                            audit=audit, by=self.users[by], checklist_item=item,
                            requirement=self.clauses[data["clause"]],
                            department=self.departments[data["department"]], grade=data["grade"],
                            description=data["description"], evidence=data["evidence"],
                        )
                    self.backdate_creation(findings[key], "FND", when)
                    self.created[f"{counted}findings"] += 1
                    last[("finding", key)] = when
                elif kind == "action":
                    finding_key, key, by, at, fields = rest
                    when = day(at)
                    fields = dict(fields)
                    due = fields.pop("due")
                    with self.stamped(when):
                        actions[key] = services.finding_add_action(
                            finding=findings[finding_key], by=self.users[by],
                            owner=self.users[fields.pop("owner")], verifier=self.users[fields.pop("verifier")],
                            due_date=timezone.localdate(day(due, future=True)), **fields,
                        )
                    self.backdate_creation(actions[key], "ACT", when)
                    self.created["actions"] += 1
                    last[("action", key)] = when
                elif kind == "act":
                    key, name, by, at, comment, changes = rest
                    when = day(at)
                    with self.stamped(when):
                        actions[key] = self.transition(actions[key], name, by, when, comment, changes)
                    last[("action", key)] = when
                else:
                    key, name, by, at, comment, changes = rest
                    when = day(at)
                    with self.stamped(when):
                        findings[key] = self.step(findings[key], name, by, when, comment, changes, story)
                    last[("finding", key)] = when
            for (kind, key), when in last.items():
                if kind == "audit":
                    Audit.objects.filter(pk=key).update(updated_at=when)
                elif kind == "finding":
                    Finding.objects.filter(pk=findings[key].pk).update(updated_at=when)
                else:
                    Action.objects.filter(pk=actions[key].pk).update(updated_at=when)

    def step(self, record, name, by, when, comment, changes, story: AuditStory):
        """A transition of an audit or a finding, dated `when` (as the incidents' `transition`
        does for incidents and actions, whose pick-list lookup would mistake a finding's cause)."""
        try:
            record = incident_services.transition_record(record, name, by=self.users[by], comment=comment,
                                                         changes=changes)
        except ConditionsNotMet as error:
            raise CommandError(f"Demo data error in “{story.title}”, {record}, step {name}: "
                               + " ".join(map(str, error.problems))) from None
        moment = {"start": "started_at", "report": "reported_at", "respond": "responded_at",
                  "close": "closed_at"}.get(name)
        if moment:
            type(record).objects.filter(pk=record.pk).update(**{moment: when})
            setattr(record, moment, when)
        return record

    # --- dates

    def day(self, at: float, *, future: bool = False) -> dt.datetime:
        """The moment of day `at` of the story, stretched or compressed so that day STORY_SPAN is
        yesterday: whole days map to dates, fractions to hours between 9:00 and 18:00."""
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
        moment = moment.replace(second=0, microsecond=0)
        if not future and moment >= self.now:  # the mapping ends yesterday: a mistake in the story
            raise CommandError(f"Demo data error: a step at {moment:%Y-%m-%d %H:%M} is in the future.")
        return moment

    def previous_year_day(self, at: float, *, future: bool = False) -> dt.datetime:
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

    @contextmanager
    def stamped(self, when: dt.datetime):
        """Date `when` every trail entry the block writes (one step: the record's, and the action's
        a finding's plan creates)."""
        mark = StateLog.objects.aggregate(last=Max("pk"))["last"] or 0
        yield
        StateLog.objects.filter(pk__gt=mark).update(timestamp=when)

    # --- the management reviews

    def seed_previous_review(self, story: dict) -> None:
        """Last fiscal year's review: prepared and submitted by the PMS manager, approved by top
        management with decisions (services.review_approve) whose improvement actions their
        owners have since started or implemented."""
        first, last = fiscal_year_bounds(self.fiscal_year - 1)
        if Review.objects.filter(period_start=first, period_end=last).exists():
            return
        manager, executive = self.users["manager"], self.users["executive"]
        today = timezone.localdate(self.now)
        with transaction.atomic():
            prepared = self.day(story["prepared"])
            with self.stamped(prepared):
                review = services.review_create(by=manager, period_start=first, period_end=last)
                self.new_records[Review].append(review.pk)
            # The inputs only people know (no trail entry: the review's dates say when it changed).
            review = services.review_update(review=review, by=manager, version=None, **{
                name: story[name] for name in (*TEXT_INPUTS, "improvement_notes")
            })
            submitted = self.day(story["submitted"])
            with self.stamped(submitted):
                review = incident_services.transition_record(review, "submit", by=manager,
                                                             comment=story["submit_comment"])
            # The inputs were frozen at the real now: they say when the story says.
            snapshot = {**review.snapshot, "assembled_at": submitted.astimezone(dt.UTC).isoformat()}
            approved = self.day(story["approved"])
            decisions = []
            for decision in story["decisions"]:
                day_of_year, at_least = decision["due"]
                due = max(self.year_start + dt.timedelta(days=day_of_year), today + dt.timedelta(days=at_least))
                decisions.append({
                    "title": decision["title"], "kind": decision["kind"], "detail": decision["detail"],
                    "owner": self.users[decision["owner"]], "due_date": due,
                    **({"verifier": self.users[decision["verifier"]]} if decision["verifier"] else {}),
                })
            with self.stamped(approved):
                review = services.review_approve(
                    review=review, by=executive, decisions=decisions, conclusion=story["conclusion"],
                    held_on=timezone.localdate(approved), attendees=story["attendees"], comment=story["comment"],
                )
            Review.objects.filter(pk=review.pk).update(
                created_at=prepared, updated_at=approved, submitted_at=submitted, approved_at=approved,
                snapshot=snapshot,
            )
            self.created["reviews"] += 1
            for decision, data in zip(review.decisions.order_by("position").select_related("action"),
                                      story["decisions"], strict=True):
                action = decision.action
                self.backdate_creation(action, "ACT", approved)
                self.created["actions"] += 1
                when = approved
                for name, by, at, comment, changes in data["steps"]:
                    when = self.day(at)
                    with self.stamped(when):
                        action = self.transition(action, name, by, when, comment, changes)
                Action.objects.filter(pk=action.pk).update(updated_at=when)

    def seed_current_review(self, story: dict) -> None:
        """This year's review: a draft the PMS manager has started, some inputs still to write."""
        if Review.objects.filter(period_start=self.year_start, period_end=self.year_end).exists():
            return
        manager = self.users["manager"]
        with transaction.atomic():
            prepared = self.day(story["prepared"])
            with self.stamped(prepared):
                review = services.review_create(by=manager, period_start=self.year_start, period_end=self.year_end)
                self.new_records[Review].append(review.pk)
            written = self.day(story["written"])
            services.review_update(review=review, by=manager, version=None, issues_changes=story["issues_changes"],
                                   interested_parties=story["interested_parties"])
            Review.objects.filter(pk=review.pk).update(created_at=prepared, updated_at=written)
            self.created["reviews"] += 1
