"""The audits' and findings' registers (issue 16): the rows of the list, as XLSX and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from audits import services
from audits.registers import AUDIT_REGISTER, FINDING_REGISTER
from incidents.services import transition_record
from tests.incidents.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"


def download(client, url: str, fmt: str, **params) -> bytes:
    response = client.get(url, {**params, "format": fmt})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == ("text/csv; charset=utf-8" if fmt == "csv" else
                                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return b"".join(response.streaming_content)


def rows_of(content: bytes, fmt: str) -> list[list]:
    if fmt == "csv":
        assert content.startswith(BOM)
        return list(csv.reader(io.StringIO(content[len(BOM):].decode("utf-8"))))
    return [list(row) for row in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]


def headers(register, language="ja") -> list[str]:
    with translation.override(language):
        return [str(column.header) for column in register.columns_shown()]


def column(rows, register, header: str) -> list:
    """One column's values, named by its header's msgid (English)."""
    return [row[headers(register, "en").index(header)] for row in rows[1:]]


def raise_findings(audit, by, department, n: int, **fields) -> list:
    clauses = [item.requirement for item in audit.checklist.all()]
    return [services.finding_raise(audit=audit, by=by, requirement=clauses[i % len(clauses)],
                                   grade=["major", "minor", "observation", "opportunity"][i % 4],
                                   description=fields.get("description", f"指摘 {i}"), department=department)
            for i in range(n)]


@pytest.fixture
def two_departments(plan_audit, lead_auditor, sales, ga):
    """A sales audit and an IT-free audit of another department, both in fieldwork, with findings."""
    other = DepartmentFactory(code="LOG", name="物流部")
    sales_audit = transition_record(plan_audit(), "start", by=lead_auditor)
    other_audit = transition_record(plan_audit(title="物流部 内部監査", departments=[other]), "start", by=lead_auditor)
    return {
        "sales": (sales_audit, raise_findings(sales_audit, lead_auditor, sales, 2)),
        "other": (other_audit, raise_findings(other_audit, lead_auditor, other, 1)),
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_audit_register(client, audit_lead, two_departments, fmt):
    client.force_login(audit_lead)
    sales_audit, _findings = two_departments["sales"]

    rows = rows_of(download(client, reverse("audit_list"), fmt, sort="reference"), fmt)

    assert rows[0] == headers(AUDIT_REGISTER)
    assert {"管理番号", "件名", "状態", "監査リーダー"} <= set(rows[0])
    assert column(rows, AUDIT_REGISTER, "Reference") == sorted(
        [sales_audit.reference, two_departments["other"][0].reference])
    counts = dict(zip(column(rows, AUDIT_REGISTER, "Reference"),
                      column(rows, AUDIT_REGISTER, "Number of findings"), strict=True))
    assert str(counts[sales_audit.reference]) == "2"
    start = column(rows, AUDIT_REGISTER, "Planned start")[0]
    assert start == (sales_audit.planned_start.isoformat() if fmt == "csv"
                     else dt.datetime.combine(sales_audit.planned_start, dt.time()))


def test_a_department_head_exports_only_their_departments_findings(client, head, two_departments):
    client.force_login(head)
    _audit, sales_findings = two_departments["sales"]

    for fmt in ("csv", "xlsx"):
        rows = rows_of(download(client, reverse("finding_list"), fmt), fmt)
        assert sorted(column(rows, FINDING_REGISTER, "Reference")) == sorted(f.reference for f in sales_findings)

    rows = rows_of(download(client, reverse("audit_list"), "csv"), "csv")
    # The sales audit only, counting the findings the head may see.
    assert column(rows, AUDIT_REGISTER, "Reference") == [two_departments["sales"][0].reference]


def test_the_finding_register_keeps_the_filters_and_neutralises_formulas(client, audit_lead, lead_auditor,
                                                                       two_departments, sales):
    audit, _findings = two_departments["sales"]
    formula = raise_findings(audit, lead_auditor, sales, 1, description="=1+1 の手順がない")[0]
    client.force_login(audit_lead)

    rows = rows_of(download(client, reverse("finding_list"), "csv", q="=1+1"), "csv")
    assert rows[0] == headers(FINDING_REGISTER)
    assert column(rows, FINDING_REGISTER, "Reference") == [formula.reference]
    assert column(rows, FINDING_REGISTER, "Finding") == ["'=1+1 の手順がない"]

    rows = rows_of(download(client, reverse("finding_list"), "csv", grade="minor"), "csv")
    # The one minor nonconformity (of the sales audit); the majors, observations and others left out.
    assert column(rows, FINDING_REGISTER, "Reference") == [two_departments["sales"][1][1].reference]


def count_export(client, url: str, fmt: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        rows = rows_of(download(client, url, fmt), fmt)
    return len(queries), len(rows) - 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_finding_register_costs_the_same_queries_for_3_or_30_rows(client, audit_lead, plan_audit, lead_auditor,
                                                                     sales, fmt):
    audit = transition_record(plan_audit(), "start", by=lead_auditor)
    client.force_login(audit_lead)
    raise_findings(audit, lead_auditor, sales, 3)
    few = count_export(client, reverse("finding_list"), fmt)
    raise_findings(audit, lead_auditor, sales, 27)
    many = count_export(client, reverse("finding_list"), fmt)
    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_audit_register_costs_the_same_queries_for_3_or_30_rows(client, audit_lead, plan_audit, lead_auditor,
                                                                   second_auditor, fmt):
    client.force_login(audit_lead)

    def make(start: int, n: int) -> None:
        for i in range(start, start + n):
            department = DepartmentFactory(code=f"R{i:03d}", name=f"部署{i}")
            auditors = [second_auditor, UserFactory(username=f"regaud{i}", roles=["staff", "auditor"])]
            audit = plan_audit(title=f"内部監査 {i}", departments=[department], auditors=auditors)
            if i % 2:
                audit = transition_record(audit, "start", by=lead_auditor)
                raise_findings(audit, lead_auditor, department, 1)

    make(0, 3)
    few = count_export(client, reverse("audit_list"), fmt)
    make(3, 27)
    many = count_export(client, reverse("audit_list"), fmt)
    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]


def test_the_audit_and_finding_lists_sort(client, audit_lead, two_departments):
    client.force_login(audit_lead)

    response = client.get(reverse("finding_list"), {"sort": "grade"})
    grades = [finding.grade for finding in response.context["page"].object_list]
    assert grades == ["major", "major", "minor"]
    page = response.content.decode()
    assert 'aria-sort="ascending"' in page
    assert 'href="?sort=grade&amp;format=xlsx"' in page

    response = client.get(reverse("audit_list"), {"sort": "-reference"})
    listed = [audit.reference for audit in response.context["page"].object_list]
    assert listed == sorted(listed, reverse=True)
    assert client.get(reverse("audit_list"), {"sort": "lead_auditor__password"}).status_code == 200
