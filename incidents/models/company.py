"""The group's companies, and for which company a person holds each role.

A single-company installation has one Company, the default, made by the migration from
the settings it used before (COMPANY_NAME, FISCAL_YEAR_START_MONTH); every record created
without naming a company belongs to it, and the pages show no company while there is
only one. A group adds its companies in the admin.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trail.history import TrailedHistory

from ..roles import Role


def corporate_number_problem(number: str) -> str | None:
    """Why `number` is not a valid 法人番号, or None.

    Thirteen digits, the first of which is the check digit of the other twelve:
    9 − (Σ Pn × Qn mod 9), Pn the n-th digit counted from the right of the twelve, Qn 1
    for odd n and 2 for even n (法人番号の指定等に関する省令 art. 2; 国税庁「法人番号の
    チェックデジットの計算方法」).
    """
    if len(number) != 13 or not number.isascii() or not number.isdigit():
        return _("A corporate number (法人番号) is 13 digits.")
    base = number[1:]
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base), start=1))
    if int(number[0]) != 9 - total % 9:
        return _("This corporate number's check digit (its first digit) does not match: check for a typing mistake.")
    return None


def validate_corporate_number(value: str) -> None:
    problem = corporate_number_problem(value)
    if problem:
        raise ValidationError(problem, code="corporate_number")


class LeakAuthority(models.TextChoices):
    """Where the company reports a leak (APPI art. 26(1), art. 150: the PPC may delegate
    its authority over a sector to the minister in charge of it)."""

    PPC = "ppc", _("Personal Information Protection Commission (PPC)")
    DELEGATED = "delegated", _("The minister to whom the PPC delegated its authority")


class CompanyQuerySet(models.QuerySet):
    def default(self) -> Company:
        return self.get(is_default=True)


# Within a request (incidents.middleware.CompaniesReadOncePerRequest) the group's companies
# are read once: the header's switcher, the filter bar and the roles each ask whether there are
# several, and the switcher lists them; one query of every page instead of two or more.
_request_companies: ContextVar[dict | None] = ContextVar("request_companies", default=None)


def group_companies() -> list[Company]:
    """Every company of the group, in the model's order (a short table: a group's companies)."""
    memo = _request_companies.get()
    if memo is None:
        return list(Company.objects.all())
    if "companies" not in memo:
        memo["companies"] = list(Company.objects.all())
    return memo["companies"]


def group_has_several_companies() -> bool:
    """Whether the pages name companies at all (one company: never)."""
    if _request_companies.get() is None:
        return Company.objects.count() > 1
    return len(group_companies()) > 1


@contextmanager
def companies_read_once():
    """group_companies() and group_has_several_companies() query once inside this block (a
    request). A company added or renamed inside it is seen from the next block on."""
    token = _request_companies.set({})
    try:
        yield
    finally:
        _request_companies.reset(token)


class Company(models.Model):
    code = models.CharField(
        _("code"), max_length=6, unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]{0,5}$", _("Up to six capital letters or digits, a letter first."))],
        help_text=_("Short name; with REFERENCE_COMPANY_PREFIX it starts the company's references (INE-INC-2026-0001)."),
    )
    name = models.CharField(_("name"), max_length=200, unique=True)
    corporate_number = models.CharField(
        _("corporate number (法人番号)"), max_length=13, blank=True, validators=[validate_corporate_number],
        help_text=_("13 digits, printed on the company's reports and PDFs."),
    )
    is_default = models.BooleanField(
        _("default company"), default=False,
        help_text=_("Departments and records created without naming a company belong to it."),
    )

    holds_privacymark = models.BooleanField(
        _("holds PrivacyMark"), default=False,
        help_text=_("Only a PrivacyMark holder owes reports to its assessment body (審査機関)."),
    )
    privacymark_number = models.CharField(_("PrivacyMark registration number"), max_length=30, blank=True)
    privacymark_body = models.CharField(_("assessment body (審査機関)"), max_length=100, blank=True)
    iso27001_certified = models.BooleanField(_("ISO/IEC 27001 certified"), default=False)
    iso27001_certificate = models.CharField(_("ISO/IEC 27001 certificate number"), max_length=50, blank=True)

    leak_authority = models.CharField(
        _("reports leaks to"), max_length=20, choices=LeakAuthority.choices, default=LeakAuthority.PPC,
    )
    leak_authority_name = models.CharField(
        _("name of the delegated authority"), max_length=100, blank=True,
        help_text=_("The ministry or agency that receives the company's leak reports (for example 金融庁)."),
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"), default=4, validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    privacy_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("personal information protection manager (個人情報保護管理者)"),
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    joint_use_manager = models.BooleanField(
        _("responsible for jointly used data (共同利用の管理責任者)"), default=False,
        help_text=_("The group company told at once when jointly used personal data is involved in an incident."),
    )
    # Requests from individuals (issue 15): the company's own target for 遅滞なく, and how long
    # the copies of identity documents are kept once a case is closed.
    request_target_days = models.PositiveSmallIntegerField(
        _("days to answer a request (target)"), default=14, validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("The law says 遅滞なく (without delay); two weeks from receipt is common practice. Changing it "
                    "does not move the due dates of requests already received."),
    )
    identity_copy_retention_days = models.PositiveSmallIntegerField(
        _("days identity document copies are kept after a request closes"), default=30,
        validators=[MaxValueValidator(3650)],
        help_text=_("Then they are deleted automatically, and the deletion is recorded on the case."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = CompanyQuerySet.as_manager()
    history = TrailedHistory()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("group company")
        verbose_name_plural = _("group companies")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_company"),
            models.UniqueConstraint(
                fields=["joint_use_manager"], condition=Q(joint_use_manager=True), name="one_joint_use_manager"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.leak_authority == LeakAuthority.DELEGATED and not self.leak_authority_name.strip():
            errors["leak_authority_name"] = _("Name the ministry or agency the PPC delegated its authority to.")
        if errors:
            raise ValidationError(errors)

    @property
    def leak_authority_display(self) -> str:
        """The addressee of the company's leak reports, in Japanese (it is written to them)."""
        if self.leak_authority == LeakAuthority.DELEGATED and self.leak_authority_name.strip():
            return self.leak_authority_name.strip()
        return "個人情報保護委員会"


class RoleScope(models.Model):
    """For which company a person holds one of their roles.

    The roles themselves are Django groups (roles.py). Without a RoleScope row a role is
    held for the person's own company (their department's, else the default company); a
    row with no company holds it for the whole group; several rows, for several companies.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_scopes"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, null=True, blank=True,
        help_text=_("Leave empty for the whole group."),
    )

    history = TrailedHistory()

    class Meta:
        ordering = ["user", "role", "company"]
        verbose_name = _("role scope")
        verbose_name_plural = _("role scopes")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "company"], name="one_scope_per_company"),
            models.UniqueConstraint(fields=["user", "role"], condition=Q(company__isnull=True),
                                    name="one_group_scope_per_role"),
        ]

    def __str__(self) -> str:
        where = self.company.name if self.company_id else _("whole group")
        return f"{self.user} {self.get_role_display()} ({where})"


class PrivacyDesk(models.Model):
    """A company's desk for requests and complaints (個人情報問合せ窓口, policy §6): what its
    letters and its blank request form print. Edited by the PMS office in the admin, on the
    company's page; a company without one prints the defaults (incidents.case_letters.DESK)."""

    company = models.OneToOneField(Company, verbose_name=_("company"), on_delete=models.CASCADE,
                                   related_name="privacy_desk")
    name = models.CharField(_("desk name"), max_length=100, default="個人情報問合せ窓口")
    manager = models.CharField(_("person responsible"), max_length=100, default="個人情報保護管理者",
                               help_text=_("As the policy names them, for example 個人情報保護管理者 管理本部長."))
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True,
                               help_text=_("Where requests are posted."))
    telephone = models.CharField(_("telephone"), max_length=30, blank=True)
    fax = models.CharField(_("fax"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    fee = models.PositiveIntegerField(
        _("fee per request (yen)"), default=0,
        help_text=_("For a notice of the purpose of use or a disclosure only (art. 38). 0: the form says the desk "
                    "tells the amount."),
    )
    fee_payment = models.CharField(_("how the fee is paid"), max_length=200, blank=True)
    postage_by_requester = models.BooleanField(
        _("postage borne by the requester"), default=True,
        help_text=_("The policy says 送付にかかる費用はご請求者のご負担となります."),
    )

    history = TrailedHistory()

    class Meta:
        verbose_name = _("desk for requests and complaints")
        verbose_name_plural = _("desks for requests and complaints")

    def __str__(self) -> str:
        return f"{self.company} {self.name}"

    def details(self) -> dict:
        return {name: getattr(self, name) for name in (
            "name", "manager", "postal_code", "address", "telephone", "fax", "email", "hours", "fee", "fee_payment",
            "postage_by_requester")}

