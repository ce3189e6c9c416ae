"""The progress log of an incident (経過記録): what happened and what was done, when.

Anyone working on the incident writes entries as the case goes on; the log is the basis
of item 1 of the report to the PPC (事実経過, incidents.ppc_report) and is shown with the
incident's steps on its timeline.

An entry is never changed or removed once written (a log a report was based on must stay
as it was): the model and its queryset refuse to update or delete it, the admin only shows
it, and its creation is sealed into the trail (its history row, trail.history). A wrong
entry is corrected by a later one. Files go with an entry when it is written
(incidents.attachments, registered for ProgressEntry), never afterwards.

Who writes (`progress_writer_problem`, `progress_closed_problem`): the PMS office of the
incident's company, its handler, the head of its department and the owners of its actions
(not cancelled), while the incident is open; the PMS office also after close or dismissal.
Read-only roles (top management, internal auditors, the audit lead) and everyone else only
read it, if they may read the incident.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trail.history import TrailedHistory
from trail.models import AppendOnly, append_only

from ..roles import Role, has_role
from .action import ActionState
from .organisation import headed_department_ids


def _refused(model) -> AppendOnly:
    return AppendOnly(f"{model._meta.db_table} is append-only: write a new entry instead")


class ProgressEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise _refused(self.model)

    def delete(self):
        raise _refused(self.model)

    delete.queryset_only = True


class ProgressEntry(models.Model):
    incident = models.ForeignKey(
        "incidents.Incident", verbose_name=_("incident"), on_delete=models.PROTECT, related_name="progress_entries",
    )
    occurred_at = models.DateTimeField(
        _("when"), default=timezone.now,
        help_text=_("When it happened or was done (Japan time). Defaults to now; it may be earlier, never later."),
    )
    text = models.TextField(_("what happened or was done"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now, editable=False)

    objects = ProgressEntryQuerySet.as_manager()
    history = TrailedHistory()

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("progress entry")
        verbose_name_plural = _("progress log")
        indexes = [models.Index(fields=["incident", "occurred_at"], name="progress_incident_time")]
        constraints = [
            models.CheckConstraint(condition=Q(occurred_at__lte=models.F("created_at")),
                                   name="progress_entry_not_in_future"),
        ]
        # PostgreSQL refuses to change or remove an entry whoever asks (as it does trail rows).
        triggers = [append_only()]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.occurred_at):%Y-%m-%d %H:%M} {self.text[:40]}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise _refused(type(self))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{self.incident.get_absolute_url()}#progress-{self.pk}"

    def delete(self, *args, **kwargs):
        raise _refused(type(self))

    def clean(self) -> None:
        # Never after the entry is written (created_at, set when the entry is made).
        if self.occurred_at and self.occurred_at > (self.created_at or timezone.now()):
            raise ValidationError({"occurred_at": _("A progress entry cannot be in the future.")})
        if not (self.text or "").strip():
            raise ValidationError({"text": _("Write what happened or what was done.")})


# ---------------------------------------------------------------------------
# Who writes the log (rules: each returns the reason of a refusal, None when allowed)


def progress_writer_problem(incident, user) -> str | None:
    """Whether `user` works on the incident (the module's docstring): a 403 with this reason if not."""
    if has_role(user, Role.PMS_MANAGER, company=incident.company_id):
        return None
    if user.pk is not None and user.pk == incident.handler_id:
        return None
    if incident.department_id in headed_department_ids(user):
        return None
    if incident.actions.exclude(state=ActionState.CANCELLED).filter(owner_id=user.pk).exists():
        return None
    return _("Only the PMS office, the incident's handler, the head of its department and the owners of its "
             "actions may write its progress log.")


def progress_closed_problem(incident, user) -> str | None:
    """After close or dismissal, only the PMS office adds to the log (a 409 with this reason)."""
    if incident.is_open or has_role(user, Role.PMS_MANAGER, company=incident.company_id):
        return None
    return _("The incident is closed: only the PMS office may add to its progress log.")
