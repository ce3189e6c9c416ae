"""Filters of the API lists that the web lists do not share."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from ..models import ReportingTrack, TrackKind, TrackState


class TrackFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=TrackKind.choices, label=_("report"))
    state = django_filters.MultipleChoiceFilter(choices=TrackState.choices, label=_("state"))
    incident = django_filters.NumberFilter(field_name="incident_id", label=_("incident"))
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("overdue only"),
        help_text=_("true: pending past the limit; false: everything else."),
    )

    class Meta:
        model = ReportingTrack
        fields = ["kind", "state", "incident"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = queryset.overdue()
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))
