"""PLACEHOLDER: to be written (issue 15 web helper)."""


def complaint_list(request, *args, **kwargs):
    raise NotImplementedError


def complaint_new(request, *args, **kwargs):
    raise NotImplementedError


def complaint_detail(request, *args, **kwargs):
    raise NotImplementedError


def complaint_edit(request, *args, **kwargs):
    raise NotImplementedError


def complaint_convert(request, *args, **kwargs):
    raise NotImplementedError


def complaint_raise_incident(request, *args, **kwargs):
    raise NotImplementedError


def complaint_add_action(request, *args, **kwargs):
    raise NotImplementedError


def complaint_letter(request, *args, **kwargs):
    raise NotImplementedError


def complaint_letter_pdf(request, *args, **kwargs):
    raise NotImplementedError


