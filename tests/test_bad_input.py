"""Bad input is a 4xx everywhere (issue 11): JSON nested too deep, dates out of bounds, an
incident without rules in force, invalid filter / ordering / page values, unknown API URLs.
Every refusal names what is wrong, in Japanese and English."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audits import services as audit_services
from audits.models import Review
from incidents.models import RuleSet
from incidents.models.reporting import ReportingTrack
from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db

INCIDENTS_URL = reverse("api:incident-list")
ACTIONS_URL = reverse("api:action-list")
FINDINGS_URL = reverse("audits_api:finding-list")
AUDITS_URL = reverse("audits_api:audit-list")
REVIEWS_URL = reverse("audits_api:review-list")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
BOUNDS_EN = "Enter a date from 2000-01-01 to 2100-12-31."
BOUNDS_JA = "2000-01-01 から 2100-12-31 までの日付を入力してください。"


def report(**overrides) -> dict:
    data = {
        "title": "顧客リストの誤送信", "description": "取引先宛のメールに顧客リストを誤って添付した。",
        "discovered_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(), "kind": "leak",
    }
    return {**data, **overrides}


def post_raw(client, url, body: str, **headers):
    return client.generic("POST", url, body, content_type="application/json", **headers)


# ---------------------------------------------------------------------------
# JSON nesting


@pytest.mark.parametrize("url", [INCIDENTS_URL, ACTIONS_URL, AUDITS_URL, REVIEWS_URL])
def test_json_nested_a_thousand_deep_is_a_400_naming_the_limit(api_as, manager, url):
    body = "[" * 1000 + "]" * 1000
    response = post_raw(api_as(manager), url, body, **EN)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - the body is nested deeper than 32 levels.", "code": "parse_error",
    }
    japanese = post_raw(api_as(manager), url, '{"title": ' + "[" * 1000 + "]" * 1000 + "}", **JA)
    assert japanese.status_code == 400
    assert japanese.json()["detail"] == "JSON の解析エラー - 本文の入れ子が 32 段を超えています。"


def test_brackets_inside_strings_do_not_count(api_as, staff):
    body = json.dumps(report(description="[{" * 500 + '"\\"' + "]}" * 500))
    response = post_raw(api_as(staff), INCIDENTS_URL, body, **EN)
    assert response.status_code == 201, response.content


def test_nesting_up_to_the_limit_is_parsed(api_as, staff):
    body = json.dumps(report(title=json.loads("[" * 31 + "]" * 31)))
    response = post_raw(api_as(staff), INCIDENTS_URL, body, **EN)
    assert response.status_code == 400
    assert "title" in response.json()  # the serializer's answer, not the depth limit


# ---------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize("field", ["discovered_at", "occurred_at"])
def test_an_incident_before_2000_is_refused(api_as, staff, field):
    payload = report(**{field: "1999-12-31T12:00:00+09:00"})
    response = api_as(staff).post(INCIDENTS_URL, payload, format="json", **EN)
    assert response.status_code == 400
    assert response.json()[field] == [BOUNDS_EN]
    response = api_as(staff).post(INCIDENTS_URL, payload, format="json", **JA)
    assert response.json()[field] == [BOUNDS_JA]


def test_an_incident_discovered_in_the_future_is_refused(api_as, staff):
    payload = report(discovered_at=(timezone.now() + dt.timedelta(days=1)).isoformat())
    response = api_as(staff).post(INCIDENTS_URL, payload, format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {"discovered_at": ["The discovery cannot be in the future."]}


def test_the_model_refuses_out_of_bounds_dates_too(staff):
    incident = IncidentFactory.build(reporter=staff, discovered_at=dt.datetime(1999, 1, 1, tzinfo=dt.UTC),
                                     occurred_at=None)
    with pytest.raises(ValidationError) as error:
        incident.clean()
    assert error.value.message_dict == {"discovered_at": [BOUNDS_JA]}
    track = ReportingTrack(filed_at=dt.datetime(2101, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(ValidationError) as error:
        track.clean()
    assert error.value.message_dict == {"filed_at": [BOUNDS_JA]}


def test_an_action_due_after_2100_is_refused(api_as, manager, staff):
    incident = IncidentFactory(reporter=staff, department=staff.profile.department)
    payload = {"incident": incident.pk, "kind": "corrective", "title": "対策", "owner": staff.pk,
               "verifier": manager.pk, "due_date": "2101-01-01"}
    response = api_as(manager).post(ACTIONS_URL, payload, format="json", **EN)
    assert response.status_code == 400
    assert response.json()["due_date"] == [BOUNDS_EN]


def test_a_review_period_ending_9999_is_refused(api_as, manager):
    payload = {"period_start": "2026-04-01", "period_end": "9999-12-31"}
    response = api_as(manager).post(REVIEWS_URL, payload, format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {"period_end": [BOUNDS_EN]}
    response = api_as(manager).post(REVIEWS_URL, {"period_start": "9998-04-01"}, format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {"period_start": [BOUNDS_EN]}
    assert not Review.objects.exists()


def test_a_review_period_is_two_years_at_the_most(api_as, manager):
    payload = {"period_start": "2020-04-01", "period_end": "2023-03-31"}
    response = api_as(manager).post(REVIEWS_URL, payload, format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {"period_end": ["A review covers two years at the most."]}


def test_the_model_refuses_a_review_out_of_bounds(manager):
    with pytest.raises(ValidationError) as error:
        audit_services.review_create(by=manager, period_start=dt.date(2099, 4, 1), period_end=dt.date(2101, 3, 31))
    assert error.value.message_dict == {"period_end": [BOUNDS_JA]}


# ---------------------------------------------------------------------------
# Rules in force


def test_an_incident_discovered_before_any_rule_set_is_refused(api_as, staff):
    first = RuleSet.objects.order_by("effective_from").first().effective_from
    discovered = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
    payload = report(discovered_at=discovered.isoformat())
    response = api_as(staff).post(INCIDENTS_URL, payload, format="json", **EN)
    assert response.status_code == 400
    day = (first - dt.timedelta(days=1)).isoformat()
    assert response.json() == {"discovered_at": [
        f"No reporting rule set is in force on {day}, so the reports the incident owes cannot be set. "
        "Ask the administrator to add one at /admin/incidents/ruleset/."
    ]}
    japanese = api_as(staff).post(INCIDENTS_URL, payload, format="json", **JA).json()["discovered_at"][0]
    assert "/admin/incidents/ruleset/" in japanese and day in japanese and "報告ルール" in japanese


# ---------------------------------------------------------------------------
# Filters, ordering, pages


@pytest.mark.parametrize(("url", "query", "parameter", "message"), [
    (INCIDENTS_URL, {"reportable": "maybe"}, "reportable", "Enter true or false."),
    (INCIDENTS_URL, {"open": "yes please"}, "open", "Enter true or false."),
    (INCIDENTS_URL, {"state": "nonsense"}, "state", None),
    (INCIDENTS_URL, {"page_size": "abc"}, "page_size", "Enter a whole number from 1 to 200."),
    (INCIDENTS_URL, {"page_size": "0"}, "page_size", "Enter a whole number from 1 to 200."),
    (INCIDENTS_URL, {"page_size": "201"}, "page_size", "Enter a whole number from 1 to 200."),
    (INCIDENTS_URL, {"page": "abc"}, "page", "Enter a whole number of at least 1."),
    (ACTIONS_URL, {"overdue": "maybe"}, "overdue", "Enter true or false."),
    (ACTIONS_URL, {"incident": "abc"}, "incident", None),
    (FINDINGS_URL, {"awaiting_my_response": "maybe"}, "awaiting_my_response", "Enter true or false."),
    (REVIEWS_URL, {"covers": "yesterday"}, "covers", None),
    # Numbers beyond the database's integers were a 500 (an overflow in the query).
    (ACTIONS_URL, {"owner": "-2.465557492598123e+56"}, "owner", None),
    (ACTIONS_URL, {"incident": "99999999999999999999"}, "incident", None),
    (ACTIONS_URL, {"owner": "1.5"}, "owner", "Enter a whole number."),
    (FINDINGS_URL, {"audit": "-99999999999999999999"}, "audit", None),
    (AUDITS_URL, {"fiscal_year": "1e30"}, "fiscal_year", None),
    (REVIEWS_URL, {"fiscal_year": "2026.5"}, "fiscal_year", "Enter a whole number."),
    (reverse("api:track-list"), {"incident": "9223372036854775808"}, "incident",
     "Ensure this value is less than or equal to 9223372036854775807."),
    # DRF's search answers a bare list for a null character; ours names the parameter.
    (INCIDENTS_URL, {"search": "a\x00b"}, "search", "Null characters are not allowed."),
    (REVIEWS_URL, {"search": "\x00"}, "search", "Null characters are not allowed."),
])
def test_an_invalid_filter_value_is_a_400_naming_it(api_as, manager, url, query, parameter, message):
    response = api_as(manager).get(url, query, **EN)
    assert response.status_code == 400, response.content
    assert list(response.json()) == [parameter]
    if message:
        assert response.json()[parameter] == [message]


def test_an_unknown_ordering_is_a_400_naming_it(api_as, manager):
    response = api_as(manager).get(INCIDENTS_URL, {"ordering": "nonexistent,-reference"}, **EN)
    assert response.status_code == 400
    message = response.json()["ordering"][0]
    assert message.startswith("Cannot order by nonexistent. Choose among: ")
    assert "reference" in message
    assert api_as(manager).get(INCIDENTS_URL, {"ordering": "-reference"}).status_code == 200


def test_the_japanese_filter_messages(api_as, manager):
    response = api_as(manager).get(INCIDENTS_URL, {"reportable": "maybe", **{}}, **JA)
    assert response.json() == {"reportable": ["true か false を指定してください。"]}
    response = api_as(manager).get(INCIDENTS_URL, {"page_size": "abc"}, **JA)
    assert response.json() == {"page_size": ["1 から 200 までの整数を指定してください。"]}


def test_valid_values_still_filter(api_as, manager):
    assert api_as(manager).get(INCIDENTS_URL, {"reportable": "false", "page_size": "200", "page": "1"}).status_code == 200
    assert api_as(manager).get(INCIDENTS_URL, {"page": "last"}).status_code == 200


# ---------------------------------------------------------------------------
# Unknown URLs


def test_an_unknown_api_url_is_a_json_404(api_as, manager):
    response = api_as(manager).get("/api/no-such-thing/", **EN)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_an_unknown_page_is_still_an_html_404(client, manager):
    client.force_login(manager)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_is_json(rf):
    from config.urls import handler500

    response = handler500(rf.get("/api/incidents/"))
    assert response.status_code == 500
    assert json.loads(response.content)["code"] == "error"
    assert handler500(rf.get("/incidents/"))["Content-Type"].startswith("text/html")
