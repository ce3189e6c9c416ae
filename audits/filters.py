"""List filters of the audits app (django-filter), for the API and any list that wants them."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from incidents.filters import ChoicesFilter, IntegerFilter, MenuFilter
from incidents.models import Department

from .models import Audit, AuditKind, AuditState, Finding, FindingState, Grade, Requirement, Standard


class RequirementFilter(django_filters.FilterSet):
    standard = django_filters.ChoiceFilter(choices=Standard.choices, label=_("standard"))
    edition = django_filters.CharFilter(label=_("edition"))
    verified = django_filters.BooleanFilter(label=_("verified"))

    class Meta:
        model = Requirement
        fields = ["standard", "edition", "verified"]


class AuditFilter(django_filters.FilterSet):
    state = ChoicesFilter(choices=AuditState.choices, label=_("state"))
    kind = ChoicesFilter(choices=AuditKind.choices, label=_("kind"))
    fiscal_year = IntegerFilter(label=_("fiscal year"))
    department = MenuFilter(
        field_name="departments", queryset=Department.objects.all(), label=_("department"),
        help_text=_("Audits whose scope includes this department."),
    )

    class Meta:
        model = Audit
        fields = ["state", "kind", "fiscal_year", "department"]


class FindingFilter(django_filters.FilterSet):
    state = ChoicesFilter(choices=FindingState.choices, label=_("state"))
    grade = ChoicesFilter(choices=Grade.choices, label=_("grade"))
    department = MenuFilter(queryset=Department.objects.all(), label=_("department"))
    audit = IntegerFilter(field_name="audit_id", label=_("audit"))
    awaiting_my_response = django_filters.BooleanFilter(
        method="filter_awaiting_my_response", label=_("awaiting my department's response"),
        help_text=_("true: open findings of the departments you head; false: everything else."),
    )

    response_overdue = django_filters.BooleanFilter(
        method="filter_response_overdue", label=_("response overdue"),
        help_text=_("true: open findings past their response deadline; false: everything else."),
    )

    class Meta:
        model = Finding
        fields = ["state", "grade", "department", "audit"]

    def filter_response_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.response_overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_awaiting_my_response(self, queryset, name, value):
        if value is None:
            return queryset
        awaiting = queryset.awaiting_response_from(self.request.user)
        return awaiting if value else queryset.exclude(pk__in=awaiting.values("pk"))
