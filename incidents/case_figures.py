"""The figures of requests from individuals and of complaints for a period: the management
review's input (e), feedback from interested parties (ISO/IEC 27001 9.3.2 e; JIS Q 15001:
苦情を含む外部からの意見). The audits app calls case_figures() when it assembles a review.

What "in the period" means: received in it (received_on between the first and the last day).
What each figure counts:

- a request is *answered* once its answer (or refusal) was sent (sent_on), *on time* when
  that was on or before its due date (the company's target from receipt, moved by the
  recorded pauses), *late* after it; *still open* while it is received, having its identity
  checked or in progress, and *overdue* if its due date has passed (a case paused while
  the company waits for the requester is not overdue); *withdrawn* when the requester
  withdrew it (closed without an answer included). The on-time rate is of the requests
  whose due date has been put to the test: answered, or open past the due date.
- an answered request is *refused* when nothing of it was done (every item refused, or
  the identity could not be confirmed), *in part* when some item was answered in part, by
  another measure or refused; *in full* otherwise.
- the grounds: one row per thing asked (item) not answered in full, by decision and the
  article relied on; the items of a request refused because the identity could not be
  confirmed count as refused on that ground (art. 37(1)).
- days to answer: calendar days from receipt to the answer sent (median over the answered).
- a complaint is answered once answered_on is set; it *led to* a request (converted), an
  incident (raised) or corrective actions (linked and not cancelled).

The result is plain JSON (codes and numbers, no labels), like every review input, and the
number of queries is the same whatever the number of cases (everything is grouped and
counted by the database; the medians read at most two rows).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from .models import (
    ActionState,
    CaseChannel,
    Complaint,
    ComplaintClass,
    ComplaintState,
    Decision,
    ExceptionGround,
    IdentityResult,
    RequesterType,
    RequestItem,
    RequestKind,
    RequestState,
    RightsRequest,
)
from .models.requests import REQUEST_OPEN_STATES

__all__ = ["case_figures", "complaint_figures", "request_figures"]

DONE = (Decision.FULL, Decision.PARTIAL, Decision.ALTERNATIVE)
NOT_IN_FULL = (Decision.PARTIAL, Decision.ALTERNATIVE, Decision.REFUSED)


def case_figures(start: dt.date, end: dt.date, company=None) -> dict:
    """{"requests": …, "complaints": …} for the cases received from `start` to `end`
    (inclusive) by `company` (a Company or its id; None: every company of the group)."""
    company_id = getattr(company, "pk", company)
    return {
        "requests": request_figures(start, end, company_id),
        "complaints": complaint_figures(start, end, company_id),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _of(queryset: QuerySet, company_id: int | None) -> QuerySet:
    return queryset if company_id is None else queryset.filter(company_id=company_id)


def _median_days(queryset: QuerySet, end_field: str, count: int) -> float | None:
    """The median of `end_field` − received_on in days over the rows that have `end_field`,
    `count` of them (already counted): one query whatever `count` (even 0)."""
    span = ExpressionWrapper(F(end_field) - F("received_on"), output_field=DurationField())
    ordered = (queryset.filter(**{f"{end_field}__isnull": False}).annotate(span=span)
               .order_by("span", "pk").values_list("span", flat=True))
    position = (max(count, 1) - 1) * 0.5
    lower = int(position)
    values = list(ordered[lower:lower + 2])
    if not count or not values:
        return None
    low, high = values[0], values[-1]
    return round((low + (high - low) * (position - lower)) / dt.timedelta(days=1), 1)


def _ordered(counts: dict[str, int], choices, key: str, *, keep_zero: bool) -> list[dict]:
    """[{key: code, "count": n}] in the order of `choices` (codes no longer among them last)."""
    codes = [code for code in choices.values if keep_zero or counts.get(code)]
    codes += sorted(code for code in counts if code not in choices.values and counts[code])
    return [{key: code, "count": counts.get(code, 0)} for code in codes]


# ---------------------------------------------------------------------------
# Requests


def period_requests(start: dt.date, end: dt.date, company_id: int | None = None) -> QuerySet[RightsRequest]:
    return _of(RightsRequest.objects, company_id).filter(received_on__gte=start, received_on__lte=end)


REQUEST_KEYS = ("total", "answered", "on_time", "late", "open", "overdue", "withdrawn", "refused", "partial",
                "wrongful_refusals")


def request_figures(start: dt.date, end: dt.date, company_id: int | None = None) -> dict:
    requests = period_requests(start, end, company_id)
    today = timezone.localdate()
    answered = Q(sent_on__isnull=False) & ~Q(state=RequestState.WITHDRAWN)
    done = RequestItem.objects.filter(request=OuterRef("pk"), decision__in=DONE)
    not_in_full = RequestItem.objects.filter(request=OuterRef("pk"), decision__in=NOT_IN_FULL)
    is_open = Q(state__in=REQUEST_OPEN_STATES)
    # One grouped query for every count, by channel and requester; the totals are their sums.
    rows = list(
        requests.annotate(any_done=Exists(done), any_not_in_full=Exists(not_in_full)).order_by()
        .values("channel", "requester_type").annotate(
            total=Count("pk"),
            answered=Count("pk", filter=answered),
            on_time=Count("pk", filter=answered & Q(sent_on__lte=F("due_on"))),
            late=Count("pk", filter=answered & Q(sent_on__gt=F("due_on"))),
            open=Count("pk", filter=is_open),
            overdue=Count("pk", filter=is_open & Q(paused_since__isnull=True, due_on__lt=today)),
            withdrawn=Count("pk", filter=Q(state=RequestState.WITHDRAWN)
                            | Q(state=RequestState.CLOSED, sent_on__isnull=True)),
            refused=Count("pk", filter=answered & Q(any_done=False)),
            partial=Count("pk", filter=answered & Q(any_done=True, any_not_in_full=True)),
            wrongful_refusals=Count("pk", filter=Q(incident__isnull=False)),
        )
    )
    totals = {key: sum(row[key] for row in rows) for key in REQUEST_KEYS}
    by_channel: dict[str, int] = {}
    by_requester: dict[str, int] = {}
    for row in rows:
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["total"]
        by_requester[row["requester_type"]] = by_requester.get(row["requester_type"], 0) + row["total"]

    items = RequestItem.objects.filter(request__in=requests)
    by_kind = {row["kind"]: row["n"] for row in items.order_by().values("kind").annotate(n=Count("pk"))}
    # The things not done in full, by decision and article; an item left undecided on a request
    # refused because the identity could not be confirmed is refused on that ground (art. 37(1)).
    identity_refused = Q(decision="", request__identity_result=IdentityResult.FAILED, request__sent_on__isnull=False)
    grounds = (
        items.filter(Q(decision__in=NOT_IN_FULL) | identity_refused).annotate(
            as_decision=Case(When(identity_refused, then=Value(Decision.REFUSED.value)), default=F("decision"),
                             output_field=CharField()),
            as_ground=Case(When(identity_refused, then=Value(ExceptionGround.IDENTITY.value)), default=F("ground"),
                           output_field=CharField()),
        ).order_by().values("as_decision", "as_ground").annotate(n=Count("pk"))
    )
    decision_order = {code: index for index, code in enumerate(NOT_IN_FULL)}
    ground_order = {code: index for index, code in enumerate(ExceptionGround.values)}
    decisions = sorted(
        ({"decision": row["as_decision"], "ground": row["as_ground"] or "", "count": row["n"]} for row in grounds),
        key=lambda row: (decision_order.get(row["decision"], 9), ground_order.get(row["ground"], 99), row["ground"]),
    )
    tested = totals["on_time"] + totals["late"] + totals["overdue"]
    return {
        **totals,
        "full": totals["answered"] - totals["refused"] - totals["partial"],
        "on_time_rate": _rate(totals["on_time"], tested),
        "days_to_answer": {"count": totals["answered"],
                           "median": _median_days(requests.filter(answered), "sent_on", totals["answered"])},
        "by_kind": _ordered(by_kind, RequestKind, "kind", keep_zero=True),
        "by_channel": _ordered(by_channel, CaseChannel, "channel", keep_zero=False),
        "by_requester": _ordered(by_requester, RequesterType, "requester_type", keep_zero=False),
        "decisions": decisions,
    }


# ---------------------------------------------------------------------------
# Complaints


def period_complaints(start: dt.date, end: dt.date, company_id: int | None = None) -> QuerySet[Complaint]:
    return _of(Complaint.objects, company_id).filter(received_on__gte=start, received_on__lte=end)


COMPLAINT_KEYS = ("total", "answered", "open", "reveals_weakness", "converted_to_requests", "incidents_raised",
                  "with_actions")


def complaint_figures(start: dt.date, end: dt.date, company_id: int | None = None) -> dict:
    complaints = period_complaints(start, end, company_id)
    live_actions = Complaint.actions.through.objects.filter(complaint_id=OuterRef("pk")).exclude(
        action__state=ActionState.CANCELLED)
    rows = list(
        complaints.annotate(has_actions=Exists(live_actions)).order_by()
        .values("classification", "channel").annotate(
            total=Count("pk"),
            answered=Count("pk", filter=Q(answered_on__isnull=False)),
            open=Count("pk", filter=Q(state__in=(ComplaintState.RECEIVED, ComplaintState.HANDLING))),
            reveals_weakness=Count("pk", filter=Q(reveals_weakness=True)),
            converted_to_requests=Count("pk", filter=Q(request__isnull=False)),
            incidents_raised=Count("pk", filter=Q(incident__isnull=False)),
            with_actions=Count("pk", filter=Q(has_actions=True)),
        )
    )
    totals = {key: sum(row[key] for row in rows) for key in COMPLAINT_KEYS}
    by_class: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for row in rows:
        by_class[row["classification"]] = by_class.get(row["classification"], 0) + row["total"]
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["total"]
    actions = (Complaint.actions.through.objects.filter(complaint__in=complaints)
               .exclude(action__state=ActionState.CANCELLED).values("action_id").distinct().count())
    return {
        **totals,
        "actions": actions,
        "days_to_answer": {"count": totals["answered"],
                           "median": _median_days(complaints, "answered_on", totals["answered"])},
        "by_classification": _ordered(by_class, ComplaintClass, "classification", keep_zero=True),
        "by_channel": _ordered(by_channel, CaseChannel, "channel", keep_zero=False),
    }
