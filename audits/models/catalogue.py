"""The requirements an audit checks against, as data (domain.md §2.2, §2.3, §3): the
standards' clauses, and the J items of the PrivacyMark guideline (構築・運用指針) that
PrivacyMark assessments since 2024-10-01 check against."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from trail.history import TrailedHistory


class Standard(models.TextChoices):
    JIS_Q_15001 = "jis_q_15001", "JIS Q 15001"
    # プライバシーマークにおける個人情報保護マネジメントシステム構築・運用指針 (JIPDEC): the
    # assessment requirements J.1–J.11 of PrivacyMark, edition "2023v1.0" (JIS Q 15001:2023準拠 ver1.0).
    PMARK_GUIDELINE = "pmark_guideline", "PrivacyMark 構築・運用指針"
    ISO_27001 = "iso_iec_27001", "ISO/IEC 27001"


# The PrivacyMark guideline's current edition (JIS Q 15001:2023準拠 ver1.0, applications since 2024-10-01).
PMARK_GUIDELINE_EDITION = "2023v1.0"


def clause_depth(clause: str) -> int:
    """How deep a clause sits under its chapter: "6" and "J.3" 0, "6.1" and "J.3.1" 1, "A.3.3.1" 2.
    A letter prefix (Annex A, the guideline's J) is not a level of its own."""
    return clause.count(".") - (1 if re.match(r"[A-Z]\.", clause) else 0)


class RequirementQuerySet(models.QuerySet):
    def of(self, standard: str, edition: str) -> RequirementQuerySet:
        return self.filter(standard=standard, edition=edition)


class Requirement(models.Model):
    standard = models.CharField(_("standard"), max_length=20, choices=Standard.choices)
    edition = models.CharField(_("edition"), max_length=10)
    clause = models.CharField(_("clause"), max_length=20)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    title_ja = models.CharField(_("title (Japanese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    verified = models.BooleanField(
        _("verified"), default=False,
        help_text=_("Checked against the text of the standard; unverified entries are best knowledge."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    objects = RequirementQuerySet.as_manager()

    history = TrailedHistory()

    class Meta:
        ordering = ["standard", "-edition", "position", "clause"]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        constraints = [
            models.UniqueConstraint(fields=["standard", "edition", "clause"], name="one_clause_per_edition"),
        ]

    def __str__(self) -> str:
        return f"{self.get_standard_display()}:{self.edition} {self.clause} {self.title}"

    @property
    def depth(self) -> int:
        return clause_depth(self.clause)

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "ja").startswith("en") else self.title_ja
