"""The API's exception handler: errors from below the views become answers, never a 500."""

from unittest import mock

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError
from django.urls import reverse

from incidents.exceptions import RecordClosed
from tests.incidents.factories import reported_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def patch_title(api_as, manager, staff):
    """PATCH an incident's title with the update service raising `error`."""
    incident = reported_incident(staff)

    def send(error):
        with mock.patch("incidents.api.views.services.incident_update", side_effect=error):
            return api_as(manager).patch(reverse("api:incident-detail", args=[incident.pk]), {"version": incident.version, "title": "新"},
                                         format="json", HTTP_ACCEPT_LANGUAGE="en")

    return send


def test_an_integrity_error_is_a_409(patch_title):
    response = patch_title(IntegrityError("CHECK constraint failed: incident_occurred_before_discovery"))

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "Reload the record" in response.json()["detail"]


def test_a_model_validation_error_is_a_400_per_field(patch_title):
    response = patch_title(ValidationError({"title": "Too dull.", NON_FIELD_ERRORS: ["Inconsistent."]}))

    assert response.status_code == 400
    assert response.json() == {"title": ["Too dull."], "non_field_errors": ["Inconsistent."]}


def test_a_validation_error_without_fields_is_a_non_field_error(patch_title):
    response = patch_title(ValidationError("Something is off."))

    assert response.json() == {"non_field_errors": ["Something is off."]}


def test_a_domain_error_keeps_its_status_and_message(patch_title):
    response = patch_title(RecordClosed())

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This record is closed and can no longer be edited.", "code": "record_closed",
    }



def test_not_found_carries_a_code_and_speaks_the_users_language(api_as, manager):
    url = reverse("api:incident-detail", args=[987654])

    english = api_as(manager).get(url, HTTP_ACCEPT_LANGUAGE="en")
    japanese = api_as(manager).get(url, HTTP_ACCEPT_LANGUAGE="ja")

    assert english.json() == {"detail": "Not found.", "code": "not_found"}
    assert japanese.json() == {"detail": "見つかりませんでした。", "code": "not_found"}
