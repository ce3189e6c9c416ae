"""The trail: append-only entries, each sealed with a hash chained to the one before it.

Two kinds of entry carry the seal (ChainedEntry):
- TrailEntry: a step of a state machine (who moved which record from which state to
  which, when, with what comment), and the entries the system writes itself;
- the history rows django-simple-history keeps of every tracked record (one per save,
  a snapshot of every field), declared with trail.history.TrailedHistory.

Every entry also keeps the door the change came through and the actor's name as it was
at the time, beside the link to the user. The database refuses UPDATE and DELETE on all
of them (trail.guard); `manage.py verify_trail` walks the chain.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64  # the hash "before" the first entry


class Door(models.TextChoices):
    WEB = "web", _("Web pages")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    COMMAND = "command", _("Command")


def append_only() -> pgtrigger.Protect:
    """The PostgreSQL trigger on every trail table (trail.guard has SQLite's)."""
    return pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


class AppendOnly(Exception):
    """An attempt to change or remove a trail entry through the ORM."""


class ChainedQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # django-simple-history writes many-to-many snapshots (and bulk_create_with_history
        # its rows) with bulk_create: each entry is sealed, in order, before the insert.
        objs = list(objs)
        from .chain import seal

        with transaction.atomic(using=self.db, savepoint=False):
            for obj in objs:
                seal(obj, using=self.db)
            return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        raise AppendOnly(f"{self.model._meta.db_table} is append-only")

    def delete(self):
        raise AppendOnly(f"{self.model._meta.db_table} is append-only")

    delete.queryset_only = True


class ChainedEntry(models.Model):
    """What every trail and history entry carries besides its content."""

    door = models.CharField(_("through"), max_length=10, choices=Door.choices, blank=True, default="")
    actor_name = models.CharField(_("actor's name at the time"), max_length=300, blank=True, default="")
    chain_seq = models.BigIntegerField(_("position in the trail"), null=True, blank=True, unique=True, editable=False)
    chain_hash = models.CharField(_("hash"), max_length=64, blank=True, default="", editable=False)

    objects = ChainedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly(f"{self._meta.db_table} is append-only")
        from .chain import seal

        using = kwargs.get("using") or "default"
        with transaction.atomic(using=using, savepoint=False):
            seal(self, using=using)
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(f"{self._meta.db_table} is append-only")


class ChainHead(models.Model):
    """The end of the chain: how many entries it holds and the hash of the last one.

    Every new entry locks this one row (so the chain never forks) and moves it on; a
    removed last entry shows as a head that points past the end.
    """

    seq = models.BigIntegerField(default=0)
    digest = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        verbose_name = _("end of the trail")

    def __str__(self) -> str:
        return f"{self.seq} {self.digest}"


class TrailEntryQuerySet(ChainedQuerySet):
    def for_(self, record) -> TrailEntryQuerySet:
        """The entries of one record, oldest first."""
        return self.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk,
        ).order_by("timestamp", "id")


class TrailEntry(ChainedEntry):
    """One step of a record's state machine (or an entry the system writes on it)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("record type"))
    object_id = models.PositiveBigIntegerField(_("record id"), db_index=True)
    content_object = GenericForeignKey("content_type", "object_id")
    transition = models.CharField(_("step"), max_length=255)
    source_state = models.CharField(_("from state"), max_length=255, null=True, blank=True)
    state = models.CharField(_("to state"), max_length=255)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="trail_entries",
    )
    description = models.TextField(_("comment"), null=True, blank=True)
    timestamp = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = TrailEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("trail entry")
        verbose_name_plural = _("trail entries")
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "timestamp"], name="trail_entry_record")]
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{self.content_type.model}#{self.object_id} {self.transition}"


def _register_people() -> None:
    """Users (with their roles) and the roles themselves keep a history too.

    The password hash and the time of the last sign-in are left out: a trail is no place
    for a credential, and a sign-in is not an edit.
    """
    import simple_history
    from django.contrib.auth.models import Group, User

    from .history import TrailedHistory

    simple_history.register(
        User, app="trail", records_class=TrailedHistory, excluded_fields=["password", "last_login"],
        m2m_fields=["groups"],
    )
    simple_history.register(Group, app="trail", records_class=TrailedHistory)


_register_people()
