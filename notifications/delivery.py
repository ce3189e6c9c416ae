"""Sending what notify() wrote: each mail and chat post once, retried while it fails.

A worker claims a row by moving its lease forward in one UPDATE that only matches an
unclaimed (or expired) row: of two workers given the same row, one sends and the other
finds nothing to do. A send that fails leaves the row pending with the next attempt
after a growing pause (1, 2, 4 … minutes, at most an hour) and enqueues that attempt; the
periodic sweep re-enqueues any pending row whose task went missing. After MAX_ATTEMPTS
the row is marked failed and shows in the admin with its last error.

Each mail carries a Message-ID made from its notification: should a worker die between
the mail server's acceptance and the row being marked sent, the retry is the same message
to the mail server and to the reader's mail program, which show it once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.request
from urllib.error import URLError

from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.utils import timezone

from .links import site_url
from .models import ChannelFlavour, ChannelPost, MailState, Notification

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 12
WEBHOOK_TIMEOUT = 10  # seconds


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _claim(model, pk: int, state_field: str, now) -> bool:
    return bool(
        model.objects.filter(pk=pk, **{state_field: MailState.PENDING}, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE, attempts=F("attempts") + 1)
    )


def message_id(note: Notification) -> str:
    host = site_url().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    return f"<notification-{note.pk}@{host}>"


def deliver_mail(notification_id: int) -> str:
    """Send one notification's mail unless it was sent, claimed or is not due; say what happened."""
    now = timezone.now()
    if not _claim(Notification, notification_id, "mail_state", now):
        return "skipped"
    note = Notification.objects.select_related("recipient").get(pk=notification_id)
    mail = EmailMessage(note.subject, note.body, None, [note.recipient.email],
                        headers={"Message-ID": message_id(note)})
    try:
        mail.send()
    except Exception as error:  # SMTP refused, connection refused, timeout: try again later
        return _failed(note, error, now, _retry_mail)
    Notification.objects.filter(pk=note.pk).update(
        mail_state=MailState.SENT, mailed_at=timezone.now(), lease_until=None, last_error=""
    )
    return "sent"


def post_to_channel(post_id: int) -> str:
    """Post one notice to its chat channel's incoming webhook (Slack or Teams format)."""
    now = timezone.now()
    if not _claim(ChannelPost, post_id, "state", now):
        return "skipped"
    post = ChannelPost.objects.get(pk=post_id)
    try:
        _post_json(post.webhook_url, payload(post))
    except Exception as error:
        return _failed(post, error, now, _retry_post)
    ChannelPost.objects.filter(pk=post.pk).update(
        state=MailState.SENT, posted_at=timezone.now(), lease_until=None, last_error=""
    )
    return "sent"


def payload(post: ChannelPost) -> dict:
    """The JSON an incoming webhook takes: Slack's {"text"} (Mattermost, Rocket.Chat and
    Google Chat take it too), or a Teams workflow's message with an Adaptive Card."""
    if post.flavour == ChannelFlavour.TEAMS:
        body = [{"type": "TextBlock", "text": post.text, "wrap": True}]
        card = {"type": "AdaptiveCard", "version": "1.4", "body": body,
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json"}
        if post.link:
            card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": post.link}]
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}
    return {"text": f"{post.text}\n<{post.link}>" if post.link else post.text}


def _post_json(url: str, data: dict) -> None:
    request = urllib.request.Request(  # noqa: S310 (the PMS office's own configured https webhook)
        url, data=json.dumps(data, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as answer:  # noqa: S310
        if answer.status >= 300:
            raise URLError(f"HTTP {answer.status}")


def _failed(row, error: Exception, now, retry) -> str:
    row.refresh_from_db(fields=["attempts"])
    logger.warning("%s %s not delivered (attempt %s): %s", type(row).__name__, row.pk, row.attempts, error)
    state_field = "mail_state" if isinstance(row, Notification) else "state"
    changes = {"lease_until": None, "last_error": f"{type(error).__name__}: {error}"[:2000]}
    if row.attempts >= MAX_ATTEMPTS:
        changes[state_field] = MailState.FAILED
        type(row).objects.filter(pk=row.pk).update(**changes)
        return "failed"
    changes["next_attempt_at"] = now + backoff(row.attempts)
    type(row).objects.filter(pk=row.pk).update(**changes)
    retry(row.pk, changes["next_attempt_at"])
    return "retry"


def _retry_mail(pk: int, when) -> None:
    from .tasks import deliver_mail

    deliver_mail.using(run_after=when).enqueue(pk)


def _retry_post(pk: int, when) -> None:
    from .tasks import post_to_channel

    post_to_channel.using(run_after=when).enqueue(pk)


# A row due this long ago with nobody working on it has lost its task: the sweep enqueues it.
SWEEP_GRACE = dt.timedelta(minutes=2)


def sweep(*, now: dt.datetime | None = None) -> int:
    """Enqueue the delivery of every mail and post due a while ago and not claimed; how many."""
    now = now or timezone.now()
    from .tasks import deliver_mail, post_to_channel

    due = Notification.objects.due_for_mail(now - SWEEP_GRACE)
    count = 0
    for pk in due.values_list("pk", flat=True)[:500]:
        deliver_mail.enqueue(pk)
        count += 1
    posts = ChannelPost.objects.filter(state=MailState.PENDING, next_attempt_at__lte=now - SWEEP_GRACE).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    for pk in posts.values_list("pk", flat=True)[:500]:
        post_to_channel.enqueue(pk)
        count += 1
    return count

