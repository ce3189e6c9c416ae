"""Absolute links for mails and chat posts."""

from django.conf import settings

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def site_url() -> str:
    """Where the links in the mails point: settings.SITE_URL when the site sets it."""
    return (getattr(settings, "SITE_URL", "") or DEFAULT_BASE_URL).rstrip("/")


def absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else f"{site_url()}{path}"
