"""/api/clauses/: the clause catalogue, read-only, for every signed-in user."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audits.models import Requirement

pytestmark = pytest.mark.django_db

CLAUSES_URL = reverse("audits_api:clause-list")


def clause(standard="jis_q_15001", edition="2023", number="9.2") -> Requirement:
    return Requirement.objects.get(standard=standard, edition=edition, clause=number)


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_clause_in_the_language_of_the_request(api_as, staff):
    internal_audit = clause()
    url = reverse("audits_api:clause-detail", args=[internal_audit.pk])
    client = api_as(staff)

    data = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").json()
    assert data == {
        "id": internal_audit.pk, "standard": "jis_q_15001", "standard_display": "JIS Q 15001", "edition": "2023",
        "clause": "9.2", "parent": clause(number="9").pk, "title_ja": "内部監査", "title_en": "Internal audit",
        "title": "内部監査", "verified": True,
    }
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["title"] == "Internal audit"


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ({"standard": "iso_iec_27001"}, lambda row: row["standard"] == "iso_iec_27001"),
        ({"standard": "jis_q_15001", "edition": "2017"}, lambda row: (row["standard"], row["edition"])
         == ("jis_q_15001", "2017")),
        ({"verified": "false"}, lambda row: row["verified"] is False),
        ({"verified": "true"}, lambda row: row["verified"] is True),
        ({"search": "内部監査"}, lambda row: "内部監査" in row["title_ja"]),
        ({"search": "Internal audit"}, lambda row: "internal audit" in row["title_en"].lower()),
    ],
)
def test_clause_filters_and_search(api_as, staff, query, check):
    found = rows(api_as(staff).get(CLAUSES_URL, {**query, "page_size": 200}))
    assert found and all(check(row) for row in found)
    expected = Requirement.objects.all()
    if "standard" in query:
        expected = expected.filter(standard=query["standard"])
    if "edition" in query:
        expected = expected.filter(edition=query["edition"])
    if "verified" in query:
        expected = expected.filter(verified=query["verified"] == "true")
    if "search" not in query:
        assert len(found) == expected.count()


def test_search_by_clause_number_finds_it_in_every_standard(api_as, staff):
    found = rows(api_as(staff).get(CLAUSES_URL, {"search": "9.2", "page_size": 200}))
    assert {(row["standard"], row["edition"]) for row in found if row["clause"] == "9.2"} == {
        ("jis_q_15001", "2023"), ("iso_iec_27001", "2022"),
    }


def test_the_catalogue_is_paginated_and_ordered(api_as, staff):
    data = api_as(staff).get(CLAUSES_URL, {"ordering": "clause", "page_size": 5}).json()
    assert data["count"] == Requirement.objects.count()
    assert len(data["results"]) == 5 and data["next"]
    clauses = [row["clause"] for row in data["results"]]
    assert clauses == sorted(clauses)


def test_the_catalogue_is_read_only(api_as, audit_lead):
    client = api_as(audit_lead)
    payload = {"standard": "jis_q_15001", "edition": "2023", "clause": "99", "title_ja": "x", "title_en": "x"}
    assert client.post(CLAUSES_URL, payload, format="json").status_code == 405
    url = reverse("audits_api:clause-detail", args=[clause().pk])
    assert client.patch(url, {"verified": False}, format="json").status_code == 405
    assert client.delete(url).status_code == 405


def test_unknown_clause_is_404_and_anonymous_is_401(api_as, staff):
    assert api_as(staff).get(reverse("audits_api:clause-detail", args=[999999])).status_code == 404
    assert APIClient().get(CLAUSES_URL).status_code == 401


def test_bad_filter_values_are_400(api_as, staff):
    response = api_as(staff).get(CLAUSES_URL, {"standard": "iso_9001"})
    assert response.status_code == 400
    assert "standard" in response.json()
