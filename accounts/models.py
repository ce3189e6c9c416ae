from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

# How much of a token is shown (API list, admin) and names it in `DELETE /api/auth/tokens/<prefix>/`:
# 8 of its 64 hex characters, not enough to guess the rest.
PREFIX_LENGTH = 8


class ApiTokenQuerySet(models.QuerySet):
    def of(self, user) -> ApiTokenQuerySet:
        return self.filter(user=user)

    def live(self) -> ApiTokenQuerySet:
        return self.filter(models.Q(expiry__isnull=True) | models.Q(expiry__gt=timezone.now()))

    def expired(self) -> ApiTokenQuerySet:
        return self.filter(expiry__lt=timezone.now())

    def with_prefix(self, prefix: str) -> ApiTokenQuerySet:
        if len(prefix) != PREFIX_LENGTH:
            return self.none()
        return self.filter(token_key__startswith=prefix)


class ApiToken(AuthToken):
    """A django-rest-knox token (knox.AuthToken's table), as this project shows it.

    Only a hash of the token is stored; `token_key` is its first 15 characters, which knox
    looks it up by. Its string and everything shown of it (API, admin, the admin's log) is
    the user and the first PREFIX_LENGTH characters, never the hash nor the whole key."""

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        proxy = True
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.prefix}…"

    @property
    def prefix(self) -> str:
        return self.token_key[:PREFIX_LENGTH]
