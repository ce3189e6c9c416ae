"""The records every benchmark measures: a fiscal year of a group's incidents, actions,
reports, audits and findings, shaped like the records the services write.

Bulk inserts, for speed (10,000 incidents in seconds, 100,000 in about a minute), but with
what a real record always carries and a bulk insert would leave empty or wrong: the rule set
in force on the day of discovery, the company of the department, the incident an action
fixes, the creation time some hours after the discovery (not the moment of the build, all
alike, which would make the default order `-created_at` a lie), reports owed by a fifth of
the incidents with their target and limit, and some actions whose effectiveness check
failed. No history rows and no step entries: the trail is weighed apart
(bench/review_scale.py, bench/trail_cost.py).

    from bench.dataset import PERIOD, sizes, build
    build(sizes(10_000), start=sizes(0), rng=random.Random(2026))
"""

from __future__ import annotations

import datetime as dt
import random

PERIOD = (dt.date(2025, 4, 1), dt.date(2026, 3, 31))


def sizes(incidents: int) -> dict[str, int]:
    """The benchmark's proportions: two actions per incident, a finding per twenty."""
    return {"incidents": incidents, "actions": 2 * incidents, "findings": incidents // 20}


def build(counts: dict, *, start: dict, rng: random.Random, batch: int = 2000) -> None:
    """Add records to PERIOD until it holds `counts` (start: what it already holds)."""
    from django.contrib.auth import get_user_model
    from django.db.models import F

    from audits.models import Audit, AuditKind, AuditState, Finding, Grade, Requirement
    from incidents.clocks import JAPAN
    from incidents.models import (
        Action,
        ActionKind,
        ActionRound,
        ActionState,
        CauseCategory,
        Department,
        Incident,
        IncidentKind,
        IncidentState,
        ReportingTrack,
        RoundOutcome,
        RuleSet,
        Severity,
        TrackKind,
        TrackState,
    )

    User = get_user_model()
    departments = list(Department.objects.all())
    users = list(User.objects.filter(is_active=True))
    causes = list(CauseCategory.objects.all())
    clauses = list(Requirement.objects.all()[:40])
    days = (PERIOD[1] - PERIOD[0]).days + 1
    rules = {day: RuleSet.objects.in_force_on(day) for day in (PERIOD[0] + dt.timedelta(n) for n in range(days))}

    def moment(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(rng.randrange(8, 20), rng.randrange(60), rng.randrange(60)),
                                   tzinfo=JAPAN)

    for first in range(start["incidents"], counts["incidents"], batch):
        new_incidents = []
        for n in range(first, min(first + batch, counts["incidents"])):
            day = PERIOD[0] + dt.timedelta(days=rng.randrange(days))
            discovered = moment(day)
            state = rng.choice([IncidentState.CLOSED] * 6 + [IncidentState.CORRECTING, IncidentState.DISMISSED])
            contained = discovered + dt.timedelta(hours=rng.randrange(1, 120))
            department = rng.choice(departments)
            new_incidents.append(Incident(
                reference=f"INC-B-{n:06d}", title=f"事案 {n}", description="ベンチマーク用",
                reporter=rng.choice(users), department=department, company_id=department.company_id,
                kind=rng.choice(IncidentKind.values), severity=rng.choice(Severity.values),
                cause=rng.choice(causes), discovered_at=discovered, contained_at=contained, state=state,
                rule_set=rules[day], reportable=n % 5 == 0,
                closed_at=contained + dt.timedelta(days=rng.randrange(5, 90)) if state == IncidentState.CLOSED else None,
            ))
        created = Incident.objects.bulk_create(new_incidents)
        # Reported some hours after discovery, as the services stamp it (auto_now_add gave
        # every row the moment of the build).
        Incident.objects.filter(pk__in=[i.pk for i in created]).update(
            created_at=F("discovered_at") + dt.timedelta(hours=2))
        # A filing time on the filed reports only, as the services stamp it (a pending one
        # showed a filing time on the report list).
        ReportingTrack.objects.bulk_create([
            ReportingTrack(incident=incident, kind=kind, due_at=incident.discovered_at + dt.timedelta(days=3),
                           limit_at=incident.discovered_at + dt.timedelta(days=5), state=state,
                           filed_at=filed if state == TrackState.FILED else None)
            for incident in created if incident.reportable
            for kind in (TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL)
            # Drawn in the order they always were: the same seed builds the same year.
            for state, filed in [(rng.choice([TrackState.FILED] * 4 + [TrackState.PENDING, TrackState.NOT_REQUIRED]),
                                  incident.discovered_at + dt.timedelta(days=rng.randrange(1, 8)))]
        ])
        # Two actions per incident, most of them fixing it (a few stand alone, as a
        # review's improvement actions do).
        new_actions = []
        for incident in created:
            for _ in range(counts["actions"] // max(counts["incidents"], 1)):
                owner, verifier = rng.sample(users, 2)
                due = incident.discovered_at.date() + dt.timedelta(days=rng.randrange(14, 120))
                state = rng.choice(ActionState.values)
                done = state in (ActionState.IMPLEMENTED, ActionState.EFFECTIVE)
                new_actions.append(Action(
                    kind=rng.choice(ActionKind.values), title=f"処置 {incident.reference}",
                    incident=incident if rng.random() < 0.95 else None, department=incident.department,
                    company_id=incident.company_id, owner=owner, verifier=verifier, created_by=owner,
                    due_date=due, state=state,
                    implemented_at=dt.datetime.combine(due + dt.timedelta(days=rng.randrange(-20, 10)), dt.time(12),
                                                       tzinfo=JAPAN) if done else None,
                ))
        offset = Action.objects.count()
        for number, action in enumerate(new_actions, offset):
            action.reference = f"ACT-B-{number:07d}"
        actions = Action.objects.bulk_create(new_actions)
        ActionRound.objects.bulk_create([  # a round of work whose effectiveness check failed
            ActionRound(action=action, number=1, implemented_by_id=action.owner_id,
                        implemented_at=action.implemented_at or action.created_at, checked_by_id=action.verifier_id,
                        checked_at=action.implemented_at or action.created_at, outcome=RoundOutcome.INEFFECTIVE)
            for action in actions[::40]
        ])

    audits = []
    for n, department in enumerate(departments):
        planned = PERIOD[0] + dt.timedelta(days=30 + 20 * n)
        audit = Audit.objects.create(
            reference=f"AUD-B-{start['findings']}-{n}", title=f"{department.name} 内部監査", kind=AuditKind.INTERNAL,
            lead_auditor=rng.choice(users), created_by=rng.choice(users), planned_start=planned,
            planned_end=planned + dt.timedelta(days=2), state=rng.choice([AuditState.CLOSED, AuditState.REPORTED]),
            company_id=department.company_id,
        )
        audit.departments.set([department])
        audits.append((audit, department))
    Finding.objects.bulk_create([
        Finding(reference=f"FND-B-{n:05d}", audit=audit, requirement=rng.choice(clauses), department=department,
                company_id=audit.company_id, grade=rng.choice(Grade.values), description=f"指摘事項 {n}",
                raised_by=audit.lead_auditor, state=rng.choice(["open", "responded", "accepted", "verifying", "closed"]))
        for n in range(start["findings"], counts["findings"])
        for audit, department in [rng.choice(audits)]
    ], batch_size=batch)
