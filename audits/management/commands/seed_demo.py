"""`python manage.py seed_demo`: the demo group of incidents, plus a fiscal year of audits.

This command extends the incidents app's seed_demo (audits comes before incidents in
INSTALLED_APPS, so `seed_demo` is this one): to the companies, departments, users,
incidents and actions it adds, in its `add_stories` hook, the internal-audit programme of
the current fiscal year (the group companies' audits among them, one a cross-audit), the
previous fiscal year's incidents and audits, and the management reviews of both years (this
year's of a group company and of the whole group too). The data and the seeder are in audits/demo/ (its __init__ tells the story
and says what each module holds); the seeder plays the steps of all the stories, these and
the incidents', in date order, and this command prints what the demo now holds.

Idempotent: each audit is keyed by its title and fiscal year; an audit that exists is left
as it is, with its findings and actions; a review by its company and period. The run is one
transaction.
"""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _

from audits.demo.audits import AUDITS
from audits.demo.group import GROUP_AUDITS, GROUP_REVIEWS
from audits.demo.people import DEMO_USERS
from audits.demo.previous_year import PREVIOUS_YEAR_AUDITS, PREVIOUS_YEAR_STORIES
from audits.demo.reviews import CURRENT_REVIEW, PREVIOUS_REVIEW
from audits.demo.seeder import AuditSeeder
from audits.models import Audit, AuditState, Finding, FindingState, Grade, Review
from audits.selectors import programme
from incidents.management.commands.seed_demo import Command as IncidentsSeedCommand
from incidents.models.incident import list_separator


class Command(IncidentsSeedCommand):
    help = ("Load the demo group, 株式会社INE and two group companies: departments, users for every role, "
            "a year of incidents and actions, and the current fiscal year's internal audits.")

    demo_users = DEMO_USERS
    seeder_class = AuditSeeder

    def add_stories(self, seeder: AuditSeeder) -> None:
        super().add_stories(seeder)
        for story in PREVIOUS_YEAR_STORIES:
            seeder.add_story(story)
        for story in PREVIOUS_YEAR_AUDITS:
            seeder.add_audit(story, previous_year=True)
        for story in [*AUDITS, *GROUP_AUDITS]:
            seeder.add_audit(story)
        # Submitted in this fiscal year, the previous year's review freezes that year's records
        # as they stand at that moment.
        seeder.add_previous_review(PREVIOUS_REVIEW)
        seeder.add_current_review(CURRENT_REVIEW)
        for story in GROUP_REVIEWS:
            seeder.add_group_review(story)

    # --- output

    def print_more_summary(self, seeder: AuditSeeder) -> None:
        super().print_more_summary(seeder)
        write = self.stdout.write
        year = seeder.fiscal_year
        write(_("Audits of fiscal year %(year)d created in this run: %(audits)d, with %(findings)d findings.")
              % {"year": year - 1, "audits": seeder.created["previous_audits"],
                 "findings": seeder.created["previous_findings"]})
        audits = Audit.objects.filter(fiscal_year=year)
        write(_("Audits of fiscal year %(year)d created in this run: %(audits)d, with %(findings)d findings.")
              % {"year": year, "audits": seeder.created["audits"], "findings": seeder.created["findings"]})
        audit_counts = dict(audits.values_list("state").annotate(n=Count("pk")))
        write(_("Audits by state: %(counts)s") % {"counts": list_separator().join(
            f"{label} {audit_counts.get(value, 0)}" for value, label in AuditState.choices
        )})
        findings = Finding.objects.filter(audit__fiscal_year=year)
        grade_counts = dict(findings.values_list("grade").annotate(n=Count("pk")))
        state_counts = dict(findings.values_list("state").annotate(n=Count("pk")))
        write(_("Findings by grade: %(counts)s") % {"counts": list_separator().join(
            f"{label} {grade_counts.get(value, 0)}" for value, label in Grade.choices
        )})
        write(_("Findings by state: %(counts)s") % {"counts": list_separator().join(
            f"{label} {state_counts.get(value, 0)}" for value, label in FindingState.choices
        )})
        gaps = [row["department"].name for row in programme(year=year) if row["status"] == "none"]
        write(_("Departments not audited in fiscal year %(year)d: %(departments)s")
              % {"year": year, "departments": "、".join(gaps) or "-"})
        reviews = Review.objects.annotate(decision_count=Count("decisions")).order_by("period_start", "reference")
        write(_("Management reviews created in this run: %(count)d.") % {"count": seeder.created["reviews"]})
        write(_("Management reviews: %(reviews)s") % {"reviews": list_separator().join(
            (_("%(reference)s %(state)s (%(count)d decisions)") if review.decision_count
             else _("%(reference)s %(state)s")) % {
                "reference": review.reference, "state": review.get_state_display(), "count": review.decision_count,
            }
            for review in reviews
        ) or "-"})
