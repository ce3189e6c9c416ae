"""Chat channels that take the same notices as people (issue 14): a department's or the PMS office's."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from notifications.models import ChannelFlavour

from .company import Company
from .organisation import Department


class ChatChannelQuerySet(models.QuerySet):
    def for_event(self, *, company_id: int | None, department_ids=(), office: bool = False) -> ChatChannelQuerySet:
        """The active channels of the company that take an event: its PMS office's (`office`)
        and those of the departments concerned."""
        wanted = Q(department_id__in=[pk for pk in department_ids if pk])
        if office:
            wanted |= Q(department__isnull=True)
        return self.filter(wanted, active=True, company_id=company_id)


def _https_only(url: str) -> None:
    if not url.startswith("https://") and not settings.DEBUG:
        raise ValidationError(_("A webhook address must start with https://."))


class ChatChannel(models.Model):
    """An incoming webhook of Slack, Teams or a compatible chat: a department's channel gets
    the notices about its actions, findings and audits; the PMS office's (no department)
    also gets the new incident reports and the reporting duties. A notice in chat carries
    the subject line and the link, never the record's details: the chat is read by more
    people than the record."""

    name = models.CharField(_("name"), max_length=100)
    company = models.ForeignKey(Company, verbose_name=_("company"), on_delete=models.CASCADE,
                                related_name="chat_channels")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="chat_channels", help_text=_("Left empty: the PMS office's channel."),
    )
    webhook_url = models.URLField(_("webhook URL"), max_length=500, validators=[_https_only],
                                  help_text=_("The incoming webhook's address, kept secret: whoever has it may post."))
    flavour = models.CharField(_("format"), max_length=10, choices=ChannelFlavour.choices,
                               default=ChannelFlavour.SLACK)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)
    active = models.BooleanField(_("active"), default=True)

    objects = ChatChannelQuerySet.as_manager()

    class Meta:
        ordering = ["company", "name"]
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.department_id and self.company_id and self.department.company_id != self.company_id:
            raise ValidationError({"department": _("The department belongs to another company.")})
