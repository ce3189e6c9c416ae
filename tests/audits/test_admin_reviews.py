"""The management review in the admin: prepared through the services while a draft, from the
version the page was read at, submitted and returned through the shared transition page
(transition_record), never approved there (the decisions are recorded on the web page),
read-only once submitted."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import NoReverseMatch, reverse

from audits import services
from audits.models import Review, ReviewDecision, ReviewState
from incidents.clocks import JAPAN
from incidents.services import transition_record
from tests.audits.test_admin import form_data, messages_of
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 24, 10, 0, tzinfo=JAPAN)

TEXTS = {
    "issues_changes": "改正個人情報保護法（2026年7月17日公布と報じられている。未施行）の動向を注視する。",
    "interested_parties": "取引先からのセキュリティチェックシートの依頼が増加した。",
    "feedback": "苦情・問合せ 14 件、開示等の請求 2 件（いずれも期限内に回答）。",
    "risk_status": "リスクアセスメントを 10 月に見直した。残留リスクは許容範囲内。",
}


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


def staffed(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def pms(manager):
    return staffed(manager)


@pytest.fixture
def top(executive):
    return staffed(executive)


@pytest.fixture
def login(admin_client):
    """login(user) -> the test client as that user, in English (tests/conftest.py's admin_client)."""
    return admin_client


@pytest.fixture
def approved(draft, manager, executive, head):
    submitted = transition_record(draft, "submit", by=manager)
    return services.review_approve(
        review=submitted, by=executive, conclusion="PMSは引き続き適切、妥当かつ有効である。",
        decisions=[
            {"title": "標的型メール訓練の全社実施", "owner": head, "due_date": dt.date(2027, 3, 31)},
            {"title": "委託先評価手順の見直し", "owner": manager, "due_date": dt.date(2026, 12, 25),
             "kind": "system_change"},
        ],
    )


def change_url(review) -> str:
    return reverse("admin:audits_review_change", args=[review.pk])


def transition_url(review, name) -> str:
    return reverse("admin:audits_review_transition", args=[review.pk, name])


# ---------------------------------------------------------------------------
# Pages


def test_the_changelist_filters_and_searches(login, pms, draft, approved):
    client = login(pms)
    url = reverse("admin:audits_review_changelist")
    response = client.get(url)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [draft]  # one review: the approved draft
    other = services.review_create(by=pms, period_start=dt.date(2025, 4, 1))
    for query, expected in [
        ("", {draft, other}), ("?state__exact=approved", {draft}), ("?state__exact=draft", {other}),
        ("?fiscal_year=2025", {other}), ("?fiscal_year=2026", {draft}), ("?q=MR-FY2025", {other}),
        ("?q=委託先評価", {draft}),  # a decision's title
    ]:
        response = client.get(url + query)
        assert response.status_code == 200, query
        assert set(response.context["cl"].result_list) == expected, query
    assert "MR-FY2026" in response.content.decode()


def test_the_add_page_offers_the_current_fiscal_year(login, pms):
    response = login(pms).get(reverse("admin:audits_review_add"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["period_start"] == dt.date(2026, 4, 1)
    assert form.initial["period_end"] == dt.date(2027, 3, 31)
    assert "state" not in form.fields and "snapshot" not in form.fields


def test_adding_goes_through_the_service(login, pms):
    client = login(pms)
    response = client.post(reverse("admin:audits_review_add"), {
        "period_start": "2026-04-01", "period_end": "2027-03-31", "issues_changes": TEXTS["issues_changes"],
    })
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.reference, review.state, review.created_by) == ("MR-FY2026", ReviewState.DRAFT, pms)
    assert StateLog.objects.filter(object_id=review.pk, transition="prepare", by=pms).exists()


def test_the_approved_review_shows_its_decisions_and_their_actions(login, pms, approved):
    response = login(pms).get(change_url(approved))
    assert response.status_code == 200
    page = response.content.decode()
    for decision in ReviewDecision.objects.filter(review=approved):
        assert decision.title in page
        assert decision.action.reference in page
        assert reverse("admin:incidents_action_change", args=[decision.action.pk]) in page
    # Nothing is editable any more, the decisions included.
    assert response.context["adminform"].form.fields == {}
    assert not response.context["has_change_permission"]
    inline = response.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_change_permission and not inline.has_delete_permission
    assert "Frozen at submission" in page


def test_every_review_page_loads_for_a_superuser(login, superuser, draft, approved):
    client = login(superuser)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:audits_review_changelist")).status_code == 200
    assert client.get(reverse("admin:audits_review_add")).status_code == 200
    assert client.get(change_url(approved)).status_code == 200
    other = services.review_create(by=approved.created_by, period_start=dt.date(2025, 4, 1))
    assert client.get(change_url(other)).status_code == 200
    # Decisions are shown on their review only.
    with pytest.raises(NoReverseMatch):
        reverse("admin:audits_reviewdecision_changelist")


# ---------------------------------------------------------------------------
# Editing: draft only, through review_update, by the PMS manager


def test_the_pms_manager_edits_the_inputs_of_a_draft(login, pms, draft):
    client = login(pms)
    data = form_data(client.get(change_url(draft)))
    assert "state" not in data and "conclusion" not in data and "reference" not in data
    data["feedback"] = "苦情・問合せ 15 件。"
    with pytest.MonkeyPatch.context() as patch:
        calls = []
        real = services.review_update
        patch.setattr(services, "review_update", lambda **kw: calls.append(kw) or real(**kw))
        response = client.post(change_url(draft), data)
    assert response.status_code == 302, messages_of(response)
    assert [sorted(call) for call in calls] == [["by", "feedback", "review", "version"]]
    assert calls[0]["version"] == int(data["version"]) == 1
    draft.refresh_from_db()
    assert draft.feedback == "苦情・問合せ 15 件。"
    assert draft.issues_changes == TEXTS["issues_changes"]


def test_the_state_is_not_editable(login, pms, draft):
    client = login(pms)
    response = client.get(change_url(draft))
    assert "state" not in response.context["adminform"].form.fields
    data = form_data(response)
    data.update(state="approved", reference="MR-FY1999", conclusion="承認する。")
    assert client.post(change_url(draft), data).status_code == 302
    draft.refresh_from_db()
    assert (draft.state, draft.reference, draft.conclusion) == (ReviewState.DRAFT, "MR-FY2026", "")


def test_a_submitted_review_is_read_only(login, pms, draft, manager):
    transition_record(draft, "submit", by=manager)
    client = login(pms)
    response = client.get(change_url(draft))
    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}
    assert client.post(change_url(draft), {"feedback": "書き換え"}).status_code == 403
    draft.refresh_from_db()
    assert draft.feedback == TEXTS["feedback"]


def test_the_editable_fields_are_the_edit_policys(login, pms, draft):
    form = login(pms).get(change_url(draft)).context["adminform"].form
    assert set(form.fields) == {*Review.edit_policy.writable(draft, pms), "version"}
    assert "conclusion" in Review.edit_policy.by_transition and "conclusion" not in form.fields


def test_a_save_from_a_stale_page_names_what_changed_and_keeps_the_first_save(login, pms, office, draft):
    office.is_staff, office.last_name, office.first_name = True, "佐藤", "花子"
    office.save(update_fields=["is_staff", "last_name", "first_name"])
    mine = login(pms)
    theirs = Client(HTTP_ACCEPT_LANGUAGE="en")
    theirs.force_login(office)
    my_data = form_data(mine.get(change_url(draft)))
    their_data = form_data(theirs.get(change_url(draft)))

    their_data["feedback"] = "苦情・問合せ 16 件。"
    assert theirs.post(change_url(draft), their_data).status_code == 302
    # Another field than theirs: still refused, the page was read before their save.
    my_data["risk_status"] = "残留リスクを再評価した。"
    response = mine.post(change_url(draft), my_data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    error = " ".join(form.non_field_errors())
    assert "Nothing was saved" in error
    assert "Feedback from interested parties (佐藤 花子, " in error
    assert [(row["label"], row["by"]) for row in form.conflict] == [("feedback from interested parties", office)]
    assert form["risk_status"].value() == "残留リスクを再評価した。"
    draft.refresh_from_db()
    assert (draft.feedback, draft.risk_status) == ("苦情・問合せ 16 件。", TEXTS["risk_status"])

    # Saved again from the version the form now carries: my entries, knowingly.
    my_data["version"] = form["version"].value()
    assert mine.post(change_url(draft), my_data).status_code == 302
    draft.refresh_from_db()
    assert (draft.feedback, draft.risk_status) == (TEXTS["feedback"], "残留リスクを再評価した。")


@pytest.mark.parametrize("who", ["head", "top", "superuser"])
def test_nobody_but_the_pms_manager_changes_a_review(request, login, draft, who):
    user = staffed(request.getfixturevalue(who)) if who == "head" else request.getfixturevalue(who)
    client = login(user)
    response = client.get(change_url(draft))
    if who == "head":
        # A department head has no business with the review in the admin.
        assert response.status_code == 403
        assert client.get(reverse("admin:audits_review_changelist")).status_code == 403
    else:
        # Top management and a superuser read it; only the PMS manager writes the inputs.
        assert response.status_code == 200
        assert response.context["adminform"].form.fields == {}
    assert client.post(change_url(draft), {"feedback": "書き換え"}).status_code == 403
    draft.refresh_from_db()
    assert draft.feedback == TEXTS["feedback"]


def test_a_non_pms_user_cannot_add_a_review(login, top):
    assert login(top).get(reverse("admin:audits_review_add")).status_code == 403


# ---------------------------------------------------------------------------
# Transitions through the service


def test_submitting_from_the_admin_goes_through_the_service(login, pms, draft):
    client = login(pms)
    response = client.get(change_url(draft))
    assert [option.name for option in response.context["transitions"]] == ["submit"]
    assert transition_url(draft, "submit") in response.content.decode()
    response = client.post(transition_url(draft, "submit"), {"from_state": "draft", "comment": "提出します。"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == ReviewState.SUBMITTED
    assert draft.snapshot is not None and draft.snapshot["reference"] == "MR-FY2026"
    assert draft.snapshot["texts"]["feedback"] == TEXTS["feedback"]
    assert (draft.submitted_by, draft.submitted_at is not None) == (pms, True)
    entry = StateLog.objects.get(object_id=draft.pk, transition="submit")
    assert (entry.by, entry.source_state, entry.state, entry.description) == (pms, "draft", "submitted", "提出します。")


def test_the_unmet_conditions_are_shown_and_nothing_moves(login, pms):
    review = services.review_create(by=pms, issues_changes="法改正なし")
    client = login(pms)
    response = client.get(transition_url(review, "submit"))
    assert response.status_code == 200
    assert "feedback from interested parties" in response.content.decode()
    response = client.post(transition_url(review, "submit"), {"from_state": "draft"})
    assert response.status_code == 200
    review.refresh_from_db()
    assert (review.state, review.snapshot) == (ReviewState.DRAFT, None)
    assert not StateLog.objects.filter(object_id=review.pk, transition="submit").exists()


def test_only_the_pms_manager_submits(login, top, draft):
    response = login(top).post(transition_url(draft, "submit"), {"from_state": "draft"})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.state == ReviewState.DRAFT


def test_top_management_returns_a_review_for_revision_in_the_admin(login, top, draft, manager):
    transition_record(draft, "submit", by=manager)
    client = login(top)
    response = client.get(change_url(draft))
    # Offered: return for revision. Not offered: approve, which needs the decisions.
    assert [option.name for option in response.context["transitions"]] == ["return_for_revision"]
    page = response.content.decode()
    assert transition_url(draft, "approve") not in page
    assert "on the review&#x27;s web page" in page or "on the review's web page" in page
    assert f'href="{reverse("review_approve", args=[draft.pk])}"' in page
    # The comment is required.
    response = client.post(transition_url(draft, "return_for_revision"), {"from_state": "submitted"})
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.state == ReviewState.SUBMITTED
    response = client.post(transition_url(draft, "return_for_revision"),
                           {"from_state": "submitted", "comment": "苦情の内訳を追記してください。"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.state, draft.snapshot, draft.submitted_at) == (ReviewState.DRAFT, None, None)
    entry = StateLog.objects.get(object_id=draft.pk, transition="return_for_revision")
    assert (entry.by, entry.description) == (top, "苦情の内訳を追記してください。")


def test_approve_is_not_offered_in_the_admin(login, top, draft, manager):
    transition_record(draft, "submit", by=manager)
    client = login(top)
    for method in (client.get, client.post):
        response = method(transition_url(draft, "approve"), {"from_state": "submitted", "conclusion": "承認"})
        assert response.status_code == 302
        assert response["Location"] == change_url(draft)
    assert any("web page" in message for message in messages_of(response))
    draft.refresh_from_db()
    assert draft.state == ReviewState.SUBMITTED
    assert not StateLog.objects.filter(object_id=draft.pk, transition="approve").exists()


def test_a_stale_form_is_refused(login, pms, draft, manager):
    client = login(pms)
    transition_record(draft, "submit", by=manager)
    response = client.post(transition_url(draft, "submit"), {"from_state": "draft"})
    assert response.status_code == 302
    assert StateLog.objects.filter(object_id=draft.pk, transition="submit").count() == 1
