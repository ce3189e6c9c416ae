"""What a PrivacyMark holder reports to its assessment body (審査機関), and how fast
(PMK500 「プライバシーマーク付与適格性審査実施規程」, domain.md §1.13).

It is not the PPC's test (reportability.py), and the differences are the point:

- every 事故等 of the nine kinds is reported, even for one person (no threshold);
- it concerns 個人情報, not only 個人データ (a single paper form counts);
- strong encryption exempts nothing, and a loss in transit by a courier still counts;
- a 速報 is due on the PPC's four triggers (counting 個人情報), on the My Number
  (特定個人情報) triggers, and on whatever the PMS manager judges serious (the catch-all
  for the cases the 付与機関 calls serious), recorded as a decision with its reason.

Sources: https://privacymark.jp/p-application/incident/ ,
https://privacymark.jp/faq/qa11/index.html (every 事故等, one person is enough),
https://www.jisa.or.jp/service/privacy/tabid/820/Default.aspx (the nine kinds; encrypted
media still reportable), PMK500 art. 12(3) (the 速報 triggers).

A pure function of the classification and the rule set, like reportability.assess, so the
tracks, the page, the API and the tests share one reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import gettext_lazy as _

from .reportability import Reason


class Rules(Protocol):
    # 「1,000人を超える」, counting 個人情報 (PMK500 art. 12(3)).
    pmark_subject_count_threshold: int
    # 特定個人情報: a 速報 for more than this many people.
    pmark_my_number_threshold: int


# The nine kinds of 事故等 (⑨, the おそれ of any of them, is the `suspected` flag).
INCIDENT_EVENTS = frozenset({
    "leak", "loss", "destruction", "falsification", "improper_acquisition", "purpose_violation", "misuse",
    "request_refusal",
})
NOT_AN_INCIDENT = "none"

# What a report's kind means when the PMS office has not yet said which of the nine it is.
EVENT_OF_KIND = {"leak": "leak", "loss": "loss", "damage": "destruction", "misuse": "purpose_violation"}


def event_of(kind: str, pmark_event: str) -> str:
    """The kind of 事故等: the PMS office's choice, else what the report's kind implies."""
    return pmark_event or EVENT_OF_KIND.get(kind, NOT_AN_INCIDENT)


@dataclass(frozen=True)
class PMarkAssessment:
    incident: bool  # a 事故等: the 確報 is owed
    preliminary: bool  # a 速報 is owed too
    unauthorized_purpose: bool  # the 確報 limit is the longer one (60 days)
    reasons: tuple[Reason, ...]  # why it is (or is not) a 事故等
    preliminary_reasons: tuple[Reason, ...]  # why a 速報 is (or is not) owed


def assess(
    *,
    event: str,
    suspected: bool,
    involves_sensitive_data: bool,
    risk_of_financial_damage: bool,
    suspected_unauthorized_purpose: bool,
    strongly_encrypted: bool,
    affected_count: int | None,
    is_my_number: bool,
    my_number_network_system: bool,
    my_number_publicly_viewable: bool,
    judged_serious: bool,
    judged_serious_reason: str,
    rules: Rules | None,
) -> PMarkAssessment:
    if rules is None:
        reason = Reason("no_rule_in_force", _("No reporting rules were in force on the day of discovery."))
        return PMarkAssessment(False, False, False, (reason,), (reason,))
    if event not in INCIDENT_EVENTS:
        reason = Reason("not_an_incident", _(
            "Not one of the nine kinds of 事故等 of PMK500 (leak, loss, destruction or damage, falsification, "
            "improper acquisition, use or provision beyond the purpose, misuse, wrongful refusal of a request, "
            "or the risk of one of these): an internal rule violation or a weakness alone is not reported."
        ))
        return PMarkAssessment(False, False, False, (reason,), ())

    reasons = [Reason("incident_event", _(
        "A 事故等 (%(event)s): a PrivacyMark holder reports every one to its assessment body, even for one "
        "person, and for any 個人情報, not only 個人データ (PMK500; privacymark.jp FAQ)."
    ) % {"event": event_label(event, suspected)})]
    if strongly_encrypted:
        reasons.append(Reason("no_encryption_exemption", _(
            "Strong encryption does not exempt it from the PrivacyMark report (unlike APPI rule art. 7)."
        )))

    urgent: list[Reason] = []
    if involves_sensitive_data:
        urgent.append(Reason("sensitive_data", _("速報: the information includes sensitive personal information "
                                                 "(要配慮個人情報) (PMK500 art. 12(3)).")))
    if risk_of_financial_damage:
        urgent.append(Reason("financial_damage", _("速報: misuse could cause financial damage (PMK500 art. 12(3)).")))
    if suspected_unauthorized_purpose:
        urgent.append(Reason("unauthorized_purpose", _(
            "速報: the event may have been caused by an act for an unauthorized purpose (不正の目的) "
            "(PMK500 art. 12(3))."
        )))
    if affected_count is not None and affected_count > rules.pmark_subject_count_threshold:
        urgent.append(Reason("over_threshold", _(
            "速報: more than %(threshold)s people, counting all personal information (個人情報) (PMK500 art. 12(3))."
        ) % {"threshold": f"{rules.pmark_subject_count_threshold:,}"}))
    if is_my_number:
        if my_number_network_system:
            urgent.append(Reason("my_number_network_system", _(
                "速報: specific personal information (特定個人情報) leaked from the information-provision network "
                "system or the like (情報提供ネットワークシステム等)."
            )))
        if my_number_publicly_viewable:
            urgent.append(Reason("my_number_publicly_viewable", _(
                "速報: specific personal information (特定個人情報) was viewable by an unspecified number of people."
            )))
        if suspected_unauthorized_purpose:
            urgent.append(Reason("my_number_unauthorized_purpose", _(
                "速報: specific personal information (特定個人情報) was involved in an act for an unauthorized purpose."
            )))
        if affected_count is not None and affected_count > rules.pmark_my_number_threshold:
            urgent.append(Reason("my_number_over_threshold", _(
                "速報: specific personal information (特定個人情報) of more than %(threshold)s people."
            ) % {"threshold": f"{rules.pmark_my_number_threshold:,}"}))
    if judged_serious:
        urgent.append(Reason("judged_serious", _(
            "速報: the PMS manager judged it a serious case for the assessment body: %(reason)s"
        ) % {"reason": judged_serious_reason.strip()}))

    if not urgent:
        none = Reason("no_preliminary_trigger", _(
            "確報 only: none of the 速報 triggers applies (sensitive data, financial damage, unauthorized purpose, "
            "more than %(threshold)s people, the My Number triggers, or a case judged serious)."
        ) % {"threshold": f"{rules.pmark_subject_count_threshold:,}"})
        return PMarkAssessment(True, False, suspected_unauthorized_purpose, tuple(reasons), (none,))
    return PMarkAssessment(True, True, suspected_unauthorized_purpose, tuple(reasons), tuple(urgent))


def event_label(event: str, suspected: bool) -> str:
    from .models.incident import PMarkEvent

    label = str(PMarkEvent(event).label) if event in PMarkEvent.values else event
    return str(_("%(event)s, suspected (⑨)") % {"event": label}) if suspected else label
