"""The programme's year navigation (issue 16, the newcomer's path): only the years with
audits the user sees, and the one before and after today's, have a page and a link."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

TODAY = dt.datetime(2026, 12, 7, 10, tzinfo=dt.timezone(dt.timedelta(hours=9)))

pytestmark = pytest.mark.django_db


def status(client, year: int) -> int:
    return client.get(reverse("audit_programme_year", args=[year])).status_code


def test_without_audits_the_pages_are_last_this_and_next_year(client, audit_lead):
    client.force_login(audit_lead)
    with time_machine.travel(TODAY, tick=False):
        assert [status(client, year) for year in (2024, 2025, 2026, 2027, 2028)] == [404, 200, 200, 200, 404]
        last = client.get(reverse("audit_programme_year", args=[2025])).context
        assert (last["previous_year"], last["next_year"]) == (None, 2026)
        this = client.get(reverse("audit_programme")).context
        assert (this["previous_year"], this["next_year"]) == (2025, 2027)
        page = client.get(reverse("audit_programme_year", args=[2027]))
        assert page.context["next_year"] is None
        assert reverse("audit_programme_year", args=[2028]) not in page.content.decode()


def test_a_year_with_audits_has_its_page(client, audit_lead, plan_audit):
    with time_machine.travel(dt.datetime(2022, 6, 1, 10, tzinfo=TODAY.tzinfo), tick=False):
        plan_audit(title="2022年度 内部監査")
    client.force_login(audit_lead)
    with time_machine.travel(TODAY, tick=False):
        assert [status(client, year) for year in (2021, 2022, 2023)] == [404, 200, 200]
        assert client.get(reverse("audit_programme_year", args=[2022])).context["previous_year"] is None
