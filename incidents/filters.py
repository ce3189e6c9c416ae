"""List filters shared by the web lists and the API (django-filter)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from .models import (
    Action,
    ActionKind,
    ActionState,
    Department,
    Incident,
    IncidentKind,
    IncidentState,
    ReportingTrack,
    Severity,
)

# The range of the database's integer columns (64-bit, signed).
DB_INTEGER_MAX = 2**63 - 1


class IntegerFilter(django_filters.NumberFilter):
    """A whole number within the database's integer range, else a 400 naming the filter.

    django-filter's NumberFilter takes any decimal: `?owner=-2.4e56` reached the database,
    which cannot hold it (OverflowError on SQLite, a DataError on PostgreSQL: a 500).
    """

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -DB_INTEGER_MAX - 1)
        kwargs.setdefault("max_value", DB_INTEGER_MAX)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None  # the field's own max_value


class IncidentFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=IncidentState.choices, label=_("state"))
    kind = django_filters.MultipleChoiceFilter(choices=IncidentKind.choices, label=_("kind"))
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, label=_("severity"))
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all(), label=_("department"))
    reportable = django_filters.BooleanFilter(label=_("reportable"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open only"))
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("report overdue only"),
        help_text=_("true: incidents with a report still pending past its limit; false: everything else."),
    )
    # Days in Japan time (the database compares the local date of the moment).
    discovered_from = django_filters.DateFilter(
        field_name="discovered_at", lookup_expr="date__gte", label=_("discovered from"),
        help_text=_("Discovered on this day or later (YYYY-MM-DD, Japan time)."),
    )
    discovered_to = django_filters.DateFilter(
        field_name="discovered_at", lookup_expr="date__lte", label=_("discovered to"),
        help_text=_("Discovered on this day or earlier (YYYY-MM-DD, Japan time)."),
    )
    reported_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("reported from"),
        help_text=_("Reported on this day or later (YYYY-MM-DD, Japan time)."),
    )
    reported_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("reported to"),
        help_text=_("Reported on this day or earlier (YYYY-MM-DD, Japan time)."),
    )

    class Meta:
        model = Incident
        fields = ["state", "kind", "severity", "department", "reportable"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.open() if value else queryset.exclude(pk__in=queryset.open().values("pk"))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Exists(ReportingTrack.objects.overdue().filter(incident=OuterRef("pk")))
        return queryset.filter(late) if value else queryset.exclude(late)


class ActionFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ActionState.choices, label=_("state"))
    kind = django_filters.MultipleChoiceFilter(choices=ActionKind.choices, label=_("kind"))
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all(), label=_("department"))
    incident = IntegerFilter(field_name="incident_id", label=_("incident"))
    owner = IntegerFilter(field_name="owner_id", label=_("owner"))
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte", label=_("due on or after"))
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label=_("due on or before"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue only"))

    class Meta:
        model = Action
        fields = ["state", "kind", "department", "incident", "owner"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))
