"""The admin shows what was sent and what failed (read-only: the record of what people were told)."""

from django.contrib import admin

from .models import ChannelPost, Notification, PeriodicRun


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = ["created_at", "recipient", "kind", "subject", "mail_state", "attempts", "read_at"]
    list_filter = ["kind", "mail_state"]
    search_fields = ["subject", "recipient__username", "key"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]


@admin.register(ChannelPost)
class ChannelPostAdmin(ReadOnly):
    list_display = ["created_at", "channel_name", "text", "state", "attempts"]
    list_filter = ["state", "flavour"]
    exclude = ["webhook_url"]  # a webhook URL is a secret: whoever has it may post to the channel


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnly):
    list_display = ["name", "last_run_at", "next_run_at"]
