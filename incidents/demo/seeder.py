"""DemoSeeder: plays the demo's stories (incidents.py, reportable.py, group.py, actions.py)
through the services, each step at the moment its story gives it.

Adding a story (`add_story`, `add_standalone_action`) only dates its steps and puts them on
the timeline (timeline.py); `play` then takes them all in date order, with the clock moved
to each step. Records are created and moved on only through the services (incident_report,
incident_update, incident_assign_handler, add_progress, action_create, transition_record)
by the users whose job it is, so the demo obeys the same rules as real use and every time
it holds was written at that time.

Handlers and progress logs: the PMS office gives each open case it runs a handler (担当者)
when it starts the response, 田中 (office) for some and 高橋 (manager) for the serious
ones; the showcase leak and the lost smartphone have progress logs (経過記録) written
by the people working on them, the showcase's the basis of its PPC report's 事実経過.

Notifications: the services notify as in real use, so the replay writes a year of them;
what is older than a week is then marked read and mailed, the last week's left unread for
every role's inbox (inbox.py).

Reporting tracks: every incident is reported with its real discovery time, so the
system computes its clocks from the start. The PMS office files the reports (`filed_at` is
the moment of the step), or records why one is not owed, before the incident can close.
The demo has reports in every state, one filed late, one released by the notice to the
委託元, one overdue and one due within 24 hours whenever it is seeded (the showcase leak
of 1,200 customers' addresses is timed in hours from the moment of seeding for that).

The group (people.py): the default company becomes 株式会社INE while it is as the
migration made it (no 法人番号; one set up before is left as it is, and is INE in the
stories), the group companies are added, and the users' roles are scoped (RoleScope) as
people.py says, before anything happens.

Idempotent: companies, departments and users are keyed by code and username, each demo
incident by its title and reporter, each stand-alone action by its title. What exists is
left as it is, and its story is not played again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import services
from incidents.models import (
    Action,
    CauseCategory,
    Company,
    Department,
    EventClass,
    Incident,
    RoleScope,
    UserProfile,
)
from incidents.roles import Role

from . import cases, inbox
from .actions import StandaloneAction
from .people import COMPANIES, DEPARTMENTS, EMAIL_DOMAIN, GROUP, PASSWORD, DemoCompany, DemoUser
from .story import Story
from .timeline import Timeline


@dataclass
class Cast:
    """A story's records as its steps create and move them on (each step keeps the latest copy)."""

    incident: Incident | None = None
    actions: dict[str, Action] = field(default_factory=dict)


class DemoSeeder:
    """One run of seed_demo: seeds what is missing and counts what it created (`created`).

    `now` is the moment the run started; the stories are dated back from it. The audits
    app's AuditSeeder extends it with the audits and the management reviews.
    """

    def __init__(self, demo_users: Sequence[DemoUser]):
        self.now = timezone.now()
        self.timeline = Timeline(self.now)
        self.demo_users = demo_users
        self.created = {"companies": 0, "departments": 0, "users": 0, "incidents": 0, "actions": 0,
                        "settled_notifications": 0}

    def play(self) -> None:
        """The organisation, then every step added, in date order (timeline.py); then the
        notifications the replay wrote are settled: older than a week, read and mailed; the
        last week's left unread, their mail queued (inbox.py). One transaction."""
        since = inbox.mark()
        cases.add_cases(self)  # the requests from individuals and the complaints (cases.py)
        with transaction.atomic():
            self.timeline.play(setup=self.seed_organisation)
            self.created["settled_notifications"] = inbox.settle_history(since, self.now)

    # --- organisation

    def seed_organisation(self) -> None:
        """The group's companies, the departments, the users (with the companies they hold
        their roles for), the heads of the departments and the companies' 個人情報保護管理者."""
        self.companies = self.seed_companies()
        departments = self.seed_departments()
        self.users = self.seed_users(departments)
        self.assign_heads(departments)
        self.assign_privacy_officers()
        self.departments = departments

    def seed_companies(self) -> dict[str, Company]:
        """The default company becomes 株式会社INE if it is still as the migration made it (no
        法人番号); the group companies are keyed by code."""
        companies = {}
        for demo in COMPANIES:
            if demo.is_default:
                company = Company.objects.default()
                if not company.corporate_number:
                    self.describe_company(company, demo)
                    company.save()
            else:
                company = Company.objects.filter(code=demo.code).first()
                if company is None:
                    company = self.describe_company(Company(code=demo.code), demo)
                    company.position = len(companies)
                    company.save()
                    self.created["companies"] += 1
            companies[demo.code] = company
        return companies

    def describe_company(self, company: Company, demo: DemoCompany) -> Company:
        """The demo's data on `company`, checked (the 法人番号's check digit among the rest)."""
        for name in ("code", "name", "corporate_number", "holds_privacymark", "privacymark_number",
                     "privacymark_body", "iso27001_certified", "iso27001_certificate", "leak_authority",
                     "leak_authority_name", "joint_use_manager"):
            setattr(company, name, getattr(demo, name))
        company.full_clean(exclude=["privacy_officer"])
        return company

    def seed_departments(self) -> dict[str, Department]:
        departments = {}
        for code, name, _head, company in DEPARTMENTS:
            department, created = Department.objects.get_or_create(
                code=code, defaults={"name": name, "company": self.companies[company]}
            )
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
        # Hashed once for all: the demo users share one published password, and each hash
        # takes a good part of a second on purpose.
        password = None
        for demo in self.demo_users:
            if password is None and not User.objects.filter(username=demo.username).exists():
                password = make_password(PASSWORD)
            user, created = User.objects.get_or_create(
                username=demo.username,
                defaults={
                    "last_name": demo.last_name, "first_name": demo.first_name,
                    "email": f"{demo.username}@{EMAIL_DOMAIN}", "password": password,
                    "is_staff": demo.is_staff, "is_superuser": demo.is_superuser,
                },
            )
            self.created["users"] += created
            user.groups.add(*(groups[role] for role in demo.roles))
            profile, _created = UserProfile.objects.get_or_create(
                user=user, defaults={"department": departments[demo.department], "name_kana": demo.kana})
            if demo.kana and not profile.name_kana:
                # A demo seeded before the readings existed gets them; one edited by hand keeps its own.
                profile.name_kana = demo.kana
                profile.save(update_fields=["name_kana"])
            self.scope_roles(user, demo)
            users[demo.username] = user
        return users

    def scope_roles(self, user, demo: DemoUser) -> None:
        """The companies the user holds their roles for (a role with a scope already is left
        as it is). Staff and department heads need none: a department is in one company."""
        if not demo.scope:
            return
        company = None if demo.scope == GROUP else self.companies[demo.scope]
        for role in demo.roles:
            if role in (Role.STAFF, Role.DEPARTMENT_HEAD) or RoleScope.objects.filter(user=user, role=role).exists():
                continue
            RoleScope.objects.create(user=user, role=role, company=company)

    def assign_heads(self, departments) -> None:
        for code, _name, head, _company in DEPARTMENTS:
            department = departments[code]
            if department.head_id is None:
                department.head = self.users[head]
                department.save(update_fields=["head"])

    def assign_privacy_officers(self) -> None:
        for demo in COMPANIES:
            company = self.companies[demo.code]
            if company.privacy_officer_id is None:
                company.privacy_officer = self.users[demo.privacy_officer]
                company.save(update_fields=["privacy_officer"])

    # --- incident stories: dated when added, played by the timeline

    def add_story(self, story: Story) -> None:
        # Keyed by the reporter's username: the users are seeded when the timeline plays.
        if Incident.objects.filter(title=story.title, reporter__username=story.reporter).exists():
            return
        if story.hours_ago is not None:
            discovered_at = (self.now - dt.timedelta(hours=story.hours_ago)).replace(second=0, microsecond=0)
        else:
            discovered_at = self.local_time(story.days_ago)
        cast = Cast()
        thread = self.timeline.thread(story.title)
        thread.add(self.at(discovered_at, story.reported), "report", partial(self.report, cast, story, discovered_at))
        for kind, *rest in story.steps:
            if kind == "incident":
                name, by, at, comment, changes = rest
                thread.add(self.at(discovered_at, at), name,
                           partial(self.incident_step, cast, name, by, comment, self.resolved(changes)))
            elif kind == "edit":
                by, at, fields = rest
                thread.add(self.at(discovered_at, at), "edit", partial(self.edit, cast, by, fields))
            elif kind == "assign":
                by, at, handler = rest
                thread.add(self.at(discovered_at, at), f"assign {handler}",
                           partial(self.assign_handler, cast, by, handler))
            elif kind == "progress":
                by, at, text, occurred = rest
                occurred_at = self.at(discovered_at, occurred) if occurred is not None else None
                thread.add(self.at(discovered_at, at), "progress",
                           partial(self.add_progress, cast, by, text, occurred_at))
            elif kind == "notice":
                by, at, requests, due = rest
                thread.add(self.at(discovered_at, at), "notice",
                           partial(self.record_notice, cast, by, requests, due))
            elif kind == "track":
                track_kind, name, by, at, comment, changes = rest
                thread.add(self.at(discovered_at, at), f"{track_kind} {name}",
                           partial(self.track_step, cast, track_kind, name, by, comment, changes))
            elif kind == "plan":
                key, by, at, fields = rest
                thread.add(self.at(discovered_at, at), f"plan {key}",
                           partial(self.plan, cast, key, by, discovered_at, fields))
            else:
                key, name, by, at, comment, changes = rest
                thread.add(self.at(discovered_at, at), f"{key} {name}",
                           partial(self.action_step, cast, key, name, by, comment, changes))

    def add_standalone_action(self, standalone: StandaloneAction) -> None:
        if Action.objects.filter(title=standalone.title, incident__isnull=True).exists():
            return
        created_at = self.local_time(standalone.days_ago)
        cast = Cast()
        thread = self.timeline.thread(standalone.title)
        fields = {"title": standalone.title, **standalone.fields}
        thread.add(created_at, "create", partial(self.plan, cast, "", standalone.by, created_at, fields))
        for name, by, at, comment, changes in standalone.steps:
            thread.add(self.at(created_at, at), name, partial(self.action_step, cast, "", name, by, comment, changes))

    # --- what the steps do when their moment comes (the clock is then at that moment)

    def report(self, cast: Cast, story: Story, discovered_at: dt.datetime) -> None:
        cast.incident = services.incident_report(
            reporter=self.users[story.reporter],
            title=story.title,
            description=story.description,
            department=self.departments[story.department],
            kind=story.kind,
            discovered_at=discovered_at,
            occurred_at=discovered_at - dt.timedelta(days=story.occurred) if story.occurred is not None else None,
            **story.report,
        )
        self.created["incidents"] += 1

    def incident_step(self, cast: Cast, name, by, comment, changes) -> None:
        cast.incident = self.transition(cast.incident, name, by, comment, changes)

    def edit(self, cast: Cast, by, fields) -> None:
        cast.incident = services.incident_update(incident=cast.incident, by=self.users[by], version=None, **fields)

    def assign_handler(self, cast: Cast, by, handler) -> None:
        cast.incident = services.incident_assign_handler(incident=cast.incident, by=self.users[by],
                                                         handler=self.users[handler], version=None)

    def add_progress(self, cast: Cast, by, text: str, occurred_at: dt.datetime | None) -> None:
        services.add_progress(cast.incident, by=self.users[by], text=text, occurred_at=occurred_at)

    def record_notice(self, cast: Cast, by, requests: str, due: int) -> None:
        """The notice arrives today (the step's moment) and sets the day of the report on measures."""
        today = timezone.localdate()
        self.edit(cast, by, {"pmark_notice_received_on": today, "pmark_notice_requests": requests,
                             "pmark_notice_due_on": today + dt.timedelta(days=due)})

    def track_step(self, cast: Cast, track_kind, name, by, comment, changes) -> None:
        track = cast.incident.tracks.get(kind=track_kind)
        if name == "file":
            # Filed now (the step's moment), with the recipient's reference of that year.
            now = timezone.now()
            changes = {**changes, "filed_at": now}
            changes["recipient_reference"] = changes.get("recipient_reference", "").format(
                year=timezone.localtime(now).year
            )
        self.transition(track, name, by, comment, changes)

    def plan(self, cast: Cast, key: str, by, origin: dt.datetime, fields: dict) -> None:
        """An action (of the story's incident, if it has one); its `due` counts days from `origin`."""
        fields = dict(fields)
        due = fields.pop("due")
        cast.actions[key] = services.action_create(
            by=self.users[by],
            department=self.departments[fields.pop("department")],
            owner=self.users[fields.pop("owner")],
            verifier=self.users[fields.pop("verifier")],
            due_date=timezone.localdate(origin + dt.timedelta(days=due)),
            **({"incident": cast.incident} if cast.incident is not None else {}),
            **fields,
        )
        self.created["actions"] += 1

    def action_step(self, cast: Cast, key: str, name, by, comment, changes) -> None:
        cast.actions[key] = self.transition(cast.actions[key], name, by, comment, changes)

    def transition(self, record, name, by, comment, changes):
        return services.transition_record(record, name, by=self.users[by], comment=comment, changes=changes)

    def resolved(self, changes: dict) -> dict:
        """The story names pick-list entries by code: the entries (looked up before anything is written)."""
        models = {"event_class": EventClass, "cause": CauseCategory}
        resolved = {}
        for key, value in changes.items():
            if key in models and isinstance(value, str):
                try:
                    value = models[key].objects.get(code=value)
                except models[key].DoesNotExist:
                    raise CommandError(_("The pick-list entry %(code)s is missing.") % {"code": value}) from None
            resolved[key] = value
        return resolved

    # --- dates

    def local_time(self, days_ago: float) -> dt.datetime:
        """`days_ago` days before today, at 10:30 Tokyo time (plus the fraction of a day)."""
        whole = int(days_ago)
        day = timezone.localdate(self.now) - dt.timedelta(days=whole)
        moment = dt.datetime.combine(day, dt.time(10, 30), tzinfo=timezone.get_current_timezone())
        return moment - dt.timedelta(days=days_ago - whole)

    def at(self, origin: dt.datetime, days: float) -> dt.datetime:
        """`days` after `origin` (the timeline refuses a moment after the seed's)."""
        return origin + dt.timedelta(days=days)
