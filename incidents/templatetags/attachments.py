"""What the evidence-file panel (incidents/_attachments.html) needs about any record.

The panel is one include for incidents, audits and findings:
    {% include "incidents/_attachments.html" with record=finding %}
and optionally `upload_url=…` to post somewhere else than the generic upload view.
"""

from __future__ import annotations

from django import template

from incidents import attachments

register = template.Library()


@register.simple_tag
def record_attachments(record) -> list:
    return list(attachments.attachments_of(record))


@register.simple_tag(takes_context=True)
def can_attach(context, record) -> bool:
    user = context.get("user") or getattr(context.get("request"), "user", None)
    return user is not None and user.is_authenticated and attachments.can_add(record, user)


@register.simple_tag
def attachment_upload_url(record) -> str:
    return attachments.upload_url(record)


@register.simple_tag
def attachment_limit_mb() -> str:
    return attachments.max_size_mb()


@register.simple_tag
def attachment_accept() -> str:
    """The extensions for the file picker (a hint only: the server checks the content)."""
    return ",".join(attachments.ALLOWED_EXTENSIONS)
