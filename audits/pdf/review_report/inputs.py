"""The inputs of the management review, one section each in ISO/IEC 27001 9.3.2 order:
(a) where the previous review's decisions stand; (b), (c), (e), (f) the texts people wrote;
(d) the performance of the management system (incidents, regulatory reports, actions,
audits), computed from the records; (e) also the requests from individuals and the
complaints of the period; (g) the opportunities for improvement.

Every chart says something: it has a line under it saying what (readings.py), and a chart
the data cannot make meaningful (nothing to show, or a single bar) is replaced by a
sentence. Report timeliness has four names that cannot be confused: filed on time, filed
late, overdue and not filed, not yet due (and not filed).
"""

from __future__ import annotations

from django.utils.translation import gettext, pgettext
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from incidents.models import ActionKind, ActionState, IncidentKind, IncidentState, TrackKind

from ...models import NONCONFORMITIES, Grade
from ...review_cases import readable_cases
from ...review_format import DASH, breakdown_total, label, localized, number, percent
from ...review_headlines import CRITERIA
from .. import charts
from ..base import CONTENT_WIDTH, esc
from .formatting import clause_name, format_date, format_day, format_period, month_label, severity_label
from .layout import MAX_ROWS, ReportLayout
from .readings import (
    findings_reading,
    kind_reading,
    monthly_reading,
    single_kind,
    single_state,
    states_reading,
)

# Long tables are cut here with a line saying how many rows were left out: the report does
# not grow with the data (the full lists are the registers', on the web and in Excel).
MAX_CLAUSE_ROWS = MAX_ROWS
MAX_RECURRENCE_ROWS = MAX_ROWS
MAX_DEPARTMENT_ROWS = MAX_ROWS
MAX_OPPORTUNITY_ROWS = MAX_ROWS


class InputSections(ReportLayout):
    """The sections (a) to (g), from the review's inputs."""

    # -- (a) -------------------------------------------------------------------------

    def previous_decisions(self) -> list[Flowable]:
        flowables = self.section(gettext("(a) Status of the previous review's decisions"),
                                 gettext("follow-up of earlier management reviews"))
        previous = self.inputs.get("previous_review")
        if not previous:
            flowables.append(self.p(esc(gettext("There is no earlier approved management review.")), "muted"))
            return flowables
        period = previous.get("period") or {}
        flowables.append(self.p(esc(gettext("%(reference)s (%(period)s), approved %(when)s") % {
            "reference": previous.get("reference", ""),
            "period": format_period(period.get("start"), period.get("end")),
            "when": format_date(previous.get("approved_at")),
        })))
        rows = [
            (decision.get("position"), decision.get("title", ""), decision.get("owner", ""),
             format_date(decision.get("due_date")), decision.get("action") or DASH,
             label(ActionState, decision.get("state")),
             gettext("Overdue") if decision.get("overdue") else "")
            for decision in previous.get("decisions") or []
        ]
        if rows:
            flowables.append(self.table(
                [gettext("No."), gettext("Decision"), gettext("Owner"), gettext("Due"), gettext("Action"),
                 gettext("State"), gettext("Overdue")],
                rows, (0.05, 0.25, 0.12, 0.17, 0.19, 0.12, 0.10)))
            summary = previous.get("summary") or {}
            flowables.append(self.reading(
                gettext("%(reference)s: effective %(effective)s, implemented %(implemented)s, open %(open)s "
                        "(overdue %(overdue)s), cancelled %(cancelled)s") % {
                    "reference": previous.get("reference", ""),
                    **{key: number(summary.get(key, 0))
                       for key in ("effective", "implemented", "open", "overdue", "cancelled")}}))
        else:
            flowables.append(self.p(esc(gettext("That review recorded no decisions.")), "muted"))
        return flowables

    # -- (b), (c), (e), (f) ----------------------------------------------------------

    def text_section(self, title: str, jis_items: str | None, name: str) -> list[Flowable]:
        texts = self.inputs.get("texts") or {}
        return [*self.section(title, jis_items), self.user_text(texts.get(name))]

    # -- (d) -------------------------------------------------------------------------

    def performance(self) -> list[Flowable]:
        heading = self.section(gettext("(d) Performance of the management system"),
                               gettext("results of audits and reports on operation"))
        parts = [*self.company_breakdown(), *self.incident_performance()]
        return [
            *self.leading(heading, parts),
            *self.joint_use(),
            *self.report_performance(),
            *self.action_performance(),
            *self.audit_performance(),
            self.block(self.h2(gettext("How the headline figures are assessed (page 1)")),
                       *[self.p(esc(f"・{criterion}"), "small") for criterion in CRITERIA]),
        ]

    def incident_performance(self) -> list[Flowable]:
        incidents = self.inputs.get("incidents") or {}
        months = incidents.get("by_month") or []
        intro = [
            self.h2(gettext("Incidents and near misses")),
            self.p(esc(gettext("In the period: %(total)s (accidents %(accidents)s, near misses %(near_misses)s); "
                               "still open %(open)s; reports dismissed as not incidents %(dismissed)s.") % {
                key: number(incidents.get(key, 0))
                for key in ("total", "accidents", "near_misses", "open", "dismissed")})),
        ]
        if incidents.get("total"):
            intro.append(KeepTogether([self.monthly_chart(months), self.reading(monthly_reading(months))]))
        flowables: list[Flowable] = [self.block(*intro)]

        kinds = [(label(IncidentKind, row.get("kind")), row.get("count", 0))
                 for row in incidents.get("by_kind") or [] if row.get("count")]
        if len(kinds) >= 2:  # one bar says nothing a sentence does not
            flowables.append(self.block(
                charts.horizontal_bar_chart([name for name, _count in kinds], [count for _name, count in kinds],
                                            width=CONTENT_WIDTH, title=gettext("Incidents by kind")),
                self.reading(kind_reading(kinds)),
            ))
        elif kinds:
            flowables.append(self.p(esc(single_kind(*kinds[0]))))

        severity = self.table(
            [gettext("Severity"), gettext("Incidents")],
            [(severity_label(row.get("severity")), row.get("count", 0)) for row in incidents.get("by_severity") or []],
            (0.3, 0.14),
        )
        flowables.append(self.block(self.h2(gettext("Incidents by severity")), severity))

        departments = incidents.get("by_department") or []
        flowables.append(self.block(
            self.h2(gettext("Incidents by department")),
            self.table(
                [gettext("Department"), gettext("Incidents"), gettext("of which near misses")],
                [(row.get("name") or row.get("code") or DASH, row.get("count", 0), row.get("near_misses", 0))
                 for row in departments[:MAX_DEPARTMENT_ROWS]],
                (0.5, 0.25, 0.25)) if departments else self.none(),
            self.more_rows(len(departments) - MAX_DEPARTMENT_ROWS),
        ))

        containment = incidents.get("containment_hours") or {}
        closing = incidents.get("close_days") or {}
        flowables.append(self.block(
            self.h2(gettext("Time to contain and to close")),
            self.table(
                [gettext("Measure"), gettext("Incidents"), gettext("Median"), gettext("90th percentile")],
                [(gettext("Discovery to containment (hours)"), containment.get("count", 0),
                  self.figure(number(containment.get("median"))), self.figure(number(containment.get("p90")))),
                 (gettext("Discovery to close (days)"), closing.get("count", 0),
                  self.figure(number(closing.get("median"))), self.figure(number(closing.get("p90"))))],
                (0.46, 0.18, 0.18, 0.18)),
        ))

        recurrence = incidents.get("recurrence") or {}
        pairs = recurrence.get("pairs") or []
        recurring: list[Flowable | None] = [
            self.h2(gettext("Recurrence")),
            self.p(esc(gettext("Recurrence rate %(rate)s: %(recurring)s of %(analysed)s incidents with an analysed "
                               "cause had an earlier incident of the same cause in the same department within "
                               "twelve months.") % {
                "rate": percent(recurrence.get("rate")), "recurring": number(recurrence.get("recurring", 0)),
                "analysed": number(recurrence.get("analysed", 0))})),
        ]
        if pairs:
            recurring.append(self.table(
                [gettext("Department"), gettext("Cause"), gettext("Recurrences")],
                [(row.get("department") or DASH, localized(row, "cause") or DASH,
                  row.get("count", 0)) for row in pairs[:MAX_RECURRENCE_ROWS]],
                (0.35, 0.47, 0.18)))
            recurring.append(self.more_rows(len(pairs) - MAX_RECURRENCE_ROWS))
        flowables.append(self.block(*recurring))
        return flowables

    def monthly_chart(self, months: list[dict]) -> Flowable:
        """Incidents per month, accidents and near misses stacked."""
        return charts.bar_chart(
            [month_label(row["month"], with_year=len(months) > 12) for row in months],
            [(gettext("Accidents"), [row.get("count", 0) - row.get("near_misses", 0) for row in months]),
             (gettext("Near misses"), [row.get("near_misses", 0) for row in months])],
            width=CONTENT_WIDTH, height=58 * mm, stacked=True,
            title=gettext("Incidents per month (%(period)s)") % {"period": self.period_text()},
        )

    def company_breakdown(self) -> list[Flowable]:
        """A group review: the main figures company by company, and the group's (their sum)."""
        rows = self.inputs.get("by_company")
        if not rows:
            return []

        def row_of(name, row: dict) -> tuple:
            incidents, tracks, actions = row.get("incidents") or {}, row.get("tracks") or {}, row.get("actions") or {}
            findings, coverage = row.get("findings") or {}, row.get("coverage") or {}
            return (
                name, incidents.get("total", 0), incidents.get("near_misses", 0), incidents.get("open", 0),
                self.figure(f"{number(tracks.get('total', 0))} / {percent(tracks.get('on_time_rate'))}"),
                self.figure(f"{number(actions.get('total', 0))} / {percent(actions.get('on_time_rate'))}"),
                self.figure(f"{number(findings.get('total', 0))} / {number(findings.get('open', 0))}"),
                self.figure(f"{percent(coverage.get('rate'))} ({number(coverage.get('covered', 0))}/"
                            f"{number(coverage.get('departments', 0))})"),
            )

        table_rows = [row_of(row.get("name", ""), row) for row in rows]
        table_rows.append(row_of(self.total_cell(gettext("Whole group")), breakdown_total(rows)))
        return [self.block(
            self.h2(gettext("By company")),
            self.p(esc(gettext("Each record counts for its own company: the group's figures are the sum of the "
                               "companies'. Reports and actions: owed or due / on time; findings: raised / still "
                               "open; audit coverage: departments audited."))),
            self.table(
                [gettext("Company"), gettext("Incidents"), gettext("of which near misses"), gettext("Still open"),
                 gettext("Reports"), gettext("Actions"), gettext("Findings"), gettext("Audit coverage")],
                table_rows, (0.20, 0.12, 0.11, 0.07, 0.12, 0.12, 0.09, 0.17)),
        ), Spacer(1, 4 * mm)]

    def joint_use(self) -> list[Flowable]:
        """The responsible company's review: the other companies' incidents of jointly used
        data, listed apart and not counted in its figures."""
        rows = self.inputs.get("joint_use")
        if rows is None:
            return []
        company = self.company() or {}
        flowables: list[Flowable | None] = [
            self.h2(gettext("Other group companies' incidents involving jointly used data")),
            self.p(esc(gettext("%(company)s is responsible for the personal data the group uses jointly (共同利用の"
                               "管理責任者). These incidents are the other companies' own: they are not counted in "
                               "the figures of this review.") % {"company": company.get("name", "")})),
        ]
        if rows:
            flowables.append(self.table(
                [gettext("Reference"), gettext("Company"), gettext("Title"), gettext("Kind"), gettext("Severity"),
                 gettext("Discovered"), gettext("State")],
                [(row.get("reference", ""), row.get("company", ""), row.get("title", ""),
                  label(IncidentKind, row.get("kind")), severity_label(row.get("severity") or ""),
                  format_day(row.get("discovered_at")), label(IncidentState, row.get("state")))
                 for row in rows[:MAX_ROWS]],
                (0.18, 0.16, 0.22, 0.1, 0.1, 0.13, 0.11)))
            flowables.append(self.more_rows(len(rows) - MAX_ROWS))
        else:
            flowables.append(self.none())
        return [self.block(*flowables)]

    def report_performance(self) -> list[Flowable]:
        tracks = self.inputs.get("tracks") or {}
        keys = ("total", "on_time", "late", "overdue", "pending", "not_required")
        rows = [(label(TrackKind, row.get("kind")), *(row.get(key, 0) for key in keys))
                for row in tracks.get("by_kind") or []]
        totals = tracks.get("totals") or {}
        flowables: list[Flowable | None] = [self.h2(gettext("Regulatory reports"))]
        if rows:
            rows.append((self.total_cell(gettext("Total")), *(totals.get(key, 0) for key in keys)))
            flowables.append(self.table(
                [gettext("Report"), gettext("Owed"), gettext("Filed on time"), gettext("Filed late"),
                 gettext("Overdue, not filed"), gettext("Not yet due, not filed"), gettext("Not required")],
                rows, (0.21, 0.085, 0.14, 0.14, 0.18, 0.165, 0.08)))  # the long names fit on one line
            flowables.append(self.reading(
                gettext("Filed on time: %(rate)s of the reports whose limit has passed or that were filed.") % {
                    "rate": percent(tracks.get("on_time_rate"))}))
        else:
            flowables.append(self.none())
        return [self.block(*flowables)]

    def action_performance(self) -> list[Flowable]:
        actions = self.inputs.get("actions") or {}
        totals = actions.get("totals") or {}

        def row_of(name, row: dict) -> tuple:
            return (name, row.get("total", 0), row.get("completed", 0), row.get("on_time", 0),
                    (row.get("completed") or 0) - (row.get("on_time") or 0), row.get("overdue", 0),
                    row.get("effective", 0), row.get("checked", 0))

        rows = [row_of(label(ActionKind, row.get("kind")), row) for row in actions.get("by_kind") or []
                if row.get("total")]
        rows.append(row_of(self.total_cell(gettext("Total")), totals))
        # The stages of the actions counted in the table (the cancelled ones are not: said apart).
        by_state = {row.get("state"): row.get("count", 0) for row in actions.get("by_state") or []}
        cancelled = by_state.pop(ActionState.CANCELLED, 0)
        shown = [(label(ActionState, state), count) for state, count in by_state.items() if count]
        besides = (" " + gettext("Besides these, %(count)s were cancelled.") % {"count": number(cancelled)}
                   if cancelled else "")
        if len(shown) >= 2:  # a bar of one colour says nothing a sentence does not
            where = [Spacer(1, 4 * mm), KeepTogether([
                charts.status_bar(shown, width=CONTENT_WIDTH, bar_height=16,
                                  title=gettext("Where the actions due in the period stand")),
                self.reading(states_reading(shown) + besides)])]
        elif shown:
            where = [self.p(esc(single_state(*shown[0]) + besides))]
        else:
            where = []
        return [self.block(
            self.h2(gettext("Corrective and other actions")),
            self.p(esc(gettext("Actions due in the period. Completed on time: %(on_time)s; found effective: "
                               "%(effective)s of those checked.") % {
                "on_time": percent(actions.get("on_time_rate")), "effective": percent(actions.get("effective_rate"))})),
            self.table(
                [gettext("Kind"), gettext("Due in the period"), gettext("Completed"), gettext("of which on time"),
                 gettext("Completed late"), gettext("Overdue, not completed"), gettext("Effective"),
                 gettext("Checked")],
                rows, (0.14, 0.12, 0.08, 0.12, 0.14, 0.18, 0.1, 0.12)),
            *where,
        )]

    def response_deadlines(self, audits: dict) -> list[Flowable]:
        """The findings answered after their response deadline (回答期限) and those still
        unanswered past it; nothing for a snapshot taken before findings had deadlines."""
        if "findings_answered_late" not in audits:
            return []
        return [self.p(esc(gettext("Responses to findings: %(late)s answered after the response deadline, "
                                   "%(overdue)s still unanswered past it.") % {
            "late": number(audits.get("findings_answered_late", 0)),
            "overdue": number(audits.get("findings_response_overdue", 0)),
        }))]

    def audit_performance(self) -> list[Flowable]:
        audits = self.inputs.get("audits") or {}
        counts = audits.get("audits") or {}
        grades = audits.get("by_grade") or []
        flowables: list[Flowable] = [self.block(
            self.h2(gettext("Audit results")),
            self.p(esc(gettext("Audits in the period: %(total)s (internal audits %(internal)s, operational checks "
                               "%(checks)s), reported %(reported)s. Findings: %(findings)s, still open %(open)s.") % {
                "total": number(counts.get("total", 0)), "internal": number(counts.get("internal", 0)),
                "checks": number(counts.get("operational_checks", 0)), "reported": number(counts.get("reported", 0)),
                "findings": number(audits.get("findings_total", 0)), "open": number(audits.get("findings_open", 0)),
            })),
            *self.response_deadlines(audits),
            self.table([gettext("Grade"), gettext("This period"), gettext("Previous year"), gettext("Still open")],
                       [(label(Grade, row.get("grade")), row.get("count", 0), row.get("previous", 0),
                         row.get("open", 0)) for row in grades],
                       (0.46, 0.18, 0.18, 0.18)),
            self.reading(findings_reading(
                sum(row.get("count", 0) for row in grades if row.get("grade") in NONCONFORMITIES),
                sum(row.get("previous", 0) for row in grades if row.get("grade") in NONCONFORMITIES),
                audits.get("findings_total", 0), audits.get("findings_open", 0))),
        )]
        clauses = audits.get("by_clause") or []
        flowables.append(self.block(
            self.h2(gettext("Findings by clause")),
            self.table(
                [gettext("Clause"), gettext("Title"), gettext("Findings"), gettext("Nonconformities")],
                [(clause_name(row), localized(row, "title"), row.get("count", 0),
                  row.get("nonconformities", 0)) for row in clauses[:MAX_CLAUSE_ROWS]],
                (0.24, 0.46, 0.13, 0.17)) if clauses else self.none(),
            self.more_rows(len(clauses) - MAX_CLAUSE_ROWS),
        ))

        departments = audits.get("by_department") or []
        flowables.append(self.block(
            self.h2(gettext("Findings by department")),
            self.table(
                [gettext("Department"), gettext("Findings"), gettext("Nonconformities"), gettext("Still open")],
                [(row.get("name") or row.get("code") or DASH, row.get("count", 0), row.get("nonconformities", 0),
                  row.get("open", 0)) for row in departments[:MAX_DEPARTMENT_ROWS]],
                (0.46, 0.18, 0.18, 0.18)) if departments else self.none(),
            self.more_rows(len(departments) - MAX_DEPARTMENT_ROWS),
        ))

        coverage = audits.get("coverage") or {}
        not_covered = coverage.get("not_covered") or []
        covering: list[Flowable] = [
            self.h2(gettext("Audit programme coverage")),
            self.p(esc(gettext("%(covered)s of %(departments)s departments were covered by a reported internal "
                               "audit in the period (%(rate)s).") % {
                "covered": number(coverage.get("covered", 0)), "departments": number(coverage.get("departments", 0)),
                "rate": percent(coverage.get("rate"))})),
        ]
        if not_covered:
            names = [
                (gettext("%(name)s (planned)") if row.get("planned") else "%(name)s") % {
                    "name": row.get("name") or row.get("code") or DASH}
                for row in not_covered
            ]
            covering.append(self.p(esc(gettext("Not covered: %(departments)s") % {
                "departments": pgettext("list separator", ", ").join(names)})))
        flowables.append(self.block(*covering))
        return flowables

    # -- (e) -------------------------------------------------------------------------

    def feedback(self) -> list[Flowable]:
        """The text people wrote, then the requests from individuals and the complaints of
        the period (a snapshot from before these figures says they were not part of it)."""
        flowables = self.text_section(gettext("(e) Feedback from interested parties"),
                                      gettext("opinions from outside, including complaints"), "feedback")
        cases = readable_cases(self.inputs.get("cases"))
        if cases is None:
            flowables.append(self.block(
                self.h2(gettext("Requests from individuals and complaints")),
                self.p(esc(gettext("These figures were not part of the inputs when this review was submitted.")),
                       "muted")))
            return flowables
        requests, complaints = cases["requests"], cases["complaints"]
        request_reading, complaint_reading = cases["reading"]
        if not requests["total"]:
            flowables.append(self.block(self.h2(gettext("Requests from individuals (開示等の請求等)")),
                                        self.p(esc(request_reading))))
        else:
            flowables += self.request_figures(requests, request_reading)
        if not complaints["total"]:
            flowables.append(self.block(self.h2(gettext("Complaints and consultations (苦情・相談)")),
                                        self.p(esc(complaint_reading))))
        else:
            flowables.append(self.complaint_figures(complaints, complaint_reading))
        return flowables

    def request_figures(self, requests: dict, reading: str) -> list[Flowable]:
        flowables: list[Flowable] = [self.block(
            self.h2(gettext("Requests from individuals (開示等の請求等)")),
            self.p(esc(reading), "mark"),
            self.table(
                [gettext("Requests received"), gettext("Answered on time"), gettext("Answered late"),
                 gettext("Open, overdue"), gettext("Still open"), gettext("Withdrawn"),
                 gettext("Days to answer (median)")],
                [(requests["total"], requests["on_time"], requests["late"], requests["overdue"], requests["open"],
                  requests["withdrawn"], self.figure(requests["median_days"]))],
                (0.13, 0.15, 0.14, 0.14, 0.13, 0.13, 0.18)),
            self.p(esc(gettext("Answers: in full %(full)s, in part %(partial)s, refused %(refused)s; refusals later "
                               "judged wrongful (PrivacyMark 事故等, kind ⑧): %(wrongful)s.") % {
                "full": number(requests["full"]), "partial": number(requests["partial"]),
                "refused": number(requests["refused"]), "wrongful": number(requests["wrongful_refusals"])})),
        ), Spacer(1, 2 * mm)]
        channels = [(row["label"], row["count"]) for row in requests["by_channel"]]
        flowables.append(self.block(
            self.h2(gettext("Requests by kind and by channel")),
            self.table([gettext("Kind of request"), gettext("Count")],
                       [(row["label"], row["count"]) for row in requests["by_kind"]], (0.78, 0.22)),
            Spacer(1, 2 * mm),
            self.table([gettext("Channel"), gettext("Count")], channels, (0.78, 0.22)),
        ))
        decisions = requests["decisions"]
        flowables.append(self.block(
            self.h2(gettext("Not answered in full, by the article relied on")),
            self.table([gettext("Answer given"), gettext("Article relied on"), gettext("Count")],
                       [(row["decision"], row["ground"], row["count"]) for row in decisions],
                       (0.2, 0.66, 0.14)) if decisions
            else self.p(esc(gettext("No request was refused or answered in part.")), "muted"),
        ))
        return flowables

    def complaint_figures(self, complaints: dict, reading: str) -> Flowable:
        return self.block(
            self.h2(gettext("Complaints and consultations (苦情・相談)")),
            self.p(esc(reading), "mark"),
            self.table(
                [gettext("Classification"), gettext("Count")],
                [(row["label"], row["count"]) for row in complaints["by_classification"]], (0.78, 0.22)),
            Spacer(1, 2 * mm),
            self.table(
                [gettext("Answered"), gettext("Still open"), gettext("Days to answer (median)"),
                 gettext("Revealed a weakness"), gettext("Corrective actions"), gettext("Incidents raised"),
                 gettext("Converted into requests")],
                [(complaints["answered"], complaints["open"], self.figure(complaints["median_days"]),
                  complaints["reveals_weakness"], complaints["actions"], complaints["incidents_raised"],
                  complaints["converted_to_requests"])],
                (0.12, 0.12, 0.16, 0.15, 0.15, 0.14, 0.16)),
        )

    # -- (g) -------------------------------------------------------------------------

    def opportunities(self) -> list[Flowable]:
        flowables = self.section(gettext("(g) Opportunities for improvement"),
                                 gettext("proposals for improvement"))
        found = self.inputs.get("opportunities") or []
        flowables.append(self.block(
            self.h2(gettext("Audit findings graded as opportunities for improvement")),
            self.table(
                [gettext("Reference"), gettext("Clause"), gettext("Department"), gettext("Description")],
                [(row.get("reference", ""), row.get("clause") or DASH, row.get("department") or DASH,
                  row.get("description", "")) for row in found[:MAX_OPPORTUNITY_ROWS]],
                (0.18, 0.07, 0.2, 0.55)) if found else self.none(),
            self.more_rows(len(found) - MAX_OPPORTUNITY_ROWS),
        ))
        flowables.append(self.block(self.h2(gettext("Other opportunities")),
                                    self.user_text((self.inputs.get("texts") or {}).get("improvement_notes"))))
        return flowables
