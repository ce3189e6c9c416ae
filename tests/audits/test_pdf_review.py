"""The management-review report (audits/pdf/review_report.py), read back with pypdf:
the executive summary on page 1, the sections, the figures of a hand-made period, the
snapshot freeze, user text kept literal, both languages, and a constant number of queries.
(test_pdf_reading.py reads the layout itself: the order of the sections and the type sizes.)"""

from __future__ import annotations

import datetime as dt
import re
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from audits import services
from audits.models import Audit, Grade, Review
from audits.pdf.review_report import render_review_report
from incidents.clocks import JAPAN
from incidents.models import (
    ActionState,
    CauseCategory,
    Company,
    IncidentKind,
    IncidentState,
    ReportingTrack,
    TrackKind,
    TrackState,
)
from incidents.services import transition_record
from tests.incidents.factories import ActionFactory, DepartmentFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

START, END = dt.date(2024, 4, 1), dt.date(2025, 3, 31)  # fiscal year 2024 -> MR-FY2024
RND_NAME = "R&D <研究開発部>"
HOSTILE = {
    "issues_changes": '<img src="/etc/passwd">',
    "interested_parties": "R&D",
    "feedback": "<unclosed",
    "risk_status": "<font name=x>",
}
SECTIONS_EN = [
    "Executive summary",
    "(a) Status of the previous review's decisions",
    "(b) Changes in internal and external issues",
    "(c) Needs and expectations of interested parties",
    "(d) Performance of the management system",
    "(e) Feedback from interested parties",
    "(f) Risk assessment and risk treatment",
    "(g) Opportunities for improvement",
    "Decisions of top management (outputs)",
    "Record of the review",
]


# ---------------------------------------------------------------------------
# Reading the PDF


def pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Without any whitespace: pypdf breaks long lines and spaces table cells its own way."""
    return re.sub(r"\s+", "", text)


def text_of(pdf: bytes) -> str:
    return "\n".join(pages(pdf))


def summary_page(pdf: bytes) -> str:
    """The executive summary of an English report, on page 1, without whitespace (its table
    cells wrap): e.g. "Reportsfiledontime66.7%previousyear—"."""
    first = pages(pdf)[0]
    assert "Executive summary" in first
    return flat(first)


# ---------------------------------------------------------------------------
# A hand-made period


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=JAPAN)


def track(incident, kind: str, *, limit: dt.datetime, filed: dt.datetime) -> ReportingTrack:
    return ReportingTrack.objects.create(incident=incident, kind=kind, state=TrackState.FILED, due_at=limit,
                                         limit_at=limit, filed_at=filed, recipient_reference="R-1")


@pytest.fixture
def rnd(db):
    return DepartmentFactory(code="RND", name=RND_NAME)


@pytest.fixture
def period_records(sales, rnd, plan_audit, lead_auditor, clauses):
    """FY2024: three incidents (two accidents, one near miss), three reports (two on time,
    one late), two actions due (one done on time and effective, one overdue), an audit with
    an opportunity for improvement and a minor nonconformity; one incident after the period."""
    cause = CauseCategory.objects.order_by("position").first()
    leak = IncidentFactory(department=sales, kind=IncidentKind.LEAK, severity="L2", cause=cause,
                           discovered_at=at(dt.date(2024, 5, 10)), contained_at=at(dt.date(2024, 5, 10), 16),
                           state=IncidentState.CLOSED, closed_at=at(dt.date(2024, 5, 30)))
    IncidentFactory(department=sales, kind=IncidentKind.NEAR_MISS, severity="L0", cause=cause,
                    discovered_at=at(dt.date(2024, 8, 1)), contained_at=at(dt.date(2024, 8, 1), 12))
    loss = IncidentFactory(department=rnd, kind=IncidentKind.LOSS, severity="L1",
                           discovered_at=at(dt.date(2025, 1, 15)))
    IncidentFactory(department=sales, discovered_at=at(dt.date(2025, 4, 5)))  # next period

    track(leak, TrackKind.PPC_PRELIMINARY, limit=at(dt.date(2024, 5, 14)), filed=at(dt.date(2024, 5, 12)))
    track(leak, TrackKind.PPC_FINAL, limit=at(dt.date(2024, 6, 9)), filed=at(dt.date(2024, 6, 1)))
    track(loss, TrackKind.PMARK_FINAL, limit=at(dt.date(2025, 2, 14)), filed=at(dt.date(2025, 2, 20)))

    ActionFactory(department=sales, due_date=dt.date(2024, 9, 30), state=ActionState.EFFECTIVE,
                  implemented_at=at(dt.date(2024, 9, 1)))
    ActionFactory(department=rnd, due_date=dt.date(2024, 12, 1))

    audit = transition_record(plan_audit(), "start", by=lead_auditor)
    services.finding_raise(audit=audit, by=lead_auditor, requirement=clauses[0], department=sales,
                           grade=Grade.OPPORTUNITY, description="ホワイトボードに顧客名が残っていた")
    services.finding_raise(audit=audit, by=lead_auditor, requirement=clauses[1], department=sales,
                           grade=Grade.MINOR, description="入退室記録の確認が未実施")
    Audit.objects.filter(pk=audit.pk).update(planned_start=dt.date(2024, 7, 1), planned_end=dt.date(2024, 7, 3))


def texts(**overrides) -> dict:
    data = {
        "issues_changes": "個人情報保護法の改正動向を確認した。",
        "interested_parties": "取引先からのチェックシート要請が増加。",
        "feedback": "苦情 1件（期限内に回答）。",
        "risk_status": "リスクアセスメントを10月に実施。",
        "improvement_notes": "送信保留機能の導入を提案する。",
    }
    data.update(overrides)
    return data


@pytest.fixture
def draft(manager, period_records) -> Review:
    return services.review_create(by=manager, period_start=START, **texts())


def submit(review: Review, manager) -> Review:
    return transition_record(review, "submit", by=manager)


def approve(review: Review, executive, owner, *titles: str, conclusion: str = "PMS は有効に機能している。") -> Review:
    due = timezone.localdate() + dt.timedelta(days=60)
    decisions = [{"title": title, "owner": owner, "due_date": due, "detail": f"{title} の詳細"} for title in titles]
    return services.review_approve(review=review, by=executive, decisions=decisions, conclusion=conclusion)


# ---------------------------------------------------------------------------
# The document


def test_english_report_leads_with_its_summary_then_the_sections_and_figures(draft, sales):
    pdf = render_review_report(draft, language="en")
    texts_ = pages(pdf)
    whole = "\n".join(texts_)

    first = texts_[0]  # no cover and no contents page: the executive summary
    assert "Management review report" in first
    assert "MR-FY2024" in first
    assert "1 April 2024 – 31 March 2025" in first
    assert "DRAFT" in first  # a draft says so on page 1
    assert "Confidential" in first
    for heading in SECTIONS_EN:
        assert heading in whole, heading
    assert "Contents" not in whole

    summary = summary_page(pdf)
    # the headline figures: FY2023 has no records, so no year to compare with ("—")
    assert "Accidents(nearmissesnotcounted)2previousyear—" in summary
    assert "nearmisses1;discoverytocontainment,median4.0h" in summary  # no year before to name
    assert "Reportsfiledontime66.7%previousyear—×Actionneeded" in summary
    assert "filedlate1;overdue,notfiled0;notyetdue0" in summary
    assert "Actionscompletedontime50.0%" in summary and "overdue,notcompleted1" in summary
    assert "Actionsverifiedeffective100.0%previousyear—○Good" in summary
    assert "Recurrencerate50.0%" in summary and "1ofthe2incidentswithananalysedcause" in summary
    assert "Auditnonconformities1" in summary
    assert "×Actionneeded4,△Watch1,○Good2(of8figures)" in summary
    assert "None" not in summary  # figures without data are "—"

    flat_text = flat(whole)
    assert flat("In the period: 3 (accidents 2, near misses 1)") in flat_text
    assert flat(sales.name) in flat_text
    assert flat(RND_NAME) in flat_text  # user text, escaped: the angle brackets stay literal
    assert flat("ホワイトボードに顧客名が残っていた") in flat_text  # (g) the opportunity for improvement
    assert flat("PPC preliminary report (速報)") in flat_text  # TrackKind labels
    assert flat("Opportunity for improvement") in flat_text  # Grade labels
    assert flat("Top management's decisions and conclusion are recorded when the review is approved.") in flat_text
    assert "None" not in whole


def test_footer_numbers_every_page(draft):
    texts_ = pages(render_review_report(draft, language="en"))
    total = len(texts_)
    assert total >= 5
    for number, text in enumerate(texts_, start=1):
        assert f"{number} / {total}" in text
        assert "Generated" in text


def test_japanese_report(draft, sales, manager):
    pdf = render_review_report(draft)  # Japanese by default
    whole = "\n".join(pages(pdf))
    flat_text = flat(whole)
    assert "MR-FY2024" in whole
    assert "2024年4月1日〜2025年3月31日" in whole
    assert flat(sales.name) in flat_text
    assert flat(RND_NAME) in flat_text
    assert "66.7%" in whole and "50.0%" in whole
    for letter in "abcdefg":
        assert f"({letter})" in whole
    assert "ホワイトボードに顧客名が残っていた" in flat_text
    assert re.search(r"1 / \d+", pages(pdf)[0])
    assert "None" not in whole


def test_labels_follow_the_language_of_the_document(draft):
    english = flat(text_of(render_review_report(draft, language="en")))
    japanese = flat(text_of(render_review_report(draft, language="ja")))
    # the month axis and the dates follow the language; the snapshot holds codes only
    assert "Apr" in english and "4月" in japanese
    assert "31March2025" in english and "2025年3月31日" in japanese


def test_submitted_report_shows_the_snapshot_not_the_records(draft, manager, executive, sales):
    review = submit(draft, manager)
    before = summary_page(render_review_report(review, language="en"))
    assert "Accidents(nearmissesnotcounted)2" in before and "nearmisses1" in before

    # records change after the submission: two more incidents in the period, one more report
    late = IncidentFactory(department=sales, discovered_at=at(dt.date(2024, 10, 1)))
    IncidentFactory(department=sales, kind=IncidentKind.NEAR_MISS, discovered_at=at(dt.date(2024, 11, 1)))
    track(late, TrackKind.PPC_PRELIMINARY, limit=at(dt.date(2024, 10, 5)), filed=at(dt.date(2024, 10, 9)))

    review.refresh_from_db()
    pdf = render_review_report(review, language="en")
    after = summary_page(pdf)
    assert "Accidents(nearmissesnotcounted)2" in after and "nearmisses1" in after
    assert "Reportsfiledontime66.7%" in after
    assert flat("In the period: 3 (accidents 2, near misses 1)") in flat(text_of(pdf))
    assert "Submitted: awaiting approval" in pages(pdf)[0]

    # back to draft: the figures follow the records again
    review = transition_record(review, "return_for_revision", by=executive, comment="数字を確認してください")
    live = summary_page(render_review_report(review, language="en"))
    assert "Accidents(nearmissesnotcounted)3" in live and "nearmisses2" in live
    assert "Reportsfiledontime50.0%" in live


def test_approved_report_lists_decisions_conclusion_and_sign_off(draft, manager, executive, head):
    review = approve(submit(draft, manager), executive, head, "送信保留機能の全社導入", "委託先管理規程の改訂")
    pdf = render_review_report(review, language="en")
    whole = text_of(pdf)
    flat_text = flat(whole)
    assert "DRAFT" not in pages(pdf)[0]
    assert flat("送信保留機能の全社導入") in flat_text
    assert flat("送信保留機能の全社導入 の詳細") in flat_text  # the detail under the title
    assert flat("委託先管理規程の改訂") in flat_text
    assert "PMS は有効に機能している。" in whole
    assert "Sign-off" in whole and "Prepared" in whole and "Approved" in whole
    for decision in review.decisions.select_related("action"):
        assert decision.action.reference in whole
    assert "are recorded when the review is approved" not in whole


def test_previous_review_decisions_are_input_a(manager, executive, head, period_records):
    earlier = services.review_create(by=manager, period_start=dt.date(2023, 4, 1), **texts())
    approve(submit(earlier, manager), executive, head, "委託先監査の実施")
    review = services.review_create(by=manager, period_start=START, **texts())

    pdf = render_review_report(review, language="en")
    whole = text_of(pdf)
    assert "MR-FY2023" in whole
    assert flat("委託先監査の実施") in flat(whole)
    action = earlier.decisions.get().action
    assert action.reference in whole
    # under the table of (a), what it says
    assert flat("MR-FY2023: effective 0, implemented 0, open 1 (overdue 0), cancelled 0") in flat(whole)


def test_user_text_is_printed_literally(manager, executive, head, period_records):
    review = services.review_create(by=manager, period_start=START, **texts(**HOSTILE))
    review = approve(submit(review, manager), executive, head, '<img src="/etc/passwd">', "<font name=x>R&D",
                     conclusion="<unclosed")
    for language in ("ja", "en"):
        pdf = render_review_report(review, language=language)
        flat_text = flat(text_of(pdf))
        for hostile in [*HOSTILE.values(), "<font name=x>R&D"]:
            assert flat(hostile) in flat_text, (language, hostile)
        assert flat_text.count(flat('<img src="/etc/passwd">')) >= 2  # (b) and decision 1
        assert b"/Subtype /Image" not in pdf  # nothing was embedded from the disk


def test_empty_period_renders_dashes(manager):
    review = services.review_create(by=manager, period_start=dt.date(2019, 4, 1), **texts())
    summary = summary_page(render_review_report(review, language="en"))
    assert "Accidents(nearmissesnotcounted)0previousyear—○Good" in summary
    assert "discoverytocontainment,median—h" in summary
    assert "Reportsfiledontime—previousyear——" in summary  # nothing to judge: no mark
    assert "None" not in summary


def test_long_lists_are_cut(manager):
    """A big snapshot (hundreds of opportunities, many clauses): the long tables show their
    first 15 rows and say how many more there are, so the report is no longer for it
    (tests/audits/test_review_input_queries.py renders 20 and 2,000 opportunities alike)."""
    review = services.review_create(by=manager, period_start=START, **texts())
    snapshot = review.inputs()
    snapshot["opportunities"] = [
        {"reference": f"FND-2024-{n:04d}", "clause": "6.1", "department": f"部署{n % 40}",
         "description": f"改善の機会 {n}: 手順書の記載が古い。" * 3, "state": "open"}
        for n in range(1, 301)
    ]
    snapshot["audits"]["by_clause"] = [
        {"standard": "jis_q_15001", "edition": "2023", "clause": f"A.{n}", "title_ja": f"箇条 {n}",
         "title_en": f"Clause {n}", "count": 3, "nonconformities": 1}
        for n in range(1, 81)
    ]
    Review.objects.filter(pk=review.pk).update(snapshot=snapshot, state="submitted")
    review.refresh_from_db()
    whole = "\n".join(pages(render_review_report(review, language="en")))
    assert "FND-2024-0001" in whole and "FND-2024-0015" in whole and "FND-2024-0016" not in whole
    assert "285 more rows are not shown." in whole  # the opportunities: the first 15 of 300
    assert "65 more rows are not shown." in whole  # the clauses: the first 15 of 80


def queries_of(review: Review) -> int:
    with CaptureQueriesContext(connection) as context:
        render_review_report(review, language="en")
    return len(context.captured_queries)


def test_queries_do_not_grow_with_the_data(draft, sales, it_dept, rnd):
    small = queries_of(draft)

    cause = CauseCategory.objects.order_by("position").first()
    for n in range(30):
        department = (sales, it_dept, rnd, DepartmentFactory())[n % 4]
        day = START + dt.timedelta(days=7 * n)
        incident = IncidentFactory(department=department, kind=list(IncidentKind.values)[n % 8], cause=cause,
                                   discovered_at=at(day), contained_at=at(day, 18))
        track(incident, TrackKind.PPC_PRELIMINARY, limit=at(day + dt.timedelta(days=3)),
              filed=at(day + dt.timedelta(days=n % 6)))
        ActionFactory(department=department, due_date=day + dt.timedelta(days=30))
    assert queries_of(draft) == small


def test_queries_do_not_grow_with_the_decisions(manager, executive, head, period_records):
    one = approve(submit(services.review_create(by=manager, period_start=START, **texts()), manager),
                  executive, head, "一件目")
    three = approve(submit(services.review_create(by=manager, period_start=dt.date(2022, 4, 1), **texts()), manager),
                    executive, head, "一件目", "二件目", "三件目")
    assert queries_of(one) == queries_of(three)


def test_the_companys_name_and_corporate_number_on_the_cover_and_every_footer(draft):
    # The company reviewed names the document (it used to be settings.COMPANY_NAME).
    Company.objects.filter(is_default=True).update(name="株式会社サンプル", corporate_number="")
    texts = pages(render_review_report(Review.objects.get(pk=draft.pk), language="en"))
    assert "株式会社サンプル" in texts[0]
    assert "Corporate number" not in texts[0]  # none recorded: none printed
    Company.objects.filter(is_default=True).update(corporate_number="7000012050002")
    texts = pages(render_review_report(Review.objects.get(pk=draft.pk), language="en"))
    assert "株式会社サンプル" in texts[0] and "Corporate number 7000012050002" in texts[0]
    assert all("株式会社サンプル (Corporate number 7000012050002)" in page for page in texts[1:])


def test_owner_names_are_shown(manager, executive, period_records):
    owner = UserFactory(username="owner", first_name="花子", last_name="佐藤", roles=["staff"])
    review = approve(submit(services.review_create(by=manager, period_start=START, **texts()), manager),
                     executive, owner, "教育資料の改訂")
    assert "佐藤 花子" in text_of(render_review_report(review, language="en"))
