"""The headline figures of a review (audits/review_headlines.py): each against the year
before, better or worse, and marked good / watch / action needed by the written rules."""

from __future__ import annotations

import pytest
from django.utils import translation

from audits.review_headlines import BAD, GOOD, WATCH, headlines, tally


def inputs(**overrides) -> dict:
    """The parts of review.inputs() the headline figures read: a sound year after a worse one."""
    data = {
        "incidents": {"accidents": 3, "near_misses": 2, "containment_hours": {"median": 5.0},
                      "recurrence": {"rate": 5.0, "recurring": 1, "analysed": 20}},
        "tracks": {"on_time_rate": 100.0, "totals": {"late": 0, "overdue": 0, "pending": 1}},
        "actions": {"on_time_rate": 95.0, "effective_rate": 92.0,
                    "totals": {"total": 20, "overdue": 0, "effective": 11, "checked": 12}},
        "audits": {"by_grade": [{"grade": "major", "count": 0, "previous": 1},
                                {"grade": "minor", "count": 2, "previous": 3}],
                   "findings_open": 1, "coverage": {"rate": 100.0, "covered": 6, "departments": 6}},
        "cases": {"requests": {"on_time_rate": 100.0, "total": 2, "late": 0, "overdue": 0}},
        "previous_year": {
            "empty": False, "incidents": {"accidents": 5, "near_misses": 1},
            "tracks": {"on_time_rate": 80.0}, "actions": {"on_time_rate": 95.0, "effective_rate": 60.0},
            "recurrence": {"rate": 12.5}, "coverage": {"rate": 50.0}, "requests": {"on_time_rate": None},
        },
    }
    for key, value in overrides.items():
        data[key] = value
    return data


def by_key(data: dict) -> dict:
    return {row.key: row for row in headlines(data)}


def test_eight_figures_each_against_the_year_before():
    with translation.override("en"):
        rows = by_key(inputs())
        assert len(rows) == 8
        accidents = rows["accidents"]
        assert (accidents.value, accidents.previous, accidents.trend, accidents.better) == ("3", "5", "down", True)
        assert accidents.trend_text == "↓ better (previous year 5)"
        assert accidents.mark_text == "○ Good"
        assert rows["actions_on_time"].trend == "same" and rows["actions_on_time"].trend_text.startswith("→ same")
        assert rows["recurrence"].better is True  # lower is better
        assert rows["nonconformities"].value == "2" and rows["nonconformities"].previous == "4"
        assert rows["requests"].trend == "" and rows["requests"].trend_text == "previous year —"
    assert tally(list(by_key(inputs()).values())) == {BAD: 0, WATCH: 0, GOOD: 8}


@pytest.mark.parametrize(("rate", "mark"), [(95.0, GOOD), (90.0, GOOD), (75.0, WATCH), (69.9, BAD), (None, "")])
def test_rates_are_marked_by_their_thresholds(rate, mark):
    data = inputs(actions={"on_time_rate": rate, "effective_rate": None, "totals": {}})
    assert by_key(data)["actions_on_time"].mark == mark


def test_anything_overdue_needs_action_whatever_the_rate():
    data = inputs(tracks={"on_time_rate": 95.0, "totals": {"overdue": 1}})
    assert by_key(data)["reports"].mark == BAD
    data = inputs(tracks={"on_time_rate": 95.0, "totals": {"overdue": 0}})
    assert by_key(data)["reports"].mark == WATCH


@pytest.mark.parametrize(("now", "before", "mark"), [(5, 5, GOOD), (6, 5, WATCH), (8, 5, BAD), (2, 1, WATCH)])
def test_more_accidents_than_the_year_before(now, before, mark):
    data = inputs(incidents={"accidents": now})
    data["previous_year"]["incidents"] = {"accidents": before}
    assert by_key(data)["accidents"].mark == mark


def test_a_major_nonconformity_needs_action():
    data = inputs()
    data["audits"]["by_grade"][0]["count"] = 1
    assert by_key(data)["nonconformities"].mark == BAD


def test_an_old_snapshot_or_an_empty_year_has_nothing_to_compare_with():
    for data in (inputs(previous_year=None), inputs(previous_year={"empty": True, "incidents": {"accidents": 0}})):
        rows = by_key(data)
        assert all(row.trend == "" for key, row in rows.items() if key != "nonconformities")
        assert rows["accidents"].mark == WATCH  # marked on its own level: some accidents
    # the findings of the year before come with the audits: an empty year has none to compare
    assert by_key(inputs(previous_year={"empty": True}))["nonconformities"].trend == ""
    assert by_key(inputs(previous_year=None))["nonconformities"].trend == "down"
