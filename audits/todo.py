"""What waits for a person in the internal audits and the management review: the audits
half of the to-do page (worklist.views). Each list is the most urgent few with its total."""

from __future__ import annotations

from incidents.roles import Role, has_role
from incidents.rows import only_shown
from incidents.todo import section

from . import selectors

# The columns a finding's row shows (incidents/rows.py says why no more).
FINDING_ROW = ("reference", "description", "grade", "state", "response_due", "responded_at", "department__name")


def rows(findings):
    """Only what the page's rows show of a finding (its department): each join the selectors
    add for other readers (the audit and its team, the clause, the head) costs planning time."""
    return only_shown(findings.prefetch_related(None), FINDING_ROW)


def context(request) -> dict:
    user = request.user
    context = {
        "findings_to_answer": section(rows(selectors.findings_to_answer(user))),
        "responses_to_accept": section(rows(selectors.responses_to_accept(user))),
        "findings_to_verify": section(rows(selectors.findings_to_verify(user))),
        "audits_to_do": section(selectors.audits_to_do(user)),
        "reviews_to_approve": section(selectors.reviews_to_approve(user)),
    }
    if has_role(user, Role.AUDIT_LEAD):
        # Each company's current fiscal year (group companies may start theirs in other months).
        context["departments_not_audited"] = section(selectors.departments_not_audited(user))
    return context
