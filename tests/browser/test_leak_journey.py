"""A leak from report to verification, in the browser, with five people (issue 14).

A sales clerk reports a mis-sent mail; the PMS manager triages it and makes a second member
of the PMS office its handler; the handler logs the progress, contains the leak, records
its cause and plans the corrective action for the head of sales, with an internal auditor
to verify it; the head carries it out. Every step is taken on the pages (forms, buttons,
the person pickers), in Japanese, and after each one the next person has the notice: their
unread count went up by one, the inbox lists it, the worker mailed it to them and to no one
else, and the item waits on their to-do page (マイページ).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.pages import choose_person, submit
from tests.incidents.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

INCIDENT_URL = re.compile(r"/incidents/\d+/(#.*)?$")
ACTION_URL = re.compile(r"/actions/\d+/(#.*)?$")


class Mailbox:
    """What the worker mailed since the last look, by address."""

    def __init__(self, worker):
        self.worker = worker
        self.seen = 0

    def deliver(self) -> dict[str, list[str]]:
        self.worker()
        sent = mail.outbox[self.seen:]
        self.seen = len(mail.outbox)
        by_address: dict[str, list[str]] = {}
        for message in sent:
            for address in message.to:
                by_address.setdefault(address, []).append(message.subject)
        return by_address


def told(window, *, before: int, reference: str, section: str, record_url: re.Pattern) -> int:
    """`window`'s person got one notice naming `reference`: the header's count went up by one,
    the to-do page lists the record under `section` (its id), the inbox lists the notice
    first, unread; following it opens the record and marks it read. Returns the count then."""
    count = window.unread()  # reads the count on the to-do page, which stays open
    assert count == before + 1, f"{window.username}: {before} unread before, {count} now"
    expect(window.page.locator("[data-unread-count]")).to_be_visible()  # in the header, phone too
    expect(window.page.locator(f"#{section} .todo__item", has_text=reference)).to_be_visible()
    window.page.goto("/notifications/")
    newest = window.page.locator(".inbox__item").first
    expect(newest).to_have_class(re.compile(r"inbox__item--unread"))
    expect(newest).to_contain_text(reference)
    newest.locator("a.inbox__subject").click()
    window.page.wait_for_url(record_url)
    expect(window.page.locator(".head-meta .reference")).to_have_text(reference)
    assert window.unread() == count - 1
    return count - 1


def not_told(windows: dict, unread: dict, *users) -> None:
    """Nothing new in these people's inboxes."""
    for user in users:
        assert windows[user].unread() == unread[user], f"{user.username} was told"


def take_step(page, name: str, fields: dict[str, str] | None = None) -> None:
    """Open a record's step `name` (the panel under 次の手順) and confirm it with `fields`
    (a select's option by its value or its label)."""
    form = page.locator(f"form[action$='/transitions/{name}/']")
    page.locator(f"details:has(form[action$='/transitions/{name}/']) > summary").click()
    for field, value in (fields or {}).items():
        control = form.locator(f"[name='{name}-{field}']")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    submit(page, form.locator("button[type=submit]"))
    expect(page.locator(f"form[action$='/transitions/{name}/']")).to_have_count(0)


def test_a_leak_from_report_to_verification(person, worker, live_server):
    sales = DepartmentFactory(code="SALES", name="営業部")
    office_dept = DepartmentFactory(code="PMS", name="個人情報保護推進室")
    audit_dept = DepartmentFactory(code="AUDIT", name="内部監査室")
    clerk = UserFactory(username="sato", roles=["staff"], department=sales, last_name="佐藤", first_name="健")
    manager = UserFactory(username="suzuki", roles=["staff", "pms_manager"], department=office_dept,
                          last_name="鈴木", first_name="一郎")
    handler = UserFactory(username="takahashi", roles=["staff", "pms_manager"], department=office_dept,
                          last_name="高橋", first_name="由美")
    head = UserFactory(username="tanaka", roles=["staff", "department_head"], department=sales,
                       last_name="田中", first_name="誠")
    sales.head = head
    sales.save()
    auditor = UserFactory(username="ito", roles=["staff", "auditor"], department=audit_dept,
                          last_name="伊藤", first_name="直子")
    everyone = (clerk, manager, handler, head, auditor)
    mails = Mailbox(worker)

    # The auditor works from a phone (390×844) all along.
    windows = {user: person(user.username, phone=user is auditor) for user in everyone}
    script_errors: list[str] = []
    for window in windows.values():
        window.page.on("pageerror", lambda error: script_errors.append(str(error)))
    unread = {user: windows[user].unread() for user in everyone}
    assert set(unread.values()) == {0}

    # 1. The clerk reports the leak. The PMS office (the manager and the future handler) is told.
    page = windows[clerk].page
    page.goto("/incidents/new/")
    page.locator("[name=title]").fill("見積書メールの誤送信（取引先3社の担当者情報）")
    page.locator("[name=description]").fill(
        "A社宛の見積書メールを、宛先の入力補完によりB社の担当者へ送信した。"
        "本文にA社担当者3名の氏名・メールアドレス・電話番号が含まれる。")
    page.locator("input[name=kind][value=leak]").check()
    expect(page.locator("[name=department]")).to_have_value(str(sales.pk))
    submit(page, page.locator("form.form-card button[type=submit]"))
    assert INCIDENT_URL.search(page.url)
    incident_url = page.url.split("#")[0]
    reference = page.locator(".head-meta .reference").inner_text()
    assert reference.startswith("INC-")

    for user in (manager, handler):
        unread[user] = told(windows[user], before=unread[user], reference=reference, section="triage",
                             record_url=INCIDENT_URL)
    not_told(windows, unread, clerk, head, auditor)
    delivered = mails.deliver()
    assert set(delivered) == {manager.email, handler.email}
    assert all(reference in subjects[0] and len(subjects) == 1 for subjects in delivered.values())

    # 2. The manager opens the report from the to-do page, starts the response and makes
    # the second member of the office its handler.
    page = windows[manager].page
    page.goto("/")
    page.locator("#triage a", has_text=reference).click()
    page.wait_for_url(INCIDENT_URL)
    take_step(page, "triage", {"severity": "L2"})
    choose_person(page, "handler", "高橋", "高橋 由美")
    submit(page, page.locator("form.handler-form button[type=submit]"))
    expect(page.locator("#handler .person")).to_contain_text("高橋 由美")

    unread[handler] = told(windows[handler], before=unread[handler], reference=reference, section="handled",
                             record_url=INCIDENT_URL)
    not_told(windows, unread, clerk, manager, head, auditor)
    delivered = mails.deliver()
    assert list(delivered) == [handler.email], delivered
    assert reference in delivered[handler.email][0]

    # 3. The handler takes the case from their to-do page: logs what was done, contains the
    # leak, records its cause and plans the corrective action for the head of sales, with an
    # internal auditor to verify it.
    page = windows[handler].page
    page.goto("/")
    page.locator("#handled a", has_text=reference).click()
    page.wait_for_url(INCIDENT_URL)
    progress = page.locator("form.progress-form")
    progress.locator("[name=text]").fill("B社担当者へ電話し、誤送信メールの削除を依頼。削除済みとの回答を得た。")
    submit(page, progress.locator("button[type=submit]"))
    expect(page.locator("#progress .progress-log__entry")).to_contain_text("削除済みとの回答を得た")
    take_step(page, "contain", {"containment_summary": "誤送信先で削除されたことを電話で確認した。",
                                "correction_taken": "A社へ経緯を説明し謝罪した。"})
    take_step(page, "analyse", {"root_cause": "宛先の入力補完をそのまま確定し、送信前の宛先確認がなかった。",
                                "cause": "確認不足"})
    page.locator("a[href*='/actions/new/?incident=']").first.click()
    page.wait_for_url(re.compile(r"/actions/new/"))
    page.locator("[name=kind]").select_option("corrective")
    page.locator("[name=title]").fill("社外宛メールの送信前宛先確認の導入")
    page.locator("[name=description]").fill("営業部の社外宛メールに送信保留（1分）と宛先の指差し確認を導入する。")
    choose_person(page, "owner", "田中", "田中 誠")
    choose_person(page, "verifier", "伊藤", "伊藤 直子")
    page.locator("[name=due_date]").fill((timezone.localdate() + dt.timedelta(days=30)).isoformat())
    submit(page, page.locator("form.form-card button[type=submit]"))
    assert ACTION_URL.search(page.url)
    action_ref = page.locator(".head-meta .reference").inner_text()
    assert action_ref.startswith("ACT-")

    # 4. The head of sales is told of the action and reads the incident it fixes.
    unread[head] = told(windows[head], before=unread[head], reference=action_ref, section="actions-to-do",
                         record_url=ACTION_URL)
    # Nor did anything of step 3 tell anyone else: the progress entry tells the handler
    # only, who wrote it, and containing and analysing tell no one.
    not_told(windows, unread, clerk, manager, handler, auditor)
    delivered = mails.deliver()
    assert list(delivered) == [head.email], delivered
    assert action_ref in delivered[head.email][0]
    page = windows[head].page  # on the action's page, from the notice
    with page.expect_navigation() as opened:
        page.locator(f"a[href='{incident_url.removeprefix(live_server.url)}']").click()
    assert opened.value.status == 200
    expect(page.locator("body")).to_contain_text("送信前の宛先確認がなかった")

    # 5. The head starts and implements the action: the auditor is told to verify it.
    page.goto("/")
    page.locator("#actions-to-do a", has_text=action_ref).click()
    page.wait_for_url(ACTION_URL)
    take_step(page, "start")
    take_step(page, "implement", {"implementation_note": "送信保留と宛先確認の手順を導入し、部員全員に周知した。"})

    unread[auditor] = told(windows[auditor], before=unread[auditor], reference=action_ref,
                           section="actions-to-verify", record_url=ACTION_URL)
    not_told(windows, unread, clerk, manager, handler, head)
    delivered = mails.deliver()
    assert list(delivered) == [auditor.email], delivered
    assert action_ref in delivered[auditor.email][0]

    # On the auditor's phone the to-do page's item is there to tap, within the screen.
    page = windows[auditor].page
    page.goto("/")
    item = page.locator("#actions-to-verify a", has_text=action_ref)
    expect(item).to_be_visible()
    box = item.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing to scroll sideways
    assert script_errors == []
