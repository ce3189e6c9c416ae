"""The demo's notifications after the replay: old news read and mailed, the last week's new.

Every service notifies as it does in real use (notifications.notify), so replaying a year
of stories writes a year of notifications and queues a mail for each on the task queue.
Delivered by `make run`'s worker, that would be a year of history mailed at once. What
this run wrote more than RECENT before the moment of seeding is settled as if it had been
read and mailed when it arrived: marked read and mailed at its creation time, its queued
delivery task removed (a chat post likewise, should a chat channel be set up). What is
more recent stays unread and queued, so that each role logs in to news in its inbox and
the worker mails it.

Only what this run wrote is touched (its rows come after the last one that existed before
the run): a second run writes nothing and settles nothing, and real users' notifications
are left as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, F, Max
from django_tasks_db.models import DBTaskResult

from notifications.kinds import Kind
from notifications.models import ChannelPost, MailState, Notification
from notifications.tasks import deliver_mail, post_to_channel

# News younger than this at the moment of seeding stays unread, its mail queued.
RECENT = dt.timedelta(days=7)


@dataclass(frozen=True)
class Mark:
    """The last notification and chat post that existed before the run."""

    notification: int
    post: int


def mark() -> Mark:
    """Taken before the stories are played: what comes after is this run's."""
    return Mark(Notification.objects.aggregate(last=Max("pk"))["last"] or 0,
                ChannelPost.objects.aggregate(last=Max("pk"))["last"] or 0)


def settle_history(since: Mark, now: dt.datetime) -> int:
    """Settle what this run wrote before `now - RECENT` (the module's docstring); how many
    notifications it settled."""
    before = now - RECENT
    old = Notification.objects.filter(pk__gt=since.notification, created_at__lt=before)
    ids = list(old.values_list("pk", flat=True))
    old.filter(read_at__isnull=True).update(read_at=F("created_at"))
    old.filter(mail_state__in=[MailState.PENDING, MailState.DIGEST]).update(
        mail_state=MailState.SENT, mailed_at=F("created_at"), lease_until=None)
    _drop_tasks(deliver_mail.module_path, ids)
    posts = ChannelPost.objects.filter(pk__gt=since.post, created_at__lt=before)
    post_ids = list(posts.values_list("pk", flat=True))
    posts.filter(state=MailState.PENDING).update(state=MailState.SENT, posted_at=F("created_at"), lease_until=None)
    _drop_tasks(post_to_channel.module_path, post_ids)
    return len(ids)


def _drop_tasks(task_path: str, ids: list[int], chunk: int = 500) -> None:
    """Remove the queued delivery tasks of these rows (each task's one argument is the row's id)."""
    for start in range(0, len(ids), chunk):
        DBTaskResult.objects.filter(task_path=task_path, args_kwargs__args__0__in=ids[start:start + chunk]).delete()


def unread_by_user(usernames: Sequence[str]) -> list[tuple[str, int]]:
    """(username, unread notifications in the inbox) of each of `usernames` who has any, in that order."""
    counts = dict(
        Notification.objects.unread().exclude(kind=Kind.DIGEST).filter(recipient__username__in=usernames)
        .values_list("recipient__username").annotate(n=Count("pk"))
    )
    return [(name, counts[name]) for name in usernames if counts.get(name)]
