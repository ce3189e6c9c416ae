"""What the tests of the reporting tracks' API share: a fixed clock, a leak, the URLs."""


import datetime as dt

import time_machine
from django.urls import reverse

from incidents.clocks import JAPAN
from incidents.models import Incident, ReportingTrack
from tests.incidents.factories import (
    reported_incident,
)

# A Monday in June, a month without national holidays: the 確報 limit is plain day 30, Tue 6/30.
DISCOVERED = dt.datetime(2026, 6, 1, 9, 0, tzinfo=JAPAN)
NOW = DISCOVERED + dt.timedelta(hours=1)

TRACKS_URL = reverse("api:track-list")
INCIDENTS_URL = reverse("api:incident-list")

TRACK_FIELDS = {
    "id", "kind", "kind_display", "state", "state_display", "due_at", "limit_at", "filed_at", "filed_by",
    "recipient_reference", "method", "filing_note", "not_required_reason", "overdue", "late", "version",
}
# In the order of the lists: by limit, then in the order the system created them.
REPORTABLE_KINDS = ["ppc_preliminary", "pmark_preliminary", "ppc_final", "pmark_final", "data_subjects"]


def at(days=0, hours=0, minutes=0) -> dt.datetime:
    return DISCOVERED + dt.timedelta(days=days, hours=hours, minutes=minutes)


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.max, tzinfo=JAPAN)


def moment(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def detail_url(track) -> str:
    return reverse("api:track-detail", args=[track.pk])


def transitions_url(track) -> str:
    return reverse("api:track-transitions", args=[track.pk])


def transition_url(track, name: str) -> str:
    return reverse("api:track-transition", args=[track.pk, name])


def history_url(track) -> str:
    return reverse("api:track-history", args=[track.pk])


def incident_url(incident) -> str:
    return reverse("api:incident-detail", args=[incident.pk])


def frozen_clock():
    """Time stands still at NOW; `clock.move_to(...)` moves it. The test modules make it
    their `clock` fixture: clock = pytest.fixture(name="clock")(frozen_clock)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def leak(reporter, **overrides) -> Incident:
    """A leak of one customer's medical history (category 1: reportable), discovered at DISCOVERED."""
    data = {"discovered_at": DISCOVERED, "occurred_at": DISCOVERED - dt.timedelta(hours=3),
            "involves_sensitive_data": True, "affected_count": 1, "data_items": "氏名、病歴"}
    return reported_incident(reporter, **{**data, **overrides})


def track_of(incident, kind) -> ReportingTrack:
    return incident.tracks.get(kind=kind)


def filing(**overrides) -> dict:
    data = {"filed_at": NOW.isoformat(), "recipient_reference": "PPC-2026-000123", "method": "online_form",
            "filing_note": "報告フォームから送信", "comment": "速報を提出した。"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
