"""The Content-Security-Policy (django-csp), with the relaxations two pages need.

Every HTML page gets settings.CONTENT_SECURITY_POLICY: only this origin, scripts and
<style> elements only from files or with the response's nonce. Two exceptions, for styles
only (scripts stay strict everywhere):

- the admin (/admin/): Django's change list and the incident change form
  (incidents/templates/admin/incidents/change_form_with_transitions.html) carry <style>
  elements without a nonce;
- ReDoc (/api/redoc/) builds its styles at run time as <style> elements without a nonce,
  and runs its search in a blob: worker.
"""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware as BaseCSPMiddleware

RELAXED = [
    ("/admin/", {"style-src": [SELF, UNSAFE_INLINE]}),
    ("/api/redoc/", {"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}),
]


def relaxation(path: str) -> dict | None:
    for prefix, directives in RELAXED:
        if path.startswith(prefix):
            return directives
    return None


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        relaxed = relaxation(request.path_info)
        if relaxed and not report_only:
            parts.replace = {**(parts.replace or {}), **relaxed}
        return parts
