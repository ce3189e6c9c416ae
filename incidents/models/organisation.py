"""Departments, who belongs where, the pick-lists and the reference-number counters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from trail.history import TrailedHistory
from trail.people import person_name  # noqa: F401  (one naming rule for pages and trail)

from ..roles import Role, has_role
from .company import Company

# ---------------------------------------------------------------------------
# Organisation


class Department(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, blank=True, related_name="departments",
        help_text=_("Left empty, the default company."),
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("department head"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_departments",
    )

    history = TrailedHistory()

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        # Its name, as people call it; the code is for the admin (admin_label) and the records.
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.company_id is None:  # today's API clients, imports and scripts name none
            self.company = Company.objects.default()
        super().save(*args, **kwargs)

    @property
    def admin_label(self) -> str:
        """The code and the name ("SALES 営業部"): the admin's lists and choices, where two
        companies' departments of one name (管理部) must be told apart."""
        return f"{self.code} {self.name}"


class UserProfile(models.Model):
    """The department a user belongs to (roles are Django groups, see roles.py)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="members",
    )
    # How the name reads (カナ): person pickers find 「たなか」 or 「タナカ」 as well as 「田中」.
    name_kana = models.CharField(_("name reading (kana)"), max_length=100, blank=True,
                                 help_text=_("For example タナカ ミサキ: searched by the person pickers."))

    history = TrailedHistory()

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")

    def __str__(self) -> str:
        return str(self.user)


def department_of(user) -> Department | None:
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    return profile.department if profile else None


# ---------------------------------------------------------------------------
# Pick-lists (editable in the admin, seeded with the JIPDEC taxonomy, domain.md §5.1)


class PickList(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name_en if (get_language() or "ja").startswith("en") else self.name_ja


class EventClass(PickList):
    history = TrailedHistory()

    class Meta(PickList.Meta):
        verbose_name = _("event class")
        verbose_name_plural = _("event classes")


class CauseCategory(PickList):
    history = TrailedHistory()

    class Meta(PickList.Meta):
        verbose_name = _("cause category")
        verbose_name_plural = _("cause categories")


# ---------------------------------------------------------------------------
# Reference numbers


class ReferenceCounter(models.Model):
    """Last number handed out per prefix and year (INC-2026-0042, ACT-2026-0107)."""

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="unique_counter_per_year")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_number}"


def headed_department_ids(user) -> list[int]:
    """Departments a department head answers for: those naming them head, and their own."""
    if not has_role(user, Role.DEPARTMENT_HEAD):
        return []
    cached = getattr(user, "_pms_headed_departments", None)
    if cached is None:
        ids = set(Department.objects.filter(head=user).values_list("id", flat=True))
        own = UserProfile.objects.filter(user=user).values_list("department_id", flat=True).first()
        if own:
            ids.add(own)
        cached = user._pms_headed_departments = sorted(ids)
    return cached
