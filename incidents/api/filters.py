"""Filters of the API lists that the web lists do not share, and the filter backends of
every API list: an invalid filter, ordering or page value is a 400 naming the parameter,
never silently ignored (which would answer with the whole list)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as FormValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError

from ..filters import DB_INTEGER_MAX, ActionFilter, ChoicesFilter, IncidentFilter, IntegerFilter
from ..models import Company, ReportingTrack, TrackKind, TrackState

COMPANY_FILTER_HELP = _(
    "Records of this group company (its id, as GET /api/companies/ lists them); repeat the parameter "
    "for several. It only narrows what you may see anyway."
)


class CompanyChoiceField(django_filters.fields.ModelMultipleChoiceField):
    """Company ids, each a whole number the database can hold before it is looked up (a huge
    one would overflow the query: a 500) and then a company's."""

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(str(pk))
            except (TypeError, ValueError):
                continue  # refused by Django's own check, as not a valid value
            if not -DB_INTEGER_MAX - 1 <= number <= DB_INTEGER_MAX:
                raise FormValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                          params={"value": pk})
        return super()._check_values(value)


class CompanyIdsFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = CompanyChoiceField


def company_filter(field_name: str = "company", help_text=COMPANY_FILTER_HELP):
    """The `company` filter of every API list: one or more company ids (`?company=1&company=2`).
    An id that is no company is a 400 naming the parameter, as for a department. A record has
    one company: no DISTINCT (see ChoicesFilter)."""
    return CompanyIdsFilter(
        field_name=field_name, queryset=Company.objects.all(), label=_("company"), help_text=help_text,
        distinct=False,
    )


class IncidentApiFilter(IncidentFilter):
    """The incident list's filters (shared with the web list), the company and the handler."""

    company = company_filter()
    handler = IntegerFilter(field_name="handler_id", label=_("handler"))

    class Meta(IncidentFilter.Meta):
        fields = [*IncidentFilter.Meta.fields, "company", "handler"]


class ActionApiFilter(ActionFilter):
    """The action list's filters (shared with the web list), and the company."""

    company = company_filter()

    class Meta(ActionFilter.Meta):
        fields = [*ActionFilter.Meta.fields, "company"]


class CompanyFilter(django_filters.FilterSet):
    holds_privacymark = django_filters.BooleanFilter(label=_("holds PrivacyMark"))
    iso27001_certified = django_filters.BooleanFilter(label=_("ISO/IEC 27001 certified"))

    class Meta:
        model = Company
        fields = ["holds_privacymark", "iso27001_certified"]


class TrackFilter(django_filters.FilterSet):
    kind = ChoicesFilter(choices=TrackKind.choices, label=_("report"))
    state = ChoicesFilter(choices=TrackState.choices, label=_("state"))
    incident = IntegerFilter(field_name="incident_id", label=_("incident"))
    company = company_filter("incident__company", help_text=_(
        "Reports of the incidents of this group company (its id); repeat the parameter for several."
    ))
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("overdue only"),
        help_text=_("true: pending past the limit; false: everything else."),
    )

    class Meta:
        model = ReportingTrack
        fields = ["kind", "state", "incident", "company"]

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
