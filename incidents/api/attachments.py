"""Evidence files in the API: `GET/POST /api/<records>/<id>/attachments/`.

`AttachmentActionsMixin` adds the endpoint to any record viewset whose model is
registered in incidents.attachments (incidents here; audits and findings in the audits
API). Listing needs only that the record is visible (else 404, like every endpoint);
uploading is a multipart POST with `file` (and optionally `description`), checked by
incidents.attachments.attachment_add: 400 when too large or not an allowed type (checked
by content), 403 or 409 when the user may not add files to the record now. The file is
downloaded from `download_url` (`/attachments/<pk>/`), never from a storage URL.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from .. import attachments
from ..models import Attachment
from .serializers import ErrorSerializer, UserRefSerializer


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = UserRefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField(
        help_text=_("Where the file is downloaded (signed-in users who may see the record).")
    )

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "mime_type", "size", "sha256", "description", "uploaded_by", "uploaded_at",
                  "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        url = reverse("attachment_download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class AttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text=_("PDF, PNG, JPEG, GIF, docx/xlsx/pptx, text or CSV, within the size limit (checked by content)."),
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AttachmentActionsMixin:
    """`attachments` on a RecordViewSet (it needs get_object() with the user's visibility)."""

    def get_serializer_class(self):
        if getattr(self, "action", None) == "attachments":
            return AttachmentInputSerializer if self.request.method == "POST" else AttachmentSerializer
        return super().get_serializer_class()

    @extend_schema(
        methods=["GET"],
        summary=_("The record's evidence files"),
        responses={200: AttachmentSerializer(many=True), 404: OpenApiResponse(ErrorSerializer)},
    )
    @extend_schema(
        methods=["POST"],
        summary=_("Attach an evidence file"),
        request={"multipart/form-data": AttachmentInputSerializer},
        responses={
            201: AttachmentSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description=_("Too large, or not an allowed type: `{\"file\": [...]}`.")),
            403: OpenApiResponse(ErrorSerializer, description=_("Not permitted, with the reason.")),
            404: OpenApiResponse(ErrorSerializer),
            409: OpenApiResponse(ErrorSerializer, description=_("The record is closed.")),
        },
    )
    @action(detail=True, methods=["get", "post"], url_path="attachments", pagination_class=None, filter_backends=[],
            parser_classes=[MultiPartParser, FormParser, JSONParser])
    def attachments(self, request, pk=None):
        record = self.get_object()
        if request.method == "GET":
            files = attachments.attachments_of(record)
            return Response(AttachmentSerializer(files, many=True, context=self.get_serializer_context()).data)
        serializer = AttachmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = attachments.attachment_add(record=record, by=request.user, **serializer.validated_data)
        return Response(
            AttachmentSerializer(attachment, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )
