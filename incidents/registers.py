"""Registers: the lists as spreadsheets (the 事故管理台帳 and the others), and their columns.

A Register is a list's columns. `Register.response()` writes the rows a list page shows
(the caller passes the page's own queryset: the same visibility, filters and order) as an
Excel workbook or a CSV file, every row, with no cap:

- CSV: UTF-8 with a BOM (so that Excel reads the Japanese), streamed as the rows are read;
- XLSX: an openpyxl write-only workbook (each row goes to disk as it comes, memory stays
  flat), sent from its temporary file.

Rows are read with .iterator(chunk_size=…), so a register of any length costs the same few
queries per chunk (its prefetches): no column may query per row. Headers and labels are in
the reader's language (Japanese by default), dates and times in Japan time. A text that a
spreadsheet would take for a formula (it starts with = + - @) is neutralised: quoted in the
CSV, stored as text (Excel's own leading-apostrophe mark) in the workbook.

The registers of the incidents app are below; audits.registers has the audits' and findings'.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .clocks import JAPAN
from .models import (
    Action,
    Complaint,
    Incident,
    ReportingTrack,
    RightsRequest,
    TrackKind,
    TrackState,
    group_has_several_companies,
    person_name,
)

__all__ = [
    "ACTION_REGISTER", "COMPLAINT_REGISTER", "INCIDENT_REGISTER", "JAPAN", "REQUEST_REGISTER", "TRACK_REGISTER",
    "Column", "Register", "csv_value", "field", "person", "references", "with_next_deadline",
]

# Rows read per query (and per prefetch): a register of any length, a few queries a chunk.
CHUNK_SIZE = 1000
# The characters that start a formula in Excel, LibreOffice or Google Sheets (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The most an Excel cell holds.
XLSX_CELL_MAX = 32767
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Column:
    """One column: its header (a translatable label) and its value for a row.

    `value` returns text, a number, a date or time, a yes/no, or None (an empty cell); it
    reads only what the register's queryset has already fetched. `width`: in characters, for
    Excel. `company`: shown only where the group has several companies (as on the pages).
    """

    header: str | Promise
    value: Callable[[Any], Any]
    width: float = 14
    company: bool = False


class Register:
    """A list's columns, and the spreadsheet of its rows.

    `title`: the name of the sheet and of the file (事故管理台帳_2026-12-07.xlsx).
    `prepare(queryset, user)`: what the columns read beyond what the list page fetches
    (prefetches, annotations), at the same cost whatever the number of rows.
    """

    def __init__(self, title: str | Promise, columns: Iterable[Column],
                 prepare: Callable[[QuerySet, Any], QuerySet] | None = None):
        self.title = title
        self.columns = tuple(columns)
        self.prepare = prepare

    def columns_shown(self) -> list[Column]:
        several = group_has_several_companies()
        return [column for column in self.columns if several or not column.company]

    def filename(self, fmt: str) -> str:
        return f"{self.title}_{timezone.localdate().isoformat()}.{fmt}"

    def rows(self, queryset: QuerySet, user) -> Iterable[Any]:
        if self.prepare is not None:
            queryset = self.prepare(queryset, user)
        return queryset.iterator(chunk_size=CHUNK_SIZE)

    def response(self, queryset: QuerySet, fmt: str, *, user):
        """The rows of `queryset` (already filtered to what `user` may see) as a download."""
        columns = self.columns_shown()
        rows = self.rows(queryset, user)
        if fmt == "csv":
            response = StreamingHttpResponse(
                _csv_lines(columns, rows, translation.get_language()), content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = content_disposition_header(True, self.filename("csv"))
        elif fmt == "xlsx":
            response = FileResponse(_xlsx_file(str(self.title), columns, rows), as_attachment=True,
                                    filename=self.filename("xlsx"), content_type=XLSX_TYPE)
        else:
            raise ValueError(fmt)
        # Registers hold personal data: kept by nobody on the way, never rendered as a page.
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


# ---------------------------------------------------------------------------
# Writing


def _plain(value):
    """A column's value as a cell holds it: labels as text, yes/no in words, times in Japan time."""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dt.datetime):
        # To the minute, as the pages show it: a limit at 23:59:59.999 is not the next day's 00:00
        # once Excel has rounded it to its precision.
        local = value.astimezone(JAPAN).replace(tzinfo=None) if timezone.is_aware(value) else value
        return local.replace(second=0, microsecond=0)
    return value


def _is_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def csv_value(value) -> str:
    """A value as CSV text; one a spreadsheet would run as a formula gets a leading apostrophe."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if isinstance(value, str) and _is_formula(text) else text


class _Line:
    """csv.writer's file: each row it writes comes back as a string."""

    def write(self, text: str) -> str:
        return text


def _csv_lines(columns: list[Column], rows: Iterable[Any], language: str | None):
    # Read lazily, after the view has returned: in the reader's language, and sent in
    # pieces of about 64 kB rather than a line at a time.
    with translation.override(language):
        writer = csv.writer(_Line())
        yield "\ufeff" + writer.writerow([str(column.header) for column in columns])
        buffer, size = [], 0
        for row in rows:
            line = writer.writerow([csv_value(column.value(row)) for column in columns])
            buffer.append(line)
            size += len(line)
            if size >= 65536:
                yield "".join(buffer)
                buffer, size = [], 0
        if buffer:
            yield "".join(buffer)


def _xlsx_cell(sheet, value):
    value = _plain(value)
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if not isinstance(value, str):
        return value
    # Control characters are not allowed in the file; a cell holds at most 32767.
    text = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_CELL_MAX]
    if not _is_formula(text):
        return text
    # openpyxl writes a text starting with "=" as a formula: stored as text instead, with
    # the mark Excel itself sets on what was typed after an apostrophe.
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _xlsx_file(title: str, columns: list[Column], rows: Iterable[Any]):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for number, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    headers = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = bold
        headers.append(cell)
    sheet.append(headers)
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, column.value(row)) for column in columns])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle


# ---------------------------------------------------------------------------
# What the columns show


def person(user) -> str | None:
    """A person by their full name (their login only when no name is recorded)."""
    if user is None:
        return None
    return person_name(user) or user.get_username()


def references(records, *, with_state: bool = False) -> str:
    """The references of related records (already prefetched), with their state if asked."""
    if with_state:
        return " / ".join(gettext("%(reference)s (%(state)s)") % {
            "reference": record.reference, "state": record.get_state_display()} for record in records)
    return " / ".join(record.reference for record in records)


def field(model, name: str):
    """A column named as the field is everywhere else (its verbose name, translated when read)."""
    return capfirst(model._meta.get_field(name).verbose_name)


def _name(record) -> str | None:
    return None if record is None else record.name


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(JAPAN).strftime(DATETIME_FORMAT)


# ---------------------------------------------------------------------------
# Incidents (事故管理台帳)


def with_next_deadline(queryset: QuerySet) -> QuerySet:
    """Incidents with `next_deadline`: the earliest limit of their reports still pending (None
    when nothing is owed), computed in the query: a list page costs the same at any length."""
    if "next_deadline" in queryset.query.annotations:
        return queryset
    pending = ReportingTrack.objects.filter(incident=OuterRef("pk"), state=TrackState.PENDING)
    return queryset.annotate(next_deadline=Subquery(pending.order_by("limit_at").values("limit_at")[:1]))


def deadline_overdue(incident, now: dt.datetime | None = None) -> bool:
    deadline = getattr(incident, "next_deadline", None)
    return deadline is not None and deadline < (now or timezone.now())


# The reports a cell of the register names, by recipient, each by a short name.
PPC_REPORTS = (TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL, TrackKind.PPC_SUPPLEMENT)
PMARK_REPORTS = (TrackKind.PMARK_PRELIMINARY, TrackKind.PMARK_FINAL, TrackKind.PMARK_MEASURES)
OTHER_NOTICES = (TrackKind.DATA_SUBJECTS, TrackKind.ENTRUSTING_PARTY, TrackKind.JOINT_USE)
SHORT_NAMES = {
    TrackKind.PPC_PRELIMINARY: pgettext_lazy("short name of a report", "Preliminary"),
    TrackKind.PPC_FINAL: pgettext_lazy("short name of a report", "Final"),
    TrackKind.PPC_SUPPLEMENT: pgettext_lazy("short name of a report", "Supplement"),
    TrackKind.PMARK_PRELIMINARY: pgettext_lazy("short name of a report", "Preliminary"),
    TrackKind.PMARK_FINAL: pgettext_lazy("short name of a report", "Final"),
    TrackKind.PMARK_MEASURES: pgettext_lazy("short name of a report", "Measures"),
    TrackKind.DATA_SUBJECTS: pgettext_lazy("short name of a report", "Data subjects"),
    TrackKind.ENTRUSTING_PARTY: pgettext_lazy("short name of a report", "Entrusting business"),
    TrackKind.JOINT_USE: pgettext_lazy("short name of a report", "Joint use"),
}


def track_status(track: ReportingTrack, now: dt.datetime | None = None) -> str:
    """One report's state in a few words: filed when (late or not), pending until when, not required."""
    name = SHORT_NAMES.get(track.kind, track.get_kind_display())
    if track.state == TrackState.FILED:
        when = _local(track.filed_at) if track.filed_at else "—"
        if track.late:
            return gettext("%(report)s: filed late %(date)s") % {"report": name, "date": when}
        return gettext("%(report)s: filed %(date)s") % {"report": name, "date": when}
    if track.state == TrackState.NOT_REQUIRED:
        return gettext("%(report)s: not required") % {"report": name}
    if track.limit_at < (now or timezone.now()):
        return gettext("%(report)s: overdue (limit %(date)s)") % {"report": name, "date": _local(track.limit_at)}
    return gettext("%(report)s: pending (limit %(date)s)") % {"report": name, "date": _local(track.limit_at)}


def _track_statuses(kinds) -> Callable[[Any], str]:
    def statuses(incident) -> str:
        tracks = [track for track in incident.tracks.all() if track.kind in kinds]
        return " / ".join(track_status(track) for track in tracks)
    return statuses


def _prepare_incidents(queryset: QuerySet, user) -> QuerySet:
    # The list page joins only what its rows show.
    return with_next_deadline(queryset).select_related(
        "company", "department", "event_class", "handler", "reporter", "cause",
    ).prefetch_related(
        Prefetch("tracks", queryset=ReportingTrack.objects.order_by("limit_at", "id")),
        Prefetch("actions", queryset=Action.objects.only("pk", "incident_id", "reference", "state")
                 .order_by("reference")),
    )


INCIDENT_REGISTER = Register(_("Incident register"), [
    Column(_("Reference"), lambda i: i.reference, 16),
    Column(_("Company"), lambda i: i.company.name, 20, company=True),
    Column(field(Incident, "occurred_at"), lambda i: i.occurred_at, 17),
    Column(field(Incident, "discovered_at"), lambda i: i.discovered_at, 17),
    Column(field(Incident, "created_at"), lambda i: i.created_at, 17),
    Column(_("Department"), lambda i: i.department.name, 16),
    Column(_("Kind"), lambda i: i.get_kind_display(), 14),
    Column(field(Incident, "event_class"), lambda i: str(i.event_class) if i.event_class_id else None, 18),
    Column(_("Severity"), lambda i: i.get_severity_display() if i.severity else None, 18),
    Column(_("Title"), lambda i: i.title, 30),
    Column(field(Incident, "description"), lambda i: i.description, 40),
    Column(field(Incident, "data_items"), lambda i: i.data_items, 24),
    Column(field(Incident, "affected_count"), lambda i: i.affected_count, 10),
    Column(field(Incident, "affected_count_estimated"), lambda i: i.affected_count_estimated, 8),
    Column(_("State"), lambda i: i.get_state_display(), 12),
    Column(_("Handler"), lambda i: person(i.handler), 14),
    Column(field(Incident, "reporter"), lambda i: person(i.reporter), 14),
    Column(_("Reportable to the PPC"), lambda i: i.reportable, 10),
    Column(_("Reports to the PPC"), _track_statuses(PPC_REPORTS), 40),
    Column(_("Reports to the PrivacyMark assessment body"), _track_statuses(PMARK_REPORTS), 40),
    Column(_("Other notices"), _track_statuses(OTHER_NOTICES), 40),
    Column(_("Next deadline"), lambda i: i.next_deadline, 17),
    Column(_("Overdue"), deadline_overdue, 8),
    Column(field(Incident, "cause"), lambda i: str(i.cause) if i.cause_id else None, 18),
    Column(field(Incident, "root_cause"), lambda i: i.root_cause, 40),
    Column(field(Incident, "containment_summary"), lambda i: i.containment_summary, 40),
    Column(field(Incident, "contained_at"), lambda i: i.contained_at, 17),
    Column(_("Actions"), lambda i: references(i.actions.all(), with_state=True), 30),
    Column(field(Incident, "closed_at"), lambda i: i.closed_at, 17),
], prepare=_prepare_incidents)


# ---------------------------------------------------------------------------
# Actions


def _prepare_actions(queryset: QuerySet, user) -> QuerySet:
    return queryset.select_related("implemented_by", "verified_by")


ACTION_REGISTER = Register(_("Action register"), [
    Column(_("Reference"), lambda a: a.reference, 16),
    Column(_("Company"), lambda a: a.company.name, 20, company=True),
    Column(_("Kind"), lambda a: a.get_kind_display(), 14),
    Column(_("Title"), lambda a: a.title, 30),
    Column(field(Action, "description"), lambda a: a.description, 40),
    Column(_("Incident"), lambda a: a.incident.reference if a.incident_id else None, 16),
    Column(_("Department"), lambda a: a.department.name, 16),
    Column(_("Owner"), lambda a: person(a.owner), 14),
    Column(_("Verifier"), lambda a: person(a.verifier), 14),
    Column(_("Due date"), lambda a: a.due_date, 12),
    Column(_("Overdue"), lambda a: a.is_overdue, 8),
    Column(_("State"), lambda a: a.get_state_display(), 14),
    Column(field(Action, "created_at"), lambda a: a.created_at, 17),
    Column(field(Action, "implemented_at"), lambda a: a.implemented_at, 17),
    Column(field(Action, "implemented_by"), lambda a: person(a.implemented_by), 14),
    Column(field(Action, "implementation_note"), lambda a: a.implementation_note, 40),
    Column(field(Action, "verified_at"), lambda a: a.verified_at, 17),
    Column(field(Action, "verified_by"), lambda a: person(a.verified_by), 14),
    Column(field(Action, "effectiveness_note"), lambda a: a.effectiveness_note, 40),
    Column(field(Action, "cancel_reason"), lambda a: a.cancel_reason, 30),
], prepare=_prepare_actions)


# ---------------------------------------------------------------------------
# Reporting duties (報告義務一覧)


def track_list_queryset(queryset: QuerySet) -> QuerySet:
    """What a row of the reporting duties shows, fetched with the row."""
    return queryset.select_related("incident", "incident__company", "incident__department", "filed_by")


TRACK_REGISTER = Register(_("Reporting duties"), [
    Column(_("Incident"), lambda t: t.incident.reference, 16),
    Column(_("Title"), lambda t: t.incident.title, 30),
    Column(_("Company"), lambda t: t.incident.company.name, 20, company=True),
    Column(_("Department"), lambda t: t.incident.department.name, 16),
    Column(field(Incident, "discovered_at"), lambda t: t.incident.discovered_at, 17),
    Column(field(ReportingTrack, "kind"), lambda t: t.get_kind_display(), 36),
    Column(_("State"), lambda t: t.get_state_display(), 10),
    Column(_("Target"), lambda t: t.due_at, 17),
    Column(_("Limit"), lambda t: t.limit_at, 17),
    Column(_("Overdue"), lambda t: t.overdue, 8),
    Column(_("Filed late"), lambda t: t.late, 8),
    Column(field(ReportingTrack, "filed_at"), lambda t: t.filed_at, 17),
    Column(field(ReportingTrack, "filed_by"), lambda t: person(t.filed_by), 14),
    Column(field(ReportingTrack, "method"), lambda t: t.get_method_display() if t.method else None, 16),
    Column(field(ReportingTrack, "recipient_reference"), lambda t: t.recipient_reference, 18),
    Column(field(ReportingTrack, "filing_note"), lambda t: t.filing_note, 30),
    Column(field(ReportingTrack, "not_required_reason"), lambda t: t.not_required_reason, 30),
    Column(_("Incident state"), lambda t: t.incident.get_state_display(), 12),
])


# ---------------------------------------------------------------------------
# Requests from individuals and complaints


def _decisions(case) -> str:
    return " / ".join(
        f"{item.get_kind_display()}: {item.get_decision_display()}" if item.decision else item.get_kind_display()
        for item in case.item_list()
    )


REQUEST_REGISTER = Register(_("Register of requests from individuals"), [
    Column(_("Reference"), lambda c: c.reference, 18),
    Column(_("Company"), lambda c: c.company.name, 20, company=True),
    Column(_("Date received"), lambda c: c.received_on, 12),
    Column(_("Channel"), lambda c: c.get_channel_display(), 12),
    Column(_("Requester type"), lambda c: c.get_requester_type_display(), 16),
    Column(field(RightsRequest, "requester_name"), lambda c: c.requester_name, 16),
    Column(field(RightsRequest, "subject_name"), lambda c: c.subject_name, 16),
    Column(field(RightsRequest, "summary"), lambda c: c.summary, 40),
    Column(_("Requests and decisions"), _decisions, 30),
    Column(_("Department"), lambda c: _name(c.department), 16),
    Column(_("Handler"), lambda c: person(c.handler), 14),
    Column(_("Answer due"), lambda c: c.effective_due_on(), 12),
    Column(_("Overdue"), lambda c: c.overdue, 8),
    Column(field(RightsRequest, "paused_since"), lambda c: c.paused_since, 12),
    Column(_("Art. 39"), lambda c: c.lawsuit_mark_on, 12),
    Column(_("State"), lambda c: c.get_state_display(), 14),
    Column(field(RightsRequest, "sent_on"), lambda c: c.sent_on, 12),
    Column(_("Answered late"), lambda c: c.answered_late, 8),
    Column(field(RightsRequest, "closed_at"), lambda c: c.closed_at, 17),
])


COMPLAINT_REGISTER = Register(_("Register of complaints and consultations"), [
    Column(_("Reference"), lambda c: c.reference, 18),
    Column(_("Company"), lambda c: c.company.name, 20, company=True),
    Column(_("Date received"), lambda c: c.received_on, 12),
    Column(_("Channel"), lambda c: c.get_channel_display(), 12),
    Column(_("Classification"), lambda c: c.get_classification_display(), 12),
    Column(_("Name"), lambda c: c.complainant_name, 16),
    Column(_("What the person says"), lambda c: c.summary, 40),
    Column(_("Department"), lambda c: _name(c.department), 16),
    Column(_("Handler"), lambda c: person(c.handler), 14),
    Column(_("State"), lambda c: c.get_state_display(), 12),
    Column(field(Complaint, "first_response_on"), lambda c: c.first_response_on, 12),
    Column(field(Complaint, "answered_on"), lambda c: c.answered_on, 12),
    Column(field(Complaint, "outcome"), lambda c: c.outcome, 40),
    Column(field(Complaint, "reveals_weakness"), lambda c: c.reveals_weakness, 8),
    Column(field(Complaint, "request"), lambda c: c.request.reference if c.request_id else None, 18),
    Column(field(Complaint, "incident"), lambda c: c.incident.reference if c.incident_id else None, 16),
    Column(_("Actions"), lambda c: references(c.actions.all(), with_state=True), 30),
    Column(field(Complaint, "closed_at"), lambda c: c.closed_at, 17),
])
