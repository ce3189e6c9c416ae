"""Is an incident a 報告対象事態 under APPI rule art. 7? (domain.md §1.3, §1.4, §1.5a)

Pure function of the classification, so the model, the API and the tests share one
reading of the rule. Issue 3 moves the figures into a versioned rule set; until then they
are the rules in force since 2024-04-01.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# Category 4 is 「千人を超える」: 1,001 people or more (guideline 3-5-3-1, domain.md §1.5a).
SUBJECT_COUNT_THRESHOLD = 1000
# Rule art. 7(3) as amended on 2023-12-27: personal information being collected counts
# toward category 3 from this date (domain.md §1.4).
COLLECTION_RULE_FROM = dt.date(2024, 4, 1)
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
    discovered_on: dt.date | None,
) -> Assessment:
    if kind not in LEAK_KINDS:
        return Assessment(False, (Reason("not_a_leak", _(
            "Not a leak, loss or damage of personal data (漏えい等), so APPI art. 26 does not apply."
        )),))
    if strongly_encrypted:
        return Assessment(False, (Reason("strongly_encrypted", _(
            "The data was protected by strong encryption or an equivalent measure, "
            "which is excluded from the reportable situations (rule art. 7)."
        )),))

    reasons: list[Reason] = []
    # Data still being collected (not yet personal data in our database) is only caught
    # by the 2024 extension of category 3; categories 1, 2 and 4 speak of personal data.
    personal_data = not data_in_collection
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
        elif discovered_on is None or discovered_on >= COLLECTION_RULE_FROM:
            reasons.append(Reason("unauthorized_purpose_collection", _(
                "Category 3: information being collected was taken for an unauthorized purpose "
                "(rule art. 7(3), in force since 2024-04-01)."
            ), 3))
    if personal_data and affected_count is not None and affected_count > SUBJECT_COUNT_THRESHOLD:
        reasons.append(Reason("over_1000_subjects", _(
            "Category 4: more than 1,000 data subjects are affected."
        ), 4))

    if reasons:
        return Assessment(True, tuple(reasons))
    if data_in_collection and suspected_unauthorized_purpose:
        return Assessment(False, (Reason("collection_before_2024", _(
            "Information being collected was only covered from 2024-04-01; this was discovered earlier."
        )),))
    return Assessment(False, (Reason("no_category", _(
        "None of the four reportable categories of rule art. 7 applies "
        "(no sensitive data, no financial risk, no unauthorized purpose, 1,000 or fewer data subjects)."
    )),))
