"""The inbox (Notification), each person's mail choices, the chat posts, the periodic-job leases."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .kinds import Kind, MailMode


class MailState(models.TextChoices):
    PENDING = "pending", _("To be mailed")
    DIGEST = "digest", _("Waiting for the daily digest")
    IN_DIGEST = "in_digest", _("Mailed in a digest")
    SENT = "sent", _("Mailed")
    NOT_MAILED = "not_mailed", _("Not mailed (inbox only)")
    FAILED = "failed", _("Could not be mailed")


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def for_inbox(self, user) -> NotificationQuerySet:
        # The digest mail is a carrier, not news: the inbox shows what it carried.
        return self.filter(recipient=user).exclude(kind=Kind.DIGEST)

    def due_for_mail(self, now) -> NotificationQuerySet:
        """Waiting to be mailed, due now and not claimed by a worker (or its claim expired)."""
        return self.filter(mail_state=MailState.PENDING, next_attempt_at__lte=now).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        )


class Notification(models.Model):
    """One thing one person is told: in the inbox at once, by mail as they chose.

    Subject and body are written in the recipient's language when the event happens, so
    the worker sends exactly what the inbox shows, whatever happens to the record later.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"),
                                  on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    # What happened, e.g. "incident:42:reported": with the recipient, unique, so that the
    # same event never makes a second notification (a retried request, a re-run job).
    key = models.CharField(_("key"), max_length=200)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    url = models.CharField(_("link"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=8)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    mail_state = models.CharField(_("mail"), max_length=12, choices=MailState.choices, default=MailState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # A worker's claim: while it runs, no other worker sends the same mail.
    lease_until = models.DateTimeField(null=True, blank=True)
    mailed_at = models.DateTimeField(_("mailed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    digest = models.ForeignKey("self", verbose_name=_("digest"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="carried")

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="one_notification_per_event")]
        indexes = [
            # The header's unread count and the inbox, on every page.
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # The worker's sweep for mail still to send.
            models.Index(fields=["mail_state", "next_attempt_at"], name="notification_mail_due"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class MailChoice(models.Model):
    """How a person wants one kind of notification mailed (no row: each one mailed)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_choices")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    mode = models.CharField(_("mail"), max_length=10, choices=MailMode.choices, default=MailMode.IMMEDIATE)

    class Meta:
        verbose_name = _("mail choice")
        verbose_name_plural = _("mail choices")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_mail_choice_per_kind")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}: {self.mode}"


class Reader(models.Model):
    """A person's language for what they are sent (the pages follow the browser or the switch)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader")
    language = models.CharField(_("language of notifications and mails"), max_length=8,
                                choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)

    class Meta:
        verbose_name = _("notification language")
        verbose_name_plural = _("notification languages")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"


class ChannelFlavour(models.TextChoices):
    SLACK = "slack", _("Slack (or any service taking {\"text\": …})")
    TEAMS = "teams", _("Microsoft Teams (workflow webhook, Adaptive Card)")


class ChannelPost(models.Model):
    """One notice posted to a chat channel's incoming webhook, sent once, retried like mail."""

    channel_name = models.CharField(_("channel"), max_length=100)
    webhook_url = models.URLField(_("webhook URL"), max_length=500)
    flavour = models.CharField(_("format"), max_length=10, choices=ChannelFlavour.choices)
    key = models.CharField(_("key"), max_length=250, unique=True)
    text = models.TextField(_("text"))
    link = models.URLField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    state = models.CharField(_("state"), max_length=12, choices=MailState.choices, default=MailState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("chat post")
        verbose_name_plural = _("chat posts")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="channelpost_due")]

    def __str__(self) -> str:
        return f"{self.channel_name}: {self.text[:60]}"


class PeriodicRun(models.Model):
    """When a periodic job (reminders, digests, the retry sweep) may next run: every worker
    ticks, and the one whose update moves `next_run_at` runs the job; the others skip it."""

    name = models.CharField(max_length=50, unique=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
