"""`python manage.py seed_demo`: the demo group, 株式会社INE and two group companies, safe to
run again.

The companies, their departments, a user for every role (one shared password; the group's
PMS office, auditors and president hold their roles for the whole group, one group
company has its own PMS manager and president), and a year of incidents and actions in
every state. The data and the seeder are in incidents/demo/ (its __init__ says what each
module holds); this command hands the stories to the seeder, which plays all their steps
in date order, and prints the summary and the demo logins, company by company.

Idempotent: companies, departments and users are keyed by code and username, each demo
incident by its title and reporter, each stand-alone action by its title. What exists is
left as it is; the run is one transaction, so an interrupted run leaves no half story.

The notifications the replay writes are settled as it ends (incidents/demo/inbox.py): those
older than a week read and mailed, the last week's unread with their mail queued for the
worker; the summary says who has unread notifications.
"""

from __future__ import annotations

import unicodedata

from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils.translation import gettext as _

from incidents.demo import inbox
from incidents.demo.actions import STANDALONE_ACTIONS
from incidents.demo.group import GROUP_INCIDENTS
from incidents.demo.incidents import INCIDENTS
from incidents.demo.people import COMPANIES, DEPARTMENTS, GROUP, GROUP_USERS, PASSWORD, USERS, DemoUser
from incidents.demo.reportable import REPORTABLE_INCIDENTS
from incidents.demo.seeder import DemoSeeder
from incidents.models import Action, ActionState, Company, Incident, IncidentState, ReportingTrack, TrackState
from incidents.models.incident import list_separator
from incidents.roles import Role


class Command(BaseCommand):
    help = ("Load the demo group, 株式会社INE and two group companies: departments, users for every role, "
            "a year of records.")

    # The demo users; the audits app's seed_demo (which extends this command) adds its own.
    demo_users: list[DemoUser] = [*USERS, *GROUP_USERS]
    # What seeds them; the audits app's seed_demo extends it with the audits and reviews.
    seeder_class: type[DemoSeeder] = DemoSeeder

    def handle(self, *args, **options):
        seeder = self.seeder_class(self.demo_users)
        self.add_stories(seeder)
        seeder.play()
        self.print_summary(seeder)

    def add_stories(self, seeder: DemoSeeder) -> None:
        """The stories still missing, for the seeder to play. The order does not matter: the
        seeder plays every step of every story in date order. A command extending this one
        (the audits app's seed_demo) adds its own."""
        for story in [*INCIDENTS, *REPORTABLE_INCIDENTS, *GROUP_INCIDENTS]:
            seeder.add_story(story)
        for standalone in STANDALONE_ACTIONS:
            seeder.add_standalone_action(standalone)

    # --- output

    def print_summary(self, seeder: DemoSeeder) -> None:
        write = self.stdout.write
        write(self.style.SUCCESS(_("Demo group of 株式会社INE is ready.")))
        write(_("Created in this run: %(companies)d group companies, %(departments)d departments, %(users)d users, "
                "%(incidents)d incidents, %(actions)d actions.") % seeder.created)
        incident_counts = dict(Incident.objects.values_list("state").annotate(n=Count("pk")))
        action_counts = dict(Action.objects.values_list("state").annotate(n=Count("pk")))
        write(_("Incidents by state: %(counts)s") % {"counts": list_separator().join(
            f"{label} {incident_counts.get(value, 0)}" for value, label in IncidentState.choices
        )})
        write(_("Actions by state: %(counts)s") % {"counts": list_separator().join(
            f"{label} {action_counts.get(value, 0)}" for value, label in ActionState.choices
        )})
        track_counts = dict(ReportingTrack.objects.values_list("state").annotate(n=Count("pk")))
        write(_("Reports by state: %(counts)s (overdue %(overdue)d, due within 24 hours %(due_soon)d)") % {
            "counts": list_separator().join(f"{label} {track_counts.get(value, 0)}" for value, label in TrackState.choices),
            "overdue": ReportingTrack.objects.overdue().count(),
            "due_soon": ReportingTrack.objects.due_soon().count(),
        })
        self.print_more_summary(seeder)
        write(_("Notifications older than %(days)d days settled in this run (read, mail sent): %(count)d.")
              % {"days": inbox.RECENT.days, "count": seeder.created["settled_notifications"]})
        unread = inbox.unread_by_user([demo.username for demo in self.demo_users])
        write(_("Unread notifications: %(counts)s") % {"counts": list_separator().join(
            _("%(username)s %(count)d") % {"username": username, "count": count} for username, count in unread
        ) or "-"})
        write("")
        write(_("Demo logins (password for every user: %(password)s)") % {"password": PASSWORD})
        username, password, role = _("username"), _("password"), _("role")
        write(f"  {_pad(username, 14)} {_pad(password, 16)} {role}")
        company_of = {code: company for code, _name, _head, company in DEPARTMENTS}
        for company in COMPANIES:
            write(f"  {self.describe_company(seeder.companies[company.code])}")
            for demo in self.demo_users:
                if company_of[demo.department] == company.code:
                    write(f"  {_pad(demo.username, 14)} {_pad(PASSWORD, 16)} {self.describe(demo, seeder)}")
        if seeder.created["users"] < len(self.demo_users):
            write(_("Accounts that existed before this run were left as they were, passwords included."))

    def print_more_summary(self, seeder: DemoSeeder) -> None:
        """What a command extending this one seeded, printed before the logins."""

    def describe(self, demo: DemoUser, seeder: DemoSeeder) -> str:
        if demo.is_superuser:
            roles = _("superuser (Django admin at /admin/)")
        else:
            held = [role for role in demo.roles if role != Role.STAFF] or list(demo.roles)
            roles = ", ".join(str(Role(role).label) for role in held)
            if demo.scope == GROUP:
                roles = _("%(roles)s (whole group)") % {"roles": roles}
            elif demo.scope:
                roles = _("%(roles)s (%(company)s only)") % {"roles": roles,
                                                            "company": seeder.companies[demo.scope].name}
        return f"{roles} — {demo.post}"

    def describe_company(self, company: Company) -> str:
        """The company's heading in the logins table: its name and what it holds."""
        held = []
        if company.holds_privacymark:
            held.append(_("PrivacyMark"))
        if company.iso27001_certified:
            held.append(_("ISO/IEC 27001"))
        if company.joint_use_manager:
            held.append(_("responsible for jointly used data"))
        held.append(_("reports leaks to %(authority)s") % {"authority": company.leak_authority_display})
        return f"[{company.name}] {list_separator().join(held)}"


def _pad(text: str, width: int) -> str:
    """Pad to a column width, counting East Asian wide characters as two columns."""
    used = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in str(text))
    return f"{text}{' ' * max(width - used, 1)}"
