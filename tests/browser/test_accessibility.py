"""Every page of the demo, for every role, as axe-core reads it (issue 16).

The demo company is seeded once (`seed_demo`), then each role, in its own browser context,
visits its pages: the home page, every list its menu shows, the report forms, the notification
inbox, one record of each type it may see (the one with the most on it) and the page of a step
offered there, on a desktop screen; then a handful of them on a phone. axe-core (bundled with
axe-playwright-python, run in the page) must find no serious or critical violation; no page may
hold the same id twice, and every label must name exactly one element (a click on it would
reach another form's field).

One test walks every role: a live-server test's database is emptied after it, so seeding once
for several tests would mean seeding again for each. A page whose content another role was
already shown exactly is not read by axe twice (the header and menu of each role are read on
its home page).
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROLES = ("staff", "head_sales", "manager", "office", "auditor", "auditlead", "executive", "ins_manager")
# The report forms everyone may open from the menu.
FORMS = ("/incidents/new/", "/requests/new/", "/complaints/new/")
# Django's admin and the API's Swagger page are other projects' pages, not the PMS's.
NOT_OURS = ("/admin/", "/api/")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PHONE_ROLES = ("staff", "manager")
SERIOUS = ("serious", "critical")

# What the test reads of a page besides axe: ids used twice, labels that name no single
# element, the content (the forms' tokens aside), the menu and the first step's page offered.
READ_PAGE = """() => {
    const counts = {};
    for (const element of document.querySelectorAll("[id]")) counts[element.id] = (counts[element.id] || 0) + 1;
    const main = document.querySelector("main").cloneNode(true);
    main.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(input => input.remove());
    const step = document.querySelector("form.transition__form");
    return {
        duplicated: Object.keys(counts).filter(id => counts[id] > 1).sort(),
        stray_labels: [...document.querySelectorAll("label[for]")].map(l => l.htmlFor).filter(id => counts[id] !== 1),
        content: `${innerWidth} ${main.innerHTML}`,
        menu: [...document.querySelectorAll("nav.main-nav a")].map(link => link.getAttribute("href")),
        step: step ? step.getAttribute("action") : null,
    };
}"""


# axe's colour contrast rule takes four fifths of its time, on every cell of a long table,
# though its verdict depends only on how the text looks: its colour, size and weight and what
# lies behind it. One element of each look (marked here) is checked for contrast; every other
# rule reads the whole page.
SAMPLE_TEXT_LOOKS = """() => {
    const looks = new Set();
    const consider = element => {
        const own = getComputedStyle(element);
        const look = [own.color, own.fontSize, own.fontWeight, own.textShadow];
        let behind = true;
        for (let node = element; node; node = node.parentElement) {
            const style = node === element ? own : getComputedStyle(node);
            if (style.opacity !== "1" || style.filter !== "none" || style.mixBlendMode !== "normal") {
                look.push(style.opacity, style.filter, style.mixBlendMode);
            }
            if (behind) {  // the backgrounds up to the first opaque one
                look.push(style.backgroundColor, style.backgroundImage);
                behind = !(style.backgroundImage === "none" && style.backgroundColor.startsWith("rgb("));
            }
        }
        const key = look.join("|");
        if (!looks.has(key)) {
            looks.add(key);
            element.setAttribute("data-axe-sample", "");
        }
    };
    const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (texts.nextNode()) {
        if (texts.currentNode.textContent.trim() && texts.currentNode.parentElement) consider(texts.currentNode.parentElement);
    }
    document.querySelectorAll("input:not([type=hidden]), select, textarea, button").forEach(consider);
}"""
# Started in the page, collected later: the next page loads in the other tab meanwhile.
START_AXE = """() => {
    window.axeViolations = axe.run(document, {resultTypes: ["violations"], rules: {"color-contrast": {enabled: false}}})
        .then(all => axe.run({include: [["[data-axe-sample]"]]},
                             {resultTypes: ["violations"], runOnly: {type: "rule", values: ["color-contrast"]}})
            .then(contrast => [...all.violations, ...contrast.violations]));
}"""


def record_pages(user) -> list[str]:
    """One page of each record type the user may see: the one with the most on it (the incident
    with the most reports, the audit with the longest checklist, ...)."""
    from audits.models import Audit, Finding, Review
    from incidents.models import Action, Complaint, Incident, RightsRequest

    richest = [
        Incident.objects.visible_to(user).annotate(n=Count("tracks")).order_by("-n", "pk"),
        Action.objects.visible_to(user).order_by("pk"),
        Finding.objects.visible_to(user).annotate(n=Count("actions")).order_by("-n", "pk"),
        Audit.objects.visible_to(user).annotate(n=Count("checklist")).order_by("-n", "pk"),
        Review.objects.visible_to(user).order_by("-pk"),
        RightsRequest.objects.visible_to(user).order_by("pk"),
        Complaint.objects.visible_to(user).order_by("pk"),
    ]
    return [record.get_absolute_url() for record in (queryset.first() for queryset in richest) if record]


class Walk:
    """The pages seen and what was wrong on them, as readable lines.

    A window has two tabs, used in turn: while axe reads the page in one, the next page loads
    in the other (the server renders it while the browser checks), so that two cores work."""

    def __init__(self):
        from axe_playwright_python.sync_playwright import Axe

        # axe-core's own script, run in the page here rather than by Axe.run, which would wait
        # for its answer before the next page could load.
        self.axe_script = Axe().axe_script
        self.pages = 0
        self.read_by_axe = 0
        self.seen: set[str] = set()
        self.problems: list[str] = []

    def walk(self, tabs, urls: list[str], where: str, *, whole=(), follow: bool = False) -> str | None:
        """Check each page (those in `whole` read by axe even when their content was seen);
        with `follow`, the menu's pages and the first step's page offered are added to `urls`
        as they are found. Returns that step's page."""
        step = None
        reading = None
        for number, url in enumerate(urls):  # `urls` grows as pages are found
            tab = tabs[number % len(tabs)]
            found = self.load(tab, url, where)
            if found.get("step") and step is None:
                step = found["step"]
                if follow:
                    urls.append(step)
            if follow:
                urls.extend(link for link in found.get("menu", ()) if link not in urls and not link.startswith(NOT_OURS))
            started = found and (url in whole or found["content"] not in self.seen)
            if started:
                self.seen.add(found["content"])
                self.start_axe(tab)
            if reading:
                self.finish_axe(*reading)
            reading = (tab, url, where) if started else None
        if reading:
            self.finish_axe(*reading)
        return step

    def load(self, tab, url: str, where: str) -> dict:
        response = tab.goto(url)
        self.pages += 1
        if response is None or response.status != 200:
            self.problems.append(f"{where} {url}: HTTP {response.status if response else '—'}")
            return {}
        found = tab.evaluate(READ_PAGE)
        if found["duplicated"]:
            self.problems.append(f"{where} {url}: duplicated ids {', '.join(found['duplicated'][:8])}")
        if found["stray_labels"]:
            self.problems.append(f"{where} {url}: labels for no single element {', '.join(found['stray_labels'][:8])}")
        return found

    def start_axe(self, tab) -> None:
        self.read_by_axe += 1
        tab.evaluate(self.axe_script)
        tab.evaluate(SAMPLE_TEXT_LOOKS)
        tab.evaluate(START_AXE)

    def finish_axe(self, tab, url: str, where: str) -> None:
        for violation in tab.evaluate("() => window.axeViolations"):
            if violation["impact"] in SERIOUS:
                targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
                more = len(violation["nodes"]) - 3
                self.problems.append(
                    f"{where} {url}: {violation['id']} ({violation['impact']}) {targets}"
                    + (f" and {more} more" if more > 0 else "")
                )


class Window:
    """One user's session in two tabs."""

    def __init__(self, browser, base_url: str, user):
        from django.conf import settings
        from django.test import Client

        # Signed in as the test client signs in (the login page has its own tests): a
        # session made on the server, its cookie handed to the browser.
        client = Client()
        client.force_login(user)
        self.context = browser.new_context(base_url=base_url, locale="ja-JP", viewport=DESKTOP)
        self.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": base_url,
                                   "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
        self.tabs = [self.context.new_page(), self.context.new_page()]


def test_every_page_of_the_demo_passes_axe_for_every_role(browser, live_server):
    call_command("seed_demo", stdout=io.StringIO())
    users = get_user_model().objects.in_bulk(ROLES, field_name="username")
    walk = Walk()

    for role in ROLES:
        user = users[role]
        window = Window(browser, live_server.url, user)
        records = record_pages(user)
        # Home first (its menu adds the lists), the forms, the inbox, the records, a step's page.
        step = walk.walk(window.tabs, ["/", *FORMS, "/notifications/", *records], role, whole={"/"}, follow=True)
        if role in PHONE_ROLES:
            for tab in window.tabs:
                tab.set_viewport_size(PHONE)
            phone_pages = ["/", "/incidents/", "/actions/", *records[:1], *([step] if step else [])]
            walk.walk(window.tabs, phone_pages, f"{role} (phone)")
        window.context.close()

    assert walk.pages > 100, walk.pages
    assert not walk.problems, (
        f"{len(walk.problems)} problems on {walk.pages} pages ({walk.read_by_axe} read by axe):\n"
        + "\n".join(walk.problems)
    )
