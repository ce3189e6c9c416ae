"""Request-scoped memos of the incidents app."""

from __future__ import annotations

from .models.company import companies_read_once


class CompaniesReadOncePerRequest:
    """The group's companies, read once per request (see
    incidents.models.company.group_companies): whether there are several and which they are.
    A company added during a request is seen from the next one on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with companies_read_once():
            return self.get_response(request)
