"""The audits API's list filters: those shared with the web lists (audits.filters), and the
company every API list filters by."""

from __future__ import annotations

from django.db.models import Q

from incidents.api.filters import company_filter
from incidents.models import Company

from ..filters import AuditFilter, FindingFilter
from ..fiscal import fiscal_year_bounds


class AuditApiFilter(AuditFilter):
    company = company_filter()

    class Meta(AuditFilter.Meta):
        fields = [*AuditFilter.Meta.fields, "company"]


class FindingApiFilter(FindingFilter):
    company = company_filter()

    class Meta(FindingFilter.Meta):
        fields = [*FindingFilter.Meta.fields, "company"]


def of_fiscal_year(reviews, year):
    """The reviews whose period starts in fiscal year `year` of their company (the group's
    reviews: of the default company's fiscal year). The companies' fiscal years may start in
    different months: one range per start month."""
    months: dict[int, tuple[Company, Q]] = {}
    for company in Company.objects.only("pk", "fiscal_year_start_month", "is_default"):
        match = Q(company_id=company.pk)
        if company.is_default:
            match |= Q(company__isnull=True)
        month = company.fiscal_year_start_month
        months[month] = (months[month][0], months[month][1] | match) if month in months else (company, match)
    matches = Q(pk__in=[])
    try:
        for company, match in months.values():
            first, last = fiscal_year_bounds(int(year), company)
            matches |= match & Q(period_start__range=(first, last))
    except (ValueError, OverflowError):
        return reviews.none()
    return reviews.filter(matches)
