"""Safe retries: a POST under /api/ sent with an `Idempotency-Key` runs once per user and key.

A client that does not know whether its POST landed (a timeout, a dropped connection, a 500
after the database went away) sends it again with the same key and gets the first answer,
not a second record:

- The key's row (`IdempotentRequest`, unique per user and key) is inserted first, then the
  view runs, then its answer is stored, all in one transaction: the record and the key are
  committed together or not at all. On PostgreSQL a second request with the same key waits
  on the unique index until the first commits, then reads its answer; on SQLite the
  IMMEDIATE transactions (config/settings.py) serialise them before they start.
- Only a 2xx answer is kept. On any other the key's row is deleted (what the view did is
  left as it would be without a key), so a corrected request may use the key again; an
  exception rolls the whole transaction back.
- The same key with another body or URL is a 422 (`idempotency_key_reused`); a malformed
  key a 400 naming the header. A key older than IDEMPOTENCY_KEY_HOURS is forgotten: the
  request is new (`purge_idempotency_keys` deletes the old rows).
- It needs the user before the view runs: this middleware asks the view's own DRF
  authentication classes (the defaults unless the view says otherwise), so it follows
  whatever the API authenticates with. An unauthenticated request is left to the view (401).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from config.api_errors import API_PREFIX, error_response

from ..models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
REUSED_CODE = "idempotency_key_reused"
INVALID_CODE = "invalid_idempotency_key"

_META_NAME = "HTTP_IDEMPOTENCY_KEY"
# Logging in is not a record: a token obtained twice is harmless, and axes counts each try.
_EXEMPT_PREFIXES = ("/api/auth/",)


def applies_to(method: str, path: str) -> bool:
    """Whether a request (or a schema operation) of `method` on `path` honours the header."""
    return method.upper() == "POST" and path.startswith(API_PREFIX) and not path.startswith(_EXEMPT_PREFIXES)


def key_is_valid(key: str) -> bool:
    """1 to 255 printable ASCII characters (a UUID, a random token…)."""
    return 0 < len(key) <= MAX_KEY_LENGTH and all(" " <= char <= "~" for char in key)


def key_lifetime() -> timedelta:
    return timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_HOURS", 24))


def purge_expired(now=None) -> int:
    """Delete the keys older than IDEMPOTENCY_KEY_HOURS; return how many."""
    cutoff = (now or timezone.now()) - key_lifetime()
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def fingerprint(request) -> str:
    """SHA-256 of what the request asks: its body; for a multipart form (whose boundary
    changes with every send) its fields and each file's name and content."""
    digest = hashlib.sha256()
    if request.content_type == "multipart/form-data":
        fields = sorted((name, request.POST.getlist(name)) for name in request.POST)
        digest.update(json.dumps(fields, ensure_ascii=False).encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(f"\n{name}\n{upload.name}\n{upload.size}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _authenticated_user(request, view_func):
    """The user the view would authenticate, with its own authentication classes; None if none.

    Runs them on a DRF Request of our own, leaving the Django request's `user` as it was so
    the view authenticates afresh (and answers 401/403 itself)."""
    view_class = view_func.cls
    initkwargs = getattr(view_func, "initkwargs", {})
    authenticators = initkwargs.get("authentication_classes", view_class.authentication_classes)
    parsers = initkwargs.get("parser_classes", view_class.parser_classes)
    missing = object()
    before = request.__dict__.get("user", missing)
    try:
        user = Request(
            request, parsers=[parser() for parser in parsers], authenticators=[auth() for auth in authenticators]
        ).user
    except APIException:  # a bad token, a missing CSRF token: the view says so
        return None
    finally:
        if before is missing:
            request.__dict__.pop("user", None)
        else:
            request.user = before
    return user if user is not None and user.is_authenticated else None


def invalid_key_response() -> JsonResponse:
    return JsonResponse({HEADER: [_(
        "Send 1 to 255 printable ASCII characters (letters, digits, punctuation), for example a UUID."
    )]}, status=400, json_dumps_params={"ensure_ascii": False})


def reused_key_response() -> JsonResponse:
    return error_response(_(
        "This Idempotency-Key was already used for a different request (another body or another URL). "
        "Send a new key with a new request."
    ), REUSED_CODE, 422)


def replay(stored: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(
        bytes(stored.response_body), status=stored.response_status, content_type=stored.response_content_type
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _claim(*, user, key: str, path: str, digest: str):
    """(row inserted for this request, None) or (None, the row of an earlier one)."""
    earlier = IdempotentRequest.objects.filter(user=user, key=key).first()
    if earlier is not None and earlier.created_at < timezone.now() - key_lifetime():
        earlier.delete()  # expired: the request is a new one
        earlier = None
    if earlier is not None:
        return None, earlier
    try:
        with transaction.atomic():
            row = IdempotentRequest.objects.create(user=user, key=key, method="POST", path=path, fingerprint=digest)
    except IntegrityError:
        # Another request with this key committed first (on PostgreSQL this insert waited for it).
        return None, IdempotentRequest.objects.get(user=user, key=key)
    return row, None


class IdempotencyMiddleware:
    """Runs POSTs under /api/ that carry an `Idempotency-Key` at most once per user and key."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _META_NAME not in request.META or not applies_to(request.method, request.path_info):
            return None
        if getattr(view_func, "cls", None) is None:  # not a DRF view (an unknown URL's 404)
            return None
        try:
            # First, before anything else reads the body (the authentication's CSRF check may).
            digest = fingerprint(request)
        except Exception:  # too large, malformed: the view answers as it would without a key
            return None
        user = _authenticated_user(request, view_func)
        if user is None:
            return None
        key = request.META[_META_NAME]
        if not key_is_valid(key):
            return invalid_key_response()
        return self.once(request, view_func, view_args, view_kwargs, user=user, key=key, digest=digest)

    def once(self, request, view_func, view_args, view_kwargs, *, user, key: str, digest: str):
        path = request.path
        with transaction.atomic():
            row, earlier = _claim(user=user, key=key, path=path, digest=digest)
            if earlier is not None:
                if earlier.path != path or earlier.fingerprint != digest:
                    return reused_key_response()
                return replay(earlier)
            response = view_func(request, *view_args, **view_kwargs)
            if callable(getattr(response, "render", None)):
                response = response.render()  # the body to store; Django's own render is then a no-op
            if 200 <= response.status_code < 300 and not response.streaming:
                row.response_status = response.status_code
                row.response_content_type = response.get("Content-Type", "")
                row.response_body = response.content
                row.save(update_fields=["response_status", "response_content_type", "response_body"])
            else:
                # Not done: forget the key, so that the corrected request may use it. What the
                # view did stays as it would without a key, unless it left the transaction
                # broken: then all of it is rolled back.
                try:
                    with transaction.atomic():
                        row.delete()
                except DatabaseError:
                    transaction.set_rollback(True)
        return response


# OpenAPI (drf-spectacular postprocessing hook, SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])

_REUSED_SCHEMA = "IdempotencyKeyReused"


def document_idempotency_key(result, generator, request, public):
    """Every POST the middleware honours: the optional header, the replay header, 400 and 422."""
    parameter = {
        "in": "header",
        "name": HEADER,
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]+$"},
        "description": _(
            "Makes a retry safe: the same key with the same body returns the first answer (with "
            "`Idempotent-Replayed: true`) instead of doing it again. Use a new key (a UUID) per request; "
            "keys are kept for %(hours)d hours."
        ) % {"hours": int(key_lifetime().total_seconds() // 3600)},
    }
    replayed = {
        "description": _("`true` when this is the stored answer to an earlier request with the same key."),
        "schema": {"type": "string", "enum": ["true"]},
    }
    invalid_key = _("A malformed `Idempotency-Key` is a 400 naming the header.")
    documented = False
    for path, operations in result.get("paths", {}).items():
        operation = operations.get("post")
        if operation is None or not applies_to("POST", path):
            continue
        documented = True
        operation["parameters"] = [*operation.get("parameters", []), parameter]
        responses = operation.setdefault("responses", {})
        for code, answer in list(responses.items()):
            if code.startswith("2"):
                responses[code] = {**answer, "headers": {**answer.get("headers", {}), REPLAYED_HEADER: replayed}}
        if "400" in responses:
            answer = responses["400"]
            described = answer.get("description", "")
            joint = "" if not described or described.endswith(("。", "）")) else " "
            responses["400"] = {**answer, "description": f"{described}{joint}{invalid_key}"}
        else:
            responses["400"] = {
                "description": invalid_key,
                "content": {"application/json": {"schema": {"type": "object", "additionalProperties": {}}}},
            }
        responses["422"] = {
            "description": _("This `Idempotency-Key` was already used with another body or URL."),
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{_REUSED_SCHEMA}"}}},
        }
        operation["responses"] = dict(sorted(responses.items()))
    if documented:
        schemas = result.setdefault("components", {}).setdefault("schemas", {})
        schemas[_REUSED_SCHEMA] = {
            "type": "object",
            "properties": {
                "detail": {"type": "string", "readOnly": True},
                "code": {"type": "string", "enum": [REUSED_CODE], "readOnly": True},
            },
            "required": ["code", "detail"],
        }
        result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result
