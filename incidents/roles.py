"""The six roles of design.md, held as Django groups (a user may hold several)."""

from __future__ import annotations

from typing import NamedTuple

from django.db import models
from django.db.models import CharField, IntegerField, Value
from django.utils.translation import gettext_lazy as _

from config.compiled_sql import CompiledQuery


class Role(models.TextChoices):
    STAFF = "staff", _("Staff")
    PMS_MANAGER = "pms_manager", _("PMS manager / office")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    AUDITOR = "auditor", _("Internal auditor")
    AUDIT_LEAD = "audit_lead", _("Audit lead")
    EXECUTIVE = "executive", _("Top management")


# The key of _scopes() for the user's own company (the roles held without a RoleScope row): never a role's name.
HOME = "home"
# What each row of _access() is: a group held, or a role's scope (HOME: the user's own company).
_GROUP, _SCOPE = "group", "scope"

# Roles whose job needs every incident and action (design.md "Roles").
SEES_EVERYTHING = frozenset({Role.PMS_MANAGER, Role.AUDITOR, Role.AUDIT_LEAD, Role.EXECUTIVE})


def roles_of(user) -> frozenset[str]:
    """The role names the user holds, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    return _access(user).roles


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
        scope = scopes.get(role, scopes[HOME])
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
    """{role: frozenset of company ids, or None for the group}, and HOME: the user's own
    company, for the roles without a RoleScope row. Cached on the user for the request."""
    cached = getattr(user, "_pms_scopes", None)
    if cached is not None:
        return cached
    from .models.company import group_companies, group_has_several_companies

    if not group_has_several_companies():
        # One company is the whole group: every role is held for all of it.
        user._pms_scopes = {HOME: None}
        return user._pms_scopes
    access = _access(user)
    home = access.own_company
    if home is None:  # no department: the default company
        home = next((company.pk for company in group_companies() if company.is_default), None)
    user._pms_scopes = {**access.scopes, HOME: frozenset({home}) if home is not None else frozenset()}
    return user._pms_scopes


class _Access(NamedTuple):
    roles: frozenset[str]  # the groups held
    scopes: dict  # {role: frozenset of company ids, or None for the group}, from the RoleScope rows
    own_company: int | None  # the company of the user's department


def _access(user) -> _Access:
    """The groups a user holds, the RoleScope rows of their roles and the company of their own
    department, in one query (a union): every page asks for all three (the navigation, the
    header's switcher, each list's visibility). Cached on the user object for the request."""
    cached = getattr(user, "_pms_access", None)
    if cached is not None:
        return cached
    rows = _ACCESS_QUERY.rows(user.pk)
    roles: set[str] = set()
    scopes: dict = {}
    own_company = None
    for mark, name, company_id in rows:
        if mark == _GROUP:
            roles.add(name)
        elif mark == HOME:
            own_company = company_id
        elif company_id is None:
            scopes[name] = None
        elif name not in scopes or scopes[name] is not None:
            scopes[name] = (scopes.get(name) or frozenset()) | {company_id}
    user._pms_access = _Access(frozenset(roles), scopes, own_company)
    return user._pms_access


def _access_rows(user_id: int):
    from django.contrib.auth.models import Group

    from .models.company import RoleScope
    from .models.organisation import UserProfile

    def marked(queryset, mark: str, name, company):
        # (what the row is, a group's or a role's name, a company id), in no order: the sets
        # below need none, and RoleScope's ordering would join the company table.
        return queryset.order_by().values_list(Value(mark, output_field=CharField()), name, company)

    return marked(Group.objects.filter(user__id=user_id), _GROUP, "name", Value(None, output_field=IntegerField())).union(
        marked(RoleScope.objects.filter(user_id=user_id), _SCOPE, "role", "company_id"),
        marked(UserProfile.objects.filter(user_id=user_id, department__isnull=False), HOME, Value(""),
               "department__company_id"),
        all=True,
    )


# Sent by every request: its SQL written once (config/compiled_sql.py).
_ACCESS_QUERY = CompiledQuery(_access_rows)


def role_conflict(role_names) -> str | None:
    """The audit lead and the PMS manager are never the same person (domain.md §2.4)."""
    from django.utils.translation import gettext as _

    if {Role.AUDIT_LEAD, Role.PMS_MANAGER} <= set(role_names):
        return _("The audit lead and the PMS manager must be different people: a user cannot hold both roles.")
    return None
