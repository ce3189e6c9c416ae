"""The group's companies in the admin, and what the records' admins share about them.

A company is reference data, like a department: the PMS office looks at every company; the
group's PMS office (the role held for the whole group) adds them, and a company's PMS
manager keeps their own company's data up to date. Nothing a record refers to is deleted
(KeptWhileReferencedMixin). With one company the records' admins show no company
(`CompanyColumnsMixin`).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..models import Company, Department, PrivacyDesk, group_has_several_companies
from ..roles import Role, has_role, role_companies
from ..workflow.admin import PMSOfficeAccessMixin
from .kept import KeptWhileReferencedMixin


def for_the_whole_group(request) -> bool:
    """The PMS office of the whole group (or a superuser)."""
    user = request.user
    return user.is_active and (user.is_superuser or (
        has_role(user, Role.PMS_MANAGER) and role_companies(user, Role.PMS_MANAGER) is None
    ))


def _with_department_codes(db_field, formfield):
    if formfield is not None and db_field.related_model is Department:
        formfield.label_from_instance = lambda department: department.admin_label
    return formfield


class DepartmentCodesMixin:
    """Department choices labelled with their code ("SALES 営業部"): the pages name a
    department by its name only, but in the admin two companies may each have a 管理部."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _with_department_codes(db_field, super().formfield_for_foreignkey(db_field, request, **kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return _with_department_codes(db_field, super().formfield_for_manytomany(db_field, request, **kwargs))


class CompanyColumnsMixin(DepartmentCodesMixin):
    """The company column and filter of a record's list, shown only when the group has
    several companies (`company_field`: the record's company, through a relation if need be)."""

    company_field = "company"
    company_column = None  # the column, when not the field itself (a display method)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        column = self.company_column or self.company_field
        if group_has_several_companies() and column not in columns:
            # After the record's reference and title.
            columns.insert(min(2, len(columns)), column)
        return columns

    company_list_filter = None  # a filter class of its own, when not Django's for the field

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if group_has_several_companies() and self.company_field not in filters:
            filters.insert(0, (self.company_field, self.company_list_filter) if self.company_list_filter
                           else self.company_field)
        return filters

    def get_list_select_related(self, request):
        related = super().get_list_select_related(request)
        if related is True or not group_has_several_companies():
            return related
        return [*(related or []), self.company_field]


class GroupOrCompanyFilter(admin.RelatedFieldListFilter):
    """The company filter of records that may belong to the whole group (a review without
    company): that choice is named so rather than "-"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_value_display = gettext("Whole group")


class CompanyAdminForm(forms.ModelForm):
    """Refuses a second default company or a second joint-use manager with a message naming
    the one there is (the database refuses them anyway)."""

    class Meta:
        model = Company
        fields = [
            "code", "name", "corporate_number", "position", "is_default", "holds_privacymark", "privacymark_number",
            "privacymark_body", "iso27001_certified", "iso27001_certificate", "leak_authority",
            "leak_authority_name", "fiscal_year_start_month", "privacy_officer", "joint_use_manager",
            "request_target_days", "identity_copy_retention_days",
        ]

    # Left empty: the default (a 14-day target for requests, identity copies kept 30 days).
    defaulted_fields = ("request_target_days", "identity_copy_retention_days")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.defaulted_fields:
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in self.defaulted_fields:
            if name in self.fields and cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = Company._meta.get_field(name).default
        others = Company.objects.exclude(pk=self.instance.pk)
        for field, message in (
            ("is_default", _("%(company)s is the default company: untick it there first (there is one default).")),
            ("joint_use_manager", _("%(company)s is responsible for the jointly used data: untick it there first "
                                    "(one company is responsible).")),
        ):
            other = others.filter(**{field: True}).first() if cleaned.get(field) else None
            if other is not None:
                self.add_error(field, message % {"company": other.name})
        return cleaned


class PrivacyDeskInline(admin.StackedInline):
    """The company's desk for requests and complaints: what its letters and request form print."""

    model = PrivacyDesk
    can_delete = False
    extra = 0
    max_num = 1


@admin.register(Company)
class CompanyAdmin(KeptWhileReferencedMixin, PMSOfficeAccessMixin, SimpleHistoryAdmin):
    form = CompanyAdminForm
    inlines = [PrivacyDeskInline]
    refused_because = _(
        "These companies cannot be deleted: departments, records or the trail refer to them. Nothing has "
        "been deleted."
    )
    list_display = [
        "code", "name", "corporate_number", "holds_privacymark", "iso27001_certified", "leak_authority_display",
        "is_default", "joint_use_manager",
    ]
    list_display_links = ["code", "name"]
    list_filter = ["holds_privacymark", "iso27001_certified", "leak_authority"]
    search_fields = ["code", "name", "corporate_number"]
    autocomplete_fields = ["privacy_officer"]
    fieldsets = [
        (None, {"fields": ["code", "name", "corporate_number", "position", "is_default"]}),
        (_("Certification"), {"fields": [
            "holds_privacymark", "privacymark_number", "privacymark_body", "iso27001_certified",
            "iso27001_certificate",
        ]}),
        (_("Reporting and fiscal year"), {"fields": [
            "leak_authority", "leak_authority_name", "fiscal_year_start_month",
        ]}),
        (_("Personal information protection"), {"fields": ["privacy_officer", "joint_use_manager"]}),
        (_("Requests from individuals"), {"fields": ["request_target_days", "identity_copy_retention_days"]}),
    ]

    def has_add_permission(self, request):
        # A new group company is the whole group's business.
        return admin.ModelAdmin.has_add_permission(self, request) or for_the_whole_group(request)

    def has_change_permission(self, request, obj=None):
        if admin.ModelAdmin.has_change_permission(self, request, obj) or for_the_whole_group(request):
            return True
        # A company's PMS manager keeps their own company's data.
        if obj is None:
            return has_role(request.user, Role.PMS_MANAGER)
        return has_role(request.user, Role.PMS_MANAGER, company=obj.pk)

    @admin.display(description=_("reports leaks to"), ordering="leak_authority")
    def leak_authority_display(self, obj) -> str:
        return obj.leak_authority_display
