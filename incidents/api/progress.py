"""The progress log in the API, and an incident as the people doing its actions read it.

`GET/POST /api/incidents/<id>/progress/` (IncidentViewSet.progress): whoever may open the
incident reads its log, in full or through one of their actions; the people working on it
write entries (services.add_progress: 403 for others, 409 after close but for the PMS
office, 400 for an entry in the future, an empty text or a file refused). An entry is
never changed or removed: there is no PUT, PATCH or DELETE.

`GET /api/incidents/<id>/` answers the owner or verifier of one of the incident's actions,
who may not otherwise see it, with `IncidentContextSerializer` (`limited`: true).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Action, Incident, ProgressEntry
from .attachments import AttachmentSerializer
from .fields import DateTimeField, ModelSerializer, RejectUnexpectedFieldsMixin, UserRefSerializer


class ProgressEntrySerializer(ModelSerializer):
    """An entry of the incident's progress log: never changed once written."""

    written_by = UserRefSerializer(read_only=True)
    files = serializers.SerializerMethodField(
        help_text=_("The entry's files you may download (whoever sees the incident in full, and the entry's "
                    "writer)."),
    )

    class Meta:
        model = ProgressEntry
        fields = ["id", "incident", "occurred_at", "text", "written_by", "created_at", "files"]
        read_only_fields = fields
        extra_kwargs = {"created_at": {"help_text": _("When the entry was written.")}}

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_files(self, entry) -> list[dict]:
        return AttachmentSerializer(getattr(entry, "files", []), many=True, context=self.context).data


class ProgressEntryInputSerializer(RejectUnexpectedFieldsMixin, serializers.Serializer):
    """Write an entry: what happened or was done, when (default now; never in the future), and
    optionally files (multipart, `files` repeated), which go with the entry and cannot be added
    later."""

    text = serializers.CharField(help_text=_("What happened or what was done."))
    occurred_at = DateTimeField(required=False, allow_null=True,
                                help_text=_("When it happened or was done; defaults to now."))
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False), required=False, default=list,
        help_text=_("Evidence files, each checked like any other (type by content, size)."),
    )


class ActionPlanSerializer(ModelSerializer):
    """An action of the incident with its plan, as its owner and verifier read it."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    owner = UserRefSerializer(read_only=True)
    verifier = UserRefSerializer(read_only=True)

    class Meta:
        model = Action
        fields = ["id", "reference", "kind", "kind_display", "title", "description", "department", "owner",
                  "verifier", "due_date", "state", "state_display"]
        read_only_fields = fields


class IncidentContextSerializer(ModelSerializer):
    """An incident as the owner or verifier of one of its actions reads it (`limited`: true):
    what the work needs (the description, the department, the root cause, the actions and their
    plans, the progress log), nothing the visibility rules keep from them (no reporter, reports,
    PPC details, files or trail)."""

    limited = serializers.SerializerMethodField(help_text=_("Always true: the limited view of an incident."))
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True, help_text=_("The company's name."))
    handler = UserRefSerializer(read_only=True, allow_null=True)
    cause_display = serializers.SerializerMethodField(help_text=_("The cause category's name; null when not set."))
    actions = ActionPlanSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField(help_text=_("The progress log, oldest first."))

    class Meta:
        model = Incident
        fields = ["id", "limited", "reference", "title", "state", "state_display", "kind", "kind_display",
                  "description", "department", "department_name", "company", "company_name", "handler", "cause",
                  "cause_display", "root_cause", "actions", "progress"]
        read_only_fields = fields

    def get_limited(self, incident) -> bool:
        return True

    def get_cause_display(self, incident) -> str | None:
        return str(incident.cause) if incident.cause_id else None

    @extend_schema_field(ProgressEntrySerializer(many=True))
    def get_progress(self, incident) -> list[dict]:
        return ProgressEntrySerializer(getattr(incident, "progress", []), many=True, context=self.context).data
