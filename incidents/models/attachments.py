"""Evidence files (証跡ファイル) of incidents, actions, audits and findings: one generic model.

The record an attachment belongs to is a generic relation (content type + object id), so
the audits app attaches files to its audits and findings without incidents importing
audits. Which records take attachments, and who may see and add them, is registered in
incidents.attachments.

The file itself is stored through Django's storage API (default_storage: the local disk,
or a private S3-compatible bucket with FILE_STORAGE=s3) under an unguessable name,
`attachments/<uuid4>`, with no extension and nothing of the original name. Only the
storage API is used on it (save, open, delete; never a path). It is never served from a
URL of the storage (MEDIA_URL is not routed, a bucket is private): it is downloaded
through the views `/attachments/<pk>/` (web) and `/api/attachments/<pk>/download/` (API),
which check that the user may see the record first. The model keeps the original name, the type detected from the content, the
size and the SHA-256 of the bytes stored.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from trail.history import TrailedHistory

ATTACHMENT_DIRECTORY = "attachments"


def attachment_storage_name(instance, filename: str) -> str:
    """attachments/<uuid4>: the original name (kept on the row) never reaches the storage."""
    return f"{ATTACHMENT_DIRECTORY}/{uuid.uuid4().hex}"


class EvidencePurpose(models.TextChoices):
    """What an action's file proves (issue 14): that it was carried out, or that it worked.
    Blank for the files of other records."""

    IMPLEMENTATION = "implementation", _("Evidence of implementation")
    EFFECTIVENESS = "effectiveness", _("Evidence of effectiveness")
    # A request from an individual's files (issue 15): the copies of identity documents are
    # deleted automatically after the retention period; the others are kept with the case.
    IDENTITY = "identity", _("Copy of an identity document")
    AUTHORITY = "authority", _("Evidence of a representative's authority")
    REQUEST_DOCUMENT = "request_document", _("The request and its enclosures")
    DISCLOSED_DATA = "disclosed_data", _("Data disclosed to the person")
    CORRESPONDENCE = "correspondence", _("Correspondence")


class Attachment(models.Model):
    # The record the file is evidence for (an incident, an audit, a finding).
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("record id"))
    record = GenericForeignKey("content_type", "object_id")

    file = models.FileField(_("file"), upload_to=attachment_storage_name, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    # Detected from the bytes (incidents.attachments.detect_type), never taken from the
    # browser or the extension; sent back as the download's Content-Type.
    mime_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=500, blank=True)
    # For the records whose files prove something in particular (an action's implementation
    # or effectiveness); blank for the others (incidents.attachments.register(purposes=…)).
    purpose = models.CharField(_("evidence of"), max_length=20, choices=EvidencePurpose.choices, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    history = TrailedHistory()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_record")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def size_display(self) -> str:
        """1.2 MB, 34 KB, 512 B."""
        if self.size >= 1024 * 1024:
            return f"{self.size / (1024 * 1024):.1f} MB"
        if self.size >= 1024:
            return f"{self.size / 1024:.0f} KB"
        return f"{self.size} B"
