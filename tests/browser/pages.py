"""What the browser tests do on a page: send a form, pick a person."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def submit(page, button) -> None:
    """Send a form and land on the page it leads to (a refused form answers 400 or more)."""
    with page.expect_navigation() as sent:
        button.click()
    assert sent.value.ok, f"{sent.value.status} from {sent.value.url}"


def choose_person(page, field: str, typed: str, label: str) -> None:
    """Pick someone in a person picker by typing part of their name."""
    search = page.locator(f"#id_{field}-search")
    search.fill(typed)
    option = page.locator(f"#id_{field}-listbox [role=option]", has_text=label)
    option.first.click()
    expect(search).to_have_value(re.compile(re.escape(label)))
