"""The lists as registers (issue 16): every list leaves as XLSX and CSV with the rows its page
shows (the same filters, order and visibility), Japanese headers, Japan time, no row cap,
formulas neutralised, and the same few queries whatever the number of rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import quote

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header

from incidents.clocks import JAPAN
from incidents.models import (
    Complaint,
    Incident,
    ReportingTrack,
    RequestItem,
    RightsRequest,
    TrackKind,
    TrackState,
)
from incidents.registers import (
    ACTION_REGISTER,
    COMPLAINT_REGISTER,
    INCIDENT_REGISTER,
    REQUEST_REGISTER,
    TRACK_REGISTER,
    Column,
    Register,
    csv_value,
)
from incidents.services import next_reference
from tests.incidents.factories import ActionFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TODAY = dt.datetime(2026, 12, 7, 10, 0, tzinfo=JAPAN)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def download(client, url: str, fmt: str, **params):
    response = client.get(url, {**params, "format": fmt})
    assert response.status_code == 200, response.content[:500]
    return response, b"".join(response.streaming_content)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(BOM)
    return list(csv.reader(io.StringIO(content[len(BOM):].decode("utf-8"))))


def xlsx_sheet(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def headers(register) -> list[str]:
    with translation.override("ja"):
        return [str(column.header) for column in register.columns_shown()]


def position(register, header: str) -> int:
    """Where a column is, named by its header's msgid (English)."""
    with translation.override("en"):
        return [str(column.header) for column in register.columns_shown()].index(header)


def column(rows: list[list], register, header: str) -> list:
    """The values of one column (named by its English header) under the header row."""
    return [row[position(register, header)] for row in rows[1:]]


def track(incident, kind=TrackKind.PPC_PRELIMINARY, *, limit, state=TrackState.PENDING, **fields) -> ReportingTrack:
    return ReportingTrack.objects.create(incident=incident, kind=kind, state=state, due_at=limit - dt.timedelta(days=1),
                                         limit_at=limit, **fields)


# ---------------------------------------------------------------------------
# The incident register (事故管理台帳)


def test_the_incident_register_as_csv(client, manager, sales, it_dept, staff):
    discovered = dt.datetime(2026, 4, 1, 0, 30, tzinfo=JAPAN)  # still 31 March in UTC
    loss = IncidentFactory(department=sales, reporter=staff, kind="loss", title="顧客名簿の紛失",
                           discovered_at=discovered, occurred_at=discovered - dt.timedelta(hours=1), affected_count=2000)
    IncidentFactory(department=it_dept, reporter=staff, kind="near_miss", title="誤送信の未遂")
    client.force_login(manager)

    response, content = download(client, reverse("incident_list"), "csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    rows = csv_rows(content)
    assert rows[0] == headers(INCIDENT_REGISTER)
    assert {"管理番号", "発見日時", "部門", "状態", "件名"} <= set(rows[0])  # the Japanese headers
    assert len(rows) == 3  # the header and one row per incident
    by_reference = {row[0]: row for row in rows[1:]}
    row = by_reference[loss.reference]
    assert row[position(INCIDENT_REGISTER, "Discovered at")] == "2026-04-01 00:30"  # Japan time
    assert row[position(INCIDENT_REGISTER, "Title")] == "顧客名簿の紛失"
    assert row[position(INCIDENT_REGISTER, "Kind")] == "滅失"
    assert row[position(INCIDENT_REGISTER, "Number of data subjects")] == "2000"


def test_the_incident_register_as_xlsx(client, manager, sales, staff):
    discovered = dt.datetime(2026, 4, 1, 0, 30, tzinfo=JAPAN)
    incident = IncidentFactory(department=sales, reporter=staff, discovered_at=discovered,
                               occurred_at=discovered - dt.timedelta(hours=1), affected_count=12)
    limit = dt.datetime(2026, 12, 5, 23, 59, tzinfo=JAPAN)  # passed: the register says overdue
    track(incident, limit=limit)
    track(incident, TrackKind.PPC_FINAL, limit=limit + dt.timedelta(days=30))
    client.force_login(manager)

    response, content = download(client, reverse("incident_list"), "xlsx")

    assert response["Content-Type"] == XLSX
    with translation.override("ja"):
        name = f"{INCIDENT_REGISTER.title}_2026-12-07.xlsx"
    assert response["Content-Disposition"] == content_disposition_header(True, name)
    sheet = xlsx_sheet(content)
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == headers(INCIDENT_REGISTER)
    assert sheet.freeze_panes == "A2"
    assert [row[0] for row in rows[1:]] == [incident.reference]
    assert column(rows, INCIDENT_REGISTER, "Discovered at") == [dt.datetime(2026, 4, 1, 0, 30)]  # a date Excel sorts
    assert column(rows, INCIDENT_REGISTER, "Next deadline") == [dt.datetime(2026, 12, 5, 23, 59)]
    assert column(rows, INCIDENT_REGISTER, "Overdue") == ["はい"]


def test_the_register_names_each_report_and_its_state(client, manager, sales, staff):
    incident = IncidentFactory(department=sales, reporter=staff)
    limit = dt.datetime(2026, 12, 10, 23, 59, tzinfo=JAPAN)
    track(incident, limit=limit - dt.timedelta(days=5), state=TrackState.FILED,
          filed_at=dt.datetime(2026, 12, 2, 9, 0, tzinfo=JAPAN), recipient_reference="R-1")
    track(incident, TrackKind.PPC_FINAL, limit=limit)
    track(incident, TrackKind.PMARK_PRELIMINARY, limit=limit, state=TrackState.NOT_REQUIRED,
          not_required_reason="対象外")
    client.force_login(manager)
    client.cookies["django_language"] = "en"

    rows = csv_rows(download(client, reverse("incident_list"), "csv")[1])

    with translation.override("en"):
        names = [str(column.header) for column in INCIDENT_REGISTER.columns_shown()]
    row = dict(zip(names, rows[1], strict=True))
    assert row["Reports to the PPC"] == ("Preliminary: filed 2026-12-02 09:00 / "
                                         "Final: pending (limit 2026-12-10 23:59)")
    assert row["Reports to the PrivacyMark assessment body"] == "Preliminary: not required"
    assert row["Next deadline"] == "2026-12-10 23:59"
    assert row["Overdue"] == "No"
    assert names[0] == "Reference"  # the export speaks the reader's language


def test_the_register_keeps_the_filters_and_the_order(client, manager, sales, it_dept, staff):
    first = IncidentFactory(department=sales, reporter=staff, kind="loss", title="B 紛失")
    second = IncidentFactory(department=sales, reporter=staff, kind="loss", title="A 紛失")
    IncidentFactory(department=it_dept, reporter=staff, kind="leak", title="C 漏えい")
    client.force_login(manager)

    rows = csv_rows(download(client, reverse("incident_list"), "csv", kind="loss", sort="title")[1])

    assert [row[0] for row in rows[1:]] == [second.reference, first.reference]
    rows = csv_rows(download(client, reverse("incident_list"), "csv", kind="loss", sort="-title")[1])
    assert [row[0] for row in rows[1:]] == [first.reference, second.reference]


def test_a_department_head_exports_only_what_they_see(client, head, sales, it_dept, staff, other_staff):
    own = IncidentFactory(department=sales, reporter=staff)
    IncidentFactory(department=it_dept, reporter=other_staff)
    client.force_login(head)

    for fmt in ("csv", "xlsx"):
        content = download(client, reverse("incident_list"), fmt)[1]
        references = ([row[0] for row in csv_rows(content)[1:]] if fmt == "csv"
                      else [row[0] for row in xlsx_sheet(content).iter_rows(min_row=2, values_only=True)])
        assert references == [own.reference], fmt


def test_a_staff_member_exports_only_their_own_reports(client, staff, other_staff, sales):
    mine = IncidentFactory(department=sales, reporter=staff)
    IncidentFactory(department=sales, reporter=other_staff)
    client.force_login(staff)

    rows = csv_rows(download(client, reverse("incident_list"), "csv")[1])

    assert [row[0] for row in rows[1:]] == [mine.reference]


@pytest.mark.parametrize("title", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3", "@SUM(A1)"])
def test_a_formula_is_neutralised(client, manager, sales, staff, title):
    incident = IncidentFactory(department=sales, reporter=staff, title=title)
    client.force_login(manager)

    rows = csv_rows(download(client, reverse("incident_list"), "csv")[1])
    assert column(rows, INCIDENT_REGISTER, "Title") == [f"'{title}"]

    sheet = xlsx_sheet(download(client, reverse("incident_list"), "xlsx")[1])
    cell = sheet.cell(row=2, column=position(INCIDENT_REGISTER, "Title") + 1)
    assert cell.value == title
    assert cell.data_type == "s"  # text, not a formula
    assert cell.quotePrefix  # Excel's own mark of a text typed after an apostrophe
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert sheet.cell(row=2, column=1).value == incident.reference


def test_a_japanese_file_name_is_sent_as_rfc_5987(manager):
    register = Register("事故管理台帳", [Column("管理番号", lambda incident: incident.reference)])

    response = register.response(Incident.objects.none(), "csv", user=manager)

    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('事故管理台帳_2026-12-07.csv')}")
    assert b"".join(response.streaming_content) == BOM + "管理番号\r\n".encode()


def test_csv_values():
    assert csv_value(None) == ""
    assert csv_value(True) in ("はい", "Yes")
    assert csv_value(dt.datetime(2026, 3, 31, 15, 30, tzinfo=dt.UTC)) == "2026-04-01 00:30"
    assert csv_value(dt.date(2026, 4, 1)) == "2026-04-01"
    assert csv_value(-3) == "-3"  # a number is not a formula
    assert csv_value("=1+1") == "'=1+1"
    assert csv_value("普通の件名") == "普通の件名"


def count_export(client, url: str, fmt: str) -> tuple[int, int]:
    """(queries, rows) of one export, read to its end."""
    with CaptureQueriesContext(connection) as queries:
        content = download(client, url, fmt)[1]
    rows = len(csv_rows(content)) if fmt == "csv" else xlsx_sheet(content).max_row
    return len(queries), rows - 1


def make_incidents(n: int, sales, reporter) -> None:
    for i in range(n):
        incident = IncidentFactory(department=sales, reporter=reporter, handler=reporter if i % 2 else None)
        track(incident, limit=timezone.now() + dt.timedelta(days=i))
        ActionFactory(incident=incident, department=sales)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_incident_register_costs_the_same_queries_for_3_or_30_rows(client, manager, sales, staff, fmt):
    client.force_login(manager)
    make_incidents(3, sales, staff)
    few = count_export(client, reverse("incident_list"), fmt)
    make_incidents(27, sales, staff)
    many = count_export(client, reverse("incident_list"), fmt)
    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]


def test_an_export_is_not_capped_at_a_page(client, manager, sales, staff):
    for _ in range(55):
        IncidentFactory(department=sales, reporter=staff)
    client.force_login(manager)

    assert client.get(reverse("incident_list")).context["page"].object_list.__len__() == 50
    assert len(csv_rows(download(client, reverse("incident_list"), "csv")[1])) == 56


def test_a_refused_filter_exports_nothing(client, manager, sales, staff):
    IncidentFactory(department=sales, reporter=staff)
    client.force_login(manager)

    response = client.get(reverse("incident_list"), {"discovered_from": "2026-13-45", "format": "xlsx"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert response.context["filter"].errors["discovered_from"]


def test_the_list_offers_both_exports_with_its_filters(client, manager, sales, staff):
    IncidentFactory(department=sales, reporter=staff, kind="loss")
    client.force_login(manager)

    page = client.get(reverse("incident_list"), {"kind": "loss", "sort": "-discovered"}).content.decode()

    assert 'href="?kind=loss&amp;sort=-discovered&amp;format=xlsx"' in page
    assert 'href="?kind=loss&amp;sort=-discovered&amp;format=csv"' in page


# ---------------------------------------------------------------------------
# Actions


def test_the_action_register(client, manager, head, sales, it_dept):
    owner, verifier = UserFactory(department=sales), UserFactory(department=sales)
    late = ActionFactory(department=sales, owner=owner, verifier=verifier, title="=手順書の改訂",
                         due_date=dt.date(2026, 12, 1))
    other = ActionFactory(department=it_dept, due_date=dt.date(2027, 1, 31))

    client.force_login(manager)
    rows = csv_rows(download(client, reverse("action_list"), "csv", sort="due")[1])
    assert rows[0] == headers(ACTION_REGISTER)
    assert [row[0] for row in rows[1:]] == [late.reference, other.reference]
    assert column(rows, ACTION_REGISTER, "Due date") == ["2026-12-01", "2027-01-31"]
    assert column(rows, ACTION_REGISTER, "Overdue") == ["はい", "いいえ"]
    assert column(rows, ACTION_REGISTER, "Title")[0] == "'=手順書の改訂"

    client.force_login(head)  # the head of sales: not the IT department's action
    rows = csv_rows(download(client, reverse("action_list"), "csv")[1])
    assert [row[0] for row in rows[1:]] == [late.reference]

    rows = csv_rows(download(client, reverse("action_list"), "csv", due_after="2026-12-02")[1])
    assert rows[1:] == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_action_register_costs_the_same_queries_for_3_or_30_rows(client, manager, sales, fmt):
    client.force_login(manager)
    users = [UserFactory(department=sales) for _ in range(3)]

    def make(n):
        for i in range(n):
            ActionFactory(department=sales, owner=users[i % 3], verifier=users[(i + 1) % 3],
                          incident=IncidentFactory(department=sales, reporter=users[0]))

    make(3)
    few = count_export(client, reverse("action_list"), fmt)
    make(27)
    many = count_export(client, reverse("action_list"), fmt)
    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]


# ---------------------------------------------------------------------------
# Requests and complaints


def make_request(by, **fields) -> RightsRequest:
    data = {"reference": next_reference("REQ", 4), "channel": "post", "requester_name": "山田 太郎",
            "summary": "保有個人データの開示を求める。", "received_on": dt.date(2026, 12, 1), "received_by": by}
    case = RightsRequest.objects.create(**{**data, **fields})
    RequestItem.objects.create(request=case, kind="disclosure")
    return case


def test_the_request_register(client, manager, staff, sales):
    case = make_request(manager, requester_name="@山田 太郎")
    client.force_login(manager)

    response, content = download(client, reverse("request_list"), "csv")

    rows = csv_rows(content)
    assert rows[0] == headers(REQUEST_REGISTER)
    assert [row[0] for row in rows[1:]] == [case.reference]
    assert column(rows, REQUEST_REGISTER, "Requester's name") == ["'@山田 太郎"]
    assert column(rows, REQUEST_REGISTER, "Date received") == ["2026-12-01"]

    client.force_login(staff)  # neither the office nor the handler: no row
    assert csv_rows(download(client, reverse("request_list"), "csv")[1])[1:] == []


def test_the_request_register_costs_the_same_queries_for_3_or_30_rows(client, manager):
    client.force_login(manager)
    for _ in range(3):
        make_request(manager)
    few = count_export(client, reverse("request_list"), "xlsx")
    for _ in range(27):
        make_request(manager)
    many = count_export(client, reverse("request_list"), "xlsx")
    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]


def make_complaint(by, **fields) -> Complaint:
    data = {"reference": next_reference("CMP", 4), "channel": "phone", "summary": "案内が届いた理由を知りたい。",
            "received_on": dt.date(2026, 12, 2), "received_by": by}
    return Complaint.objects.create(**{**data, **fields})


def test_the_complaint_register(client, manager, staff, sales):
    complaint = make_complaint(manager, complainant_name="佐藤 花子")
    action = ActionFactory(department=sales)
    complaint.actions.add(action)
    client.force_login(manager)

    rows = csv_rows(download(client, reverse("complaint_list"), "csv")[1])

    assert rows[0] == headers(COMPLAINT_REGISTER)
    assert [row[0] for row in rows[1:]] == [complaint.reference]
    assert column(rows, COMPLAINT_REGISTER, "Actions")[0].startswith(action.reference)

    client.force_login(staff)
    assert csv_rows(download(client, reverse("complaint_list"), "csv")[1])[1:] == []


def test_the_complaint_register_costs_the_same_queries_for_3_or_30_rows(client, manager, sales):
    client.force_login(manager)

    def make(n):
        for _ in range(n):
            make_complaint(manager, department=sales).actions.add(ActionFactory(department=sales))

    make(3)
    few = count_export(client, reverse("complaint_list"), "csv")
    make(27)
    many = count_export(client, reverse("complaint_list"), "csv")
    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]


# ---------------------------------------------------------------------------
# The reporting duties (報告義務一覧)


def test_the_reporting_duties_page(client, manager, sales, it_dept, staff):
    late = IncidentFactory(department=sales, reporter=staff)
    overdue = track(late, limit=dt.datetime(2026, 12, 5, 23, 59, tzinfo=JAPAN))
    due = track(late, TrackKind.PPC_FINAL, limit=dt.datetime(2027, 1, 4, 23, 59, tzinfo=JAPAN))
    filed = track(IncidentFactory(department=it_dept, reporter=staff), TrackKind.DATA_SUBJECTS,
                  limit=dt.datetime(2026, 11, 30, 23, 59, tzinfo=JAPAN), state=TrackState.FILED,
                  filed_at=dt.datetime(2026, 11, 29, 9, 0, tzinfo=JAPAN), method="notice")
    client.force_login(manager)

    def listed(**params) -> list[int]:
        response = client.get(reverse("track_list"), params)
        assert response.status_code == 200
        return [row.pk for row in response.context["page"].object_list]

    # The pending ones first, the soonest limit first; then the settled ones.
    assert listed() == [overdue.pk, due.pk, filed.pk]
    assert listed(state="filed") == [filed.pk]
    assert listed(kind="ppc_final") == [due.pk]
    assert listed(overdue="on") == [overdue.pk]
    assert listed(department=it_dept.pk) == [filed.pk]
    assert listed(limit_from="2026-12-01", limit_to="2026-12-31") == [overdue.pk]
    assert listed(q=late.reference) == [overdue.pk, due.pk]
    assert listed(sort="-limit") == [due.pk, overdue.pk, filed.pk]
    page = client.get(reverse("track_list")).content.decode()
    assert 'class="is-overdue"' in page
    assert f'href="{reverse("incident_detail", args=[late.pk])}#reporting"' in page


def test_the_reporting_duties_follow_the_incidents_visibility(client, head, staff, other_staff, sales, it_dept):
    own = track(IncidentFactory(department=sales, reporter=staff), limit=timezone.now() + dt.timedelta(days=3))
    track(IncidentFactory(department=it_dept, reporter=other_staff), limit=timezone.now() + dt.timedelta(days=3))

    client.force_login(head)
    assert [row.pk for row in client.get(reverse("track_list")).context["page"].object_list] == [own.pk]
    rows = csv_rows(download(client, reverse("track_list"), "csv")[1])
    assert rows[0] == headers(TRACK_REGISTER)
    assert len(rows) == 2

    client.force_login(other_staff)  # sees the report of the incident they reported only
    assert len(client.get(reverse("track_list")).context["page"].object_list) == 1


def test_the_reporting_duties_register(client, manager, sales, staff):
    incident = IncidentFactory(department=sales, reporter=staff)
    track(incident, limit=dt.datetime(2026, 12, 5, 23, 59, tzinfo=JAPAN))
    client.force_login(manager)

    sheet = xlsx_sheet(download(client, reverse("track_list"), "xlsx")[1])
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]

    assert rows[0] == headers(TRACK_REGISTER)
    assert column(rows, TRACK_REGISTER, "Incident") == [incident.reference]
    assert column(rows, TRACK_REGISTER, "Limit") == [dt.datetime(2026, 12, 5, 23, 59)]
    assert column(rows, TRACK_REGISTER, "Overdue") == ["はい"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_reporting_duties_cost_the_same_queries_for_3_or_30_rows(client, manager, sales, staff, fmt):
    client.force_login(manager)

    def make(n):
        for i in range(n):
            track(IncidentFactory(department=sales, reporter=staff), limit=timezone.now() + dt.timedelta(days=i),
                  state=TrackState.FILED if i % 2 else TrackState.PENDING,
                  filed_by=manager if i % 2 else None, filed_at=timezone.now() if i % 2 else None)

    make(3)
    few_page = count_page(client, reverse("track_list"))
    few = count_export(client, reverse("track_list"), fmt)
    make(27)
    assert count_page(client, reverse("track_list")) == few_page
    many = count_export(client, reverse("track_list"), fmt)
    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]


def count_page(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_incident_list_shows_the_next_deadline_and_costs_the_same_queries(client, manager, sales, staff):
    client.force_login(manager)
    make_incidents(3, sales, staff)
    few = count_page(client, reverse("incident_list"))
    make_incidents(27, sales, staff)
    assert count_page(client, reverse("incident_list")) == few

    late = IncidentFactory(department=sales, reporter=staff)
    track(late, limit=dt.datetime(2026, 12, 6, 12, 0, tzinfo=JAPAN))
    track(late, TrackKind.PPC_FINAL, limit=dt.datetime(2027, 1, 4, 23, 59, tzinfo=JAPAN))
    track(late, TrackKind.DATA_SUBJECTS, limit=dt.datetime(2026, 12, 1, 12, 0, tzinfo=JAPAN),
          state=TrackState.FILED, filed_at=dt.datetime(2026, 11, 30, 9, 0, tzinfo=JAPAN))
    response = client.get(reverse("incident_list"), {"q": late.reference})
    [row] = response.context["page"].object_list
    assert row.next_deadline == dt.datetime(2026, 12, 6, 12, 0, tzinfo=JAPAN)  # the earliest still pending
    page = response.content.decode()
    assert 'class="is-overdue"' in page
    assert "2026-12-06</span> <span class=\"nowrap\">12:00" in page

    overdue = client.get(reverse("incident_list"), {"overdue": "on"}).context["page"].object_list
    assert [incident.pk for incident in overdue] == [late.pk]
