"""Who is told when audit work arrives (issue 14): the audited department's head, the audit
team, top management. Called by the audits services inside their transactions; the
notices themselves are notifications.notify's."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from incidents.events import channels_for, heads_of, holders
from incidents.roles import Role
from notifications.kinds import Kind
from notifications.services import Message, notify


def _team(audit) -> list:
    return [audit.lead_auditor, *audit.auditors.all()]


def _finding_lines(finding) -> list[tuple]:
    return [
        (_("Finding"), finding.__str__),
        (_("Audit"), f"{finding.audit.reference} {finding.audit.title}"),
        (_("Department"), finding.department.name),
        (_("Clause"), str(finding.requirement) if finding.requirement_id else ""),
        (_("Response due"), finding.response_due),
    ]


def audit_team_changed(audit, *, by, before: set[int] = frozenset()) -> None:
    """Those who lead or join an audit learn of it once, when they are first put on its team."""
    for member in _team(audit):
        if member is None or member.pk in before:
            continue
        lead = member.pk == audit.lead_auditor_id
        notify(
            kind=Kind.AUDIT_ASSIGNED, key=f"audit:{audit.pk}:team:{member.pk}", recipients=[member], actor=by,
            message=Message(
                subject=(_("You lead the audit %(reference)s: %(title)s (%(start)s)") if lead
                         else _("You join the audit %(reference)s: %(title)s (%(start)s)")),
                params={"reference": audit.reference, "title": audit.title, "start": audit.planned_start},
                lines=[(_("Audit"), f"{audit.reference} {audit.title}"),
                       (_("Departments"), ", ".join(d.name for d in audit.departments.all())),
                       (_("Planned"), f"{audit.planned_start} – {audit.planned_end}")],
                url=audit.get_absolute_url(),
            ),
        )


def finding_raised(finding, *, by) -> None:
    """The audited department's head answers a finding with cause and plan by its deadline."""
    if finding.response_due is None:  # an opportunity for improvement asks for no answer
        subject = _("Finding for your department: %(finding)s")
    else:
        subject = _("Finding to answer by %(due)s: %(finding)s")
    notify(
        kind=Kind.FINDING_TO_ANSWER, key=f"finding:{finding.pk}:answer", recipients=heads_of(finding.department_id),
        actor=by,
        message=Message(
            subject=subject, params={"finding": finding.__str__, "due": finding.response_due},
            intro=_("The internal audit raised a finding on your department. Answer it with its cause and your "
                    "plan."),
            lines=[*_finding_lines(finding), (_("Description"), finding.description[:800])],
            url=finding.get_absolute_url(),
        ),
        channels=channels_for(company_id=finding.company_id, department_ids=[finding.department_id]),
    )


def finding_transition(finding, name: str, *, by) -> None:
    """The audit team judges a response and verifies a finding; the head answers again after a rejection."""
    audit = finding.audit
    if name == "respond":
        notify(
            kind=Kind.RESPONSE_TO_ACCEPT, key=f"finding:{finding.pk}:accept:{finding.version}",
            recipients=_team(audit), actor=by,
            message=Message(
                subject=_("Response to accept: %(finding)s"), params={"finding": finding.__str__},
                lines=[*_finding_lines(finding), (_("Cause"), finding.cause[:800]), (_("Plan"), finding.plan[:800])],
                url=finding.get_absolute_url(),
            ),
        )
    elif name == "reject":
        notify(
            kind=Kind.FINDING_TO_ANSWER, key=f"finding:{finding.pk}:answer:{finding.version}",
            recipients=heads_of(finding.department_id), actor=by,
            message=Message(
                subject=_("Response rejected, answer again: %(finding)s"), params={"finding": finding.__str__},
                lines=_finding_lines(finding), url=finding.get_absolute_url(),
            ),
        )
    elif name == "submit_for_verification":
        from .models.finding import _verifies_independently

        verifiers = [user for user in _team(audit) if user is not None and not _verifies_independently(finding, user)]
        notify(
            kind=Kind.FINDING_TO_VERIFY, key=f"finding:{finding.pk}:verify:{finding.version}",
            recipients=verifiers, actor=by,
            message=Message(
                subject=_("Finding to verify: %(finding)s"), params={"finding": finding.__str__},
                intro=_("The actions of this finding are done. Verify that they removed the cause, then close it."),
                lines=_finding_lines(finding), url=finding.get_absolute_url(),
            ),
        )


def review_submitted(review, *, by) -> None:
    """Top management of the company approves the management review and decides."""
    notify(
        kind=Kind.REVIEW_TO_APPROVE, key=f"review:{review.pk}:approve:{review.version}",
        recipients=holders(Role.EXECUTIVE, review.company_id), actor=by,
        message=Message(
            subject=_("Management review to approve: %(reference)s (%(start)s – %(end)s)"),
            params={"reference": review.reference, "start": review.period_start, "end": review.period_end},
            intro=_("The PMS office submitted the management review. Read its inputs and record your decisions."),
            url=review.get_absolute_url(),
        ),
    )
