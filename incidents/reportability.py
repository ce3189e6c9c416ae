"""Is an incident a 報告対象事態 under APPI rule art. 7? (domain.md §1.3, §1.4, §1.5a)

Pure function of the classification and of the rule set in force on the day of
discovery, so the model, the API and the tests share one reading of the rule. The
figures (the 1,000-subject threshold, whether information being collected counts since
the 2024 amendment) are fields of RuleSet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import gettext_lazy as _


class Rules(Protocol):
    # Category 4 is 「千人を超える」: more than this many (guideline 3-5-3-1, domain.md §1.5a).
    subject_count_threshold: int
    # Rule art. 7(3) as amended on 2023-12-27, in force 2024-04-01 (domain.md §1.4).
    collection_counts_for_unauthorized_purpose: bool


# Only 漏えい等 (leak, loss, damage; suspected cases included) can be reportable (§1.2).
LEAK_KINDS = frozenset({"leak", "loss", "damage"})


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    category: int | None = None  # 1-4 when the reason is an art. 7 category

    def as_dict(self) -> dict:
        return {"code": self.code, "category": self.category, "message": str(self.message)}


@dataclass(frozen=True)
class Assessment:
    reportable: bool
    reasons: tuple[Reason, ...]


def assess(
    *,
    kind: str,
    involves_sensitive_data: bool,
    risk_of_financial_damage: bool,
    suspected_unauthorized_purpose: bool,
    data_in_collection: bool,
    strongly_encrypted: bool,
    affected_count: int | None,
    rules: Rules | None,
    is_personal_data: bool = True,
) -> Assessment:
    if rules is None:
        return Assessment(False, (Reason("no_rule_in_force", _(
            "No reporting rules were in force on the day of discovery (mandatory reporting began on 2022-04-01)."
        )),))
    if kind not in LEAK_KINDS:
        return Assessment(False, (Reason("not_a_leak", _(
            "Not a leak, loss or damage of personal data (漏えい等), so APPI art. 26 does not apply."
        )),))
    if strongly_encrypted:
        return Assessment(False, (Reason("strongly_encrypted", _(
            "The data was protected by strong encryption or an equivalent measure, "
            "which is excluded from the reportable situations (rule art. 7)."
        )),))

    if not is_personal_data and not data_in_collection:
        return Assessment(False, (Reason("not_personal_data", _(
            "The information was not personal data (個人データ: part of a database organised for search), "
            "and APPI art. 26 concerns personal data only."
        )),))

    reasons: list[Reason] = []
    # Data still being collected (not yet personal data in our database) is only caught
    # by the 2024 extension of category 3; categories 1, 2 and 4 speak of personal data.
    personal_data = is_personal_data and not data_in_collection
    if personal_data and involves_sensitive_data:
        reasons.append(Reason("sensitive_data", _(
            "Category 1: the data includes sensitive personal information (要配慮個人情報)."
        ), 1))
    if personal_data and risk_of_financial_damage:
        reasons.append(Reason("financial_damage", _(
            "Category 2: misuse of the data could cause financial damage."
        ), 2))
    if suspected_unauthorized_purpose:
        if personal_data:
            reasons.append(Reason("unauthorized_purpose", _(
                "Category 3: the event may have been caused by an act for an unauthorized purpose "
                "(不正の目的)."
            ), 3))
        elif rules.collection_counts_for_unauthorized_purpose:
            reasons.append(Reason("unauthorized_purpose_collection", _(
                "Category 3: information being collected was taken for an unauthorized purpose "
                "(rule art. 7(3), in force since 2024-04-01)."
            ), 3))
    if personal_data and affected_count is not None and affected_count > rules.subject_count_threshold:
        reasons.append(Reason("over_1000_subjects", _(
            "Category 4: more than %(threshold)s data subjects are affected."
        ) % {"threshold": f"{rules.subject_count_threshold:,}"}, 4))

    if reasons:
        return Assessment(True, tuple(reasons))
    if data_in_collection and suspected_unauthorized_purpose:
        return Assessment(False, (Reason("collection_before_2024", _(
            "Information being collected was only covered from 2024-04-01; this was discovered earlier."
        )),))
    return Assessment(False, (Reason("no_category", _(
        "None of the four reportable categories of rule art. 7 applies "
        "(no sensitive data, no financial risk, no unauthorized purpose, %(threshold)s or fewer data subjects)."
    ) % {"threshold": f"{rules.subject_count_threshold:,}"}),))
