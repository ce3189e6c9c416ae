"""Browser tests: Playwright driving the Debian Chromium (`make browser` installs it; `make
test` does so first), against pytest-django's live server."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser(monkeypatch):
    """A headless Chromium for one test (launching it takes about a second)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # between two page actions are plain synchronous code all the same. Only for this
    # test: monkeypatch restores the environment after it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make browser` (make test does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


class Person:
    """One user's own browser window (its own cookies), signed in."""

    def __init__(self, browser, base_url: str, username: str, password: str, *, phone: bool = False):
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        self.context = browser.new_context(base_url=base_url, locale="ja-JP", viewport=viewport)
        self.page = self.context.new_page()
        self.username = username
        self.page.goto("/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("form:has(input[name=username]) [type=submit]")
        self.page.wait_for_url(lambda url: "/accounts/login/" not in url)

    def unread(self) -> int:
        self.page.goto("/")
        count = self.page.locator("[data-unread-count]")
        return int(count.inner_text()) if count.count() else 0

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def person(browser, live_server):
    opened: list[Person] = []

    def sign_in(username: str, password: str = "pass-for-tests", **kwargs) -> Person:
        opened.append(Person(browser, live_server.url, username, password, **kwargs))
        return opened[-1]

    yield sign_in
    for one in opened:
        one.close()
