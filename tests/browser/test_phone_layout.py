"""The pages on a 390×844 phone and on paper (issue 16 items 2 and 5): the navigation folds into
a menu that opens without JavaScript, nothing scrolls sideways, the steps of a record are on
its first screen, and printing leaves the navigation, the steps and the buttons out."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.incidents.factories import reported_incident

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE_HEIGHT = 844


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth")


def test_on_a_phone_the_manager_triages_a_new_report_from_its_first_screen(person, staff, manager):
    incident = reported_incident(staff)
    window = person(manager.username, phone=True)
    page = window.page
    page.route(re.compile(r".*\.js$"), lambda route: route.abort())  # the menu needs no script

    # The home page: the header is one line, the navigation a closed menu.
    assert page.url.endswith(reverse("home"))
    assert not scrolls_sideways(page)
    expect(page.locator(".main-nav")).to_be_hidden()
    menu_link = page.locator(f".site-menu__nav a[href='{reverse('incident_list')}']")
    expect(menu_link).to_be_hidden()
    expect(page.locator(".inbox-link")).to_be_visible()
    page.locator(".site-menu > summary").click()
    expect(menu_link).to_be_visible()
    expect(page.locator(".site-menu .lang-switch")).to_be_visible()
    menu_link.click()
    page.wait_for_url(f"**{reverse('incident_list')}")

    # The new report's page: its first step within the first screen, nothing to scroll sideways.
    page.goto(reverse("incident_detail", args=[incident.pk]))
    assert not scrolls_sideways(page)
    step = page.locator("[data-steps-bar] a[data-step]").first
    expect(step).to_have_attribute("data-step", "triage")
    box = step.bounding_box()
    assert box is not None and box["y"] + box["height"] < PHONE_HEIGHT and box["x"] + box["width"] <= 390
    step.click()
    page.wait_for_url(f"**{reverse('incident_transition', args=[incident.pk, 'triage'])}")
    assert not scrolls_sideways(page)
    page.locator("select[name='triage-severity']").select_option("L1")
    page.locator("form [type=submit]").last.click()

    # Triaged: containment is the next step, at the top again.
    page.wait_for_url(f"**{reverse('incident_detail', args=[incident.pk])}")
    contain = page.locator("[data-steps-bar] a[data-step=contain]")
    box = contain.bounding_box()
    assert box is not None and box["y"] + box["height"] < PHONE_HEIGHT
    contain.click()
    page.wait_for_url(f"**{reverse('incident_transition', args=[incident.pk, 'contain'])}")
    assert not scrolls_sideways(page)


def test_a_desk_shows_the_navigation_bar_and_paper_the_record_alone(person, staff, manager):
    incident = reported_incident(staff)
    page = person(manager.username).page
    page.goto(reverse("incident_detail", args=[incident.pk]))
    expect(page.locator(".main-nav")).to_be_visible()
    expect(page.locator(".site-menu")).to_be_hidden()
    expect(page.locator("[data-steps-bar]")).to_be_visible()

    page.emulate_media(media="print")
    display = page.evaluate("""selectors => selectors.map(selector => {
        const element = document.querySelector(selector);
        return element && getComputedStyle(element).display;
    })""", [".site-header", ".site-footer", "[data-steps-bar]", ".transitions", ".head-actions .button",
            "form", "h1", "#reporting"])
    assert display[:6] == ["none"] * 6, display
    assert "none" not in display[6:], display  # the record itself is printed
