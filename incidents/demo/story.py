"""How an incident story of the demo is written: a `Story` (the incident as reported) and
its steps, tuples the builders below make and DemoSeeder.add_story puts on the timeline.
Steps are told in the order of their dates (the timeline plays them by date).

Builders: `step` (a transition of the incident), `plan` and `act` (its actions), `edit`
(the PMS office completes it), `assign` (its handler), `progress` (its progress log),
`file` and `not_required` (its reports), `notice` (the PrivacyMark body's notice).

Times are in days: `days_ago` dates the discovery; every step's `at` counts from the
discovery. Pick-list values are codes; users are usernames.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Story:
    title: str
    reporter: str
    department: str
    kind: str
    days_ago: float
    description: str
    report: dict = field(default_factory=dict)
    occurred: float | None = None  # days before the discovery
    reported: float = 0.02  # days after the discovery
    steps: list[tuple] = field(default_factory=list)
    # The discovery this many hours before the seed runs, to the minute, instead of
    # `days_ago` at 10:30: for clocks that must be "due within 24 hours" whenever it runs.
    hours_ago: float | None = None


def step(name, by, at, comment="", **changes):
    """An incident transition."""
    return ("incident", name, by, at, comment, changes)


def plan(key, by, at, **fields):
    """An action created for the story's incident; `due` counts days from the discovery."""
    return ("plan", key, by, at, fields)


def act(key, name, by, at, comment="", **changes):
    """A transition of one of the story's actions."""
    return ("action", key, name, by, at, comment, changes)


def edit(by, at, **fields):
    """The PMS office completes the incident (services.incident_update), e.g. the PPC report items."""
    return ("edit", by, at, fields)


def assign(by, at, handler):
    """The PMS office makes `handler` the incident's handler (担当者), through
    services.incident_assign_handler; the handler is notified unless they assigned themselves."""
    return ("assign", by, at, handler)


def progress(by, at, text, occurred=None):
    """An entry of the incident's progress log (経過記録, services.add_progress), written at `at`
    by someone working on the incident; `occurred`, when it happened if earlier (days from the
    discovery, like `at`). The log is item 1 (事実経過) of the report to the PPC."""
    return ("progress", by, at, text, occurred)


def file(kind, by, at, comment="", **changes):
    """A report recorded as filed at `at` (its filed_at), with the recipient's reference."""
    return ("track", kind, "file", by, at, comment, changes)


def not_required(kind, by, at, reason, comment=""):
    """A person decided that a report is not owed, and why."""
    return ("track", kind, "not_required", by, at, comment, {"not_required_reason": reason})


def notice(by, at, requests, due):
    """The PrivacyMark assessment body's 事故措置の通知, received at `at`: what it asks, and the
    report on measures due `due` days after it arrived."""
    return ("notice", by, at, requests, due)
