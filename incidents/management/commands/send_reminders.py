"""`python manage.py send_reminders`: notify what is due soon or overdue, once.

The worker (`manage.py run_worker`) runs the same job every five minutes
(settings.PERIODIC_JOBS), so this command is only needed to run it at once. Each reminder
is written as a notification, in the inbox of each person concerned, never twice, even by
two runs at once; the worker mails it (retrying while the mail server is down). The rules
are in incidents/reminders.py.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from incidents.reminders import send_reminders
from notifications.links import site_url


class Command(BaseCommand):
    help = (
        "Notify the PMS managers of the reports due within 24 hours or overdue (overdue PPC reports also "
        "top management) and the action owners of their actions a week before the due date and once it has "
        "passed. Each reminder is written once to each person's inbox; the worker (manage.py run_worker) "
        "mails them, and runs this job by itself every five minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default=None,
            help=_("Address of the web application, for the links in the notifications (default: SITE_URL, "
                   "or %(url)s).") % {"url": site_url()},
        )

    def handle(self, *args, base_url: str | None, **options):
        outcome = send_reminders(base_url=base_url)
        for note in outcome.notified:
            self.stdout.write(f"  {note.recipient.get_username()}: {note.subject}")
        self.stdout.write(_("notified %(notified)d, skipped %(skipped)d told before; the worker mails them") % {
            "notified": len(outcome.notified), "skipped": outcome.skipped,
        })
        if outcome.failed:
            for reminder, error in outcome.failed:
                self.stderr.write(f"  {reminder.key}: {error}")
            raise CommandError(_("%(failed)d reminders could not be written; the next run tries them again.")
                               % {"failed": len(outcome.failed)})
