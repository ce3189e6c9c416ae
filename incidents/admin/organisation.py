"""The admin of the organisation: departments, users and their roles, the pick-lists."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from ..models import CauseCategory, Department, EventClass, UserProfile
from ..roles import Role, role_conflict
from ..workflow.admin import PMSOfficeAccessMixin, is_pms_office

User = get_user_model()


# ---------------------------------------------------------------------------
# Organisation and users


@admin.register(Department)
class DepartmentAdmin(PMSOfficeAccessMixin, admin.ModelAdmin):
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
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, with the user's department and roles (groups)."""

    form = UserChangeForm
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


# ---------------------------------------------------------------------------
# Pick-lists (JIPDEC taxonomy, editable)


class PickListAdmin(PMSOfficeAccessMixin, admin.ModelAdmin):
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
