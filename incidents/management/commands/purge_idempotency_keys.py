"""`python manage.py purge_idempotency_keys`: delete the stored answers whose key has expired.

An expired key is already ignored (the request is a new one); this only keeps the table
small. Safe to run at any time, from cron (daily is enough).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from incidents.api.idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete the answers to API requests whose Idempotency-Key is older than IDEMPOTENCY_KEY_HOURS."

    def handle(self, *args, **options):
        self.stdout.write(_("%(count)d expired idempotency keys deleted") % {"count": purge_expired()})
