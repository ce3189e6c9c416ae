"""Every page names the favicon, and /favicon.ico (asked for by browsers on PDFs and JSON) finds it."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.urls import reverse


def test_the_favicon_is_linked_and_found(client, db):
    page = client.get(reverse("login")).content.decode()
    assert 'rel="icon"' in page and "img/favicon.svg" in page
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"].endswith(".svg")
    assert finders.find("img/favicon.svg").endswith("favicon.svg")
