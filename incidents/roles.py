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


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_pms_manager(user) -> bool:
    return has_role(user, Role.PMS_MANAGER)


def sees_everything(user) -> bool:
    return bool(user.is_active and user.is_superuser) or has_role(user, *SEES_EVERYTHING)


def role_conflict(role_names) -> str | None:
    """The audit lead and the PMS manager are never the same person (domain.md §2.4)."""
    from django.utils.translation import gettext as _

    if {Role.AUDIT_LEAD, Role.PMS_MANAGER} <= set(role_names):
        return _("The audit lead and the PMS manager must be different people: a user cannot hold both roles.")
    return None
