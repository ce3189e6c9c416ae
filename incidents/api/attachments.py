"""Evidence files in the API: `GET/POST /api/<records>/<id>/attachments/`.

`AttachmentActionsMixin` adds the endpoint to any record viewset whose model is
registered in incidents.attachments (incidents and actions here; audits and findings in
the audits API). Listing needs only that the record is visible (else 404, like every
endpoint); uploading is a multipart POST with `file` (and optionally `description`; for an
action, `purpose`: what the file proves, implementation or effectiveness), checked by
incidents.attachments.attachment_add: 400 when too large or not an allowed type (checked
by content), 403 or 409 when the user may not add files to the record now.

The file is downloaded from `download_url`, `GET /api/attachments/<pk>/download/`
(`AttachmentDownloadApi`), with the API's own authentication (a token), under the rule of
the web view `/attachments/<pk>/` (which the pages link to): whoever may see the record;
404 for anyone else. Never from a storage URL, whatever the storage (a bucket's included).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import attachments
from ..models import Attachment, EvidencePurpose
from .serializers import ErrorSerializer, UserRefSerializer


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = UserRefSerializer(read_only=True)
    # Declared so that the schema allows the empty value files of other records carry
    # (read_only_fields would drop allow_blank and publish an enum without "").
    purpose = serializers.ChoiceField(choices=EvidencePurpose.choices, allow_blank=True, read_only=True)
    download_url = serializers.SerializerMethodField(
        help_text=_("Where the file is downloaded, with the API's credentials (users who may see the record).")
    )

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "mime_type", "size", "sha256", "description", "purpose", "uploaded_by",
                  "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        url = reverse("api:attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class AttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text=_("PDF, PNG, JPEG, GIF, docx/xlsx/pptx, text or CSV, within the size limit (checked by content)."),
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    purpose = serializers.ChoiceField(
        choices=EvidencePurpose.choices, required=False, allow_blank=True, default="",
        help_text=_("What the file proves, for an action (required there): `implementation` (by its owner) or "
                    "`effectiveness` (by its verifier); the PMS office adds either. Left empty for other records."),
    )


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


class FirstRendererNegotiation(BaseContentNegotiation):
    """The file goes out in its own type whatever the client accepts: the negotiation only picks
    the renderer of the errors (JSON), never a 406 for `Accept: application/pdf`."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AttachmentDownloadApi(APIView):
    """`GET /api/attachments/<pk>/download/`: the file, with the API's authentication."""

    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        operation_id="attachments_download",
        summary=_("Download an evidence file"),
        description=_(
            "The file as uploaded, in the type detected from its content (`mime_type`), as an attachment named "
            "as uploaded (`Content-Disposition`; a Japanese name is encoded as `filename*=utf-8''…`). Only for "
            "users who may see the record the file belongs to: 404 for anyone else."
        ),
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The file's bytes.")),
            401: OpenApiResponse(ErrorSerializer, description=_("No or invalid credentials.")),
            404: OpenApiResponse(ErrorSerializer, description=_("No such file, or not one you may see.")),
        },
    )
    def get(self, request, pk: int):
        attachment = attachments.attachment_for_download(pk=pk, user=request.user)
        return attachments.download_response(attachment)
