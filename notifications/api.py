"""The inbox over the API: /api/notifications/ (yours only), and marking them read."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Notification
from .services import mark_read, unread_count


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "url", "deadline", "created_at", "read", "read_at", "mail_state"]
        read_only_fields = fields

    def get_read(self, note: Notification) -> bool:
        return note.read_at is not None


class InboxApi(generics.ListAPIView):
    """Your notifications, newest first (`?unread=true` for the unread ones only)."""

    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # the schema's; each request reads its user's

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        notes = Notification.objects.for_inbox(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            notes = notes.unread()
        return notes


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=500,
                                help_text=_("The notifications to mark read; left out, all of yours."))


class MarkReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


class MarkReadApi(APIView):
    @extend_schema(request=MarkReadSerializer, responses=MarkReadResultSerializer)
    def post(self, request):
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = mark_read(request.user, data.validated_data.get("ids"))
        return Response({"marked": marked, "unread": unread_count(request.user)})


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class UnreadCountApi(APIView):
    """How many of your notifications are unread (what the page header shows)."""

    @extend_schema(responses=UnreadCountSerializer)
    def get(self, request):
        return Response({"unread": unread_count(request.user)})
