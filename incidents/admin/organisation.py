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
from django.forms.models import BaseInlineFormSet
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from trail.people import actor_name

from ..models import (
    CauseCategory,
    Department,
    EventClass,
    RoleScope,
    UserProfile,
    group_has_several_companies,
)
from ..roles import Role, role_conflict
from ..workflow.admin import PMSOfficeAccessMixin, is_pms_office
from .company import CompanyColumnsMixin, DepartmentCodesMixin, GroupOrCompanyFilter
from .kept import KeptWhileReferencedMixin

User = get_user_model()
logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# Organisation and users


@admin.register(Department)
class DepartmentAdmin(CompanyColumnsMixin, KeptWhileReferencedMixin, PMSOfficeAccessMixin, SimpleHistoryAdmin):
    refused_because = _(
        "These departments cannot be deleted: records or the trail refer to them. Nothing has been deleted."
    )
    list_display = ["code", "name", "head", "member_count"]
    list_select_related = ["head"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["head"]

    def get_exclude(self, request, obj=None):
        # With one company every department is the default company's: nothing to choose.
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if group_has_several_companies() else [*exclude, "company"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj) -> int:
        return obj.member_count


class UserProfileInline(DepartmentCodesMixin, admin.StackedInline):
    model = UserProfile
    can_delete = False
    max_num = 1
    fields = ["department"]
    verbose_name = _("department")
    verbose_name_plural = _("department")


class RoleScopeFormSet(BaseInlineFormSet):
    """Refuses a role held twice for the whole group (the database would refuse the save)."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or self._should_delete_form(form):
                continue
            role, company = form.cleaned_data.get("role"), form.cleaned_data.get("company")
            if role and company is None:
                if role in seen:
                    form.add_error("company", gettext("This role is already held for the whole group."))
                seen.add(role)


class RoleScopeInline(admin.TabularInline):
    """For which companies the user holds each of their roles (incidents.roles)."""

    model = RoleScope
    formset = RoleScopeFormSet
    extra = 0
    fields = ["role", "company"]
    template = "admin/edit_inline/described_tabular.html"
    verbose_name = _("role scope")
    verbose_name_plural = _("role scopes: for which company each role is held")
    description = _(
        "Without a row, a role is held for the user's own company (their department's). A row with an empty "
        "company holds the role for the whole group; rows naming companies, for those companies. Only the "
        "roles ticked under “Groups” count."
    )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "company":
            field.empty_label = gettext("Whole group")
            field.help_text = _("Empty: the whole group.")
        return field


@admin.register(RoleScope)
class RoleScopeAdmin(SimpleHistoryAdmin):
    """Every role scope of every user, to look up who holds a role for which company. They are
    given on the user's page too (RoleScopeInline)."""

    list_display = ["user", "role", "company_display"]
    list_select_related = ["user", "company"]
    list_filter = ["role", ("company", GroupOrCompanyFilter)]
    search_fields = ["user__username", "user__last_name", "user__first_name"]
    autocomplete_fields = ["user"]
    fields = ["user", "role", "company"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "company":
            field.empty_label = gettext("Whole group")
        return field

    @admin.display(description=_("company"), ordering="company__position")
    def company_display(self, obj) -> str:
        return obj.company.name if obj.company_id else gettext("Whole group")


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
    inlines = [UserProfileInline, RoleScopeInline]
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
        # The two-step "add user" page asks only for the username and password; with one
        # company every role is the whole group's, and there is no scope to give.
        if obj is None:
            return []
        return [inline for inline in super().get_inline_instances(request, obj)
                if not isinstance(inline, RoleScopeInline) or group_has_several_companies()]

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
