"""Both PDFs read as a person reads them, from the PDF itself: where each piece of text sits
on which page and how big it is set.

pypdf's text visitor hands over every run of text with its font size and its two matrices;
the size a reader sees is the font size times the scale of text matrix × current matrix.
So these tests check what the layout does, not what the code meant: the management
review's page 1 is its executive summary (the conclusion, then the decisions, then the
headline figures), the inputs (a)–(g) follow in order, nothing is set under 8 pt and the
text is read at 10 pt or more; every chart is printed once and says what it shows; and the
audit report's checklist and findings count the same findings.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from dataclasses import dataclass
from io import BytesIO

import pytest
from pypdf import PdfReader

from audits import services
from audits.models import Finding, Grade, Review
from audits.pdf.audit_report import render_audit_report
from audits.pdf.base import MARGIN, PAGE_SIZE
from audits.pdf.review_report import render_review_report
from incidents.models import ActionState, IncidentKind
from incidents.services import transition_record
from tests.audits.test_pdf_review import START, approve, at, period_records, rnd, submit, texts  # noqa: F401
from tests.incidents.factories import ActionFactory, IncidentFactory

pytestmark = pytest.mark.django_db

CONCLUSION = ("当社の個人情報保護マネジメントシステムは、引き続き適切、妥当かつ有効であると判断する。"
              "一方、同じ部署で同じ原因の誤送信が再発したことから、次の3点を決定する。")
DECISIONS = ("標的型メール訓練の全社実施", "委託先評価手順の見直し", "個人情報管理台帳のクラウド移行")
INPUTS_EN = [
    "(a) Status of the previous review's decisions",
    "(b) Changes in internal and external issues",
    "(c) Needs and expectations of interested parties",
    "(d) Performance of the management system",
    "(e) Feedback from interested parties",
    "(f) Risk assessment and risk treatment",
    "(g) Opportunities for improvement",
]
HEADLINES_EN = [
    "Accidents (near misses not counted)", "Reports filed on time", "Actions completed on time",
    "Actions verified effective", "Recurrence rate", "Audit nonconformities", "Departments audited",
    "Requests answered on time",
]


# ---------------------------------------------------------------------------
# Reading a PDF as it is laid out


@dataclass(frozen=True)
class Run:
    page: int  # from 0
    text: str
    size: float  # as the reader sees it, in points
    y: float  # from the bottom of the page

    @property
    def in_running_header_or_footer(self) -> bool:
        return self.y > PAGE_SIZE[1] - MARGIN or self.y < MARGIN


def _times(m: list[float], n: list[float]) -> list[float]:
    """The product of two PDF matrices [a b c d e f]."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return [a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u]


def runs(pdf: bytes) -> list[Run]:
    found: list[Run] = []
    for number, page in enumerate(PdfReader(BytesIO(pdf)).pages):
        def visit(text, cm, tm, _font, font_size, number=number):
            if text.strip():
                m = _times(tm, cm)
                scale = math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))
                found.append(Run(number, text.strip(), round(font_size * scale, 2), m[5]))

        page.extract_text(visitor_text=visit)
    return found


def where(found: list[Run], text: str, *, exact: bool = False) -> tuple[int, float]:
    """(page, distance from the top) of the first run that is `text` (or holds it)."""
    for run in found:
        if (run.text == text) if exact else (text in run.text):
            return run.page, PAGE_SIZE[1] - run.y
    raise AssertionError(f"{text!r} is not in the PDF")


def read_sizes(found: list[Run]) -> tuple[float, float]:
    """The smallest size anywhere, and the size at which half of the characters outside the
    running header and footer are set (the text a reader reads)."""
    smallest = min(run.size for run in found)
    body = [run.size for run in found if not run.in_running_header_or_footer for _char in run.text]
    return smallest, statistics.median(body)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def whole(found: list[Run]) -> str:
    return flat("".join(run.text for run in found))


# ---------------------------------------------------------------------------
# A review like the demo's: approved, a conclusion that introduces three decisions, and
# records the year before to compare with


@pytest.fixture
def previous_year(sales, rnd):  # noqa: F811 (the fixture imported above)
    """FY2023: four accidents, a near miss, two actions due and done on time."""
    for n in range(4):
        IncidentFactory(department=sales, kind=IncidentKind.LEAK, discovered_at=at(dt.date(2023, 5 + n, 10)))
    IncidentFactory(department=rnd, kind=IncidentKind.NEAR_MISS, discovered_at=at(dt.date(2023, 10, 1)))
    for month in (6, 9):
        ActionFactory(department=sales, due_date=dt.date(2023, month, 30), state=ActionState.IMPLEMENTED,
                      implemented_at=at(dt.date(2023, month, 1)))


@pytest.fixture
def approved(manager, executive, head, period_records, previous_year) -> Review:  # noqa: F811
    review = services.review_create(by=manager, period_start=START, **texts())
    return approve(submit(review, manager), executive, head, *DECISIONS, conclusion=CONCLUSION)


def test_page_one_is_the_executive_summary_conclusion_then_decisions_then_figures(approved):
    found = runs(render_review_report(approved, language="en"))
    page_one = [run for run in found if run.page == 0]
    assert where(page_one, "Executive summary", exact=True)[0] == 0

    # the message first: the conclusion, then the decisions it introduces, then the figures
    order = [
        where(page_one, "Executive summary", exact=True),
        where(page_one, "Conclusion of top management", exact=True),
        where(page_one, "当社の個人情報保護マネジメントシステム"),
        where(page_one, "Decisions", exact=True),
        *(where(page_one, title) for title in DECISIONS),
        where(page_one, "Headline figures against the previous year", exact=True),
    ]
    assert order == sorted(order)
    assert "次の3点を決定する。" in whole(page_one)
    # each decision with its owner and due date
    due = approved.decisions.first().due_date
    assert whole(page_one).count(flat(f"{due.day} {due.strftime('%B')} {due.year}")) == 3
    assert whole(page_one).count("営業部") >= 3  # the owner's department under each name

    # 6 to 8 headline figures, each against the year before and marked in words and shape
    figures = whole(page_one)
    assert all(flat(name) in figures for name in HEADLINES_EN)
    assert figures.count("previousyear") >= len(HEADLINES_EN)
    assert len(re.findall(r"[○△×](Good|Watch|Actionneeded)", figures)) >= 7
    # accidents: 2 against 4 the year before, better, good
    assert "Accidents(nearmissesnotcounted)2↓better(previousyear4)○Good" in figures

    # then the inputs (a)–(g), in order, from page 2 on; the decisions in detail after them
    sections = [where(found, title, exact=True) for title in INPUTS_EN]
    assert sections == sorted(sections) and sections[0][0] == 1
    assert where(found, "Decisions of top management (outputs)", exact=True) > sections[-1]
    assert "Contents" not in whole(found)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_nothing_is_set_under_8_pt_and_the_text_is_read_at_10(approved, language):
    found = runs(render_review_report(approved, language=language))
    smallest, read_at = read_sizes(found)
    assert smallest >= 8
    assert read_at >= 10
    # what an executive reads first is set at 10 pt at least, the decisions included
    for text in ("当社の個人情報保護マネジメントシステム", *DECISIONS):
        assert next(run.size for run in found if text in run.text) >= 10, text
    assert all(run.size >= 8.5 for run in found if not run.in_running_header_or_footer)


def test_every_chart_is_printed_once_with_a_line_saying_what_it_shows(approved):
    found = runs(render_review_report(approved, language="en"))
    titles = [run.text for run in found]
    for title in ("Incidents per month", "Incidents by kind", "Where the actions due in the period stand"):
        assert sum(text.startswith(title) for text in titles) == 1, title
    text = whole(found)
    assert flat("→ First half of the year 2, second half 1: fewer in the second half of the year.") in text
    assert flat("→ Most frequent:") in text
    assert flat("→ Of the 2 actions due in the period:") in text
    # the findings by grade are a table with the year before, not a chart with an empty legend
    assert flat("→ 2 findings, 1 of them nonconformities (previous year 0); 2 still open.") in text
    # report timeliness, in names that cannot be confused
    for name in ("Filed on time", "Filed late", "Overdue, not filed", "Not yet due, not filed"):
        assert flat(name) in text


def test_a_chart_the_data_cannot_make_meaningful_is_a_sentence(manager, sales):
    """One kind of incident only, and every action at one stage: no single-bar charts."""
    for month in (5, 9):
        IncidentFactory(department=sales, kind=IncidentKind.LOSS, discovered_at=at(dt.date(2024, month, 1)))
    ActionFactory(department=sales, due_date=dt.date(2024, 10, 1))
    review = services.review_create(by=manager, period_start=START, **texts())
    text = whole(runs(render_review_report(review, language="en")))
    assert "Incidentsbykind" not in text
    assert flat("All 2 incidents of the period were of one kind: Loss.") in text
    assert "Wheretheactionsdueintheperiodstand" not in text
    assert flat("The one action due in the period is at the stage Planned.") in text


def test_the_report_does_not_grow_with_the_departments(manager, sales):
    from tests.incidents.factories import DepartmentFactory

    for n in range(40):
        IncidentFactory(department=DepartmentFactory(), discovered_at=at(START + dt.timedelta(days=7 * n)))
    review = services.review_create(by=manager, period_start=START, **texts())
    text = whole(runs(render_review_report(review, language="en")))
    assert flat("25 more rows are not shown.") in text  # 40 departments, the first 15 listed


# ---------------------------------------------------------------------------
# The audit report: the checklist and the findings count the same findings


@pytest.fixture
def observed_audit(plan_audit, lead_auditor, sales):
    """Five clauses: two observations (one raised as an opportunity for improvement, one
    raising nothing: it repeats the other), one nonconformity, two conforming; and one
    finding raised outside the checklist."""
    from audits.models import Requirement

    requirements = list(Requirement.objects.filter(standard="jis_q_15001", edition="2023").order_by("position")[:5])
    audit = transition_record(plan_audit(clauses=requirements), "start", by=lead_auditor)
    items = list(audit.checklist.select_related("requirement").order_by("position", "id"))
    results = [("observation", {"grade": Grade.OPPORTUNITY, "description": "保管期限の理解が担当者ごとに異なる"}),
               ("observation", {}), ("nonconforming", {"description": "台帳の未更新"}),
               ("conforming", {}), ("conforming", {})]
    for item, (result, extra) in zip(items, results, strict=True):
        item.audit = audit
        services.checklist_record(item=item, by=lead_auditor, result=result, evidence="記録を確認", note="メモ",
                                  **extra)
    services.finding_raise(audit=audit, by=lead_auditor, requirement=requirements[0], department=sales,
                           grade=Grade.OBSERVATION, description="巡回で気づいた点")
    return transition_record(audit, "report", by=lead_auditor, changes={"conclusion": "結論"})


def test_the_audit_reports_checklist_and_findings_agree(observed_audit):
    assert Finding.objects.filter(audit=observed_audit).count() == 3
    text = whole(runs(render_audit_report(observed_audit, language="en")))

    checklist, findings = text.split("4.Findings", 1)
    # the checklist: how many findings each result raised, and their grades
    assert "Observation21finding(Opportunityforimprovement1);1itemraisednone" in checklist
    assert "Nonconforming11finding(Minornonconformity1)" in checklist
    raised = int(re.search(r"Total5(\d)findings?", checklist).group(1))
    # the findings: by grade (the total row: count, of which from checklist items), then in a sentence
    summary = re.search(r"Total(\d)(\d)(\d)findings?:(\d)raisedfromchecklistitems,(\d)raisedoutsidethechecklist",
                        findings)
    graded, graded_from_checklist, total, from_checklist, outside = (int(group) for group in summary.groups())
    assert raised == graded_from_checklist == from_checklist == 2
    assert graded == total == from_checklist + outside == 3
    # the checklist's observations are not the findings graded as observations, and it says so
    assert "Observation10" in findings  # one finding graded observation, raised outside the checklist
    assert flat("a finding's grade is given when the finding is raised and need not repeat it") in checklist


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_audit_report_is_set_at_readable_sizes(observed_audit, language):
    smallest, read_at = read_sizes(runs(render_audit_report(observed_audit, language=language)))
    assert smallest >= 8
    assert read_at >= 10
