"""`python manage.py send_reminders`: e-mail what is due soon or overdue (run it from cron).

Safe to run every few minutes: each reminder is recorded when it is sent and never sent
twice, even by two runs at once. A mail that could not be sent is not recorded and is
tried again by the next run. The rules are in incidents/reminders.py.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from incidents.reminders import send_reminders, site_url


class Command(BaseCommand):
    help = (
        "E-mail the PMS managers the reports due within 24 hours or overdue (overdue PPC reports also "
        "to top management) and the action owners their actions a week before the due date and once "
        "it has passed. Each reminder is sent once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default=None,
            help=_("Address of the web application, for the links in the mails (default: SITE_URL, or %(url)s).")
            % {"url": site_url()},
        )

    def handle(self, *args, base_url: str, **options):
        outcome = send_reminders(base_url=base_url)
        for reminder in outcome.sent:
            self.stdout.write(f"  {reminder.recipient.email}: {reminder.subject}")
        self.stdout.write(_("sent %(sent)d, skipped %(skipped)d already sent") % {
            "sent": len(outcome.sent), "skipped": outcome.skipped,
        })
        if outcome.failed:
            for reminder, error in outcome.failed:
                self.stderr.write(f"  {reminder.recipient.email}: {reminder.subject}: {error}")
            raise CommandError(_("%(failed)d reminders could not be sent; the next run tries them again.")
                               % {"failed": len(outcome.failed)})
