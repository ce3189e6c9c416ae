"""The company a group-scoped reader is looking at (the header's company switcher).

Someone who reads several companies' records (the group PMS office, group auditors and
executives, or a person scoped to more than one company) may narrow every list and the
home page to one company; the choice is kept in the session. It only narrows what they may
see anyway: visibility is decided by the models' visible_to, never here.
"""

from __future__ import annotations

from .models import Company
from .models.company import group_companies
from .roles import seen_companies

SESSION_KEY = "pms_company"


def switchable_companies(user) -> list[Company]:
    """The companies `user` may switch among (empty: no switcher, one company or one scope).
    Read once per request: cached on the user object, as the roles are (incidents.roles)."""
    cached = getattr(user, "_pms_switchable", None)
    if cached is None:
        cached = user._pms_switchable = _switchable(user)
    return cached


def _switchable(user) -> list[Company]:
    companies = group_companies()  # read once per request, with the header's "several companies?"
    if len(companies) <= 1:
        return []
    seen = seen_companies(user)
    if seen is None:
        return companies
    mine = [company for company in companies if company.pk in seen]
    return mine if len(mine) > 1 else []


def current_company(request) -> Company | None:
    """The company chosen in the switcher, if it is still one the user may choose; else None (all)."""
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if not chosen:
        return None
    # Every list of a page narrows by it: the companies are read once per request (a to-do
    # page narrowed to one company read them 7 times).
    for company in switchable_companies(request.user):
        if company.pk == chosen:
            return company
    return None


def choose_company(request, company: Company | None) -> None:
    if company is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = company.pk


def narrow(queryset, request, field: str = "company"):
    """`queryset` limited to the company chosen in the switcher (unchanged when none is)."""
    company = current_company(request)
    return queryset.filter(**{field: company}) if company is not None else queryset
