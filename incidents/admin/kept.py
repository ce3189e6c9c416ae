"""Nothing a record or the trail refers to is deleted in the admin.

`KeptWhileReferencedMixin` answers Django's delete page and bulk delete action with where
each object appears (every relation that points at its model, found from the model
metadata, not from a hand-kept list) and what to do instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, router, transaction
from django.db.models import CASCADE, Count, Model, OneToOneField
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from knox.models import get_token_model

from trail.models import AppendOnly, ChainedEntry

User = get_user_model()
logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# Kept while referenced: where an object appears, and the refusal to delete it


@dataclass(frozen=True)
class Place:
    """Rows of one model that point at objects of another through one field."""

    model: type[Model]
    lookup: str  # the field of `model` (a foreign key or a many-to-many) to the object
    label: str  # what the rows are, for the delete page ("インシデント（報告者）")


def _is_own(rel) -> bool:
    """Whether the rows behind a relation are part of the object itself rather than records
    that refer to it: a one-to-one extension that goes with it (a user's profile), their API
    tokens (django-rest-knox, many per user), and the history of such an extension or of the
    object's own many-to-many (a user's groups). Their own history rows are not relations at
    all (an `id`, not a key)."""
    field_ = rel.field
    if isinstance(field_, OneToOneField) and field_.remote_field.on_delete is CASCADE:
        return True
    if rel.related_model is get_token_model():
        return True
    tracked = getattr(rel.related_model, "instance_type", None)  # a django-simple-history table
    if tracked is None:
        return False
    if tracked._meta.auto_created is rel.model:  # the history of the object's own many-to-many
        return True
    try:
        original = tracked._meta.get_field(field_.name)
    except FieldDoesNotExist:  # history_user: who made the change
        return False
    return isinstance(original, OneToOneField) and original.remote_field.on_delete is CASCADE


def _label(rel) -> str:
    source, field_ = rel.related_model, rel.field
    tracked = getattr(source, "instance_type", None)
    if tracked is None:
        return gettext("%(records)s (%(field)s)") % {
            "records": source._meta.verbose_name_plural, "field": field_.verbose_name,
        }
    if tracked._meta.auto_created:  # the history of a many-to-many: named as that field
        owner = tracked._meta.auto_created
        m2m = next(f for f in owner._meta.many_to_many if f.remote_field.through is tracked)
        tracked, original = owner, m2m
    else:
        try:
            original = tracked._meta.get_field(field_.name)
        except FieldDoesNotExist:
            return gettext("changes they made to %(records)s") % {"records": tracked._meta.verbose_name_plural}
    return gettext("history of %(records)s (%(field)s)") % {
        "records": tracked._meta.verbose_name_plural, "field": original.verbose_name,
    }


def places_of(model: type[Model]) -> list[Place]:
    """Every relation that points at `model`, found from the model registry rather than kept
    by hand: the records (live foreign keys and many-to-many), their history (the copies
    of those keys and who made each change) and the trail's step entries; less what is part
    of the object itself (`_is_own`). A many-to-many's own table is counted as that field.
    The records come first, then the trail (its steps and the history rows)."""
    places = []
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.is_relation and rel.auto_created and not rel.concrete):
            continue
        if rel.related_model._meta.auto_created or _is_own(rel):
            continue
        places.append(Place(rel.related_model, rel.field.name, _label(rel)))
    return sorted(places, key=lambda place: issubclass(place.model, ChainedEntry))


def appearances(model: type[Model], pks) -> dict:
    """{pk: [(label, count), ...]} for those of `pks` that something refers to."""
    found: dict = {}
    pks = list(pks)
    for place in places_of(model):
        rows = (
            place.model._base_manager.filter(**{f"{place.lookup}__in": pks})
            .order_by().values(place.lookup).annotate(count=Count("pk"))
        )
        for row in rows:
            found.setdefault(row[place.lookup], []).append((place.label, row["count"]))
    return found


@dataclass
class Kept:
    """One object the admin refused to delete, and where it appears."""

    obj: Model
    name: str
    url: str
    places: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.name}: {', '.join(self.places)}"


class Refusal(list):
    """The `protected` list of Django's delete pages, with why and what to do instead."""

    def __init__(self, kept, *, reason, instead=None, action=None, action_label=None, changelist_url=None):
        super().__init__(kept)
        self.reason, self.instead = reason, instead
        self.action, self.action_label, self.changelist_url = action, action_label, changelist_url


class KeptWhileReferencedMixin:
    """Refuses to delete an object that any record or trail entry refers to.

    Django's delete page and bulk delete action both ask `get_deleted_objects`; here it
    answers "protected" with each object's places (where it appears, how many times), so
    the page says why nothing can be deleted and offers `instead_action`. Should the
    database refuse anyway (someone acted in between), the page says so instead of failing.
    """

    delete_confirmation_template = "admin/incidents/kept_delete_confirmation.html"
    delete_selected_confirmation_template = "admin/incidents/kept_delete_selected_confirmation.html"
    actions = ["delete_selected"]  # Django's, guarded (below)
    refused_because = _("These cannot be deleted: records or the trail refer to them. Nothing has been deleted.")
    instead = None
    instead_action = None  # an admin action offered on the refusal page
    instead_label = None

    def kept_name(self, obj) -> str:
        return str(obj)

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        found = appearances(self.model, [obj.pk for obj in objs])
        if not found:
            return super().get_deleted_objects(objs, request)
        opts = self.model._meta
        kept = [
            Kept(obj, self.kept_name(obj), reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)]),
                 [gettext("%(place)s: %(count)s") % {"place": label, "count": count} for label, count in found[obj.pk]])
            for obj in objs if obj.pk in found
        ]
        action = self.instead_action if self.instead_action in self.get_actions(request) else None
        refusal = Refusal(
            kept, reason=self.refused_because, instead=self.instead, action=action, action_label=self.instead_label,
            changelist_url=reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        )
        return [], {}, set(), refusal

    def _refused_by_database(self, request, error) -> None:
        logger.warning("the database refused a deletion in the admin: %s", error)
        message = gettext("Nothing was deleted: records or the trail refer to it (the database refused).")
        self.message_user(request, f"{message} {self.instead or ''}".strip(), messages.ERROR)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except (DatabaseError, AppendOnly) as error:
            self._refused_by_database(request, error)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))

    @admin.action(permissions=["delete"], description=admin_actions.delete_selected.short_description)
    def delete_selected(self, request, queryset):
        """Django's bulk delete, in a transaction of its own: a refusal by the database
        takes the log entries back with it."""
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return admin_actions.delete_selected(self, request, queryset)
        except (DatabaseError, AppendOnly) as error:
            self._refused_by_database(request, error)
            return None
