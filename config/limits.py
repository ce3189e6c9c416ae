"""Refuse an oversized request before anything reads its body.

DATA_UPLOAD_MAX_MEMORY_SIZE bounds only non-file bodies; an upload is spooled to disk
whatever its size. This middleware answers 413 as soon as the declared Content-Length is
above settings.REQUEST_MAX_BYTES (the attachment limit plus a margin for the form), before
request.body or request.POST is touched.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from config.api_errors import error_response, is_api_request


def megabytes(size: int) -> str:
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:.1f}".removesuffix(".0")


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_MAX_BYTES
        if length > limit:
            message = _("The request is too large (%(size)s MB); the limit is %(limit)s MB.") % {
                "size": megabytes(length), "limit": megabytes(limit),
            }
            if is_api_request(request):
                response = error_response(message, "request_too_large", 413)
            else:
                response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
            # The body was not read: the connection cannot be reused for another request.
            response["Connection"] = "close"
            return response
        return self.get_response(request)
