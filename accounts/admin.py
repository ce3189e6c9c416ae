"""API tokens in the admin: who holds which, until when, and a way to revoke them.

Replaces django-rest-knox's own admin, which lists each token's hash, searches by it and
lets staff create tokens. Here nothing is added or edited and no hash or key is shown: a
token is its user and its first characters (ApiToken.prefix)."""

from __future__ import annotations

import knox.admin  # noqa: F401  (knox's admin registers itself first, so that it can be replaced)
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from .models import ApiToken

if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "prefix", "created", "expiry"]
    list_display_links = None
    list_select_related = ["user"]
    search_fields = ["user__username", "user__last_name", "user__first_name"]
    ordering = ["-created"]
    fields = ["user", "prefix", "created", "expiry"]
    readonly_fields = fields

    @admin.display(description=_("token"))
    def prefix(self, token: ApiToken) -> str:
        return f"{token.prefix}…"

    def get_actions(self, request):
        # Django's bulk delete (its confirmation page, the deletion and its log entries),
        # named for what it does here.
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            func, name, _description = actions["delete_selected"]
            actions[name] = (func, name, _("Revoke selected API tokens"))
        return actions

    def has_add_permission(self, request) -> bool:
        return False  # a token is obtained by its user (POST /api/auth/token/), shown only to them

    def has_change_permission(self, request, obj=None) -> bool:
        return False
