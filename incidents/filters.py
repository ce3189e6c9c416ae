"""List filters shared by the web lists and the API (django-filter)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

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


class ChoicesFilter(django_filters.MultipleChoiceFilter):
    """One or more values of the record's own choice column (`?state=open&state=closed`).

    It cannot repeat a row, so without django-filter's DISTINCT (meant for filters across
    many-valued relations), which made the database sort every matching row, whole, before
    it could cut the page (bench/query_plans.md)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class DayFilter(django_filters.DateFilter):
    """A day (YYYY-MM-DD) that a moment falls on, in the current time zone (Japan time): what
    `<field>__date__gte` and `__date__lte` answer, asked as a range of moments, which the
    column's index serves (no index serves the date of a column; bench/query_plans.md).

    `lookup_expr` "gte": on that day or later (from its first moment); "lte": on that day or
    earlier (before the first moment of the next day)."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        if self.distinct:
            qs = qs.distinct()
        try:
            day, lookup = (value, "gte") if self.lookup_expr == "gte" else (value + dt.timedelta(days=1), "lt")
            bound = timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())
            bound.astimezone(dt.UTC)  # what the database is given
        except OverflowError:
            # Before the first or after the last moment a column can hold: every moment is on
            # or after the first day, and on or before the last one.
            return qs
        return self.get_method(qs)(**{f"{self.field_name}__{lookup}": bound})


class MenuChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """A menu's records read with one plain query. Django reads them with `.iterator()`, which
    on PostgreSQL opens a server-side cursor (DECLARE, FETCH, CLOSE: three statements, about
    0.35 ms more of the worker's CPU on every list page) for what is a handful of rows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for record in self.queryset:
            yield self.choice(record)


class MenuChoiceField(django_filters.fields.ModelChoiceField):
    iterator = MenuChoiceIterator


class MenuFilter(django_filters.ModelChoiceFilter):
    """One record among a few (a department): its menu read with one query (MenuChoiceIterator)."""

    field_class = MenuChoiceField


class IncidentFilter(django_filters.FilterSet):
    state = ChoicesFilter(choices=IncidentState.choices, label=_("state"))
    kind = ChoicesFilter(choices=IncidentKind.choices, label=_("kind"))
    severity = ChoicesFilter(choices=Severity.choices, label=_("severity"))
    department = MenuFilter(queryset=Department.objects.all(), label=_("department"))
    reportable = django_filters.BooleanFilter(label=_("reportable"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open only"))
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("report overdue only"),
        help_text=_("true: incidents with a report still pending past its limit; false: everything else."),
    )
    # Days in Japan time, compared as ranges of moments (DayFilter).
    discovered_from = DayFilter(
        field_name="discovered_at", lookup_expr="gte", label=_("discovered from"),
        help_text=_("Discovered on this day or later (YYYY-MM-DD, Japan time)."),
    )
    discovered_to = DayFilter(
        field_name="discovered_at", lookup_expr="lte", label=_("discovered to"),
        help_text=_("Discovered on this day or earlier (YYYY-MM-DD, Japan time)."),
    )
    reported_from = DayFilter(
        field_name="created_at", lookup_expr="gte", label=_("reported from"),
        help_text=_("Reported on this day or later (YYYY-MM-DD, Japan time)."),
    )
    reported_to = DayFilter(
        field_name="created_at", lookup_expr="lte", label=_("reported to"),
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
    state = ChoicesFilter(choices=ActionState.choices, label=_("state"))
    kind = ChoicesFilter(choices=ActionKind.choices, label=_("kind"))
    department = MenuFilter(queryset=Department.objects.all(), label=_("department"))
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
