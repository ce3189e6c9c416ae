"""An audit finding from the checklist to an accepted answer, in the browser (issue 16).

The lead auditor, at a desk, records a nonconformity in the audit's checklist, which raises a
finding for the sales department; the head of sales, on a phone, finds it on their to-do page
(マイページ), plans the corrective action and answers with the cause and the plan from the
steps bar at the top of the finding; the lead auditor accepts the answer; top management
reads the status dashboard. Every page on the way is read by axe-core: no serious or critical
violation, and nothing on the phone scrolls sideways.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from audits import services as audit_services
from audits.models import Audit, Finding, Requirement
from incidents.services import transition_record
from tests.browser.pages import choose_person, submit
from tests.incidents.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FINDING_URL = re.compile(r"/audits/findings/\d+/(#.*)?$")
PHONE_WIDTH = 390


def no_serious_violations(page) -> None:
    """axe-core on the page as it is now: nothing serious or critical."""
    results = Axe().run(page)
    found = [(violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]][:3])
             for violation in results.response["violations"] if violation["impact"] in ("serious", "critical")]
    assert found == [], f"{page.url}: {found}"


@pytest.fixture
def audit_in_fieldwork(db):
    sales = DepartmentFactory(code="SALES", name="営業部")
    general_affairs = DepartmentFactory(code="GA", name="総務部")
    it = DepartmentFactory(code="IT", name="情報システム部")
    head = UserFactory(username="head", first_name="一郎", last_name="鈴木", roles=["staff", "department_head"],
                       department=sales)
    sales.head = head
    sales.save()
    lead = UserFactory(username="auditlead", first_name="直子", last_name="伊藤",
                       roles=["staff", "audit_lead", "auditor"], department=general_affairs)
    second = UserFactory(username="auditor2", first_name="健太", last_name="渡辺", roles=["staff", "auditor"],
                         department=it)
    executive = UserFactory(username="executive", first_name="太郎", last_name="山田", roles=["executive"],
                            department=general_affairs)
    today = timezone.localdate()
    audit = audit_services.audit_plan(
        by=lead, title="営業部 内部監査", departments=[sales],
        clauses=list(Requirement.objects.filter(standard="jis_q_15001", edition="2023", clause__in=["6.1", "9.2"])),
        lead_auditor=lead, auditors=[second], planned_start=today, planned_end=today + dt.timedelta(days=2))
    audit = transition_record(audit, "start", by=lead)
    return {"audit": audit, "head": head, "lead": lead, "second": second, "executive": executive}


def test_a_finding_from_the_checklist_to_an_accepted_answer(person, audit_in_fieldwork):
    audit: Audit = audit_in_fieldwork["audit"]
    item = audit.checklist.order_by("pk").first()

    # 1. The lead auditor, at a desk, records a nonconformity: it raises a finding.
    page = person("auditlead").page
    page.goto(f"/audits/{audit.pk}/")
    no_serious_violations(page)
    row = page.locator(f"#item-{item.pk}")
    row.locator(f"[name='item-{item.pk}-result'][value='nonconforming']").check()
    row.locator(f"[name='item-{item.pk}-evidence']").fill("個人情報管理台帳（2026年4月版）を閲覧した。")
    row.locator(f"[name='item-{item.pk}-note']").fill("個人情報管理台帳が半年間更新されていない。")
    submit(page, page.locator("#checklist-form .form-actions button[type=submit]"))
    finding = Finding.objects.get(audit=audit)
    expect(page.locator(f"#item-{item.pk} a", has_text=finding.reference)).to_be_visible()

    # 2. The head of sales, on a phone, finds it waiting on their to-do page.
    head_page = person("head", phone=True).page
    head_page.goto("/")
    head_page.locator("#findings-to-answer a", has_text=finding.reference).click()
    head_page.wait_for_url(FINDING_URL)
    no_serious_violations(head_page)
    assert head_page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH

    # A nonconformity is answered with a corrective action: the head plans it on the page.
    head_page.locator("details.finding-action > summary").click()
    head_page.locator("[name=action-title]").fill("個人情報管理台帳の月次更新手順の制定")
    head_page.locator("[name=action-description]").fill("更新の担当者と手順を定め、毎月の部会で確認する。")
    choose_person(head_page, "action-owner", "鈴木", "鈴木 一郎")
    choose_person(head_page, "action-verifier", "渡辺", "渡辺 健太")
    head_page.locator("[name=action-due_date]").fill((timezone.localdate() + dt.timedelta(days=30)).isoformat())
    submit(head_page, head_page.locator("form[action$='/actions/new/'] button[type=submit]"))
    assert finding.actions.count() == 1

    # The answer is a step of the steps bar, within the phone's first screen.
    respond = head_page.locator("[data-steps-bar] [data-step=respond]")
    box = respond.bounding_box()
    assert box is not None and box["y"] < 844 and box["x"] + box["width"] <= PHONE_WIDTH
    respond.click()
    head_page.wait_for_url(re.compile(r"/transitions/respond/$"))
    no_serious_violations(head_page)
    head_page.locator("[name=respond-cause]").fill("台帳の更新の担当と時期が定められていなかった。")
    head_page.locator("[name=respond-plan]").fill("担当者を定め、毎月の部会で台帳を確認し更新する。")
    submit(head_page, head_page.locator("form[action$='/transitions/respond/'] button[type=submit]"))
    assert head_page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    finding.refresh_from_db()
    assert (finding.state, finding.responded_by) == ("responded", audit_in_fieldwork["head"])

    # 3. The lead auditor accepts the answer from the finding's steps bar.
    page.goto(f"/audits/findings/{finding.pk}/")
    page.locator("[data-steps-bar] [data-step=accept]").click()
    page.wait_for_url(re.compile(r"/transitions/accept/$"))
    submit(page, page.locator("form[action$='/transitions/accept/'] button[type=submit]"))
    finding.refresh_from_db()
    assert finding.state == "accepted"
    no_serious_violations(page)

    # 4. Top management reads the year in pictures, each chart with its text.
    executive = person("executive").page
    executive.goto("/dashboard/")
    charts = executive.locator("main svg[role=img]")
    expect(charts).to_have_count(4)
    for chart in charts.all():  # each names itself and says what it shows
        assert chart.locator(":scope > title").text_content().strip()
        assert chart.locator(":scope > desc").text_content().strip()
    no_serious_violations(executive)
