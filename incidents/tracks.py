"""Which reports an incident owes, and by when (domain.md §1.3–§1.9, §1.13).

`required_tracks` reads the classification and the incident's rule set; `sync_tracks`
brings the incident's ReportingTrack rows in line with it and writes what changed to the
incident's trail. The services call sync_tracks whenever an incident or a track changes,
inside the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from trail.steps import write_entry

from . import clocks, events, joint_use
from .models import Incident, IncidentKind, IncidentState, ReportingTrack, TrackKind, TrackState
from .models.incident import TRACKS_UPDATED

# Trail entry written on the incident when its tracks change (not a state transition).

PPC_DUTIES = (TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL, TrackKind.DATA_SUBJECTS)
PMARK_DUTIES = (TrackKind.PMARK_PRELIMINARY, TrackKind.PMARK_FINAL, TrackKind.PMARK_MEASURES)


@dataclass(frozen=True)
class Clock:
    due_at: dt.datetime  # the target
    limit_at: dt.datetime  # the legal (or policy) limit


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def required_tracks(
    incident: Incident, *, entrusting_filed_at: dt.datetime | None = None, ppc_final_filed_at: dt.datetime | None = None,
):
    """({kind: Clock} for the reports the incident owes, {kind: reason} for those it does not).

    Each recipient has its own test: the PPC's (reportability.py, APPI rule art. 7), the
    assessment body's (pmark_reportability.py, PMK500), the 委託元's and the group's."""
    rules = incident.rule_set
    if incident.state == IncidentState.DISMISSED:
        return {}, dict.fromkeys(TrackKind.values, _("The report was dismissed."))
    if rules is None:
        return {}, dict.fromkeys(TrackKind.values, _("No reporting rules were in force on the day of discovery."))

    discovered = incident.discovered_at

    def final(days: int) -> Clock:
        limit = clocks.day_count_limit(
            discovered, days, first_day_counts=rules.first_day_counts, roll_past_closed_days=rules.roll_past_closed_days
        )
        return Clock(limit, limit)

    def prompt(target_days: int, limit_days: int) -> Clock:
        return Clock(clocks.elapsed_limit(discovered, target_days), clocks.elapsed_limit(discovered, limit_days))

    plans: dict[str, Clock] = {}
    reasons: dict[str, str] = {}
    _ppc_duties(incident, rules, plans, reasons, final=final, prompt=prompt, final_filed_at=ppc_final_filed_at)
    _pmark_duties(incident, rules, plans, reasons, final=final, prompt=prompt)

    if incident.kind == IncidentKind.NEAR_MISS:
        reasons[TrackKind.ENTRUSTING_PARTY] = _("A near miss: no personal information left our control.")
    elif incident.entrusted_by.strip():
        plans[TrackKind.ENTRUSTING_PARTY] = prompt(rules.entrusting_party_target_days, rules.entrusting_party_limit_days)
    else:
        reasons[TrackKind.ENTRUSTING_PARTY] = _("The data was not entrusted to us by another business.")

    company = incident.company
    manager = incident.joint_use_company
    if not incident.involves_joint_use:
        reasons[TrackKind.JOINT_USE] = _("No jointly used personal data is involved.")
    elif manager is None:
        reasons[TrackKind.JOINT_USE] = _("No group company is named responsible for jointly used data.")
    elif manager.pk == company.pk:
        reasons[TrackKind.JOINT_USE] = _("%(company)s is itself responsible for the jointly used data.") % {
            "company": company.name}
    else:
        # The group's rule (privacy policy: the responsible company manages jointly used
        # data): whoever's data it is, the responsible company hears of it without delay.
        plans[TrackKind.JOINT_USE] = prompt(rules.joint_use_target_days, rules.joint_use_limit_days)

    if TrackKind.ENTRUSTING_PARTY in plans and entrusting_filed_at is not None:
        # APPI art. 26(1) proviso and (2): a contractor that notified its 委託元 is released
        # from its own report to the PPC and from notifying the data subjects.
        release = _("Released: the entrusting business (委託元) was notified on %(when)s "
                    "(APPI art. 26(1) proviso).") % {"when": _when(entrusting_filed_at)}
        for kind in PPC_DUTIES:
            if plans.pop(kind, None) is not None:
                reasons[kind] = release
    return plans, reasons


def _ppc_duties(incident, rules, plans, reasons, *, final, prompt, final_filed_at) -> None:
    """The PPC's 速報, 確報 and 追完, and the notice to the data subjects (APPI art. 26)."""
    assessment = incident.assessment
    if not assessment.reportable:
        not_reportable = _("Not a reportable situation: %(reason)s") % {
            "reason": " ".join(str(reason.message) for reason in assessment.reasons)
        }
        for kind in (*PPC_DUTIES, TrackKind.PPC_SUPPLEMENT):
            reasons[kind] = not_reportable
        return
    category_3 = any(reason.category == 3 for reason in assessment.reasons)
    ppc_final = final(rules.final_unauthorized_purpose_days if category_3 else rules.final_days)
    plans[TrackKind.PPC_PRELIMINARY] = prompt(rules.preliminary_target_days, rules.preliminary_limit_days)
    plans[TrackKind.PPC_FINAL] = ppc_final
    if rules.data_subjects_low_risk_exemption and incident.subjects_low_risk:
        # The 2026 amendment of art. 26(2), where the rule set in force carries it (§1.12).
        reasons[TrackKind.DATA_SUBJECTS] = _low_risk_reason(incident, rules)
    else:
        notice_target = clocks.elapsed_limit(incident.discovered_at, rules.data_subjects_target_days)
        plans[TrackKind.DATA_SUBJECTS] = Clock(min(notice_target, ppc_final.limit_at), ppc_final.limit_at)
    # The 追完 (domain.md §1.5a): owed once the 確報 went with items not yet known. The law
    # sets no limit ("as soon as they are known"); the target is the company's.
    if final_filed_at is None:
        reasons[TrackKind.PPC_SUPPLEMENT] = _("Owed only if the 確報 is filed with items not yet known.")
    elif not incident.ppc_unknown_items:
        reasons[TrackKind.PPC_SUPPLEMENT] = _("The 確報 was filed with every item known.")
    else:
        target = clocks.elapsed_limit(final_filed_at, rules.ppc_supplement_target_days)
        plans[TrackKind.PPC_SUPPLEMENT] = Clock(target, target)


def _low_risk_reason(incident, rules) -> str:
    reason = _("Not required: the risk to the data subjects' rights and interests is small (APPI art. 26(2) as "
               "amended, in force from %(day)s in %(rules)s). Reason: %(reason)s") % {
        "day": rules.effective_from.isoformat(), "rules": rules.version,
        "reason": incident.subjects_low_risk_reason.strip()}
    if incident.substitute_measure.strip():
        reason += " " + _("Substitute measure: %(measure)s") % {"measure": incident.substitute_measure.strip()}
    return reason


def _pmark_duties(incident, rules, plans, reasons, *, final, prompt) -> None:
    """The PrivacyMark holder's 速報, 確報 and report on measures (PMK500, domain.md §1.13)."""
    company = incident.company
    if not company.holds_privacymark:
        # Only a PrivacyMark holder reports to an assessment body; an ISMS-only company has no such clock.
        for kind in PMARK_DUTIES:
            reasons[kind] = _("%(company)s does not hold PrivacyMark.") % {"company": company.name}
        return
    pmark = incident.pmark_assessment
    if not pmark.incident:
        for kind in PMARK_DUTIES:
            reasons[kind] = " ".join(str(reason.message) for reason in pmark.reasons)
        return
    plans[TrackKind.PMARK_FINAL] = final(
        rules.pmark_final_unauthorized_purpose_days if pmark.unauthorized_purpose else rules.pmark_final_days
    )
    if pmark.preliminary:
        plans[TrackKind.PMARK_PRELIMINARY] = prompt(
            rules.pmark_preliminary_target_days, rules.pmark_preliminary_limit_days
        )
    else:
        reasons[TrackKind.PMARK_PRELIMINARY] = " ".join(str(reason.message) for reason in pmark.preliminary_reasons)
    # Step 3: the report on measures, by the date the assessment body's notice sets.
    due_on = incident.pmark_notice_due_on
    if incident.pmark_notice_received_on is None or due_on is None:
        reasons[TrackKind.PMARK_MEASURES] = _(
            "Owed once the assessment body's notice on the measures (事故措置の通知) is recorded."
        )
    else:
        limit = clocks.end_of_day(due_on)
        target = max(clocks.end_of_day(incident.pmark_notice_received_on),
                     limit - dt.timedelta(days=rules.pmark_measures_target_days))
        plans[TrackKind.PMARK_MEASURES] = Clock(target, limit)


def sync_tracks(incident: Incident, *, by, announce: bool = True) -> list[str]:
    """Create, re-time, withdraw or reinstate the incident's tracks; return what changed.

    The reasons and the trail entry are stored text, so they are written in the company's
    language (settings.LANGUAGE_CODE) whoever's interface language triggered the change.
    """
    with translation.override(settings.LANGUAGE_CODE):
        changes, duties = _sync_tracks(incident, by=by)
    if announce and duties:
        # The PMS office learns of new or moved reporting duties at once, in one notice.
        events.reporting_duties(incident, duties, by=by)
    return changes


def _filed_at(track: ReportingTrack | None) -> dt.datetime | None:
    return track.filed_at if track is not None and track.state == TrackState.FILED else None


def _sync_tracks(incident: Incident, *, by) -> tuple[list[str], list]:
    existing = {track.kind: track for track in ReportingTrack.objects.select_for_update().filter(incident=incident)}
    plans, reasons = required_tracks(
        incident,
        entrusting_filed_at=_filed_at(existing.get(TrackKind.ENTRUSTING_PARTY)),
        ppc_final_filed_at=_filed_at(existing.get(TrackKind.PPC_FINAL)),
    )
    changes, duties = [], []
    for kind, label in TrackKind.choices:
        track, clock = existing.get(kind), plans.get(kind)
        if clock is not None:
            if track is None:
                track = ReportingTrack(incident=incident, kind=kind, due_at=clock.due_at, limit_at=clock.limit_at)
                track._history_user = by  # whose report or edit made it owed
                track.save()
                changes.append(_("%(track)s: required, limit %(limit)s.") % {"track": label, "limit": _when(clock.limit_at)})
                duties.append((track, "required"))
                if kind == TrackKind.JOINT_USE:
                    joint_use.tell_responsible_office(incident)
                continue
            if track.state == TrackState.NOT_REQUIRED and track.withdrawn_by_system:
                track.reinstate(by=by, description=_("Required again after the classification changed."))
                changes.append(_("%(track)s: required again, limit %(limit)s.") % {
                    "track": label, "limit": _when(clock.limit_at)})
                announce = "again"
                if kind == TrackKind.JOINT_USE:
                    joint_use.tell_responsible_office(incident)  # each manager is still told only once
            elif track.state != TrackState.PENDING or (track.due_at, track.limit_at) == (clock.due_at, clock.limit_at):
                continue
            else:
                changes.append(_("%(track)s: limit moved from %(old)s to %(new)s.") % {
                    "track": label, "old": _when(track.limit_at), "new": _when(clock.limit_at)})
                announce = "moved"
            track.due_at, track.limit_at = clock.due_at, clock.limit_at
            track._history_user = by
            track.save()
            duties.append((track, announce))
        elif track is not None and track.state == TrackState.PENDING:
            track.not_required_reason = reasons[kind]
            track.withdraw(by=by, description=reasons[kind])
            track._history_user = by
            track.save()
            changes.append(_("%(track)s: no longer required. %(reason)s") % {"track": label, "reason": reasons[kind]})
    if changes:
        write_entry(incident, transition=TRACKS_UPDATED, source_state=incident.state, state=incident.state, by=by,
                    description="\n".join(changes))
    return changes, duties
