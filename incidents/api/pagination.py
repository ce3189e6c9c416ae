"""Page-number pagination whose invalid `page_size` or `page` is a 400 naming the parameter
(DRF ignores an invalid page size and answers 404 for a page that is not a number)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError


def _positive_int(request, name: str, maximum: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < 1 or (maximum is not None and value > maximum):
        if maximum is None:
            message = _("Enter a whole number of at least 1.")
        else:
            message = _("Enter a whole number from 1 to %(maximum)d.") % {"maximum": maximum}
        raise ValidationError({name: [message]})
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        size = _positive_int(request, self.page_size_query_param, self.max_page_size)
        return self.page_size if size is None else size

    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param) not in self.last_page_strings:
            _positive_int(request, self.page_query_param)
        return super().get_page_number(request, paginator)
