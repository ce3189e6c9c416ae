"""The daily digest: one mail a day gathering what a person chose to read once a day.

From settings.NOTIFICATION_DIGEST_HOUR (Japan time, 8 unless set), each person with
notifications waiting for the digest gets one Notification of kind DIGEST keyed by the
day, listing them; the listed ones are marked as carried by it. The key makes a second
run the same day (or a second worker) a no-op, and the digest is then mailed like any
notification: once, retried.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .kinds import Kind
from .links import absolute
from .models import MailState, Notification
from .services import languages_of, person_name

DEFAULT_HOUR = 8


def send_digests(*, now: dt.datetime | None = None) -> int:
    """Write (and enqueue) today's digest for everyone who has one waiting; how many."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < getattr(settings, "NOTIFICATION_DIGEST_HOUR", DEFAULT_HOUR):
        return 0
    waiting = Notification.objects.filter(mail_state=MailState.DIGEST, created_at__lte=now)
    user_ids = set(waiting.values_list("recipient_id", flat=True))
    users = list(get_user_model().objects.filter(pk__in=user_ids, is_active=True).exclude(email=""))
    languages = languages_of(users)
    made = 0
    for user in users:
        if _digest_for(user, waiting.filter(recipient=user).order_by("created_at", "id"),
                       day=local.date(), language=languages[user.pk]):
            made += 1
    return made


def _digest_for(user, items, *, day: dt.date, language: str) -> bool:
    from .tasks import deliver_mail

    with transaction.atomic():
        items = list(items.select_for_update())
        if not items:
            return False
        with translation.override(language):
            subject = _("PMS workflow: %(count)s notifications of %(day)s") % {
                "count": len(items), "day": timezone.localtime(items[-1].created_at).strftime("%Y-%m-%d")}
            body = render_to_string("notifications/mail/digest.txt", {
                "recipient": person_name(user),
                "items": [(item.subject, absolute(item.url) if item.url else "") for item in items],
                "inbox": absolute("/notifications/"),
                "settings_link": absolute("/notifications/settings/"),
            }).strip() + "\n"
        try:
            with transaction.atomic():
                digest = Notification.objects.create(
                    recipient=user, kind=Kind.DIGEST, key=f"digest:{day:%Y%m%d}", subject=subject[:255],
                    body=body, url="/notifications/", language=language, read_at=timezone.now(),
                )
        except IntegrityError:
            # Today's digest went out already: these arrived since, and wait for tomorrow's.
            return False
        Notification.objects.filter(pk__in=[item.pk for item in items]).update(
            mail_state=MailState.IN_DIGEST, digest=digest)
        deliver_mail.enqueue(digest.pk)
    return True
