"""/api/reviews/: opening and editing a draft, who sees what, the frozen inputs, return for
revision, approval with decisions that become improvement actions, lists with filters and a
constant number of queries, the schema and the PDF.

Time stands still (time_machine) in fiscal year 2026, so references, periods and due dates
are fixed.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits import services
from audits.models import Review, ReviewDecision
from incidents.clocks import JAPAN
from incidents.models import Action, ActionKind
from incidents.services import transition_record
from tests.incidents.factories import IncidentFactory, UserFactory
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=JAPAN)
TODAY = NOW.date()
REVIEWS_URL = reverse("audits_api:review-list")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TEXTS = {
    "issues_changes": "改正個人情報保護法の施行規則改正に対応した。",
    "interested_parties": "委託元から監査報告の提出を求められた。",
    "feedback": "苦情 2 件、開示請求 1 件。",
    "risk_status": "リスクアセスメントを 5 月に実施、対応計画は予定どおり。",
}


def url(name: str, *args) -> str:
    return reverse(f"audits_api:review-{name}", args=args)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def chief(it_dept):
    """A PMS manager who is also top management: prepares the review and may approve others'."""
    return UserFactory(username="chief", roles=["staff", "pms_manager", "executive"], department=it_dept)


def open_review(by, **data) -> Review:
    return services.review_create(by=by, **data)


def written(review: Review, by) -> Review:
    return services.review_update(review=review, version=review.version, by=by, **TEXTS)


def submitted(by, **data) -> Review:
    return transition_record(written(open_review(by, **data), by), "submit", by=by)


def take(client, review, name, **payload):
    return client.post(url("transition", review.pk, name), payload, format="json", **EN)


def approve(client, review, **payload):
    return client.post(url("approve", review.pk), payload, format="json", **EN)


def decision(owner, due_date=TODAY + dt.timedelta(days=90), **extra) -> dict:
    return {"title": "委託先監査の年次化", "owner": owner.pk, "due_date": due_date.isoformat(), **extra}


def approval(*decisions, **extra) -> dict:
    return {"comment": "承認する。", "conclusion": "PMS は適切、妥当かつ有効である。", "decisions": list(decisions),
            **extra}


# ---------------------------------------------------------------------------
# Opening and editing a draft


def test_the_pms_manager_opens_the_review_of_the_current_fiscal_year(api_as, manager):
    response = api_as(manager).post(REVIEWS_URL, {}, format="json", **EN)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reference"] == "MR-FY2026"
    assert (data["period_start"], data["period_end"]) == ("2026-04-01", "2027-03-31")
    assert data["fiscal_year"] == 2026
    assert data["state"] == "draft" and data["state_display"] == "Draft"
    assert data["created_by"]["username"] == "manager"
    assert data["submitted_by"] is None and data["approved_by"] is None
    assert data["decisions"] == []
    assert data["inputs_frozen"] is False
    assert data["inputs"]["reference"] == "MR-FY2026"
    assert data["inputs"]["period"] == {"start": "2026-04-01", "end": "2027-03-31"}
    review = Review.objects.get(pk=data["id"])
    assert StateLog.objects.for_(review).get().transition == "prepare"


def test_the_pms_manager_opens_the_review_of_a_given_period(api_as, manager):
    payload = {"period_start": "2025-04-01", "held_on": "2026-06-20", "attendees": "代表取締役、個人情報保護管理者"}
    response = api_as(manager).post(REVIEWS_URL, payload, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reference"] == "MR-FY2025"
    assert (data["period_start"], data["period_end"]) == ("2025-04-01", "2026-03-31")
    assert data["held_on"] == "2026-06-20" and data["attendees"] == "代表取締役、個人情報保護管理者"


def test_a_period_that_ends_before_it_starts_is_a_400(api_as, manager):
    payload = {"period_start": "2026-04-01", "period_end": "2026-03-31"}
    response = api_as(manager).post(REVIEWS_URL, payload, format="json", **EN)

    assert response.status_code == 400
    assert response.json() == {"period_end": ["The period cannot end before it starts."]}
    assert not Review.objects.exists()


def test_the_pms_manager_edits_a_draft(api_as, manager):
    review = open_review(manager)
    payload = {**TEXTS, "improvement_notes": "教育の e ラーニング化", "held_on": "2026-06-20", "attendees": "役員会"}
    response = api_as(manager).patch(url("detail", review.pk), {"version": review.version, **payload}, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    for name, value in payload.items():
        assert data[name] == value
    assert data["inputs"]["texts"]["feedback"] == TEXTS["feedback"]
    review.refresh_from_db()
    assert review.risk_status == TEXTS["risk_status"] and review.held_on == dt.date(2026, 6, 20)


def test_moving_the_period_renames_the_review(api_as, manager):
    review = open_review(manager)
    response = api_as(manager).patch(url("detail", review.pk), {"version": review.version, "period_start": "2025-04-01",
                                                                 "period_end": "2026-03-31"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["reference"] == "MR-FY2025"


@pytest.mark.parametrize("who", ["staff", "head"])
def test_staff_and_heads_may_not_open_a_review(request, api_as, who):
    response = api_as(request.getfixturevalue(who)).post(REVIEWS_URL, {}, format="json", **EN)

    assert response.status_code == 403
    assert response.json()["detail"] == "Only the PMS manager prepares the review."
    assert not Review.objects.exists()


@pytest.mark.parametrize("who", ["executive", "auditor"])
def test_readers_may_not_open_or_edit_a_review(request, api_as, manager, who):
    client = api_as(request.getfixturevalue(who))
    review = open_review(manager)

    assert client.post(REVIEWS_URL, {}, format="json").status_code == 403
    response = client.patch(url("detail", review.pk), {"version": review.version, "feedback": "なし"}, format="json", **EN)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the PMS manager prepares the review."
    assert client.get(url("detail", review.pk)).status_code == 200


@pytest.mark.parametrize("who", ["staff", "head", "other_staff"])
def test_reviews_are_invisible_to_staff_and_heads(request, api_as, manager, who):
    review = open_review(manager)
    client = api_as(request.getfixturevalue(who))

    assert client.get(REVIEWS_URL).json()["count"] == 0
    for response in [
        client.get(url("detail", review.pk)),
        client.patch(url("detail", review.pk), {"version": review.version, "feedback": "なし"}, format="json"),
        client.get(url("transitions", review.pk)),
        client.get(url("history", review.pk)),
        client.post(url("transition", review.pk, "submit"), {}, format="json"),
        client.post(url("approve", review.pk), approval(), format="json"),
        client.get(url("pdf", review.pk)),
    ]:
        assert response.status_code == 404, response.content


def test_an_unknown_review_is_a_404(api_as, manager):
    assert api_as(manager).get(url("detail", 999)).status_code == 404


def test_a_submitted_review_cannot_be_edited(api_as, manager):
    review = submitted(manager)
    response = api_as(manager).patch(url("detail", review.pk), {"version": review.version, "feedback": "追記"}, format="json", **EN)

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Only a draft review can be edited: ask top management to return it for revision.",
        "code": "record_closed",
    }


@pytest.mark.parametrize("method", ["post", "patch"])
def test_writing_state_snapshot_or_reference_is_a_400(api_as, manager, method):
    review = open_review(manager)
    client = api_as(manager)
    path = REVIEWS_URL if method == "post" else url("detail", review.pk)
    payload = {"state": "approved", "snapshot": {"incidents": {}}, "reference": "MR-FY1999",
               "conclusion": "有効", "feedback": "なし", "colour": "red"}
    response = getattr(client, method)(path, payload, format="json", **EN)

    assert response.status_code == 400
    assert response.json() == {
        "state": ["The state cannot be written. It changes only through a transition: POST …/transitions/<name>/."],
        "snapshot": ["This field is read-only."],
        "reference": ["This field is read-only."],
        "conclusion": ["This field is written by the step “Approve with decisions”, not by an edit."],
        "colour": ["Unknown field."],
    }
    review.refresh_from_db()
    assert review.state == "draft" and review.feedback == ""
    assert Review.objects.count() == 1


# ---------------------------------------------------------------------------
# Submitting freezes the inputs; return for revision


def test_submit_needs_the_text_inputs(api_as, manager):
    review = open_review(manager)
    response = take(api_as(manager), review, "submit")

    assert response.status_code == 400
    assert response.json()["code"] == "conditions_not_met"
    assert "changes in internal and external issues" in response.json()["unmet_conditions"][0]


def test_submit_freezes_the_inputs(api_as, manager, staff, sales):
    client = api_as(manager)
    review = written(open_review(manager), manager)
    IncidentFactory(department=sales, reporter=staff)
    detail = client.get(url("detail", review.pk)).json()
    assert detail["inputs"]["incidents"]["total"] == 1 and detail["inputs_frozen"] is False

    # While a draft, the inputs follow the records.
    IncidentFactory(department=sales, reporter=staff)
    assert client.get(url("detail", review.pk)).json()["inputs"]["incidents"]["total"] == 2

    response = take(client, review, "submit", comment="ご確認ください。")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "submitted" and data["inputs_frozen"] is True
    assert data["submitted_by"]["username"] == "manager" and data["submitted_at"]
    assert data["inputs"]["incidents"]["total"] == 2

    # Once submitted, they do not.
    IncidentFactory(department=sales, reporter=staff)
    data = client.get(url("detail", review.pk)).json()
    assert data["inputs"]["incidents"]["total"] == 2
    assert data["inputs"] == Review.objects.get(pk=review.pk).snapshot


def test_only_the_pms_manager_submits(api_as, manager, executive):
    review = written(open_review(manager), manager)

    assert take(api_as(executive), review, "submit").status_code == 403
    assert [t["name"] for t in api_as(executive).get(url("transitions", review.pk)).json()] == []
    assert [t["name"] for t in api_as(manager).get(url("transitions", review.pk)).json()] == ["submit"]


def test_an_executive_returns_the_review_with_a_comment_and_the_manager_resubmits(
    api_as, manager, executive, staff, sales
):
    review = submitted(manager)
    client = api_as(executive)
    assert [t["name"] for t in client.get(url("transitions", review.pk)).json()] == [
        "return_for_revision", "approve"
    ]

    response = take(client, review, "return_for_revision")
    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == ["Add a comment explaining this step."]

    response = take(client, review, "return_for_revision", comment="苦情の内訳を追記してください。")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "draft" and data["inputs_frozen"] is False and data["submitted_by"] is None

    # Back to a draft: the inputs follow the records again, and the manager may edit.
    IncidentFactory(department=sales, reporter=staff)
    read = api_as(manager).get(url("detail", review.pk)).json()
    assert read["inputs"]["incidents"]["total"] == 1
    response = api_as(manager).patch(url("detail", review.pk),
                                     {"version": read["version"], "feedback": "苦情 2 件（配送 1、対応 1）"}, format="json")
    assert response.status_code == 200, response.content
    response = take(api_as(manager), review, "submit")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "submitted"
    assert response.json()["inputs"]["texts"]["feedback"] == "苦情 2 件（配送 1、対応 1）"

    timeline = api_as(manager).get(url("history", review.pk), **EN).json()
    # The feedback written before submitting is on the timeline as an edit, between the steps.
    assert [h["kind"] for h in timeline[:2]] == ["step", "edit"]
    assert "feedback" in [c["field"] for c in timeline[1]["changes"]]
    history = [h for h in timeline if h["kind"] == "step"]
    assert [(h["transition"], h["to_state"]) for h in history] == [
        ("prepare", "draft"), ("submit", "submitted"), ("return_for_revision", "draft"), ("submit", "submitted"),
    ]
    assert history[2]["comment"] == "苦情の内訳を追記してください。"
    assert history[2]["by"]["username"] == "executive"


def test_an_unknown_transition_is_a_404(api_as, manager):
    review = open_review(manager)
    assert take(api_as(manager), review, "publish").status_code == 404


# ---------------------------------------------------------------------------
# Approval with decisions


def test_an_executive_approves_with_two_decisions(api_as, manager, executive, head, staff, it_dept, sales):
    review = submitted(manager)
    payload = approval(
        decision(head, TODAY + dt.timedelta(days=90)),
        decision(staff, dt.date(2026, 12, 31), title="個人情報保護教育の e ラーニング化", kind="resources",
                 detail="全従業員に年 1 回", department=it_dept.pk),
        attendees="代表取締役、取締役 2 名、個人情報保護管理者",
    )
    response = approve(api_as(executive), review, **payload)

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "approved" and data["state_display"] == "Approved"
    assert data["approved_by"]["username"] == "executive" and data["approved_at"]
    assert data["conclusion"] == "PMS は適切、妥当かつ有効である。"
    assert data["attendees"] == "代表取締役、取締役 2 名、個人情報保護管理者"
    assert data["held_on"] == TODAY.isoformat()

    actions = list(Action.objects.order_by("pk"))
    assert len(actions) == 2
    assert all(a.kind == ActionKind.IMPROVEMENT and a.verifier == executive and a.state == "planned"
               for a in actions)
    assert [(a.owner, a.due_date, a.department) for a in actions] == [
        (head, TODAY + dt.timedelta(days=90), sales), (staff, dt.date(2026, 12, 31), it_dept),
    ]
    assert actions[1].title == "個人情報保護教育の e ラーニング化" and actions[1].description == "全従業員に年 1 回"

    first, second = data["decisions"]
    assert (first["position"], first["kind"], first["owner"]["username"], first["department"]["code"]) == (
        1, "improvement", "head", "SALES"
    )
    assert (second["position"], second["kind"], second["kind_display"]) == (2, "resources", "Resources")
    assert first["action"] == {
        "id": actions[0].pk, "reference": actions[0].reference, "state": "planned", "state_display": "Planned",
        "due_date": (TODAY + dt.timedelta(days=90)).isoformat(),
    }
    assert second["action"]["reference"] == actions[1].reference and actions[1].reference.startswith("ACT-2026-")
    assert ReviewDecision.objects.get(review=review, position=2).action == actions[1]

    trail = StateLog.objects.for_(review).order_by("pk").last()
    assert (trail.transition, trail.by, trail.description) == ("approve", executive, "承認する。")


def test_the_generic_transition_url_takes_the_approval_too(api_as, manager, executive, head):
    review = submitted(manager)
    assert url("transition", review.pk, "approve") == url("approve", review.pk)
    response = take(api_as(executive), review, "approve", **approval(decision(head)))

    assert response.status_code == 200, response.content
    assert response.json()["decisions"][0]["action"]["reference"].startswith("ACT-")


def test_approval_keeps_the_meeting_date_already_recorded(api_as, manager, executive, head):
    review = submitted(manager, held_on=dt.date(2026, 6, 10))
    response = approve(api_as(executive), review, **approval(decision(head)))

    assert response.status_code == 200, response.content
    assert response.json()["held_on"] == "2026-06-10"

    other = submitted(manager, period_start=dt.date(2025, 4, 1))
    response = approve(api_as(executive), other, **approval(decision(head), held_on="2026-06-12"))
    assert response.json()["held_on"] == "2026-06-12"


def test_a_named_verifier_verifies_the_action(api_as, manager, executive, head, auditor):
    review = submitted(manager)
    response = approve(api_as(executive), review, **approval(decision(head, verifier=auditor.pk)))

    assert response.status_code == 200, response.content
    assert Action.objects.get().verifier == auditor


def test_a_past_due_date_is_a_400_naming_the_decision(api_as, manager, executive, head, staff):
    review = submitted(manager)
    payload = approval(decision(head), decision(staff, TODAY - dt.timedelta(days=1)))
    response = approve(api_as(executive), review, **payload)

    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == ["Decision 2: The due date cannot be in the past."]
    review.refresh_from_db()
    assert review.state == "submitted" and not review.decisions.exists() and not Action.objects.exists()


def test_the_owner_cannot_be_the_verifier(api_as, manager, executive):
    review = submitted(manager)
    response = approve(api_as(executive), review, **approval(decision(executive)))

    assert response.status_code == 400
    assert response.json()["unmet_conditions"] == [
        "Decision 1: The owner cannot verify their own action: name another verifier."
    ]


def test_approval_payload_errors_are_per_field(api_as, manager, executive, head):
    review = submitted(manager)
    client = api_as(executive)

    response = approve(client, review, **approval(decision(head), {**decision(head), "due_date": "2026-02-30"}))
    assert response.status_code == 400
    assert response.json() == {"decisions": {"1": {"due_date": [
        "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
    ]}}}

    response = approve(client, review, **approval({**decision(head), "owner": 99999}))
    assert response.status_code == 400
    assert response.json() == {"decisions": {"0": {"owner": ['Invalid pk "99999" - object does not exist.']}}}

    response = approve(client, review, **approval({"title": "", "colour": "red"}))
    assert response.status_code == 400
    assert set(response.json()["decisions"]["0"]) == {"title", "owner", "due_date", "colour"}

    response = approve(client, review, decisions=[decision(head)], state="approved", comment="")
    assert response.status_code == 400
    assert response.json() == {
        "conclusion": ["This field is required."],
        "state": ["The state cannot be written. It changes only through a transition: POST …/transitions/<name>/."],
    }

    response = approve(client, review, **approval())
    assert response.status_code == 400
    assert list(response.json()) == ["decisions"]

    review.refresh_from_db()
    assert review.state == "submitted" and not Action.objects.exists()


def test_the_pms_manager_may_not_approve(api_as, manager, office, head):
    review = submitted(office)
    response = approve(api_as(manager), review, **approval(decision(head)))

    assert response.status_code == 403
    assert response.json()["detail"] == "Only top management may do this."
    assert Review.objects.get(pk=review.pk).state == "submitted"


def test_approving_a_draft_is_a_409(api_as, manager, executive, head):
    review = written(open_review(manager), manager)
    response = approve(api_as(executive), review, **approval(decision(head)))

    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_available"
    assert not Action.objects.exists()


def test_the_submitter_may_not_approve_their_own_review(api_as, chief, executive, head):
    review = submitted(chief)
    client = api_as(chief)
    assert [t["name"] for t in client.get(url("transitions", review.pk)).json()] == ["return_for_revision"]

    response = approve(client, review, **approval(decision(head)))
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "The review must be approved by someone other than the person who submitted it."
    )
    assert not Action.objects.exists()

    # Another executive may.
    assert approve(api_as(executive), review, **approval(decision(head))).status_code == 200


def test_an_approved_review_is_final(api_as, manager, executive, head):
    review = submitted(manager)
    approve(api_as(executive), review, **approval(decision(head)))

    assert approve(api_as(executive), review, **approval(decision(head))).status_code == 409
    assert take(api_as(executive), review, "return_for_revision", comment="再検討").status_code == 409
    assert api_as(manager).patch(url("detail", review.pk), {"version": review.version, "feedback": "追記"}, format="json").status_code == 409
    assert api_as(executive).get(url("transitions", review.pk)).json() == []
    assert ReviewDecision.objects.count() == 1


# ---------------------------------------------------------------------------
# Lists


def test_the_list_filters_by_state_and_fiscal_year_and_orders(api_as, manager, executive, head):
    draft = open_review(manager)
    done = submitted(manager, period_start=dt.date(2024, 4, 1))
    approve(api_as(executive), done, **approval(decision(head)))
    waiting = submitted(manager, period_start=dt.date(2025, 4, 1))
    client = api_as(executive)

    def references(**params):
        response = client.get(REVIEWS_URL, params)
        assert response.status_code == 200, response.content
        return [row["reference"] for row in response.json()["results"]]

    assert references() == ["MR-FY2026", "MR-FY2025", "MR-FY2024"]
    assert references(state="draft") == [draft.reference]
    assert references(state=["submitted", "approved"]) == [waiting.reference, done.reference]
    assert references(fiscal_year=2025) == ["MR-FY2025"]
    assert references(covers="2024-12-01") == ["MR-FY2024"]
    assert references(ordering="period_start") == ["MR-FY2024", "MR-FY2025", "MR-FY2026"]
    assert references(ordering="-approved_at", state="approved") == ["MR-FY2024"]
    assert references(search="FY2025") == ["MR-FY2025"]
    row = client.get(REVIEWS_URL, {"fiscal_year": 2024}).json()["results"][0]
    assert row["state"] == "approved" and row["approved_by"]["username"] == "executive"
    assert "inputs" not in row and "decisions" not in row
    assert client.get(REVIEWS_URL, {"state": "closed"}).status_code == 400


def make_reviews(count, *, by):
    for n in range(count):
        review = open_review(by, period_start=dt.date(2000 + n, 4, 1))
        if n % 2:
            transition_record(written(review, by), "submit", by=by)


def count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"page_size": 100})
    assert response.status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_rows(api_as, manager):
    client = api_as(manager)
    make_reviews(3, by=manager)
    few = count_queries(client, REVIEWS_URL)
    Review.objects.all().delete()
    make_reviews(12, by=manager)
    assert client.get(REVIEWS_URL).json()["count"] == 12
    assert count_queries(client, REVIEWS_URL) == few


def test_detail_queries_do_not_grow_with_decisions(api_as, manager, executive, head, staff):
    one, three = submitted(manager), submitted(manager, period_start=dt.date(2025, 4, 1))
    approve(api_as(executive), one, **approval(decision(head)))
    approve(api_as(executive), three, **approval(decision(head), decision(staff), decision(head)))
    client = api_as(manager)
    assert count_queries(client, url("detail", one.pk)) == count_queries(client, url("detail", three.pk))


# ---------------------------------------------------------------------------
# The schema


def test_the_schema_documents_the_approval_payload_and_validates():
    # In a process of its own: generating the schema caches the form fields of the shared
    # django-filter filters, which the web list pages then can no longer re-widget.
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json"],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    approve_op = schema["paths"]["/api/reviews/{id}/transitions/approve/"]["post"]
    request = approve_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request == "#/components/schemas/ReviewApproveRequest"
    decision_schema = schema["components"]["schemas"]["DecisionInputRequest"]
    assert set(decision_schema["required"]) == {"title", "owner", "due_date"}
    pdf = schema["paths"]["/api/reviews/{id}/pdf/"]["get"]
    assert pdf["responses"]["200"]["content"]["application/pdf"]["schema"] == {
        "type": "string", "format": "binary"
    }
    lang = next(p for p in pdf["parameters"] if p["name"] == "lang")
    assert lang["in"] == "query" and sorted(lang["schema"]["enum"]) == ["en", "ja"]


# ---------------------------------------------------------------------------
# The PDF


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize(("query", "headers", "language"), [
    ({}, {}, "ja"),
    ({}, EN, "en"),
    ({"lang": "en"}, {}, "en"),
    ({"lang": "ja"}, EN, "ja"),
])
def test_the_review_report_pdf(api_as, manager, query, headers, language):
    review = open_review(manager, period_start=dt.date(2025, 4, 1))
    response = api_as(manager).get(url("pdf", review.pk), query, **headers)

    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="MR-FY2025_{language}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")
    assert "MR-FY2025" in pdf_text(response.content)


def test_the_pdf_of_an_approved_review(api_as, manager, executive, head):
    review = submitted(manager)
    approve(api_as(executive), review, **approval(decision(head, title="委託先監査の年次化")))
    response = api_as(executive).get(url("pdf", review.pk), {"lang": "ja"}, HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "MR-FY2026" in text
    # The action's reference may wrap inside its table cell.
    assert Action.objects.get().reference in "".join(text.split())


def test_an_unknown_report_language_is_a_400(api_as, manager):
    review = open_review(manager)
    response = api_as(manager).get(url("pdf", review.pk), {"lang": "fr"}, **EN)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"lang": ["Unknown language “fr”: choose one of ja, en."]}


def test_a_pdf_error_answers_in_json_even_when_a_pdf_is_asked_for(api_as, manager, staff):
    review = open_review(manager)
    response = api_as(staff).get(url("pdf", review.pk), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
