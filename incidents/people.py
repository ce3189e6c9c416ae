"""Who may be chosen for a duty, and finding them by name, reading or login (the person pickers).

`eligible()` is roles.has_role in one query: an active user holding one of the roles (a
Django group), for the company when one is given (RoleScope rows, else their own
company). A superuser is no exception: without the role they are not offered, since the
duty would land on an account nobody works from. `search()` narrows such a list to what
was typed: 「田中」, 「たなか」, 「タナカ」, 「ﾀﾅｶ」 and "tanaka" all find 田中 美咲 (tanaka).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Concat, Replace
from django.utils.translation import gettext as _

from trail.people import person_name

from .roles import Role

# Search answers are short lists: the picker shows these many, the rest by typing more.
SEARCH_LIMIT = 20

_HIRAGANA = "".join(chr(code) for code in range(0x3041, 0x3097))
_KATAKANA = "".join(chr(code) for code in range(0x30A1, 0x30F7))
TO_KATAKANA = str.maketrans(_HIRAGANA, _KATAKANA)
TO_HIRAGANA = str.maketrans(_KATAKANA, _HIRAGANA)


def role_names(roles: str | Iterable[str] | None) -> tuple[str, ...]:
    """The roles as a tuple of names; None is any of the six roles (anyone in the PMS)."""
    if roles is None:
        return tuple(Role.values)
    if isinstance(roles, str):
        return (roles,)
    return tuple(roles)


def eligible(role: str | Iterable[str] | None = None, *, company=None, keep: Iterable = ()) -> QuerySet:
    """The active users holding one of `role` (None: any role), for `company` (a Company or
    its id) when given, in picker order; `keep` (ids), the people a record already names,
    stay offered whatever became of them, so that re-saving it does not fail."""
    users = get_user_model().objects.all()
    holds = Q()
    several = _several_companies(company)
    for name in role_names(role):
        holds |= _holds(name, company=company, several=several)
    kept = [pk for pk in keep if pk]
    query = Q(is_active=True) & holds
    if kept:
        query |= Q(pk__in=kept)
    return ordered(users.filter(query))


def ordered(users: QuerySet) -> QuerySet:
    """By department code (those without one last), then by reading, name and login; with
    what the labels need in the same query."""
    return users.select_related("profile__department__company").order_by(
        F("profile__department__code").asc(nulls_last=True),
        # Those with a reading first, in kana order; the others by name.
        Case(When(profile__name_kana__gt="", then=Value(0)), default=Value(1), output_field=IntegerField()),
        "profile__name_kana", "last_name", "first_name", "username",
    )


def _several_companies(company) -> dict | None:
    """{"default": id} when `company` narrows anything (a group of several companies), else None."""
    if company is None:
        return None
    from .models.company import group_companies

    rows = [(company.pk, company.is_default) for company in group_companies()]  # read once a request
    if len(rows) <= 1:
        return None  # one company is the whole group: every role is held for all of it
    return {"default": next((pk for pk, is_default in rows if is_default), None)}


def _holds(role: str, *, company, several: dict | None) -> Q:
    """Q: the user is in the role's group and, given a company of a group, holds it there
    (roles._scopes: a RoleScope row for the company or the whole group; without rows for
    the role, the user's own company: their department's, else the default company)."""
    from .models.company import RoleScope

    member = Group.objects.filter(name=role, user=OuterRef("pk"))
    query = Q(Exists(member))
    if several is None:
        return query
    company_id = getattr(company, "pk", company)
    scopes = RoleScope.objects.filter(user=OuterRef("pk"), role=role)
    home = Q(profile__department__company_id=company_id)
    if company_id == several["default"]:
        home |= Q(profile__department__isnull=True)
    scoped = Exists(scopes.filter(Q(company__isnull=True) | Q(company_id=company_id)))
    return query & (Q(scoped) | (~Q(Exists(scopes)) & home))


def normalise(text: str) -> str:
    """Half-width kana and full-width letters folded (NFKC), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def search(users: QuerySet, text: str) -> QuerySet:
    """The users whose name, reading, login, e-mail or department match every word of `text`.

    A reading typed in hiragana finds one recorded in katakana and the reverse; a full
    name may be typed without its space (田中美咲, たなかみさき).
    """
    terms = normalise(text).split(" ") if text.strip() else []
    if not terms:
        return users
    users = users.annotate(
        _picker_name=Concat("last_name", "first_name"),
        _picker_name_western=Concat("first_name", "last_name"),
        _picker_kana=Replace(Replace("profile__name_kana", Value(" "), Value("")), Value("\u3000"), Value("")),
    )
    for term in terms:
        match = Q()
        for field in ("last_name", "first_name", "username", "email", "_picker_name", "_picker_name_western",
                      "profile__department__name", "profile__department__code"):
            match |= Q(**{f"{field}__icontains": term})
        for reading in {term.translate(TO_KATAKANA), term.translate(TO_HIRAGANA)}:
            match |= Q(_picker_kana__icontains=reading)
        users = users.filter(match)
    return users


def department_label(user, *, with_company: bool = False) -> str:
    """The user's department as the pickers show it ("" without one)."""
    profile = getattr(user, "profile", None)
    department = profile.department if profile is not None else None
    if department is None:
        return ""
    return f"{department.company.name} {department.name}" if with_company else department.name


def label(user, *, with_company: bool = False) -> str:
    """「田中 美咲（営業部）」: the name (the login when none is recorded) and the department."""
    name = person_name(user) or user.username
    department = department_label(user, with_company=with_company)
    if not department:
        return name
    return _("%(name)s (%(department)s)") % {"name": name, "department": department}


def reading(user) -> str:
    profile = getattr(user, "profile", None)
    return profile.name_kana if profile is not None else ""


def as_json(user, *, with_company: bool = False) -> dict:
    """One search answer, as the picker's script reads it."""
    return {
        "id": user.pk,
        "name": person_name(user) or user.username,
        "kana": reading(user),
        "department": department_label(user, with_company=with_company),
        "username": user.username,
        "label": label(user, with_company=with_company),
    }


def parse_roles(value: str) -> tuple[str, ...] | None:
    """`auditor,audit_lead` → the roles; "" → None (any role); ValueError for an unknown name."""
    names = tuple(name for name in re.split(r"[,\s]+", value.strip()) if name)
    if not names:
        return None
    unknown = [name for name in names if name not in Role.values]
    if unknown:
        raise ValueError(", ".join(unknown))
    return names
