"""The admin of evidence files: to look up, never to upload or change."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..attachments import visible_attachments
from ..models import Attachment
from ..workflow.admin import PMSOfficeReadOnlyMixin


@admin.register(Attachment)
class AttachmentAdmin(PMSOfficeReadOnlyMixin, admin.ModelAdmin):
    """Evidence files, to look up; uploads go through the record's page. The stored file is
    never linked directly: downloads go through the view that checks who may see the record."""

    list_display = ["uploaded_at", "original_name", "content_type", "object_id", "purpose", "mime_type", "size",
                    "uploaded_by"]
    list_select_related = ["uploaded_by", "content_type"]
    list_filter = ["content_type", "purpose", "mime_type"]
    search_fields = ["original_name", "description", "sha256"]
    fields = ["original_name", "download", "content_type", "object_id", "purpose", "mime_type", "size", "sha256",
              "description", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return visible_attachments(request.user).select_related(*self.list_select_related)

    @admin.display(description=_("download"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("attachment_download", args=[obj.pk]), obj.original_name)
