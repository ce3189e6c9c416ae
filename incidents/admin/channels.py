"""Chat channels (Slack / Teams incoming webhooks), set up by the PMS office."""

from django.contrib import admin

from ..models import ChatChannel
from ..workflow.admin import PMSOfficeAccessMixin


@admin.register(ChatChannel)
class ChatChannelAdmin(PMSOfficeAccessMixin, admin.ModelAdmin):
    list_display = ["name", "company", "department", "flavour", "language", "active"]
    list_filter = ["company", "flavour", "active"]
    list_select_related = ["company", "department"]
    search_fields = ["name"]
