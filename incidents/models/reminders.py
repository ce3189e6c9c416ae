"""The e-mails send_reminders sent before issue 14, kept as history.

The reminders and the joint-use notice are notifications now (notifications.Notification,
keyed per event and recipient); nothing writes SentReminder any more. Its rows stay, read-only
in the admin, and joint_use.py still reads them so that a manager mailed then is neither told
again nor left off the incident page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SentReminder(models.Model):
    """One reminder mailed before issue 14 (history: no longer written)."""

    # What the reminder was about, at which stage and to whom, e.g. "track:42:overdue:…:user:7";
    # the unique key is what made the command idempotent.
    key = models.CharField(_("key"), max_length=200, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=255)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("sent reminder")
        verbose_name_plural = _("sent reminders")

    def __str__(self) -> str:
        return self.subject
