"""The JSON error answer of the API where Django REST framework does not answer: a lockout,
a body too large, an unknown URL or a server error under /api/, a refused retry key, a
session held for its two-factor code.

The same body as DRF's errors (`{"detail": …, "code": …}`, incidents/api/errors.py), with
Japanese written as text, as DRF's JSON renderer writes it.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

API_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def error_response(detail, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": str(detail), "code": code}, status=status,
                        json_dumps_params={"ensure_ascii": False})
