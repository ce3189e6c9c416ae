"""notify(): tell people of an event, in their language, in the event's own transaction.

Callers (the incidents and audits services) describe the event once; this module writes
one Notification per recipient in the recipient's language, a ChannelPost per chat
channel, and enqueues their delivery on the database task queue inside the same
transaction, so that an event that rolls back tells nobody and one that commits is never
lost: if the enqueued task goes missing (a crashed worker), delivery.sweep finds the row.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.functional import Promise

from config.compiled_sql import CompiledQuery

from .kinds import Kind, MailMode, mail_mode
from .links import absolute
from .models import ChannelPost, MailChoice, MailState, Notification, Reader

logger = logging.getLogger(__name__)


@dataclass
class Message:
    """What to say, before it is put into anyone's language.

    `subject` is a translatable string with %(name)s placeholders filled from `params`;
    `lines` are (label, value) pairs for the body; values may be strings, lazy strings,
    dates and datetimes (written in the reader's language and Japan time), or callables
    returning one of those, called in the reader's language.
    """

    subject: str | Promise
    params: dict = field(default_factory=dict)
    lines: list[tuple] = field(default_factory=list)
    url: str = ""
    intro: str | Promise = ""


def display(value) -> str:
    """A value as the current language writes it: dates and times in Japan time. A callable
    (a record's `get_kind_display`, say) is called here, in the reader's language."""
    if callable(value) and not isinstance(value, Promise):
        value = value()
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


def render(message: Message, *, language: str, recipient_name: str = "", kind: str = "") -> tuple[str, str]:
    """(subject, body) of `message` in `language`."""
    with translation.override(language):
        params = {name: display(value) for name, value in message.params.items()}
        subject = " ".join((str(message.subject) % params).split())[:255]
        body = render_to_string("notifications/mail/notification.txt", {
            "recipient": recipient_name,
            "intro": str(message.intro) % params if message.intro else "",
            "subject": subject,
            "lines": [(display(label), display(value)) for label, value in message.lines if value not in (None, "")],
            "link": absolute(message.url) if message.url else "",
            "settings_link": absolute("/notifications/settings/"),
            "kind": Kind(kind).label if kind in Kind.values else "",
        }).strip() + "\n"
    return subject, body


def person_name(user) -> str:
    return " ".join(part for part in (user.last_name, user.first_name) if part) or user.get_username()


def languages_of(users) -> dict[int, str]:
    chosen = dict(Reader.objects.filter(user__in=[u.pk for u in users]).values_list("user_id", "language"))
    return {user.pk: chosen.get(user.pk, settings.LANGUAGE_CODE) for user in users}


def notify(*, kind: str, key: str, recipients: Iterable, message: Message, actor=None,
           deadline: dt.datetime | None = None, channels: Iterable = (), legal: bool = False) -> list[Notification]:
    """Tell each of `recipients` (but the `actor`, who knows what they did) of an event.

    `key` names the event ("incident:42:reported"): the same key never notifies the same
    person twice. `legal`: the notice carries a legal deadline, so it is mailed at once
    whatever the person chose for its kind. Returns the notifications written now. Call it
    inside the transaction that records the event.
    """
    people = {}
    for user in recipients:
        if user is None or not user.is_active or (actor is not None and user.pk == actor.pk):
            continue
        people[user.pk] = user
    users = list(people.values())
    written: list[Notification] = []
    if users:
        languages = languages_of(users)
        choices = dict(MailChoice.objects.filter(user__in=people, kind=kind).values_list("user_id", "mode"))
        for user in users:
            language = languages[user.pk]
            subject, body = render(message, language=language, recipient_name=person_name(user), kind=kind)
            mode = MailMode.IMMEDIATE if legal else mail_mode(kind, choices.get(user.pk))
            if not user.email or mode == MailMode.NONE:
                state = MailState.NOT_MAILED
            elif mode == MailMode.DIGEST:
                state = MailState.DIGEST
            else:
                state = MailState.PENDING
            try:
                with transaction.atomic():  # a savepoint: a duplicate key spoils nothing else
                    note = Notification.objects.create(
                        recipient=user, kind=kind, key=key, subject=subject, body=body, url=message.url,
                        language=language, deadline=deadline, mail_state=state,
                    )
            except IntegrityError:
                continue  # told before: the same event, again
            written.append(note)
    for channel in channels:
        _post(channel, key=key, message=message)
    from .tasks import deliver_mail  # the tasks import this module's neighbours at run time

    for note in written:
        if note.mail_state == MailState.PENDING:
            deliver_mail.enqueue(note.pk)
    return written


def _post(channel, *, key: str, message: Message) -> None:
    subject, _body = render(message, language=channel.language)
    try:
        with transaction.atomic():
            post = ChannelPost.objects.create(
                channel_name=channel.name[:100], webhook_url=channel.webhook_url, flavour=channel.flavour,
                key=f"{key}:channel:{channel.pk}"[:250], text=subject,
                link=absolute(message.url) if message.url else "",
            )
    except IntegrityError:
        return
    from .tasks import post_to_channel

    post_to_channel.enqueue(post.pk)


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them without `ids`); returns how many."""
    unread = Notification.objects.for_inbox(user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def _unread_per_recipient(user_id: int):
    # One row (the count) when there is any, none when there is none.
    return (Notification.objects.for_inbox(user_id).unread().order_by()
            .values("recipient_id").annotate(unread=Count("pk")).values_list("unread"))


# The header's count, on every page: its SQL written once (config/compiled_sql.py).
_UNREAD = CompiledQuery(_unread_per_recipient)


def unread_count(user) -> int:
    rows = _UNREAD.rows(user.pk)
    return rows[0][0] if rows else 0
