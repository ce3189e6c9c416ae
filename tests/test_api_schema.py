"""The OpenAPI schema tells the truth about the answers (incidents/api/schema.py): every
error a request can meet is documented with its body, fields the server may leave out are
not promised, enums include the blank a record may carry. .ci/api_fuzz checks every answer
against the schema with schemathesis; these tests pin the properties it relies on, and check
a few real answers against the schema here."""

import datetime as dt

import jsonschema
import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
LOGIN_DOORS = {("post", "/api/auth/token/")}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def ref_name(content: dict) -> str | None:
    return content.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1] or None


def error_body(schema, content: dict) -> dict:
    """The component of an error answer; it promises `detail` and `code`, as every error carries."""
    component = schema["components"]["schemas"][ref_name(content)]
    assert {"code", "detail"} <= set(component.get("required", [])), ref_name(content)
    return component


def validator(schema, name: str) -> jsonschema.Draft4Validator:
    """A validator for a component, its references resolved within the schema (OpenAPI 3.0's
    `nullable` read as JSON Schema's null)."""
    document = {**schema["components"]["schemas"][name], "components": schema["components"]}

    def nullable(node):
        if isinstance(node, dict):
            node = {key: nullable(value) for key, value in node.items()}
            if node.pop("nullable", False):
                node = {"anyOf": [node, {"type": "null"}]}
            return node
        if isinstance(node, list):
            return [nullable(value) for value in node]
        return node

    return jsonschema.Draft4Validator(nullable(document))


# ---------------------------------------------------------------------------
# What every operation documents


def test_every_operation_behind_a_login_documents_401_with_the_error_body_and_the_challenge(schema):
    checked = 0
    for method, path, operation in operations(schema):
        if (method, path) in LOGIN_DOORS:
            continue
        response = operation["responses"].get("401")
        assert response is not None, f"{method.upper()} {path} does not document 401"
        error_body(schema, response["content"]["application/json"])
        assert "WWW-Authenticate" in response["headers"], (method, path)
        checked += 1
    assert checked > 50


def test_the_token_endpoint_documents_wrong_credentials_and_the_lockout_not_401(schema):
    responses = schema["paths"]["/api/auth/token/"]["post"]["responses"]
    assert "401" not in responses
    assert "400" in responses
    error_body(schema, responses["429"]["content"]["application/json"])
    assert "Retry-After" in responses["429"]["headers"]


def test_every_400_of_the_records_has_the_validation_error_body(schema):
    # (The login door names its own fields: CredentialsError.)
    for method, path, operation in operations(schema):
        response = operation["responses"].get("400")
        if response is None or path.startswith("/api/auth/"):
            continue
        assert ref_name(response["content"]["application/json"]) == "ValidationError", (method, path)


def test_bodies_document_413_and_415_and_paths_with_a_record_404(schema):
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        if method in ("post", "put", "patch"):
            assert {"400", "413", "415"} <= set(responses), (method, path)
        if "{" in path and (method, path) not in LOGIN_DOORS:
            error_body(schema, responses["404"]["content"]["application/json"])
        assert "text/html" in responses["414"]["content"], (method, path)


def test_paginated_lists_document_404_for_a_page_past_the_end(schema):
    for path in ("/api/incidents/", "/api/actions/", "/api/tracks/", "/api/audits/", "/api/findings/",
                 "/api/reviews/", "/api/clauses/"):
        assert "404" in schema["paths"][path]["get"]["responses"], path


# ---------------------------------------------------------------------------
# The error bodies


def test_the_error_body_promises_detail_and_code_only(schema):
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["code", "detail"]
    assert "unmet_conditions" in components["Error"]["properties"]
    # A 409 for a step not available now has no stale-edit details.
    assert components["StaleEdit"]["required"] == ["code", "detail"]
    assert {"seen_version", "current_version", "changed_fields", "current"} <= set(
        components["StaleEdit"]["properties"]
    )


def test_transition_409_is_the_stale_edit_body(schema):
    responses = schema["paths"]["/api/incidents/{id}/transitions/{name}/"]["post"]["responses"]
    assert ref_name(responses["409"]["content"]["application/json"]) == "StaleEdit"


def test_read_only_fields_are_still_required_in_answers(schema):
    incident = schema["components"]["schemas"]["Incident"]
    assert {"id", "reference", "state", "severity", "version", "tracks"} <= set(incident["required"])


# ---------------------------------------------------------------------------
# Enums with a blank


def test_enums_of_fields_that_may_be_blank_include_it(schema):
    components = schema["components"]["schemas"]
    assert components["BlankEnum"]["enum"] == [""]
    severity = components["Incident"]["properties"]["severity"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in severity["oneOf"]
    method = components["Track"]["properties"]["method"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in method["oneOf"]
    result = components["ChecklistItem"]["properties"]["result"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in result["oneOf"]
    # The enum a request takes stays the choices alone.
    assert "" not in components["ChecklistItemResultEnum"]["enum"]


# ---------------------------------------------------------------------------
# Real answers against the schema


def test_real_error_answers_match_their_documented_bodies(schema, api, api_as, staff, manager, sales):
    errors = validator(schema, "Error")
    unauthenticated = api.get(reverse("api:incident-list"))
    assert unauthenticated.status_code == 401
    assert unauthenticated["WWW-Authenticate"] == "Token"
    errors.validate(unauthenticated.json())

    page_past_the_end = api_as(manager).get(reverse("api:incident-list"), {"page": 99})
    assert page_past_the_end.status_code == 404
    errors.validate(page_past_the_end.json())

    incident = IncidentFactory(reporter=staff, department=sales)
    refused = api_as(staff).post(reverse("api:incident-transition", args=[incident.pk, "triage"]), {}, format="json")
    assert refused.status_code == 403
    errors.validate(refused.json())


def test_a_stale_edit_and_a_step_not_available_match_the_409_body(schema, api_as, manager, staff, sales):
    stale_edit = validator(schema, "StaleEdit")
    incident = IncidentFactory(reporter=staff, department=sales)
    version = incident.version
    url = reverse("api:incident-detail", args=[incident.pk])
    client = api_as(manager)
    assert client.patch(url, {"version": version, "title": "first"}, format="json").status_code == 200
    stale = client.patch(url, {"version": version, "title": "second"}, format="json")
    assert stale.status_code == 409
    stale_edit.validate(stale.json())
    assert stale.json()["changed_fields"]

    not_available = client.post(reverse("api:incident-transition", args=[incident.pk, "close"]), {}, format="json")
    assert not_available.status_code == 409
    stale_edit.validate(not_available.json())
    assert "changed_fields" not in not_available.json()


def test_a_real_incident_with_a_blank_severity_matches_its_schema(schema, api_as, staff):
    incident_schema = validator(schema, "IncidentDetail")
    created = api_as(staff).post(reverse("api:incident-list"), {
        "title": "USB メモリの紛失", "description": "社外で紛失した。", "kind": "loss",
        "discovered_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
    }, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["severity"] == ""
    incident_schema.validate(created.json())


def test_every_edit_body_requires_the_version_and_no_creation_body_does(schema):
    """The edit contract: PUT and PATCH without `version` are a 400, so the schema says it is
    required; a creating POST sharing the body's fields has none to send."""
    components = schema["components"]["schemas"]
    edits = creations = 0
    for method, path, operation in operations(schema):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            body = components[ref_name(content)]
            if method in ("put", "patch") and "version" in body.get("properties", {}):
                edits += 1
                assert "version" in body.get("required", []), (method, path)
            if method == "post" and not path.endswith("/transitions/{name}/") and path.count("{") == 0:
                creations += 1
                assert "version" not in body.get("required", []), (method, path)
    assert edits >= 10 and creations >= 5


def test_an_edit_without_its_version_is_the_documented_400(client, django_user_model):
    from tests.incidents.factories import UserFactory

    manager = UserFactory(roles=["pms_manager"])
    incident = IncidentFactory()
    client.force_login(manager)
    response = client.patch(f"/api/incidents/{incident.pk}/", {"title": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert "version" in response.json()
