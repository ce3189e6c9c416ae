"""PLACEHOLDER: to be written (issue 15 web helper)."""


def request_list(request, *args, **kwargs):
    raise NotImplementedError


def request_new(request, *args, **kwargs):
    raise NotImplementedError


def request_form_pdf(request, *args, **kwargs):
    raise NotImplementedError


def request_detail(request, *args, **kwargs):
    raise NotImplementedError


def request_edit(request, *args, **kwargs):
    raise NotImplementedError


def request_item_edit(request, *args, **kwargs):
    raise NotImplementedError


def request_add_kind(request, *args, **kwargs):
    raise NotImplementedError


def request_pause(request, *args, **kwargs):
    raise NotImplementedError


def request_resume(request, *args, **kwargs):
    raise NotImplementedError


def request_letter(request, *args, **kwargs):
    raise NotImplementedError


def request_letter_pdf(request, *args, **kwargs):
    raise NotImplementedError


def request_raise_incident(request, *args, **kwargs):
    raise NotImplementedError


def public_intake(request, *args, **kwargs):
    raise NotImplementedError


