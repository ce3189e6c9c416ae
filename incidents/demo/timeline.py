"""The demo's clock: every step of every story, played in the order of its moment.

The seeder gives each step of each story its moment (`Thread.add`); `Timeline.play` then
runs them all, earliest first, with the clock moved to each step's moment (time-machine,
frozen: the step's rows all say the same instant). The services therefore write what
they write in real use, at that moment: creation and change times, trail entries and
saved versions, the dates of the steps (contained, filed, implemented...), and reference
numbers of that year taken from the counter in date order. Nothing is dated after the
fact, so the trail stays append-only while the demo is seeded.

The stories are interleaved: one year's records are numbered in the order they happened,
whichever story they belong to, because their steps are played in that order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

import time_machine
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from incidents.exceptions import WorkflowError

# The demo company is set up (departments, users) this long before its first step, so that
# nobody acts before their account exists.
SETUP_LEAD = dt.timedelta(days=1)


@dataclass(order=True)
class Beat:
    """One step of one story: what to run, and when. Ties keep the order the steps were added."""

    moment: dt.datetime
    order: int
    label: str = field(compare=False)
    run: Callable[[], object] = field(compare=False)


class Timeline:
    def __init__(self, now: dt.datetime):
        self.now = now  # the moment the seed runs: no step may come after it
        self.beats: list[Beat] = []

    def thread(self, title: str, *, after: dt.datetime | None = None) -> Thread:
        """A story's steps; `after`, the step of another thread they follow (an approval's actions)."""
        return Thread(self, title, after)

    def add(self, moment: dt.datetime, label: str, run: Callable[[], object]) -> None:
        if moment >= self.now:
            raise CommandError(f"Demo data error in “{label}”: dated {timezone.localtime(moment):%Y-%m-%d %H:%M}, "
                               "after the moment of seeding.")
        self.beats.append(Beat(moment, len(self.beats), label, run))

    def play(self, setup: Callable[[], object]) -> None:
        """`setup` (the organisation) first, then every step in the order of its moment.

        One transaction: a run that fails leaves nothing behind (the stories are interleaved,
        so no story could be committed on its own).
        """
        beats, self.beats = sorted(self.beats), []
        start = beats[0].moment - SETUP_LEAD if beats else None
        with transaction.atomic():
            with _at(start):
                setup()
            for beat in beats:
                with _at(beat.moment):
                    try:
                        beat.run()
                    except (WorkflowError, ValidationError) as error:
                        problems = " ".join(map(str, getattr(error, "problems", None) or [])) or str(error)
                        raise CommandError(f"Demo data error in “{beat.label}” "
                                           f"({timezone.localtime(beat.moment):%Y-%m-%d %H:%M}): {problems}") from error


class Thread:
    """The steps of one story, added in the order it tells them, which must be their dates' order."""

    def __init__(self, timeline: Timeline, title: str, after: dt.datetime | None = None):
        self.timeline, self.title = timeline, title
        self.last = after

    def add(self, moment: dt.datetime, step: str, run: Callable[[], object]) -> None:
        label = f"{self.title}, {step}"
        if self.last is not None and moment < self.last:
            # Played by date, it would run before the step told before it.
            raise CommandError(f"Demo data error in “{label}”: dated before the step told before it.")
        self.last = moment
        self.timeline.add(moment, label, run)


def _at(moment: dt.datetime | None):
    """The clock frozen at `moment`; the real clock when there is none."""
    return time_machine.travel(moment, tick=False) if moment is not None else nullcontext()
