"""APPI rule art. 7: which incidents are 報告対象事態 (domain.md §1.3, §1.4, §1.5a)."""

from types import SimpleNamespace

import pytest

from incidents.reportability import assess

RULES_2024 = SimpleNamespace(subject_count_threshold=1000, collection_counts_for_unauthorized_purpose=True)
RULES_2022 = SimpleNamespace(subject_count_threshold=1000, collection_counts_for_unauthorized_purpose=False)

BASE = {
    "kind": "leak",
    "involves_sensitive_data": False,
    "risk_of_financial_damage": False,
    "suspected_unauthorized_purpose": False,
    "data_in_collection": False,
    "strongly_encrypted": False,
    "affected_count": 10,
    "rules": RULES_2024,
}


def categories(**changes):
    result = assess(**{**BASE, **changes})
    return result.reportable, [r.category for r in result.reasons], [r.code for r in result.reasons]


def test_it_reports_none_with_the_reason():
    assert categories() == (False, [None], ["no_category"])


@pytest.mark.parametrize(
    ("field", "category"),
    [
        ("involves_sensitive_data", 1),
        ("risk_of_financial_damage", 2),
        ("suspected_unauthorized_purpose", 3),
    ],
)
def test_it_reports_each_category_alone(field, category):
    reportable, cats, _ = categories(**{field: True})
    assert reportable is True
    assert cats == [category]


def test_it_counts_more_than_1000_subjects_but_not_1000():
    assert categories(affected_count=1000)[0] is False
    assert categories(affected_count=1001) == (True, [4], ["over_1000_subjects"])


def test_it_lists_every_category_that_applies():
    reportable, cats, _ = categories(
        involves_sensitive_data=True, risk_of_financial_damage=True,
        suspected_unauthorized_purpose=True, affected_count=5000,
    )
    assert reportable is True
    assert cats == [1, 2, 3, 4]


def test_strong_encryption_excludes_every_category():
    reportable, _, codes = categories(
        involves_sensitive_data=True, suspected_unauthorized_purpose=True, affected_count=5000,
        strongly_encrypted=True,
    )
    assert (reportable, codes) == (False, ["strongly_encrypted"])


@pytest.mark.parametrize("kind", ["misuse", "violation", "weakness", "near_miss", "other"])
def test_only_leak_loss_and_damage_are_reportable(kind):
    reportable, _, codes = categories(kind=kind, involves_sensitive_data=True)
    assert (reportable, codes) == (False, ["not_a_leak"])


@pytest.mark.parametrize("kind", ["leak", "loss", "damage"])
def test_loss_and_damage_count_like_a_leak(kind):
    assert categories(kind=kind, involves_sensitive_data=True)[0] is True


def test_data_being_collected_counts_toward_category_3_only():
    # Web skimming: form input stolen before it reached our database (the 2024 rule).
    assert categories(data_in_collection=True, suspected_unauthorized_purpose=True) == (
        True, [3], ["unauthorized_purpose_collection"]
    )
    # Without an unauthorized purpose, being collected does not make categories 1, 2, 4 apply.
    reportable, _, codes = categories(
        data_in_collection=True, involves_sensitive_data=True, risk_of_financial_damage=True, affected_count=5000
    )
    assert (reportable, codes) == (False, ["no_category"])


def test_the_collection_rule_depends_on_the_rule_set():
    before = categories(data_in_collection=True, suspected_unauthorized_purpose=True, rules=RULES_2022)
    assert before == (False, [None], ["collection_before_2024"])
    after = categories(data_in_collection=True, suspected_unauthorized_purpose=True, rules=RULES_2024)
    assert after[0] is True


def test_the_threshold_comes_from_the_rule_set():
    stricter = SimpleNamespace(subject_count_threshold=100, collection_counts_for_unauthorized_purpose=True)
    assert categories(affected_count=101, rules=stricter)[0] is True
    assert categories(affected_count=101)[0] is False


def test_nothing_is_reportable_without_rules_in_force():
    assert categories(involves_sensitive_data=True, rules=None) == (False, [None], ["no_rule_in_force"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("discovered", "version", "reportable"),
    [("2024-03-31T12:00:00+09:00", "2022-04", False), ("2024-04-01T00:00:00+09:00", "2024-04", True)],
)
def test_an_incident_uses_the_rules_in_force_on_its_discovery_day(staff, discovered, version, reportable):
    import time_machine
    from django.utils.dateparse import parse_datetime

    from tests.incidents.factories import reported_incident

    with time_machine.travel("2024-06-01T09:00:00+09:00", tick=False):
        incident = reported_incident(
            staff, discovered_at=parse_datetime(discovered), data_in_collection=True,
            suspected_unauthorized_purpose=True,
        )
    assert incident.rule_set.version == version
    assert incident.reportable is reportable


@pytest.mark.django_db
def test_the_incident_stores_and_explains_its_assessment(staff):
    from tests.incidents.factories import reported_incident

    incident = reported_incident(staff, affected_count=1200, suspected_unauthorized_purpose=True)
    incident.refresh_from_db()
    assert incident.reportable is True
    assert [r["category"] for r in incident.reportable_reasons] == [3, 4]
    assert all(r["message"] for r in incident.reportable_reasons)
