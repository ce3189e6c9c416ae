"""The person picker on the audits' forms: the audit team (one lead, several auditors), a
finding's action, a review decision's owner and verifier. Each offers only who may hold
the duty and refuses anyone else posted by hand, on the field."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from audits import services
from audits.models import Audit, Finding, ReviewState
from incidents.models import Action
from incidents.people_forms import NOT_ELIGIBLE
from incidents.services import transition_record
from tests.audits.test_views_planning import plan_data
from tests.audits.test_views_reviews import TEXTS, approval_data, in_days  # noqa: F401  (TEXTS: the draft fixture's)
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

# The pages below are asked for in English.
with translation.override("en"):
    REFUSED = str(NOT_ELIGIBLE)


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def root(superuser):
    superuser.groups.clear()  # as `createsuperuser` makes one: no PMS role
    return superuser


def options(html: str, name: str) -> tuple[str, list[str]]:
    """The <select> tag named `name` and the labels of its options."""
    match = re.search(rf'(<select name="{name}"[^>]*>)(.*?)</select>', html, re.S)
    return match.group(1), [text.strip() for text in re.findall(r"<option [^>]*>([^<]*)</option>", match.group(2))]


def test_the_team_pickers_offer_auditors_and_leads(english, audit_lead, lead_auditor, second_auditor, head, executive,
                                                   staff, root):
    english.force_login(audit_lead)
    html = english.get(reverse("audit_plan")).content.decode()
    tag, leads = options(html, "lead_auditor")
    assert 'data-role="auditor,audit_lead,department_head"' in tag
    tag, auditors = options(html, "auditors")
    assert "multiple" in tag and 'data-role="auditor,audit_lead"' in tag and "data-person-picker" in tag
    offered = {label.split(" ")[0] for label in auditors}
    assert offered == {"auditlead", "leadauditor", "auditor2"}
    assert {label.split(" ")[0] for label in leads} == offered | {"head", "---------"}
    # Under one heading per department, in department code order (GA, IT).
    select = re.search(r'<select name="auditors".*?</select>', html, re.S).group(0)
    assert re.findall(r'<optgroup label="([^"]*)">', select) == ["総務部", "情報システム部"]


@pytest.mark.parametrize("who", ["executive", "staff", "head", "root"])
def test_an_auditor_who_may_not_audit_is_refused_on_the_field(request, english, audit_lead, lead_auditor, sales,
                                                              clauses, who):
    person = request.getfixturevalue(who)
    english.force_login(audit_lead)
    response = english.post(reverse("audit_plan"), plan_data(
        departments=[sales], clauses=clauses, lead=lead_auditor, auditors=[person]))
    assert response.status_code == 400
    assert response.context["form"].errors["auditors"] == [REFUSED]
    assert not Audit.objects.exists()


@pytest.mark.parametrize("who", ["executive", "staff", "root"])
def test_a_lead_auditor_who_may_not_lead_is_refused_on_the_field(request, english, audit_lead, sales, clauses, who):
    english.force_login(audit_lead)
    response = english.post(reverse("audit_plan"), plan_data(
        departments=[sales], clauses=clauses, lead=request.getfixturevalue(who), auditors=[]))
    assert response.status_code == 400
    assert response.context["form"].errors["lead_auditor"] == [REFUSED]


def test_several_auditors_are_chosen_at_once(english, audit_lead, lead_auditor, second_auditor, sales, clauses):
    english.force_login(audit_lead)
    response = english.post(reverse("audit_plan"), plan_data(
        departments=[sales], clauses=clauses, lead=lead_auditor, auditors=[second_auditor, audit_lead]))
    assert response.status_code == 302
    assert set(Audit.objects.get().auditors.all()) == {second_auditor, audit_lead}


def test_a_team_member_who_left_stays_on_the_re_planned_audit(english, plan_audit, audit_lead, lead_auditor,
                                                             second_auditor, sales, clauses):
    audit = plan_audit()
    second_auditor.is_active = False
    second_auditor.save()
    english.force_login(audit_lead)
    response = english.post(reverse("audit_edit", args=[audit.pk]), {**plan_data(
        departments=[sales], clauses=clauses, lead=lead_auditor, auditors=[second_auditor], title="改題"),
        "version": audit.version})
    assert response.status_code == 302, response.context["form"].errors


def test_a_findings_action_refuses_an_owner_without_a_role(english, plan_audit, lead_auditor, head, second_auditor,
                                                          root):
    audit = transition_record(plan_audit(), "start", by=lead_auditor)
    services.checklist_record(item=audit.checklist.first(), by=lead_auditor, result="nonconforming",
                              note="個人情報管理台帳が更新されていない")
    finding = Finding.objects.get(audit=audit)
    english.force_login(head)
    page = english.get(reverse("finding_detail", args=[finding.pk])).content.decode()
    assert "data-person-picker" in options(page, "action-owner")[0]
    response = english.post(reverse("finding_action_create", args=[finding.pk]), {
        "action-kind": "corrective", "action-title": "手順の制定", "action-description": "",
        "action-department": finding.department_id, "action-owner": root.pk, "action-verifier": second_auditor.pk,
        "action-due_date": in_days(30),
    })
    assert response.status_code == 400
    assert response.context["action_form"].errors["owner"] == [REFUSED]
    assert not Action.objects.exists()


@pytest.mark.parametrize("field", ["owner", "verifier"])
def test_a_review_decision_refuses_a_person_without_a_role(english, executive, submitted, head, root, field):
    english.force_login(executive)
    page = english.get(reverse("review_approve", args=[submitted.pk])).content.decode()
    assert "data-person-picker" in options(page, "decisions-0-owner")[0]
    row = {"title": "委託先監査の導入", "owner": head.pk, "due_date": in_days(90), field: root.pk}
    response = english.post(reverse("review_approve", args=[submitted.pk]), approval_data(submitted, [row]))
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors[field] == [REFUSED]
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED


def test_an_executive_may_own_a_decision(english, executive, submitted, head):
    other_executive = UserFactory(username="cfo", roles=["executive"])
    english.force_login(executive)
    row = {"title": "委託先監査の導入", "owner": other_executive.pk, "due_date": in_days(90), "verifier": head.pk}
    response = english.post(reverse("review_approve", args=[submitted.pk]), approval_data(submitted, [row]))
    assert response.status_code == 302
