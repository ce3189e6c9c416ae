"""The answers to API requests sent with an `Idempotency-Key`, so a retry gets the first answer.

Not part of the trail: a row only remembers what was answered, for IDEMPOTENCY_KEY_HOURS,
and is deleted afterwards (incidents.api.idempotency, `purge_idempotency_keys`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotentRequest(models.Model):
    # The key is the client's, so it is unique per user only: two users may pick the same one.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("HTTP method"), max_length=10)
    path = models.CharField(_("path"), max_length=2000)
    # SHA-256 of the body (of the fields and files' contents for a multipart form, whose
    # boundary differs from one send to the next): a key sent again with another body is refused.
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    # Filled in the transaction that inserted the row, before it commits: a committed row
    # always has its answer.
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True)
    response_content_type = models.CharField(_("response content type"), max_length=255, blank=True)
    response_body = models.BinaryField(_("response body"), blank=True, default=b"")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_unique_user_key"),
        ]
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
