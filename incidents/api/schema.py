"""The OpenAPI schema of every endpoint, honest about every answer the server can give.

`AutoSchema` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) is drf-spectacular's, plus:

- the errors any endpoint can answer with, added to every operation where they can occur
  and where the view did not document them itself: 401 (no or a bad token, with
  `WWW-Authenticate`), 403 on writes, 404 where there is a record in the path or a page
  to turn, 400 where there are parameters or a body, 406 (an `Accept` the API cannot
  satisfy), 413 and 415 for bodies, 414 (HTML, from the HTTP server) for a request line
  too long, 429 on a login door (django-axes' lockout, with `Retry-After`);
- their bodies as shared components: `Error` (`{"detail", "code"}`, plus
  `unmet_conditions` when a step's conditions are missing) and `ValidationError`
  (messages per field, or a lone `detail` for a body that cannot be parsed); a view's own
  400 documented as a bare object is given the `ValidationError` body;
- a read-only field declared with `required=False` is optional in the answer (drf-spectacular
  marks every read-only field required), so a field the server leaves out when it has
  nothing to say (`unmet_conditions`, the stale-edit details) is not promised.

The fuzz step of CI (.ci/api_fuzz, schemathesis) checks every answer against this schema.
"""

from __future__ import annotations

import copy

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from .fields import ErrorSerializer

__all__ = ["AutoSchema", "ValidationErrorSerializer", "common_error_responses", "require_version_on_edits"]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class ValidationErrorSerializer(serializers.Serializer):
    """Invalid input (400): a list of messages per field (`non_field_errors` for the whole
    input; a nested list or object for nested input), or, for a body that cannot be parsed or
    a step whose conditions are not met, `detail` and `code` (and `unmet_conditions`)."""

    # Documentation only: its schema is ValidationErrorExtension's.


class ValidationErrorExtension(OpenApiSerializerExtension):
    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": ValidationErrorSerializer.__doc__,
            "additionalProperties": {
                "anyOf": [
                    {"type": "array", "items": {}},
                    {"type": "object", "additionalProperties": {}},
                    {"type": "string"},
                ],
            },
        }


WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "schema": {"type": "string"},
        "description": _("The authentication scheme to use: `Token`."),
    }
}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "string"},
        "description": _("Seconds until the lockout ends (absent when only an administrator can lift it)."),
    }
}

# Refused by the HTTP server (gunicorn, or the proxy in front) before the application sees
# the request: its own short HTML page.
URI_TOO_LONG = {
    "description": _("The request line (path and query) is longer than the server accepts."),
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def common_error_responses() -> dict[int, tuple[type[serializers.Serializer], str, dict]]:
    """Status code -> (body, description, headers) of the errors every endpoint may give."""
    return {
        400: (ValidationErrorSerializer, _("Invalid input: messages per field."), {}),
        401: (ErrorSerializer, _("No credentials, or a token that is not (or no longer) valid."), WWW_AUTHENTICATE),
        403: (ErrorSerializer, _("Not permitted, with the reason."), {}),
        404: (ErrorSerializer, _("No such record visible to you, or no such page."), {}),
        406: (ErrorSerializer, _("The `Accept` header asks for a type the API cannot answer with."), {}),
        413: (ErrorSerializer, _("The request is larger than the server accepts; nothing was read."), {}),
        415: (ErrorSerializer, _("The body's `Content-Type` is not one the API reads."), {}),
        429: (ErrorSerializer, _("Too many failed logins from this address for this username: locked for a while."),
              RETRY_AFTER),
    }


class AutoSchema(openapi.AutoSchema):
    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and "required" in schema:
            optional = {
                name for name, field in serializer.fields.items()
                if field.read_only and getattr(field, "_kwargs", {}).get("required") is False
            }
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        common = common_error_responses()
        for code in self.error_codes():
            response = responses.get(str(code))
            if code == 414:
                responses.setdefault("414", dict(URI_TOO_LONG))
                continue
            body, description, headers = common[code]
            if response is None:
                response = self._get_response_for_code(OpenApiResponse(body, description=description), str(code))
                responses[str(code)] = response
            elif code == 400:
                self._validation_error_body(response)
            if headers:
                response.setdefault("headers", {}).update(headers)
        return responses

    def _validation_error_body(self, response: dict) -> None:
        """A 400 the view documented as a bare object gets the shared ValidationError body."""
        for media in response.get("content", {}).values():
            if media.get("schema") == {"type": "object", "additionalProperties": {}} or media.get("schema") == {
                "type": "object"
            }:
                media["schema"] = self.resolve_serializer(ValidationErrorSerializer, "response").ref

    def requires_login(self) -> bool:
        return not all(
            isinstance(permission, permissions.AllowAny) for permission in self.view.get_permissions()
        ) and bool(self.view.get_authenticators())

    def error_codes(self) -> list[int]:
        """The error codes this operation can answer with (see the module docstring)."""
        method = self.method.upper()
        parameters = self._get_parameters()
        has_query = any(parameter["in"] == "query" for parameter in parameters)
        has_path = any(parameter["in"] == "path" for parameter in parameters) or "{" in self.path
        codes = [406, 414]
        if has_query or method in BODY_METHODS:
            codes.append(400)
        if method in BODY_METHODS:
            codes += [413, 415]
        if self.requires_login():
            codes.append(401)
            if method in WRITE_METHODS:
                codes.append(403)
            if has_path or (method == "GET" and self._is_list_view() and getattr(self.view, "paginator", None)):
                codes.append(404)
        elif method == "POST":
            # A door that takes credentials: django-axes locks a username + address after repeated failures.
            codes.append(429)
        return sorted(codes)



def require_version_on_edits(result, generator, request, public):
    """Postprocessing hook: `version` is required in the body of every PUT and PATCH.

    The edit contract (workflow.api.VersionedEditMixin.edit) answers 400 without it, but a
    partial update's serializer makes every field optional, and a full update may share its
    body with the creating POST (where there is no version yet): drf-spectacular cannot know.
    A body shared with a POST gets a copy of its own for the edits (`…EditRequest`)."""
    schemas = result.get("components", {}).get("schemas", {})

    def bodies(operation):
        return [body["schema"] for body in (operation.get("requestBody") or {}).get("content", {}).values()
                if "$ref" in body.get("schema", {})]

    created = {
        body["$ref"] for operations in result.get("paths", {}).values() if "post" in operations
        for body in bodies(operations["post"])
    }
    for operations in result.get("paths", {}).values():
        for method in ("put", "patch"):
            for body in bodies(operations.get(method, {})):
                name = body["$ref"].rsplit("/", 1)[-1]
                if "version" not in schemas.get(name, {}).get("properties", {}):
                    continue
                if body["$ref"] in created:
                    edit_name = name.removesuffix("Request") + "EditRequest"
                    schemas.setdefault(edit_name, copy.deepcopy(schemas[name]))
                    body["$ref"] = body["$ref"].rsplit("/", 1)[0] + "/" + edit_name
                    name = edit_name
                schema = schemas[name]
                schema["required"] = sorted({*schema.get("required", []), "version"})
    return result
