"""Separation of duties, complete (issue 11): the head of an audited department is not on
its audit team; a finding is closed only by an auditor independent of the audited
department; a nonconformity needs a corrective action against its cause, not only a
correction (JIS Q 15001:2023 10.2, ISO/IEC 27001:2022 10.2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.models import Audit, Finding
from incidents.exceptions import ConditionsNotMet, NotPermitted
from incidents.services import transition_record
from incidents.workflow.service import transitions_for
from tests.audits.test_views_planning import plan_data
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DUE = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
HEADS_SALES = "salesboss heads 営業部, which this audit covers: nobody audits the department they head."


def step(record, name, by, comment="", **changes):
    return transition_record(record, name, by=by, comment=comment, changes=changes)


@pytest.fixture
def sales_boss(sales, ga):
    """An internal auditor whose profile is in general affairs but who heads sales."""
    user = UserFactory(username="salesboss", roles=["staff", "auditor", "department_head"], department=ga)
    sales.head = user
    sales.save()
    return user


# ---------------------------------------------------------------------------
# Planning: the head of an audited department is not on the team


def test_the_head_of_an_audited_department_is_not_an_auditor(plan_audit, sales_boss):
    with pytest.raises(NotPermitted) as error:
        plan_audit(auditors=[sales_boss])
    assert error.value.message == (
        "salesboss さんは、この監査の対象である営業部の部門責任者です。自らが責任者を務める部門は監査できません。"
    )
    assert not Audit.objects.exists()


def test_the_head_of_an_audited_department_does_not_lead_its_audit(plan_audit, sales_boss, settings):
    from django.utils import translation

    with translation.override("en"), pytest.raises(NotPermitted) as error:
        plan_audit(lead_auditor=sales_boss, auditors=[])
    assert error.value.message == HEADS_SALES


def test_the_head_may_audit_other_departments(plan_audit, sales_boss, it_dept, lead_auditor):
    audit = plan_audit(departments=[it_dept], auditors=[sales_boss])
    assert set(audit.auditors.all()) == {sales_boss}


def test_a_head_named_after_planning_stops_the_start(plan_audit, sales, second_auditor, lead_auditor):
    from django.utils import translation

    audit = plan_audit()
    sales.head = second_auditor
    sales.save()
    with translation.override("en"), pytest.raises(ConditionsNotMet) as error:
        step(audit, "start", lead_auditor)
    assert error.value.problems == [
        "auditor2 heads 営業部, which this audit covers: nobody audits the department they head.",
    ]


def test_the_plan_form_names_the_head_and_the_department(client, audit_lead, lead_auditor, sales_boss, sales,
                                                         clauses):
    client.force_login(audit_lead)
    response = client.post(reverse("audit_plan"), plan_data(
        departments=[sales], clauses=clauses, lead=lead_auditor, auditors=[sales_boss],
    ), **EN)
    assert response.status_code == 400
    assert HEADS_SALES in " ".join(response.context["form"].non_field_errors())
    assert not Audit.objects.exists()


def test_the_api_refuses_the_head_when_planning_and_re_planning(api_as, audit_lead, lead_auditor, sales_boss,
                                                                 sales, clauses, plan_audit):
    today = timezone.localdate()
    payload = {"title": "営業部 内部監査", "kind": "internal", "departments": [sales.pk],
               "clauses": [c.pk for c in clauses], "lead_auditor": lead_auditor.pk, "auditors": [sales_boss.pk],
               "planned_start": today.isoformat(), "planned_end": (today + dt.timedelta(days=1)).isoformat()}
    response = api_as(audit_lead).post(reverse("audits_api:audit-list"), payload, format="json", **EN)
    assert response.status_code == 403
    assert response.json()["detail"] == HEADS_SALES

    audit = plan_audit()
    response = api_as(audit_lead).patch(reverse("audits_api:audit-detail", args=[audit.pk]),
                                        {"version": audit.version, "auditors": [sales_boss.pk]}, format="json", **EN)
    assert response.status_code == 403
    assert response.json()["detail"] == HEADS_SALES
    assert list(audit.auditors.values_list("username", flat=True)) == ["auditor2"]


# ---------------------------------------------------------------------------
# Closing a finding: an auditor independent of the audited department


@pytest.fixture
def observation(fieldwork, lead_auditor):
    services.checklist_record(item=fieldwork.checklist.last(), by=lead_auditor, result="observation",
                              grade="observation", note="掲示が古い")
    return Finding.objects.get(audit=fieldwork, grade="observation")


@pytest.fixture
def nc(fieldwork, lead_auditor):
    services.checklist_record(item=fieldwork.checklist.first(), by=lead_auditor, result="nonconforming",
                              evidence="更新記録なし", note="個人情報管理台帳が更新されていない")
    return Finding.objects.get(audit=fieldwork, grade="minor")


def finding_url(finding, name="transitions") -> str:
    return reverse(f"audits_api:finding-{name}", args=[finding.pk])


def close(client, finding):
    return client.post(reverse("audits_api:finding-transition", args=[finding.pk, "close"]), {}, format="json", **EN)


def test_an_auditor_of_the_audited_department_is_not_offered_close_nor_closes(api_as, client, observation, sales):
    member = UserFactory(username="salesauditor", roles=["staff", "auditor"], department=sales)
    assert "close" not in [option.spec.name for option in transitions_for(observation, member)]
    offered = api_as(member).get(finding_url(observation)).json()
    assert "close" not in [option["name"] for option in offered]

    response = close(api_as(member), observation)
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "salesauditor belongs to 営業部, the audited department: the finding must be verified by an auditor "
        "independent of it."
    )
    client.force_login(member)
    response = client.post(reverse("finding_transition", args=[observation.pk, "close"]),
                           {"close-expected_state": "open"})
    assert response.status_code == 403
    assert "salesauditor さんは、被監査部門である営業部に所属しています" in response.content.decode()
    observation.refresh_from_db()
    assert observation.state == "open"


def test_the_head_of_the_audited_department_does_not_close_its_finding(api_as, observation, sales_boss, auditor):
    assert "close" not in [option.spec.name for option in transitions_for(observation, sales_boss)]
    response = close(api_as(sales_boss), observation)
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "salesboss heads 営業部, the audited department: the finding must be verified by an auditor "
        "independent of it."
    )
    # An auditor of another department, not on the team either, may close it.
    assert "close" in [option.spec.name for option in transitions_for(observation, auditor)]
    assert close(api_as(auditor), observation).status_code == 200


# ---------------------------------------------------------------------------
# A nonconformity needs a corrective action, not only a correction


CORRECTION_ALONE = (
    "A nonconformity needs at least one corrective action against its cause (JIS Q 15001 10.2); its other "
    "actions, such as a correction, do not count."
)


def add_action(finding, head, verifier, kind):
    return services.finding_add_action(finding=finding, by=head, kind=kind, title=f"{kind} の処置",
                                       owner=head, verifier=verifier, due_date=DUE)


def test_a_correction_alone_does_not_answer_a_nonconformity(api_as, nc, head, second_auditor):
    add_action(nc, head, second_auditor, "correction")
    response = api_as(head).post(reverse("audits_api:finding-transition", args=[nc.pk, "respond"]),
                                 {"cause": "手順がない", "plan": "台帳を直す"}, format="json", **EN)
    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == [CORRECTION_ALONE]

    response = api_as(head).post(reverse("audits_api:finding-transition", args=[nc.pk, "respond"]),
                                 {"cause": "手順がない", "plan": "台帳を直す"}, format="json")
    assert response.json()["unmet_conditions"] == [
        "不適合には、その原因に対する是正処置が1件以上必要です（JIS Q 15001 10.2）。修正などほかの処置は数えません。"
    ]

    add_action(nc, head, second_auditor, "corrective")
    assert step(nc, "respond", head, cause="手順がない", plan="台帳を直し、手順を定める").state == "responded"


def test_a_cancelled_corrective_action_stops_the_acceptance_and_the_close(
    api_as, nc, head, manager, lead_auditor, second_auditor, auditor
):
    correction = add_action(nc, head, second_auditor, "correction")
    corrective = add_action(nc, head, second_auditor, "corrective")
    finding = step(nc, "respond", head, cause="手順がない", plan="手順を定める")
    step(corrective, "cancel", manager, cancel_reason="計画の見直し")

    response = api_as(lead_auditor).post(reverse("audits_api:finding-transition", args=[finding.pk, "accept"]),
                                         {}, format="json", **EN)
    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == [CORRECTION_ALONE]

    # Accepted with a corrective action that is cancelled afterwards: no submission, no close.
    replacement = add_action(finding, head, second_auditor, "corrective")
    finding = step(finding, "accept", lead_auditor)
    correction, replacement = (step(step(action, "start", head), "implement", head, implementation_note="実施")
                               for action in (correction, replacement))
    finding = step(finding, "submit_for_verification", head)
    step(correction, "verify_effective", second_auditor, effectiveness_note="確認")
    Finding.objects.get(pk=finding.pk).actions.filter(pk=replacement.pk).update(state="cancelled")
    finding.refresh_from_db()
    with pytest.raises(ConditionsNotMet) as error:
        from django.utils import translation

        with translation.override("en"):
            step(finding, "close", auditor)
    assert error.value.problems == [CORRECTION_ALONE]


def test_an_observation_still_closes_without_actions(observation, auditor):
    assert step(observation, "close", auditor).state == "closed"
