"""DemoSeeder: turns the demo's stories into records, as real use would, then dates them as
the stories say.

Records are created and moved on only through the services (incident_report,
action_create, transition_record) by the users whose job it is, so the demo obeys the same
rules as real use. Afterwards the dates are moved back to when the story says it happened,
with queryset.update() on timestamp fields only (never `state`).

Reporting tracks: every incident is reported with its real discovery time, so the
system computes its clocks from the start (nothing moves `discovered_at` later). The
PMS office files the reports, or records why one is not owed, through
services.transition_record like any user, before the incident can close; the story
dates each filing (`filed_at` is the step's time, always in the past). The demo has
reports in every state, one filed late, one released by the notice to the 委託元, one
overdue and one due within 24 hours whenever it is seeded (the showcase leak of 1,200
customers' addresses is timed in hours from the moment of seeding for that).

Idempotent: departments and users are keyed by code and username, each demo incident by
its title and reporter, each stand-alone action by its title. What exists is left as it
is; each story is created in one transaction, so an interrupted run leaves no half story.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from contextlib import contextmanager
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import services
from incidents.exceptions import ConditionsNotMet
from incidents.models import (
    Action,
    CauseCategory,
    Department,
    EventClass,
    Incident,
    ReferenceCounter,
    ReportingTrack,
    UserProfile,
)
from incidents.roles import Role
from incidents.selectors import trail
from trail.models import TrailEntry as StateLog

from .actions import StandaloneAction
from .people import DEPARTMENTS, EMAIL_DOMAIN, PASSWORD, DemoUser
from .story import Story


class DemoSeeder:
    """One run of seed_demo: seeds what is missing and counts what it created (`created`).

    `now` is the moment the run started; the stories are dated back from it. The audits
    app's AuditSeeder extends it with the audits and the management reviews.
    """

    def __init__(self, demo_users: Sequence[DemoUser]):
        self.now = timezone.now()
        self.demo_users = demo_users
        self.created = {"departments": 0, "users": 0, "incidents": 0, "actions": 0}
        # This run's records, numbered in date order at the end (renumber).
        self.new_records: dict[type, list[int]] = {Incident: [], Action: []}

    # --- organisation

    def seed_organisation(self) -> None:
        """The departments, the users and the heads of the departments."""
        departments = self.seed_departments()
        self.users = self.seed_users(departments)
        self.assign_heads(departments)
        self.departments = departments

    def seed_departments(self) -> dict[str, Department]:
        departments = {}
        for code, name, _head in DEPARTMENTS:
            department, created = Department.objects.get_or_create(code=code, defaults={"name": name})
            self.created["departments"] += created
            departments[code] = department
        return departments

    def seed_users(self, departments) -> dict:
        User = get_user_model()
        groups = {group.name: group for group in Group.objects.filter(name__in=[r.value for r in Role])}
        missing = {role for demo in self.demo_users for role in demo.roles} - set(groups)
        if missing:
            raise CommandError(_("Role groups are missing (run migrate first): %(names)s")
                               % {"names": ", ".join(sorted(missing))})
        users = {}
        for demo in self.demo_users:
            user, created = User.objects.get_or_create(
                username=demo.username,
                defaults={
                    "last_name": demo.last_name, "first_name": demo.first_name,
                    "email": f"{demo.username}@{EMAIL_DOMAIN}",
                    "is_staff": demo.is_staff, "is_superuser": demo.is_superuser,
                },
            )
            if created:
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
                self.created["users"] += 1
            user.groups.add(*(groups[role] for role in demo.roles))
            UserProfile.objects.get_or_create(user=user, defaults={"department": departments[demo.department]})
            users[demo.username] = user
        return users

    def assign_heads(self, departments) -> None:
        for code, _name, head in DEPARTMENTS:
            department = departments[code]
            if department.head_id is None:
                department.head = self.users[head]
                department.save(update_fields=["head"])

    # --- stories

    def seed_story(self, story: Story) -> None:
        reporter = self.users[story.reporter]
        if Incident.objects.filter(title=story.title, reporter=reporter).exists():
            return
        if story.hours_ago is not None:
            discovered_at = (self.now - dt.timedelta(hours=story.hours_ago)).replace(second=0, microsecond=0)
        else:
            discovered_at = self.local_time(story.days_ago)
        with transaction.atomic():
            data = dict(story.report)
            reported_at = self.at(discovered_at, story.reported)
            with self.dated(reported_at) as new_entries:
                incident = services.incident_report(
                    reporter=reporter,
                    title=story.title,
                    description=story.description,
                    department=self.departments[story.department],
                    kind=story.kind,
                    discovered_at=discovered_at,
                    occurred_at=discovered_at - dt.timedelta(days=story.occurred)
                    if story.occurred is not None else None,
                    **data,
                )
                new_entries.incident = incident
            self.backdate_creation(incident, "INC", reported_at)
            last = {incident.pk: reported_at}
            actions: dict[str, Action] = {}
            for entry in story.steps:
                kind, *rest = entry
                if kind == "incident":
                    name, by, at, comment, changes = rest
                    when = self.at(discovered_at, at)
                    with self.dated(when, incident=incident):
                        incident = self.transition(incident, name, by, when, comment, changes, story=story)
                    last[incident.pk] = when
                elif kind == "edit":
                    by, at, fields = rest
                    when = self.at(discovered_at, at)
                    with self.dated(when, incident=incident):
                        incident = services.incident_update(incident=incident, by=self.users[by], version=None, **fields)
                    last[incident.pk] = when
                elif kind == "track":
                    track_kind, name, by, at, comment, changes = rest
                    when = self.at(discovered_at, at)
                    track = incident.tracks.get(kind=track_kind)
                    if name == "file":
                        changes = {"filed_at": when, **changes}
                        changes["recipient_reference"] = changes.get("recipient_reference", "").format(
                            year=timezone.localtime(when).year
                        )
                    with self.dated(when, incident=incident):
                        self.transition(track, name, by, when, comment, changes, story=story)
                elif kind == "plan":
                    key, by, at, fields = rest
                    when = self.at(discovered_at, at)
                    actions[key] = self.create_action(by, when, discovered_at, incident=incident, **fields)
                    last[("action", key)] = when
                else:
                    key, name, by, at, comment, changes = rest
                    when = self.at(discovered_at, at)
                    with self.dated(when, action=actions[key]):
                        actions[key] = self.transition(actions[key], name, by, when, comment, changes, story=story)
                    last[("action", key)] = when
            # Last changed: its last step, or a report change written to its trail after it.
            last_entry = trail(incident).last().timestamp
            Incident.objects.filter(pk=incident.pk).update(updated_at=max(last.pop(incident.pk), last_entry))
            for (_kind, key), when in last.items():
                Action.objects.filter(pk=actions[key].pk).update(updated_at=when)
        self.created["incidents"] += 1

    def seed_standalone_action(self, standalone: StandaloneAction) -> None:
        if Action.objects.filter(title=standalone.title, incident__isnull=True).exists():
            return
        created_at = self.local_time(standalone.days_ago)
        with transaction.atomic():
            action = self.create_action(standalone.by, created_at, created_at, title=standalone.title,
                                        **standalone.fields)
            when = created_at
            for name, by, at, comment, changes in standalone.steps:
                when = self.at(created_at, at)
                with self.dated(when, action=action):
                    action = self.transition(action, name, by, when, comment, changes)
            Action.objects.filter(pk=action.pk).update(updated_at=when)

    def create_action(self, by, when, origin, *, due, department, owner, verifier, **fields) -> Action:
        with self.dated(when) as new_entries:
            action = services.action_create(
                by=self.users[by],
                department=self.departments[department],
                owner=self.users[owner],
                verifier=self.users[verifier],
                due_date=timezone.localdate(origin + dt.timedelta(days=due)),
                **fields,
            )
            new_entries.action = action
        self.backdate_creation(action, "ACT", when)
        self.created["actions"] += 1
        return action

    def transition(self, record, name, by, when, comment, changes, story: Story | None = None):
        changes = {key: self.resolve(key, value) for key, value in changes.items()}
        try:
            record = services.transition_record(record, name, by=self.users[by], comment=comment, changes=changes)
        except ConditionsNotMet as error:
            # For example a close step before every report was filed or decided not required.
            raise CommandError(f"Demo data error in “{story.title if story else record}”, step {name}: "
                               + " ".join(map(str, error.problems))) from None
        dates = {
            "contain": {"contained_at": when}, "close": {"closed_at": when}, "dismiss": {"closed_at": when},
            "implement": {"implemented_at": when}, "verify_effective": {"verified_at": when},
        }.get(name)
        if dates:
            type(record).objects.filter(pk=record.pk).update(**dates)
            for attname, value in dates.items():
                setattr(record, attname, value)
        return record

    def resolve(self, key, value):
        models = {"event_class": EventClass, "cause": CauseCategory}
        if key in models and isinstance(value, str):
            try:
                return models[key].objects.get(code=value)
            except models[key].DoesNotExist:
                raise CommandError(_("The pick-list entry %(code)s is missing.") % {"code": value}) from None
        return value

    # --- dates

    def local_time(self, days_ago: float) -> dt.datetime:
        """`days_ago` days before today, at 10:30 Tokyo time (plus the fraction of a day)."""
        whole = int(days_ago)
        day = timezone.localdate(self.now) - dt.timedelta(days=whole)
        moment = dt.datetime.combine(day, dt.time(10, 30), tzinfo=timezone.get_current_timezone())
        return moment - dt.timedelta(days=days_ago - whole)

    def at(self, origin: dt.datetime, days: float) -> dt.datetime:
        moment = origin + dt.timedelta(days=days)
        if moment >= self.now:
            raise CommandError(f"Demo data error: a step at {moment:%Y-%m-%d %H:%M} is in the future.")
        return moment

    def backdate_creation(self, record, prefix: str, when: dt.datetime) -> None:
        """Date a new record `when`, with a reference number of that year."""
        model = type(record)
        reference = self.reference_for_year(record.reference, prefix, timezone.localtime(when).year)
        model.objects.filter(pk=record.pk).update(created_at=when, updated_at=when, reference=reference)
        # Its saved versions say the same number (an edit's 409 compares them with the record).
        model.history.filter(id=record.pk).update(reference=reference)
        record.created_at = record.updated_at = when
        record.reference = reference
        self.new_records[model].append(record.pk)

    def history_scope(self) -> list:
        """This run's records whose saved versions the stories may have dated after the fact."""
        incidents = self.new_records[Incident]
        return [
            Incident.objects.filter(pk__in=incidents),
            Action.objects.filter(pk__in=self.new_records[Action]),
            ReportingTrack.objects.filter(incident_id__in=incidents),
        ]

    def align_history(self) -> None:
        """Make each new record's latest saved version say what the record says.

        The stories date their records after the fact with queryset updates (creation
        times, references, containment), which write no version. An edit refused as stale
        compares the version its editor saw with the record: both must tell the same story.
        """
        for queryset in self.history_scope():
            model = queryset.model
            kept = {field.attname for field in model.history.model._meta.concrete_fields}
            names = [f.attname for f in model._meta.concrete_fields if f.attname in kept]
            for record in queryset:
                latest = record.history.order_by("-history_id").first()
                values = {name: getattr(record, name) for name in names}
                if latest is not None and any(getattr(latest, name) != value for name, value in values.items()):
                    type(latest).objects.filter(pk=latest.pk).update(**values)

    def reference_for_year(self, reference: str, prefix: str, year: int) -> str:
        """The service numbered the record in the current year; move it to `year`.

        Runs in the transaction that created the record, which still holds the counter row
        (PostgreSQL row lock; SQLite's write lock), so handing the number back leaves no gap.
        """
        _prefix, allocated_year, number = reference.split("-")
        if int(allocated_year) == year:
            return reference
        ReferenceCounter.objects.filter(prefix=prefix, year=int(allocated_year), last_number=int(number)).update(
            last_number=F("last_number") - 1
        )
        ReferenceCounter.objects.bulk_create(
            [ReferenceCounter(prefix=prefix, year=year, last_number=0)], ignore_conflicts=True
        )
        ReferenceCounter.objects.filter(prefix=prefix, year=year).update(last_number=F("last_number") + 1)
        new_number = ReferenceCounter.objects.get(prefix=prefix, year=year).last_number
        return f"{prefix}-{year}-{new_number:0{len(number)}d}"

    def renumber(self, model, pks: list[int]) -> None:
        """Give this run's records their numbers in the order of their dates.

        The stories create records out of date order (an incident reopened months later
        gets new actions); this permutes the numbers the run was given, so no number is
        added, lost or taken from a record that existed before.
        """
        with transaction.atomic():
            by_year = defaultdict(list)
            for record in model.objects.filter(pk__in=pks).order_by("created_at", "pk"):
                by_year[record.reference.rsplit("-", 1)[0]].append(record)
            for records in by_year.values():
                numbers = sorted(record.reference for record in records)  # same width: text order is number order
                if numbers == [record.reference for record in records]:
                    continue
                for record in records:  # out of the way first: references are unique
                    model.objects.filter(pk=record.pk).update(reference=f"TMP-{record.pk}")
                for record, reference in zip(records, numbers, strict=True):
                    model.objects.filter(pk=record.pk).update(reference=reference)
                    model.history.filter(id=record.pk).update(reference=reference)

    @contextmanager
    def dated(self, when: dt.datetime, *, incident: Incident | None = None, action: Action | None = None):
        """Date `when` what the block writes to the trail, and the reports it creates or changes.

        A step writes one trail entry or several (a report filed to the 委託元 also records,
        on the incident, the PPC reports it released), so every entry of the incident, its
        reports or the action that is newer than the block's start is moved. The records
        may be named inside the block (`entries.incident = …`) when the block creates them.
        """
        entries = SimpleNamespace(incident=incident, action=action)
        mark = StateLog.objects.aggregate(last=Max("pk"))["last"] or 0
        yield entries
        logs = Q()
        if entries.incident is not None:
            track_ids = list(ReportingTrack.objects.filter(incident=entries.incident).values_list("pk", flat=True))
            logs |= Q(content_type=ContentType.objects.get_for_model(Incident), object_id=entries.incident.pk)
            logs |= Q(content_type=ContentType.objects.get_for_model(ReportingTrack), object_id__in=track_ids)
            # The system set these times to the real now (after self.now): date them with the step.
            tracks = ReportingTrack.objects.filter(incident=entries.incident)
            tracks.filter(created_at__gte=self.now).update(created_at=when)
            tracks.filter(updated_at__gte=self.now).update(updated_at=when)
        if entries.action is not None:
            logs |= Q(content_type=ContentType.objects.get_for_model(Action), object_id=entries.action.pk)
        if logs:
            StateLog.objects.filter(logs, pk__gt=mark).update(timestamp=when)
