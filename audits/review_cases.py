"""Input (e) of the management review as it reads, on the review's page and in its PDF alike:
the figures of requests from individuals and of complaints (incidents.case_figures, kept in
the inputs under "cases") turned into labels of the active language, with a one-line reading
for an executive.

A snapshot frozen before these figures existed has no "cases": case_inputs() is then None
and the page and the PDF say the figures were not part of it.
"""

from __future__ import annotations

from django.utils.translation import gettext

from incidents.case_figures import case_figures
from incidents.models import (
    CaseChannel,
    ComplaintClass,
    Decision,
    ExceptionGround,
    RequesterType,
    RequestKind,
)

from .models.review import Review
from .review_format import label, number, percent


def case_inputs(review: Review, inputs: dict | None = None) -> dict | None:
    """The "cases" of `review`'s inputs: from `inputs` (or the snapshot) when given, else
    computed from the records for a draft; None for a snapshot taken before they existed."""
    if inputs is None and review.snapshot is not None:
        inputs = review.snapshot
    if inputs is not None:
        return inputs.get("cases")
    return case_figures(review.period_start, review.period_end, review.company_id)


def request_reading(requests: dict) -> str:
    """「開示等の請求 5件、期限内回答率 80%（遅延 1件、期限超過の未回答 0件）」"""
    if not requests.get("total"):
        return gettext("No requests from individuals in the period.")
    return gettext("Requests from individuals: %(count)s; answered on time %(rate)s (%(late)s late, %(overdue)s "
                   "overdue and still unanswered).") % {
        "count": number(requests.get("total", 0)), "rate": percent(requests.get("on_time_rate")),
        "late": number(requests.get("late", 0)), "overdue": number(requests.get("overdue", 0))}


def complaint_reading(complaints: dict) -> str:
    if not complaints.get("total"):
        return gettext("No complaints or consultations in the period.")
    return gettext("Complaints and consultations: %(count)s; %(weakness)s revealed a weakness; they led to "
                   "%(actions)s corrective actions, %(incidents)s incidents and %(requests)s requests.") % {
        "count": number(complaints.get("total", 0)), "weakness": number(complaints.get("reveals_weakness", 0)),
        "actions": number(complaints.get("actions", 0)), "incidents": number(complaints.get("incidents_raised", 0)),
        "requests": number(complaints.get("converted_to_requests", 0))}


def _rows(rows: list[dict] | None, choices, key: str) -> list[dict]:
    return [{"label": label(choices, row.get(key)), "count": row.get("count", 0)} for row in rows or []]


def ground_label(code: str) -> str:
    return label(ExceptionGround, code) if code else gettext("No article given")


def readable_cases(cases: dict | None) -> dict | None:
    """The figures with labels and formatted numbers ("—" where there is no data)."""
    if cases is None:
        return None
    requests = cases.get("requests") or {}
    complaints = cases.get("complaints") or {}
    request_days = requests.get("days_to_answer") or {}
    complaint_days = complaints.get("days_to_answer") or {}
    return {
        "reading": [request_reading(requests), complaint_reading(complaints)],
        "requests": {
            **{key: requests.get(key, 0) for key in (
                "total", "answered", "on_time", "late", "open", "overdue", "withdrawn", "full", "partial", "refused",
                "wrongful_refusals")},
            "on_time_rate": percent(requests.get("on_time_rate")),
            "median_days": number(request_days.get("median")),
            "by_kind": _rows(requests.get("by_kind"), RequestKind, "kind"),
            "by_channel": _rows(requests.get("by_channel"), CaseChannel, "channel"),
            "by_requester": _rows(requests.get("by_requester"), RequesterType, "requester_type"),
            "decisions": [
                {"decision": label(Decision, row.get("decision")), "ground": ground_label(row.get("ground")),
                 "count": row.get("count", 0)}
                for row in requests.get("decisions") or []
            ],
        },
        "complaints": {
            **{key: complaints.get(key, 0) for key in (
                "total", "answered", "open", "reveals_weakness", "converted_to_requests", "incidents_raised",
                "with_actions", "actions")},
            "median_days": number(complaint_days.get("median")),
            "by_classification": _rows(complaints.get("by_classification"), ComplaintClass, "classification"),
            "by_channel": _rows(complaints.get("by_channel"), CaseChannel, "channel"),
        },
    }


__all__ = ["case_inputs", "complaint_reading", "readable_cases", "request_reading"]
