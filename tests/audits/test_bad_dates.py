"""Audit plans out of the date bounds are refused (issue 11; the rest in tests/test_bad_input.py)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

AUDITS_URL = reverse("audits_api:audit-list")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BOUNDS_EN = "Enter a date from 2000-01-01 to 2100-12-31."


def test_an_audit_planned_before_2000_is_refused(api_as, audit_lead, lead_auditor, clauses, sales):
    payload = {
        "title": "営業部 内部監査", "kind": "internal", "departments": [sales.pk], "clauses": [c.pk for c in clauses],
        "lead_auditor": lead_auditor.pk, "auditors": [], "planned_start": "1999-04-01", "planned_end": "2101-04-02",
    }
    response = api_as(audit_lead).post(AUDITS_URL, payload, format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {"planned_start": [BOUNDS_EN], "planned_end": [BOUNDS_EN]}


def test_a_review_stored_before_the_bounds_still_reads(manager):
    """Values stored before dates were bounded cannot break the reads: the inputs and the
    fiscal year of a period ending on the calendar's last day still compute."""
    import datetime as dt

    from audits.fiscal import fiscal_year_bounds
    from audits.review_inputs import _bounds

    assert fiscal_year_bounds(dt.MAXYEAR)[1] == dt.date.max
    start, end = _bounds(dt.date(2026, 4, 1), dt.date.max)
    assert start < end
