"""The six roles of design.md, held as Django groups (a user may hold several)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STAFF = "staff", _("Staff")
    PMS_MANAGER = "pms_manager", _("PMS manager / office")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    AUDITOR = "auditor", _("Internal auditor")
    AUDIT_LEAD = "audit_lead", _("Audit lead")
    EXECUTIVE = "executive", _("Top management")


# Roles whose job needs every incident and action (design.md "Roles").
SEES_EVERYTHING = frozenset({Role.PMS_MANAGER, Role.AUDITOR, Role.AUDIT_LEAD, Role.EXECUTIVE})


def roles_of(user) -> frozenset[str]:
    """The role names the user holds, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_pms_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._pms_roles = cached
    return cached


def _company_id(company) -> int | None:
    return getattr(company, "pk", company)


def has_role(user, *roles: str, company=None) -> bool:
    """Whether the user holds one of `roles`: anywhere in the group, or, given a company
    (or its id), for that company."""
    if company is None:
        return bool(roles_of(user) & set(roles))
    companies = role_companies(user, *roles)
    return companies is None or _company_id(company) in companies


def is_pms_manager(user, company=None) -> bool:
    return has_role(user, Role.PMS_MANAGER, company=company)


def sees_everything(user, company=None) -> bool:
    """Whether the user reads every record (of `company`, if given; else of some company)."""
    if user is not None and user.is_active and user.is_superuser:
        return True
    return has_role(user, *SEES_EVERYTHING, company=company)


def role_companies(user, *roles: str) -> frozenset[int] | None:
    """The ids of the companies for which the user holds one of `roles`; None for the
    whole group (roles held group-wide, and every role of a single-company installation);
    empty if they hold none."""
    held = roles_of(user) & set(roles)
    if not held:
        return frozenset()
    scopes = _scopes(user)
    companies: set[int] = set()
    for role in held:
        scope = scopes.get(role, scopes["home"])
        if scope is None:
            return None
        companies |= scope
    return frozenset(companies)


def seen_companies(user) -> frozenset[int] | None:
    """The companies whose every record the user reads (None: the whole group, as superusers)."""
    if user is not None and user.is_authenticated and user.is_active and user.is_superuser:
        return None
    return role_companies(user, *SEES_EVERYTHING)


def _scopes(user) -> dict:
    """{role: frozenset of company ids, or None for the group}, and "home": the user's own
    company, for the roles without a RoleScope row. Cached on the user for the request."""
    cached = getattr(user, "_pms_scopes", None)
    if cached is not None:
        return cached
    from .models.company import Company, RoleScope, group_has_several_companies
    from .models.organisation import UserProfile

    if not group_has_several_companies():
        # One company is the whole group: every role is held for all of it.
        user._pms_scopes = {"home": None}
        return user._pms_scopes
    scopes: dict = {}
    # In no order (the sets below need none): the model's ordering joins the company table, on every request.
    for role, company_id in RoleScope.objects.filter(user=user).order_by().values_list("role", "company_id"):
        if company_id is None:
            scopes[role] = None
        elif role not in scopes or scopes[role] is not None:
            scopes[role] = (scopes.get(role) or frozenset()) | {company_id}
    home = (UserProfile.objects.filter(user=user, department__isnull=False)
            .values_list("department__company_id", flat=True).first())
    if home is None:
        home = Company.objects.filter(is_default=True).values_list("pk", flat=True).first()
    scopes["home"] = frozenset({home}) if home is not None else frozenset()
    user._pms_scopes = scopes
    return scopes


def role_conflict(role_names) -> str | None:
    """The audit lead and the PMS manager are never the same person (domain.md §2.4)."""
    from django.utils.translation import gettext as _

    if {Role.AUDIT_LEAD, Role.PMS_MANAGER} <= set(role_names):
        return _("The audit lead and the PMS manager must be different people: a user cannot hold both roles.")
    return None
