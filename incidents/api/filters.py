"""Filters of the API lists that the web lists do not share, and the filter backends of
every API list: an invalid filter, ordering or page value is a 400 naming the parameter,
never silently ignored (which would answer with the whole list)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError

from ..filters import IntegerFilter
from ..models import ReportingTrack, TrackKind, TrackState


class TrackFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=TrackKind.choices, label=_("report"))
    state = django_filters.MultipleChoiceFilter(choices=TrackState.choices, label=_("state"))
    incident = IntegerFilter(field_name="incident_id", label=_("incident"))
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


BOOLEAN_VALUES = frozenset({"", "true", "false", "True", "False", "1", "0"})


class StrictDjangoFilterBackend(DjangoFilterBackend):
    """django-filter's backend (which already answers 400 for a value its form refuses),
    also refusing a yes/no filter given anything but true or false: django-filter reads
    `?reportable=maybe` as "not given" and would return the whole list."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        errors = {}
        for name, filter_ in filterset.filters.items():
            if isinstance(filter_, django_filters.BooleanFilter) and name in request.query_params:
                if any(value not in BOOLEAN_VALUES for value in request.query_params.getlist(name)):
                    errors[name] = [_("Enter true or false.")]
        if errors:
            raise ValidationError(errors)
        if not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        return filterset.qs


class StrictSearchFilter(drf_filters.SearchFilter):
    """DRF's search, whose refusal of a search term (a null character) names the parameter
    like every other 400 of the API, instead of a bare list."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except ValidationError as error:
            raise ValidationError({self.search_param: error.detail}) from None


class StrictOrderingFilter(drf_filters.OrderingFilter):
    """DRF's ordering, answering 400 for a field the list cannot be ordered by (DRF drops it)."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid_fields = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
        invalid = [term for term in fields if term.lstrip("-") not in valid_fields]
        if invalid:
            raise ValidationError({self.ordering_param: [
                _("Cannot order by %(fields)s. Choose among: %(valid)s.")
                % {"fields": ", ".join(invalid), "valid": ", ".join(sorted(valid_fields))}
            ]})
        return super().remove_invalid_fields(queryset, fields, view, request)
