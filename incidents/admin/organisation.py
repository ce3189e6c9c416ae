"""The admin of the organisation: departments, users and their roles, the pick-lists.

Nothing a record or the trail refers to is deleted here (KeptWhileReferenced): not a
person who has acted, not a department, not a pick-list entry in use. The delete page
(and the bulk delete action) says where it appears and what to do instead: deactivate
the user, untick the entry's "active".
"""

from __future__ import annotations

import logging

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from trail.people import actor_name

from ..models import CauseCategory, Department, EventClass, UserProfile
from ..roles import Role, role_conflict
from ..workflow.admin import PMSOfficeAccessMixin, is_pms_office
from .kept import KeptWhileReferencedMixin

User = get_user_model()
logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# Organisation and users


@admin.register(Department)
class DepartmentAdmin(KeptWhileReferencedMixin, PMSOfficeAccessMixin, SimpleHistoryAdmin):
    refused_because = _(
        "These departments cannot be deleted: records or the trail refer to them. Nothing has been deleted."
    )
    list_display = ["code", "name", "head", "member_count"]
    list_select_related = ["head"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["head"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj) -> int:
        return obj.member_count


class UserProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False
    max_num = 1
    fields = ["department"]
    verbose_name = _("department")
    verbose_name_plural = _("department")


if admin.site.is_registered(User):
    admin.site.unregister(User)


class UserChangeForm(DjangoUserAdmin.form):
    """Refuses, on the roles (groups), the audit lead and the PMS manager in one person (domain.md §2.4)."""

    def clean_groups(self):
        groups = self.cleaned_data["groups"]
        problem = role_conflict([group.name for group in groups])
        if problem:
            raise ValidationError(problem)
        return groups


@admin.register(User)
class UserAdmin(KeptWhileReferencedMixin, SimpleHistoryAdmin, DjangoUserAdmin):
    """Django's user admin, with the user's department and roles (groups).

    People who have acted are never deleted: they are deactivated (`deactivate_users`),
    can no longer sign in, and keep their name on the trail.
    """

    form = UserChangeForm
    actions = [*KeptWhileReferencedMixin.actions, "deactivate_users"]
    refused_because = _(
        "These users cannot be deleted: they appear in records or in the trail, which must keep "
        "pointing at whoever acted. Nothing has been deleted."
    )
    instead = _("Deactivate them instead: a deactivated user can no longer sign in, and keeps their name on the trail.")
    instead_action = "deactivate_users"
    instead_label = _("Deactivate instead")
    inlines = [UserProfileInline]
    list_display = ["username", "last_name", "first_name", "department", "roles", "is_staff", "is_active"]
    list_select_related = ["profile__department"]
    list_filter = [*DjangoUserAdmin.list_filter, "profile__department"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def has_module_permission(self, request):
        return super().has_module_permission(request) or is_pms_office(request)

    def has_view_permission(self, request, obj=None):
        # The PMS office looks users up (department heads, action owners and verifiers)
        # but does not manage accounts.
        return super().has_view_permission(request, obj) or is_pms_office(request)

    def get_inline_instances(self, request, obj=None):
        # The two-step "add user" page asks only for the username and password.
        return super().get_inline_instances(request, obj) if obj is not None else []

    @admin.display(description=_("department"), ordering="profile__department__code")
    def department(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.department if profile and profile.department else "-"

    @admin.display(description=_("roles"))
    def roles(self, obj) -> str:
        labels = {role.value: role.label for role in Role}
        return ", ".join(str(labels.get(group.name, group.name)) for group in obj.groups.all()) or "-"

    def kept_name(self, obj) -> str:
        return actor_name(obj)

    @admin.action(permissions=["change"], description=_("Deactivate the selected users"))
    def deactivate_users(self, request, queryset):
        """Sets is_active off, one save each: each leaves a history row, by this admin."""
        with translation.override(None):
            changed = [{"changed": {"fields": [str(capfirst(User._meta.get_field("is_active").verbose_name))]}}]
        done = []
        for user in queryset.filter(is_active=True).order_by("username"):
            if user.pk == request.user.pk:
                self.message_user(request, gettext("You cannot deactivate your own account."), messages.WARNING)
                continue
            user.is_active = False
            user.save(update_fields=["is_active"])
            self.log_change(request, user, changed)
            done.append(actor_name(user))
        if done:
            self.message_user(request, gettext(
                "Deactivated: %(names)s. They can no longer sign in, and the trail keeps their names."
            ) % {"names": ", ".join(done)}, messages.SUCCESS)
        else:
            self.message_user(request, gettext("No user was deactivated."), messages.WARNING)


# ---------------------------------------------------------------------------
# Pick-lists (JIPDEC taxonomy, editable)


class PickListAdmin(KeptWhileReferencedMixin, PMSOfficeAccessMixin, SimpleHistoryAdmin):
    refused_because = _(
        "These entries cannot be deleted: records or the trail use them. Nothing has been deleted."
    )
    instead = _(
        "Untick “active” instead: an inactive entry is no longer offered for new records, "
        "and the records that use it keep it."
    )
    list_display = ["code", "name_ja", "name_en", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name_ja", "name_en"]
    ordering = ["position", "code"]


@admin.register(EventClass)
class EventClassAdmin(PickListAdmin):
    pass


@admin.register(CauseCategory)
class CauseCategoryAdmin(PickListAdmin):
    pass
