"""Sortable list pages (?sort=key / -key among a whitelist, ties by id) and the date-range
filters (a date the form refuses is a 400 with the error beside its field, never a 500)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import QueryDict
from django.urls import reverse

from incidents.clocks import JAPAN
from incidents.models import Incident
from incidents.sorting import Sorting
from tests.incidents.factories import ActionFactory, IncidentFactory

pytestmark = pytest.mark.django_db


def references(response) -> list[str]:
    assert response.status_code == 200
    return [row.reference for row in response.context["page"].object_list]


@pytest.fixture
def three(sales, it_dept, staff):
    """Three incidents: discovered on 1, 3 and 2 April, of different kinds and states."""
    def make(day, **fields):
        moment = dt.datetime(2026, 4, day, 10, 0, tzinfo=JAPAN)
        return IncidentFactory(reporter=staff, discovered_at=moment, occurred_at=moment, **fields)

    return {
        "first": make(1, department=sales, kind="near_miss", title="ウ", severity=""),
        "third": make(3, department=it_dept, kind="leak", title="ア", severity="L3"),
        "second": make(2, department=sales, kind="loss", title="イ", severity="L1"),
    }


def test_the_incident_list_sorts_by_a_column_both_ways(client, manager, three):
    client.force_login(manager)
    url = reverse("incident_list")
    first, second, third = three["first"].reference, three["second"].reference, three["third"].reference

    assert references(client.get(url, {"sort": "discovered"})) == [first, second, third]
    assert references(client.get(url, {"sort": "-discovered"})) == [third, second, first]
    assert references(client.get(url, {"sort": "title"})) == [third, second, first]
    # Kinds and states in the order of the workflow, not of their codes' spelling.
    assert references(client.get(url, {"sort": "kind"})) == [third, second, first]  # leak, loss, near miss
    # A blank severity last, whichever way.
    assert references(client.get(url, {"sort": "severity"})) == [second, third, first]
    assert references(client.get(url, {"sort": "-severity"})) == [third, second, first]


def test_ties_are_broken_by_id(client, manager, sales, staff):
    moment = dt.datetime(2026, 4, 1, 10, 0, tzinfo=JAPAN)
    same = [IncidentFactory(department=sales, reporter=staff, discovered_at=moment, occurred_at=moment)
            for _ in range(3)]
    client.force_login(manager)

    assert references(client.get(reverse("incident_list"), {"sort": "discovered"})) == [i.reference for i in same]
    assert references(client.get(reverse("incident_list"), {"sort": "-discovered"})) == [
        i.reference for i in reversed(same)]


@pytest.mark.parametrize("value", ["password", "-reporter__password", "id); DROP TABLE x", "--title", "", "-"])
def test_an_unknown_sort_is_ignored(client, manager, three, value):
    client.force_login(manager)
    default = references(client.get(reverse("incident_list")))

    response = client.get(reverse("incident_list"), {"sort": value})

    assert references(response) == default  # the list's own order (the latest reported first)
    assert response.context["sorting"].param == ""
    assert "aria-sort" not in response.content.decode()


def test_the_headers_link_to_the_other_order_and_say_which_is_current(client, manager, three):
    client.force_login(manager)

    page = client.get(reverse("incident_list"), {"kind": "leak", "sort": "discovered"}).content.decode()

    assert 'aria-sort="ascending"' in page
    assert page.count("aria-sort=") == 1
    assert 'href="?kind=leak&amp;sort=-discovered"' in page  # the current column: the other way round
    assert 'href="?kind=leak&amp;sort=title"' in page  # another column: ascending, the filters kept
    assert '<input type="hidden" name="sort" value="discovered">' in page  # the filter bar keeps it too
    page = client.get(reverse("incident_list"), {"sort": "-discovered"}).content.decode()
    assert 'aria-sort="descending"' in page


def test_pagination_keeps_the_order(client, manager, sales, staff):
    for _ in range(52):
        IncidentFactory(department=sales, reporter=staff)
    client.force_login(manager)

    page = client.get(reverse("incident_list"), {"sort": "reference"}).content.decode()
    assert "?sort=reference&amp;page=2" in page
    second = references(client.get(reverse("incident_list"), {"sort": "reference", "page": 2}))
    assert second == list(Incident.objects.order_by("reference").values_list("reference", flat=True))[50:]


def test_the_next_deadline_sorts_with_the_incidents_owing_nothing_last(client, manager, sales, staff):
    from incidents.models import ReportingTrack, TrackKind

    later, sooner, none = (IncidentFactory(department=sales, reporter=staff) for _ in range(3))
    for incident, days in ((later, 9), (sooner, 2)):
        limit = dt.datetime(2030, 1, days, 23, 59, tzinfo=JAPAN)
        ReportingTrack.objects.create(incident=incident, kind=TrackKind.PPC_PRELIMINARY, due_at=limit, limit_at=limit)
    client.force_login(manager)

    assert references(client.get(reverse("incident_list"), {"sort": "deadline"})) == [
        sooner.reference, later.reference, none.reference]
    assert references(client.get(reverse("incident_list"), {"sort": "-deadline"})) == [
        later.reference, sooner.reference, none.reference]


@pytest.mark.parametrize(("url_name", "key"), [
    ("action_list", "due"), ("action_list", "-state"), ("track_list", "-limit"), ("request_list", "received"),
    ("complaint_list", "-classification"), ("audit_list", "dates"), ("finding_list", "-grade"),
    ("finding_list", "clause"),
])
def test_every_list_sorts(client, manager, url_name, key):
    client.force_login(manager)
    ActionFactory()

    response = client.get(reverse(url_name), {"sort": key})

    assert response.status_code == 200
    assert response.context["sorting"].param == key


def test_sorting_reads_only_its_keys():
    keys = {"title": ("title",)}
    assert Sorting(QueryDict("sort=-title"), keys).param == "-title"
    assert Sorting(QueryDict("sort=other"), keys).param == ""
    assert Sorting(QueryDict("sort=title&q=x"), keys).header("title")["url"] == "?q=x&sort=-title"
    assert Sorting(QueryDict(""), keys).header("other") is None


# ---------------------------------------------------------------------------
# Date ranges


def test_the_incident_list_filters_by_dates_in_japan_time(client, manager, three, sales, staff):
    # Discovered at 00:30 on 5 April in Tokyo: still 4 April in UTC.
    early = IncidentFactory(department=sales, reporter=staff,
                            discovered_at=dt.datetime(2026, 4, 5, 0, 30, tzinfo=JAPAN),
                            occurred_at=dt.datetime(2026, 4, 5, 0, 0, tzinfo=JAPAN))
    client.force_login(manager)
    url = reverse("incident_list")

    assert set(references(client.get(url, {"discovered_from": "2026-04-02", "discovered_to": "2026-04-03"}))) == {
        three["second"].reference, three["third"].reference}
    assert references(client.get(url, {"discovered_from": "2026-04-05"})) == [early.reference]
    assert references(client.get(url, {"discovered_to": "2026-04-04", "sort": "discovered"})) == [
        three["first"].reference, three["second"].reference, three["third"].reference]
    assert len(references(client.get(url, {"reported_from": "2000-01-01"}))) == 4  # reported today
    assert references(client.get(url, {"reported_to": "2000-01-01"})) == []


@pytest.mark.parametrize("value", ["2026-13-45", "yesterday", "99999-01-01", "2026-02-30"])
def test_a_bad_date_is_a_400_with_the_error_beside_its_field(client, manager, three, value):
    client.force_login(manager)

    response = client.get(reverse("incident_list"), {"discovered_from": value, "kind": "leak"})

    assert response.status_code == 400
    assert response.context["filter"].errors["discovered_from"]
    assert 'class="field__error"' in response.content.decode()
    # The other filters still apply; the refused one does not.
    assert references_of(response) == [three["third"].reference]


def references_of(response) -> list[str]:
    return [row.reference for row in response.context["page"].object_list]


@pytest.mark.parametrize(("url_name", "field"), [
    ("action_list", "due_after"), ("action_list", "due_before"), ("track_list", "limit_from"),
    ("request_list", "received_to"), ("complaint_list", "received_from"), ("incident_list", "reported_to"),
])
def test_every_date_filter_refuses_a_bad_date_with_a_400(client, manager, url_name, field):
    client.force_login(manager)

    response = client.get(reverse(url_name), {field: "2026-99-99"})

    assert response.status_code == 400
    assert response.context["filter"].errors[field]


def test_the_action_list_filters_by_due_dates(client, manager, sales):
    from django.utils import timezone

    today = timezone.localdate()
    soon = ActionFactory(department=sales, due_date=today + dt.timedelta(days=3))
    later = ActionFactory(department=sales, due_date=today + dt.timedelta(days=30))
    client.force_login(manager)
    url = reverse("action_list")

    assert references(client.get(url, {"due_after": (today + dt.timedelta(days=4)).isoformat()})) == [
        later.reference]
    assert references(client.get(url, {"due_after": today.isoformat(),
                                       "due_before": (today + dt.timedelta(days=3)).isoformat()})) == [soon.reference]


def test_the_api_takes_the_new_filters_and_refuses_a_bad_date(api_as, manager, three):
    api = api_as(manager)

    response = api.get(reverse("api:incident-list"), {"discovered_from": "2026-04-02", "discovered_to": "2026-04-02"})
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [three["second"].reference]

    response = api.get(reverse("api:incident-list"), {"discovered_from": "2026-13-45"})
    assert response.status_code == 400
    assert "discovered_from" in response.json()

    response = api.get(reverse("api:incident-list"), {"overdue": "maybe"})
    assert response.status_code == 400
