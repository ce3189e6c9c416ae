"""Management review web UI: who sees which page, prepare, submit, return, approve with a
formset of decisions, the readable inputs, the PDF download, the list's query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from audits import services
from audits.fiscal import fiscal_year_bounds, fiscal_year_of
from audits.models import Review, ReviewDecision, ReviewState
from audits.review_views import readable_inputs
from incidents.models import Action, ActionKind, ActionState, IncidentKind
from incidents.services import transition_record
from tests.incidents.factories import UserFactory, reported_incident

pytestmark = pytest.mark.django_db

TEXTS = {
    "issues_changes": "改正個人情報保護法への対応準備。",
    "interested_parties": "取引先からのセキュリティチェックシートの依頼が増加。",
    "feedback": "苦情 2 件、開示請求 1 件。",
    "risk_status": "リスクアセスメントを 10 月に更新。",
}


@pytest.fixture
def owner_b(it_dept):
    return UserFactory(username="owner_b", roles=["staff"], department=it_dept)


def in_days(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def approval_data(review, rows: list[dict], **overrides) -> dict:
    """The approve form as the browser posts it: the conclusion, the meeting, the decision rows."""
    data = {
        "submission": review.submitted_at.isoformat() if review.submitted_at else "",
        "conclusion": "PMS は引き続き適切、妥当かつ有効である。",
        "held_on": timezone.localdate().isoformat(),
        "attendees": "代表取締役、個人情報保護管理者",
        "comment": "",
        "decisions-TOTAL_FORMS": str(len(rows)),
        "decisions-INITIAL_FORMS": "0",
        "decisions-MIN_NUM_FORMS": "1",
        "decisions-MAX_NUM_FORMS": "30",
    }
    for number, row in enumerate(rows):
        values = {"kind": "improvement", "title": "", "detail": "", "owner": "", "department": "", "due_date": "",
                  "verifier": "", **row}
        data.update({f"decisions-{number}-{name}": value for name, value in values.items()})
    data.update(overrides)
    return data


def review_urls(review) -> list[str]:
    return [
        reverse("review_list"),
        reverse("review_create"),
        reverse("review_detail", args=[review.pk]),
        reverse("review_edit", args=[review.pk]),
        reverse("review_approve", args=[review.pk]),
        reverse("review_pdf", args=[review.pk]),
        reverse("review_transition", args=[review.pk, "submit"]),
        reverse("review_transition", args=[review.pk, "approve"]),
    ]


# ---------------------------------------------------------------------------
# Who sees what


@pytest.mark.parametrize("who", ["manager", "executive", "auditor", "audit_lead"])
def test_the_list_and_the_detail_render_for_the_roles_that_see_reviews(request, client, draft, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("review_list"))
    assert response.status_code == 200
    assert draft.reference in response.content.decode()
    response = client.get(reverse("review_detail", args=[draft.pk]))
    assert response.status_code == 200
    assert response.context["review"] == draft


@pytest.mark.parametrize("who", ["staff", "head"])
def test_staff_and_department_heads_get_404_on_every_review_page(request, client, submitted, who):
    client.force_login(request.getfixturevalue(who))
    for url in review_urls(submitted):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("review_transition", args=[submitted.pk, "return_for_revision"]),
                       {"return_for_revision-expected_state": "submitted",
                        "return_for_revision-comment": "x"}).status_code == 404
    assert client.post(reverse("review_approve", args=[submitted.pk]), {}).status_code == 404
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED


def test_the_navigation_links_to_the_reviews_for_those_who_see_them(client, manager, staff):
    client.force_login(manager)
    assert f'href="{reverse("review_list")}"' in client.get(reverse("home")).content.decode()
    client.force_login(staff)
    assert f'href="{reverse("review_list")}"' not in client.get(reverse("home")).content.decode()


def test_only_the_pms_manager_is_offered_a_new_review(client, manager, executive, draft):
    client.force_login(manager)
    assert client.get(reverse("review_list")).context["can_prepare"] is True
    client.force_login(executive)
    response = client.get(reverse("review_list"))
    assert response.context["can_prepare"] is False
    assert reverse("review_create") not in response.content.decode()
    assert client.get(reverse("review_create")).status_code == 403
    assert client.post(reverse("review_create"), {"period_start": "2025-04-01",
                                                  "period_end": "2026-03-31"}).status_code == 403
    assert Review.objects.count() == 1


# ---------------------------------------------------------------------------
# Prepare and edit


def test_the_manager_creates_a_draft_of_the_current_fiscal_year(client, manager):
    client.force_login(manager)
    response = client.get(reverse("review_create"))
    first, last = fiscal_year_bounds(fiscal_year_of(timezone.localdate()))
    assert response.context["form"]["period_start"].value() == first
    assert response.context["form"]["period_end"].value() == last
    content = response.content.decode()
    assert 'name="issues_changes"' in content and 'name="improvement_notes"' in content
    assert str(Review._meta.get_field("issues_changes").help_text) in content

    response = client.post(reverse("review_create"), {
        "period_start": first.isoformat(), "period_end": last.isoformat(), "held_on": "", "attendees": "",
        **TEXTS, "improvement_notes": "",
    })
    review = Review.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("review_detail", args=[review.pk])
    assert (review.state, review.created_by, review.period_start) == (ReviewState.DRAFT, manager, first)
    assert review.feedback == TEXTS["feedback"]


def test_an_invalid_period_keeps_what_was_typed(client, manager):
    client.force_login(manager)
    response = client.post(reverse("review_create"), {
        "period_start": "2026-04-01", "period_end": "2025-03-31", "feedback": "苦情なし", "attendees": "",
    })
    assert response.status_code == 400
    assert response.context["form"].errors
    assert "苦情なし" in response.content.decode()
    assert not Review.objects.exists()


def test_the_manager_edits_the_draft(client, manager, draft):
    client.force_login(manager)
    assert client.get(reverse("review_edit", args=[draft.pk])).status_code == 200
    response = client.post(reverse("review_edit", args=[draft.pk]), {
        "period_start": draft.period_start.isoformat(), "period_end": draft.period_end.isoformat(),
        "held_on": in_days(10), "attendees": "社長、管理者", **TEXTS, "risk_status": "残留リスクは許容範囲内。",
        "improvement_notes": "教育の e ラーニング化", "version": draft.version,
    })
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.risk_status == "残留リスクは許容範囲内。"
    assert draft.improvement_notes == "教育の e ラーニング化"
    assert draft.attendees == "社長、管理者"


def test_others_cannot_edit_and_a_submitted_review_is_not_edited(client, manager, executive, draft):
    client.force_login(executive)
    assert client.get(reverse("review_edit", args=[draft.pk])).status_code == 403
    client.force_login(manager)
    assert client.get(reverse("review_detail", args=[draft.pk])).context["can_edit"] is True
    transition_record(draft, "submit", by=manager)
    assert client.get(reverse("review_detail", args=[draft.pk])).context["can_edit"] is False
    response = client.post(reverse("review_edit", args=[draft.pk]), {
        "period_start": draft.period_start.isoformat(), "period_end": draft.period_end.isoformat(),
        **TEXTS, "feedback": "changed", "version": draft.version,
    })
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.feedback == TEXTS["feedback"]


# ---------------------------------------------------------------------------
# Submit, return for revision


def test_the_submit_step_lists_the_missing_inputs_then_freezes_them(client, manager):
    review = services.review_create(by=manager)
    client.force_login(manager)
    response = client.get(reverse("review_detail", args=[review.pk]))
    panels = {panel["option"].name: panel["option"] for panel in response.context["transitions"]}
    assert list(panels) == ["submit"]
    assert panels["submit"].unmet_conditions  # the four text inputs are empty
    assert response.context["frozen"] is False
    assert "notice--info" in response.content.decode()

    services.review_update(review=review, version=review.version, by=manager, **TEXTS)
    response = client.post(reverse("review_transition", args=[review.pk, "submit"]),
                           {"submit-expected_state": "draft", "submit-comment": ""})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == ReviewState.SUBMITTED
    assert review.snapshot is not None

    response = client.get(reverse("review_detail", args=[review.pk]))
    assert response.context["frozen"] is True
    content = response.content.decode()
    assert "notice--frozen" in content
    assert timezone.localtime(review.submitted_at).strftime("%Y-%m-%d %H:%M") in content
    assert response.context["transitions"] == []  # nothing left for the manager


def test_the_executive_returns_the_review_with_a_comment(client, executive, submitted):
    client.force_login(executive)
    url = reverse("review_transition", args=[submitted.pk, "return_for_revision"])
    response = client.post(url, {"return_for_revision-expected_state": "submitted",
                                 "return_for_revision-comment": ""})
    assert response.status_code == 400
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED

    response = client.post(url, {"return_for_revision-expected_state": "submitted",
                                 "return_for_revision-comment": "苦情の内訳を追記してください。"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.state, submitted.snapshot) == (ReviewState.DRAFT, None)
    response = client.get(reverse("review_detail", args=[submitted.pk]))
    assert "苦情の内訳を追記してください。" in response.content.decode()  # in the trail


def test_the_executive_sees_return_and_approve_but_approving_has_its_own_page(client, executive, submitted):
    client.force_login(executive)
    response = client.get(reverse("review_detail", args=[submitted.pk]))
    assert [panel["option"].name for panel in response.context["transitions"]] == ["return_for_revision"]
    assert response.context["can_approve"] is True
    assert reverse("review_approve", args=[submitted.pk]) in response.content.decode()
    # The generic transition URL does not approve: it sends the executive to the approval page.
    for method in (client.get, client.post):
        response = method(reverse("review_transition", args=[submitted.pk, "approve"]))
        assert response.status_code == 302
        assert response["Location"] == reverse("review_approve", args=[submitted.pk])
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED


# ---------------------------------------------------------------------------
# Approve with decisions


def test_the_approve_form_is_prefilled(client, executive, submitted):
    client.force_login(executive)
    response = client.get(reverse("review_approve", args=[submitted.pk]))
    assert response.status_code == 200
    assert response.context["form"]["held_on"].value() == timezone.localdate()
    assert len(response.context["formset"].forms) == 3


def test_the_executive_approves_with_two_decisions_which_become_linked_actions(
        client, executive, submitted, head, owner_b, sales):
    client.force_login(executive)
    data = approval_data(submitted, [
        {"title": "委託先監査の導入", "detail": "年 1 回の委託先監査", "owner": head.pk, "due_date": in_days(120)},
        {},  # a row left blank is ignored
        {"kind": "resources", "title": "教育予算の増額", "owner": owner_b.pk, "department": sales.pk,
         "due_date": in_days(60), "verifier": head.pk},
    ])
    response = client.post(reverse("review_approve", args=[submitted.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("review_detail", args=[submitted.pk])
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.APPROVED
    assert submitted.conclusion == data["conclusion"]
    decisions = list(ReviewDecision.objects.filter(review=submitted).select_related("action").order_by("position"))
    assert [d.title for d in decisions] == ["委託先監査の導入", "教育予算の増額"]
    first, second = (d.action for d in decisions)
    assert (first.kind, first.owner, first.verifier, first.department) == (
        ActionKind.IMPROVEMENT, head, executive, head.profile.department)
    assert (second.owner, second.verifier, second.department) == (owner_b, head, sales)
    assert decisions[1].kind == "resources"

    response = client.get(response["Location"])
    content = response.content.decode()
    messages = [str(m) for m in response.context["messages"]]
    assert any(first.reference in m and second.reference in m for m in messages)
    for action in (first, second):
        assert reverse("action_detail", args=[action.pk]) in content
    assert data["conclusion"] in content
    assert response.context["can_approve"] is False


def test_validation_errors_keep_everything_that_was_typed(client, executive, submitted, head):
    client.force_login(executive)
    data = approval_data(submitted, [
        {"title": "委託先監査の導入", "detail": "年 1 回の委託先監査", "owner": head.pk, "due_date": ""},
    ], conclusion="", attendees="代表取締役 山田")
    response = client.post(reverse("review_approve", args=[submitted.pk]), data)
    assert response.status_code == 400
    form, formset = response.context["form"], response.context["formset"]
    assert "conclusion" in form.errors
    assert "due_date" in formset.forms[0].errors
    content = response.content.decode()
    for typed in ("委託先監査の導入", "年 1 回の委託先監査", "代表取締役 山田"):
        assert typed in content
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED
    assert not Action.objects.exists()


def test_at_least_one_decision_is_needed(client, executive, submitted):
    client.force_login(executive)
    response = client.post(reverse("review_approve", args=[submitted.pk]), approval_data(submitted, [{}, {}]))
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED


def test_the_services_objections_land_on_their_decision_row(client, executive, submitted, head):
    client.force_login(executive)
    data = approval_data(submitted, [
        {"title": "委託先監査の導入", "owner": head.pk, "due_date": in_days(30)},
        {},
        # The owner cannot verify their own action; the due date is in the past.
        {"title": "教育予算の増額", "owner": head.pk, "verifier": head.pk, "due_date": in_days(-3)},
    ])
    response = client.post(reverse("review_approve", args=[submitted.pk]), data)
    assert response.status_code == 400
    rows = response.context["formset"].forms
    assert not rows[0].errors and not rows[1].errors
    assert len(rows[2].non_field_errors()) == 2
    assert "教育予算の増額" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED
    assert not ReviewDecision.objects.exists() and not Action.objects.exists()


def test_another_decision_row_can_be_added_without_losing_the_input(client, executive, submitted, head):
    client.force_login(executive)
    data = approval_data(submitted, [{"title": "委託先監査の導入", "owner": head.pk}], add_decision="1",
                         conclusion="")
    response = client.post(reverse("review_approve", args=[submitted.pk]), data)
    assert response.status_code == 200
    formset = response.context["formset"]
    assert len(formset.forms) == 2
    assert not response.context["form"].errors and not formset.forms[0].errors
    assert "委託先監査の導入" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED


@pytest.mark.parametrize("who", ["manager", "auditor", "audit_lead"])
def test_only_top_management_sees_the_approve_form(request, client, submitted, who, head):
    client.force_login(request.getfixturevalue(who))
    url = reverse("review_approve", args=[submitted.pk])
    assert client.get(url).status_code == 403
    data = approval_data(submitted, [{"title": "x", "owner": head.pk, "due_date": in_days(30)}])
    assert client.post(url, data).status_code == 403
    assert client.get(reverse("review_detail", args=[submitted.pk])).context["can_approve"] is False
    submitted.refresh_from_db()
    assert submitted.state == ReviewState.SUBMITTED


def test_the_submitter_cannot_approve_even_as_an_executive(client, it_dept, head):
    boss = UserFactory(username="boss", roles=["staff", "pms_manager", "executive"], department=it_dept)
    review = transition_record(services.review_create(by=boss, **TEXTS), "submit", by=boss)
    client.force_login(boss)
    response = client.get(reverse("review_approve", args=[review.pk]))
    assert response.status_code == 403


def test_a_draft_has_no_approval_page(client, executive, draft):
    client.force_login(executive)
    response = client.get(reverse("review_approve", args=[draft.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("review_detail", args=[draft.pk])


def test_an_approval_page_read_before_a_resubmission_is_refused(client, executive, manager, submitted, head):
    client.force_login(executive)
    data = approval_data(submitted, [{"title": "委託先監査の導入", "owner": head.pk, "due_date": in_days(30)}])
    review = transition_record(submitted, "return_for_revision", by=executive, comment="追記を")
    transition_record(review, "submit", by=manager)
    response = client.post(reverse("review_approve", args=[submitted.pk]), data)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == ReviewState.SUBMITTED
    assert not ReviewDecision.objects.exists()


# ---------------------------------------------------------------------------
# The inputs, readable


def test_the_inputs_are_shown_with_labels_rather_than_codes(client, manager, staff, draft):
    reported_incident(staff, kind=IncidentKind.NEAR_MISS)
    client.force_login(manager)
    response = client.get(reverse("review_detail", args=[draft.pk]))
    content = response.content.decode()
    with translation.override("ja"):
        for label in (IncidentKind.NEAR_MISS.label, ActionState.EFFECTIVE.label, ActionKind.IMPROVEMENT.label):
            assert str(label) in content
    assert ">near_miss<" not in content and ">effective<" not in content
    for letter in "abcdefg":
        assert f'id="input-{letter}"' in content
    assert TEXTS["feedback"] in content


def test_readable_inputs_turn_codes_into_labels_and_none_into_a_dash():
    inputs = {
        "incidents": {"by_kind": [{"kind": "leak", "count": 2}], "by_severity": [{"severity": "", "count": 1}],
                      "containment_hours": {"count": 0, "median": None, "p90": None}},
        "tracks": {"by_kind": [{"kind": "ppc_final", "total": 1}], "on_time_rate": None},
        "previous_review": {"reference": "MR-FY2024", "decisions": [
            {"position": 1, "kind": "resources", "title": "t", "state": "in_progress", "due_date": "2026-03-31"}]},
        "opportunities": [{"reference": "FND-2026-0001", "state": "open"}],
    }
    with translation.override("en"):
        readable = readable_inputs(inputs)
        assert readable["incidents"]["by_kind"][0]["label"] == "Leak"
        assert readable["incidents"]["by_severity"][0]["label"] == "Not classified yet"
        assert readable["incidents"]["containment"] == {"count": "0", "median": "—", "p90": "—"}
        assert readable["tracks"]["on_time_rate"] == "—"
        assert readable["tracks"]["by_kind"][0]["label"].startswith("PPC final report")
        decision = readable["previous"]["decisions"][0]
        assert (decision["kind_label"], decision["state_label"]) == ("Resources", "In progress")
        assert readable["opportunities"][0]["state_label"] == "Open"


# ---------------------------------------------------------------------------
# PDF


def test_the_pdf_link_downloads_the_report(client, executive, submitted):
    client.force_login(executive)
    detail = client.get(reverse("review_detail", args=[submitted.pk])).content.decode()
    url = reverse("review_pdf", args=[submitted.pk])
    assert f"{url}?lang=ja" in detail and f"{url}?lang=en" in detail
    response = client.get(f"{url}?lang=en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    assert f"{submitted.reference}_en.pdf" in response["Content-Disposition"]
    # Without ?lang= the report is in the language of the page (Japanese by default).
    assert f"{submitted.reference}_ja.pdf" in client.get(url)["Content-Disposition"]


def test_a_pdf_in_an_unknown_language_is_refused_like_the_audit_report(client, executive, submitted):
    client.force_login(executive)

    response = client.get(reverse("review_pdf", args=[submitted.pk]) + "?lang=fr")

    assert response.status_code == 400
    assert "fr" in response.content.decode()


# ---------------------------------------------------------------------------
# The list


def _make_reviews(years, *, manager, executive, owner) -> None:
    """One review per fiscal year, in turn a draft, submitted and approved (with a decision)."""
    for year in years:
        first, last = fiscal_year_bounds(year)
        review = services.review_create(by=manager, period_start=first, period_end=last, **TEXTS)
        if year % 3:
            review = transition_record(review, "submit", by=manager)
        if year % 3 == 2:
            services.review_approve(review=review, by=executive, conclusion="有効", decisions=[
                {"title": "改善", "owner": owner, "due_date": timezone.localdate() + dt.timedelta(days=30)}])


@pytest.mark.parametrize("who", ["manager", "executive"])
def test_the_list_takes_the_same_number_of_queries_for_two_reviews_as_for_eight(
        request, client, manager, executive, head, who):
    client.force_login(request.getfixturevalue(who))

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.get(reverse("review_list"))
        assert response.status_code == 200
        return len(context), len(response.context["page"].object_list)

    _make_reviews(range(2010, 2012), manager=manager, executive=executive, owner=head)
    few, shown = queries()
    assert shown == 2
    _make_reviews(range(2012, 2018), manager=manager, executive=executive, owner=head)
    assert Review.objects.filter(state=ReviewState.APPROVED).exists()
    assert queries() == (few, 8)


def test_the_list_flags_the_review_awaiting_the_executives_approval(client, executive, submitted):
    client.force_login(executive)
    response = client.get(reverse("review_list"))
    assert response.context["approvable"] == {submitted.pk}
    assert reverse("review_approve", args=[submitted.pk]) in response.content.decode()
