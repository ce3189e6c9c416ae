"""The audit report (内部監査報告書 / Internal audit report) the audit lead hands to top
management: the audit's scope and team, the checklist with its results, the findings with
their corrective actions, the conclusion, and boxes to sign off.

The checklist and the findings count two different things, and the report says how they
meet: a checklist item's result (conforming, nonconforming, observation) is the auditor's
verdict on a clause; a finding's grade is given when it is raised, and need not repeat the
result (an item recorded as an observation may be raised as an opportunity for improvement,
or raise nothing when it repeats another item's finding), while a finding may also be raised
outside the checklist. So the checklist's summary says, for each result, which findings its
items raised, and the findings' summary how many came from checklist items: both add up.

Reads are a fixed number of queries whatever the length of the checklist or the number of
findings (everything is fetched up front with select_related/prefetch_related). Every
piece of user text goes through esc() or a table helper that escapes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, pgettext
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from incidents.models import Action, department_of, person_name

from ..models import Audit, AuditKind, AuditState, ChecklistItem, ChecklistResult, Finding, Grade
from .base import (
    FONT_NAME,
    RULE,
    build_pdf,
    company_line,
    corporate_number_text,
    data_table,
    key_value_table,
    local_date,
    local_datetime,
    para,
    widths,
)
from .styles import report_styles


def report_filename(audit: Audit, language: str) -> str:
    """E.g. AUD-2026-03_report_ja.pdf."""
    return f"{audit.reference}_report_{language}.pdf"


def render_audit_report(audit: Audit, *, language: str = "ja", user=None,
                        generated_at: datetime | None = None) -> bytes:
    """The audit report of `audit` as a PDF, in `language` ("ja" or "en").

    With `user`, only the findings that user may see are listed (as on the audit's page),
    with a note when some are left out; without, all of them (for the audit lead's tools).
    """
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValueError(f"unknown language {language!r}")
    audit, findings, hidden = _load(audit.pk, user)
    with translation.override(language):
        sheet = report_styles()
        title = _report_title(audit)
        story = [
            *_cover(audit, title, sheet),
            *_scope(audit, sheet),
            *_team(audit, sheet),
            *_checklist(audit, sheet, language),
            *_findings(findings, hidden, sheet),
            *_conclusion(audit, sheet),
            _sign_off(sheet),
        ]
        return build_pdf(story, title=f"{title} {audit.reference}", subject=audit.title,
                         confidential_mark=gettext("Confidential"), generated_at=generated_at,
                         company=company_line(audit.company.name, audit.company.corporate_number))


# ---------------------------------------------------------------------------
# Reading


def _load(pk: int, user) -> tuple[Audit, list[Finding], int]:
    """The audit with everything the report shows, the findings to list, and how many
    findings `user` may not see."""
    people = get_user_model().objects.select_related("profile__department__company")
    audit = (
        Audit.objects.select_related("company", "lead_auditor__profile__department__company")
        .prefetch_related(
            "departments",
            Prefetch("auditors", queryset=people.order_by("last_name", "first_name", "username")),
            "clauses",
            Prefetch("checklist", queryset=ChecklistItem.objects.select_related("requirement", "finding")
                     .order_by("position", "id")),
        )
        .get(pk=pk)
    )
    findings = Finding.objects.visible_to(user) if user is not None else Finding.objects.all()
    findings = list(
        findings.filter(audit=audit).select_related("requirement", "department")
        .prefetch_related(Prefetch("actions", queryset=Action.objects.order_by("reference")))
        .order_by("reference")
    )
    hidden = Finding.objects.filter(audit=audit).count() - len(findings) if user is not None else 0
    return audit, findings, hidden


# ---------------------------------------------------------------------------
# Sections


def _label(model, field: str) -> str:
    """A field's (translated) verbose name, as the web pages show it."""
    return capfirst(str(model._meta.get_field(field).verbose_name))


def _name(user) -> str:
    return (person_name(user) or user.get_username()) if user is not None else "—"


def _report_title(audit: Audit) -> str:
    if audit.kind == AuditKind.OPERATIONAL_CHECK:
        return gettext("Operational check report")
    return gettext("Internal audit report")


def _requirement_title(requirement, language: str) -> str:
    english, japanese = requirement.title_en, requirement.title_ja
    return (english or japanese) if language == "en" else (japanese or english)


def _section(number: int, text: str, sheet) -> Paragraph:
    return para(f"{number}. {text}", sheet["h1"])


def _cover(audit: Audit, title: str, sheet) -> list:
    # The company audited, with its 法人番号 (the company's own name for its papers).
    company = audit.company
    story = [para(company.name, sheet["subtitle"])]
    if company.corporate_number:
        story.append(para(corporate_number_text(company.corporate_number), sheet["small"]))
    story.append(Spacer(0, 3 * mm))
    story += [
        para(title, sheet["title"]),
        para(audit.title, sheet["subtitle"]),
    ]
    rows = [
        (_label(Audit, "reference"), audit.reference),
        (_label(Audit, "kind"), audit.get_kind_display()),
        (_label(Audit, "fiscal_year"), gettext("FY%(year)d") % {"year": audit.fiscal_year}),
        (_label(Audit, "state"), audit.get_state_display()),
        (gettext("Planned dates"), f"{local_date(audit.planned_start)} – {local_date(audit.planned_end)}"),
        (_label(Audit, "started_at"), local_datetime(audit.started_at)),
        (_label(Audit, "reported_at"), local_datetime(audit.reported_at)),
    ]
    if audit.closed_at:
        rows.append((_label(Audit, "closed_at"), local_datetime(audit.closed_at)))
    story.append(key_value_table(rows, sheet=sheet))
    return story


def _scope(audit: Audit, sheet) -> list:
    departments = [f"{department.name} ({department.code})" for department in audit.departments.all()]
    clauses = sorted(audit.clauses.all(), key=lambda r: (r.standard, r.edition, r.position, r.clause))
    by_standard: dict[str, list[str]] = {}
    for requirement in clauses:
        by_standard.setdefault(f"{requirement.get_standard_display()}:{requirement.edition}", []).append(
            requirement.clause
        )
    return [
        _section(1, gettext("Audit scope"), sheet),
        key_value_table([
            (_label(Audit, "departments"), "\n".join(departments) or "—"),
            (_label(Audit, "clauses"),
             "\n".join(f"{standard}  {', '.join(numbers)}" for standard, numbers in by_standard.items()) or "—"),
        ], sheet=sheet),
    ]


def _team(audit: Audit, sheet) -> list:
    def department(user) -> str:
        found = department_of(user)
        if found is None:
            return "—"
        if found.company_id != audit.company_id:  # an auditor of another group company
            return f"{found.name} ({found.company.name})"
        return found.name

    rows = [[gettext("Lead auditor"), _name(audit.lead_auditor), department(audit.lead_auditor)]]
    rows += [[gettext("Auditor"), _name(member), department(member)]
             for member in audit.auditors.all() if member.pk != audit.lead_auditor_id]
    return [
        _section(2, gettext("Audit team"), sheet),
        data_table([gettext("Role"), gettext("Name"), _label(Finding, "department")], rows,
                   widths(0.25, 0.4, 0.35), sheet=sheet),
    ]


RESULT_ORDER = [ChecklistResult.CONFORMING, ChecklistResult.NONCONFORMING, ChecklistResult.OBSERVATION,
                ChecklistResult.NOT_APPLICABLE]


def _grades_text(grades: Sequence[str]) -> str:
    """「重大な不適合 1、軽微な不適合 1」: the findings' grades, counted, in the order of Grade."""
    counts = Counter(grades)
    return pgettext("list separator", ", ").join(
        f"{grade.label} {counts[grade.value]}" for grade in Grade if counts[grade.value])


def _raised_text(items: list[ChecklistItem]) -> str:
    """What the items of one result raised: 「1件（改善の機会 1）、1項目は起票なし」."""
    raised = [item.finding.grade for item in items if getattr(item, "finding", None) is not None]
    if not raised:
        return "—"
    text = ngettext("%(count)d finding (%(grades)s)", "%(count)d findings (%(grades)s)", len(raised)) % {
        "count": len(raised), "grades": _grades_text(raised)}
    silent = len(items) - len(raised)
    if silent and items[0].result in (ChecklistResult.NONCONFORMING, ChecklistResult.OBSERVATION):
        text += ngettext("; %(count)d item raised none", "; %(count)d items raised none", silent) % {"count": silent}
    return text


def _checklist(audit: Audit, sheet, language: str) -> list:
    items = list(audit.checklist.all())
    story = [_section(3, gettext("Checklist"), sheet)]
    if not items:
        return [*story, para(gettext("The checklist is empty."), sheet["body"])]

    by_result: dict[str, list[ChecklistItem]] = {}
    for item in items:
        by_result.setdefault(item.result, []).append(item)
    summary = [(result.label, by_result.get(result.value, [])) for result in RESULT_ORDER]
    if by_result.get(""):
        summary.append((gettext("Not recorded"), by_result[""]))
    raised = sum(getattr(item, "finding", None) is not None for item in items)
    story.append(data_table(
        [_label(ChecklistItem, "result"), gettext("Items"), gettext("Findings raised from these items")],
        [*[(name, len(group), _raised_text(group)) for name, group in summary],
         (gettext("Total"), len(items), ngettext("%(count)d finding", "%(count)d findings", raised) % {
             "count": raised})],
        widths(0.3, 0.14, 0.56), sheet=sheet))
    story.append(para(gettext("A result is the auditor's verdict on a clause; a finding's grade is given when "
                              "the finding is raised and need not repeat it. Section 4 counts the findings by "
                              "grade."), sheet["small"]))
    story.append(Spacer(0, 4 * mm))

    several_standards = len({(item.requirement.standard, item.requirement.edition) for item in items}) > 1
    rows = []
    for item in items:
        requirement = item.requirement
        # The clause with its title, in one column (the standard too when the audit checks several).
        clause = [para(f"{requirement.clause} {_requirement_title(requirement, language)}", sheet["cell"])]
        if several_standards:
            clause.append(para(f"{requirement.get_standard_display()}:{requirement.edition}", sheet["small"]))
        result = [para(item.get_result_display() if item.result else gettext("Not recorded"), sheet["cell"])]
        finding = getattr(item, "finding", None)
        if finding is not None:  # the finding it raised, with its grade (which may differ from the result)
            result.append(para(f"→ {finding.reference}\n{finding.get_grade_display()}", sheet["small"]))
        rows.append([clause, result, item.evidence, item.note])
    story.append(data_table(
        [_label(ChecklistItem, "requirement"), _label(ChecklistItem, "result"), _label(ChecklistItem, "evidence"),
         _label(ChecklistItem, "note")],
        rows, widths(0.27, 0.19, 0.29, 0.25), sheet=sheet,
    ))
    return story


def _findings(findings: list[Finding], hidden: int, sheet) -> list:
    heading = _section(4, gettext("Findings"), sheet)
    story = []
    if hidden:
        story.append(para(ngettext("%(count)d finding of this audit is not listed: you may not see it.",
                                   "%(count)d findings of this audit are not listed: you may not see them.",
                                   hidden) % {"count": hidden}, sheet["small"]))
    if not findings:
        return [heading, *story, para(gettext("No findings have been raised."), sheet["body"])]

    counts = Counter(finding.grade for finding in findings)
    from_checklist = Counter(finding.grade for finding in findings if finding.checklist_item_id)
    outside = len(findings) - sum(from_checklist.values())
    story.append(data_table([_label(Finding, "grade"), gettext("Count"), gettext("of which from checklist items")],
                            [*[(grade.label, counts[grade.value], from_checklist[grade.value]) for grade in Grade],
                             (gettext("Total"), len(findings), sum(from_checklist.values()))],
                            widths(0.4, 0.2, 0.4), sheet=sheet))
    story.append(Spacer(0, 2 * mm))
    story.append(para(ngettext(
        "%(total)d finding: %(checklist)d raised from checklist items, %(outside)d raised outside the checklist.",
        "%(total)d findings: %(checklist)d raised from checklist items, %(outside)d raised outside the checklist.",
        len(findings)) % {"total": len(findings), "checklist": sum(from_checklist.values()), "outside": outside},
        sheet["body"]))
    story = [KeepTogether([heading, *story]), Spacer(0, 4 * mm)]  # a summary is not split over pages

    rows = []
    for finding in findings:
        description = [para(finding.description, sheet["cell"])]
        for field in ("cause", "plan"):
            value = getattr(finding, field)
            if value.strip():
                description.append(para(f"{_label(Finding, field)}: {value}", sheet["small"]))
        actions = []
        for action in finding.actions.all():
            actions += [para(f"{action.reference} {action.get_state_display()}", sheet["cell"]),
                        para(action.title, sheet["small"])]
        rows.append([
            f"{finding.reference}\n{finding.get_grade_display()}",
            f"{finding.requirement.clause}\n{finding.department.name}",
            description,
            finding.get_state_display(),
            actions or "—",
        ])
    story.append(data_table(
        [f"{_label(Finding, 'reference')} / {_label(Finding, 'grade')}",
         f"{_label(Finding, 'requirement')} / {_label(Finding, 'department')}",
         _label(Finding, "description"), _label(Finding, "state"), _label(Finding, "actions")],
        rows, widths(0.19, 0.15, 0.35, 0.1, 0.21), sheet=sheet,
    ))
    return story


def _conclusion(audit: Audit, sheet) -> list:
    story = [_section(5, _label(Audit, "conclusion"), sheet)]
    if audit.conclusion.strip():
        story.append(para(audit.conclusion, sheet["body"]))
    else:
        story.append(para(gettext("The conclusion has not been written yet."), sheet["small"]))
    if audit.state == AuditState.CANCELLED and audit.cancel_reason.strip():
        story.append(key_value_table([(_label(Audit, "cancel_reason"), audit.cancel_reason)], sheet=sheet))
    return story


def _sign_off(sheet) -> KeepTogether:
    """Boxes for the audit lead (監査責任者) and top management (確認) to sign or stamp."""
    box = 48 * mm  # 個人情報保護監査責任者 on one line
    signers = [gettext("Audit lead"), gettext("Acknowledged")]
    table = Table(
        [[para(signer, sheet["cell_center"]) for signer in signers],
         ["" for _signer in signers],
         [para(gettext("Date:"), sheet["small"]) for _signer in signers]],
        colWidths=[box] * len(signers), rowHeights=[None, 20 * mm, None], hAlign="RIGHT",
    )
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT_NAME),
        ("GRID", (0, 0), (-1, -1), 0.6, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return KeepTogether([para(gettext("Sign-off"), sheet["h2"]), table])
