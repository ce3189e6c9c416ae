"""The person picker's script in a real browser (the Debian Chromium, driven by Playwright):
typing a reading finds the person, the keyboard chooses them, the form posts their id; the
page's Content-Security-Policy lets the script run."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from incidents.models import Action, UserProfile
from tests.incidents.factories import DepartmentFactory, UserFactory, reported_incident

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def browser_page(person, live_server):
    """page(user) -> the page of `user`'s own signed-in window, in English, recording the
    script errors and Content-Security-Policy refusals of its pages."""
    problems: list[str] = []

    def page(user):
        window = person(user.username)
        window.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])

        def console(message):
            # Chromium asks for /favicon.ico by itself; the site has none (a 404).
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
                problems.append(message.text)

        window.page.on("console", console)
        window.page.on("pageerror", lambda error: problems.append(str(error)))
        return window.page

    page.problems = problems
    return page


def test_typing_a_reading_and_choosing_with_the_keyboard(browser_page, live_server):
    sales = DepartmentFactory(code="SALES", name="営業部")
    it_dept = DepartmentFactory(code="IT", name="情報システム部")
    manager = UserFactory(username="manager", roles=["staff", "pms_manager"], department=it_dept)
    staff = UserFactory(username="staff", roles=["staff"], department=sales)
    tanaka = UserFactory(username="tanaka", roles=["staff"], department=sales, last_name="田中", first_name="美咲")
    UserProfile.objects.filter(user=tanaka).update(name_kana="タナカ ミサキ")
    incident = reported_incident(staff)

    page = browser_page(manager)
    page.goto(f"{live_server.url}{reverse('action_create')}?incident={incident.pk}")
    owner = page.get_by_role("combobox", name="Owner")
    assert page.locator("select[name=owner]").is_hidden()
    owner.fill("たなか")
    option = page.locator("#id_owner-listbox [role=option]")
    option.first.wait_for()
    assert option.count() == 1 and "田中 美咲" in option.first.inner_text()
    assert owner.get_attribute("aria-expanded") == "true"
    owner.press("ArrowDown")
    assert option.first.get_attribute("aria-selected") == "true"
    owner.press("Enter")
    assert owner.get_attribute("aria-expanded") == "false"
    assert owner.input_value() == "田中 美咲 (営業部)"
    assert page.locator("select[name=owner]").input_value() == str(tanaka.pk)

    verifier = page.get_by_role("combobox", name="Verifier")
    verifier.fill("nobody-by-this-name")
    page.locator("#id_verifier-listbox").get_by_text("No one found").wait_for()
    verifier.press("Escape")
    assert verifier.get_attribute("aria-expanded") == "false"
    verifier.fill("manager")
    page.locator("#id_verifier-listbox [role=option]").first.wait_for()
    page.locator("#id_verifier-listbox [role=option]").first.click()
    page.get_by_label("Kind").select_option("corrective")
    page.get_by_label("Title").fill("宛先の二重確認")
    page.get_by_label("Department").select_option(str(sales.pk))
    page.get_by_label("Due date").fill("2100-01-31")
    page.get_by_role("button", name="Create the action").click()
    page.wait_for_url(f"{live_server.url}/actions/*/")
    action = Action.objects.get()
    assert (action.owner, action.verifier) == (tanaka, manager)
    assert browser_page.problems == []


def test_several_people_are_chosen_and_removed(browser_page, live_server):
    ga = DepartmentFactory(code="GA", name="総務部")
    it_dept = DepartmentFactory(code="IT", name="情報システム部")
    lead = UserFactory(username="auditlead", roles=["staff", "audit_lead", "auditor"], department=ga)
    for login, last in (("auditor2", "佐藤"), ("auditor3", "佐々木")):
        UserFactory(username=login, roles=["staff", "auditor"], department=it_dept, last_name=last, first_name="学")

    page = browser_page(lead)
    page.goto(f"{live_server.url}{reverse('audit_plan')}")
    auditors = page.get_by_role("combobox", name="Auditors")
    chosen = page.locator(".person-picker__chosen li > span")
    for text in ("佐藤", "佐々木"):
        auditors.fill(text)
        page.locator("#id_auditors-listbox [role=option]").first.wait_for()
        auditors.press("ArrowDown")
        auditors.press("Enter")
    # In the list's order (department, then reading or name), as the select holds them.
    assert chosen.all_inner_texts() == ["佐々木 学 (情報システム部)", "佐藤 学 (情報システム部)"]
    selected = page.locator("select[name=auditors]").evaluate("s => Array.from(s.selectedOptions, o => o.text)")
    assert selected == ["佐々木 学 (情報システム部)", "佐藤 学 (情報システム部)"]
    page.get_by_role("button", name="Remove 佐藤 学 (情報システム部)").click()
    selected = page.locator("select[name=auditors]").evaluate("s => Array.from(s.selectedOptions, o => o.text)")
    assert selected == ["佐々木 学 (情報システム部)"]
    # Someone already chosen is not offered again.
    auditors.fill("学")
    page.locator("#id_auditors-listbox [role=option]").first.wait_for()
    assert page.locator("#id_auditors-listbox [role=option]").all_inner_texts()[0].startswith("佐藤 学")
    assert page.locator("#id_auditors-listbox [role=option]").count() == 1
    assert browser_page.problems == []
