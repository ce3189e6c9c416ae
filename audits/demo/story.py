"""How an audit story of the demo is written: an `AuditStory` (the audit as planned) and its
steps, tuples the builders below make and AuditSeeder.add_audit puts on the timeline
(incidents/demo/timeline.py). Steps are told in the order of their dates.

The story is written in days from the start of the fiscal year up to day 230 (mid
November). Seeded later in the year it is stretched, earlier it is compressed, so that
its last step is always yesterday and everything stays inside the current fiscal year;
steps fall between 9:00 and 18:00 Japan time (AuditSeeder.day). The previous fiscal
year's audits are dated in days of that year, without stretching.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The standard and edition the demo's PrivacyMark holders audit against.
STANDARD, EDITION = "jis_q_15001", "2023"
# The PrivacyMark guideline (構築・運用指針) whose J items a holder's audit may check too.
GUIDELINE = ("pmark_guideline", "2023v1.0")

# The story's last step is on this day of the fiscal year (see above).
STORY_SPAN = 230


# ---------------------------------------------------------------------------
# The stories. `at` is a day of the fiscal year (fractions are hours within the working
# day); users are usernames, departments codes, clauses clause numbers of the story's standard
# (JIS Q 15001:2023 unless it names another) or J items of the PrivacyMark guideline.


@dataclass
class AuditStory:
    title: str
    kind: str
    departments: tuple[str, ...]
    clauses: tuple[str, ...]
    planned_by: str
    lead: str
    auditors: tuple[str, ...]
    planned_at: float
    # Planned dates: days of the fiscal year, or None for "a month from today" (the planned audit).
    start: float | None
    end: float | None
    steps: list[tuple] = field(default_factory=list)
    # The standard and edition of its clauses (an ISMS-only company audits against ISO/IEC 27001).
    standard: tuple[str, str] = (STANDARD, EDITION)
    # J items of the PrivacyMark guideline on its checklist too (J.3.4 …); its steps check them
    # by number like the clauses.
    guideline: tuple[str, ...] = ()


def start(by, at, comment=""):
    return ("audit", "start", by, at, comment, {})


def report(by, at, conclusion, comment=""):
    return ("audit", "report", by, at, comment, {"conclusion": conclusion})


def close_audit(by, at, comment=""):
    return ("audit", "close", by, at, comment, {})


def cancel(by, at, reason):
    return ("audit", "cancel", by, at, "", {"cancel_reason": reason})


def check(clause, by, at, result, evidence, note=""):
    """A checklist result (services.checklist_record)."""
    return ("check", clause, by, at, result, evidence, note)


def finding(key, by, at, *, clause, department, grade, description, evidence="", item=False, response_due=None):
    """A finding raised by an auditor; `item` ties it to the clause's checklist item.
    `response_due`, a day of the year: the deadline the team sets for the answer instead of
    its grade's default (FindingResponsePolicy)."""
    return ("finding", key, by, at, {"clause": clause, "department": department, "grade": grade,
                                     "description": description, "evidence": evidence, "item": item,
                                     "response_due": response_due})


def action(finding_key, key, by, at, **fields):
    """A corrective action the department head plans for the finding; `due` is a day of the year."""
    return ("action", finding_key, key, by, at, fields)


def act(key, name, by, at, comment="", **changes):
    """A transition of one of the story's actions."""
    return ("act", key, name, by, at, comment, changes)


def step(finding_key, name, by, at, comment="", **changes):
    """A transition of one of the story's findings."""
    return ("step", finding_key, name, by, at, comment, changes)
