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

from . import clocks, joint_use
from .models import Incident, IncidentKind, IncidentState, ReportingTrack, TrackKind, TrackState
from .models.incident import TRACKS_UPDATED

# Trail entry written on the incident when its tracks change (not a state transition).

PPC_DUTIES = (TrackKind.PPC_PRELIMINARY, TrackKind.PPC_FINAL, TrackKind.DATA_SUBJECTS)


@dataclass(frozen=True)
class Clock:
    due_at: dt.datetime  # the target
    limit_at: dt.datetime  # the legal (or policy) limit


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def required_tracks(incident: Incident, *, entrusting_filed_at: dt.datetime | None = None):
    """({kind: Clock} for the reports the incident owes, {kind: reason} for those it does not)."""
    rules = incident.rule_set
    if incident.state == IncidentState.DISMISSED:
        return {}, dict.fromkeys(TrackKind.values, _("The report was dismissed."))
    if rules is None:
        return {}, dict.fromkeys(TrackKind.values, _("No reporting rules were in force on the day of discovery."))

    assessment = incident.assessment
    category_3 = any(reason.category == 3 for reason in assessment.reasons)
    discovered = incident.discovered_at
    near_miss = incident.kind == IncidentKind.NEAR_MISS

    def final(days: int) -> Clock:
        limit = clocks.day_count_limit(
            discovered, days, first_day_counts=rules.first_day_counts, roll_past_closed_days=rules.roll_past_closed_days
        )
        return Clock(limit, limit)

    def prompt(target_days: int, limit_days: int) -> Clock:
        return Clock(clocks.elapsed_limit(discovered, target_days), clocks.elapsed_limit(discovered, limit_days))

    plans: dict[str, Clock] = {}
    reasons: dict[str, str] = {}
    not_reportable = _("Not a reportable situation: %(reason)s") % {
        "reason": " ".join(str(reason.message) for reason in assessment.reasons)
    }
    if assessment.reportable:
        ppc_final = final(rules.final_unauthorized_purpose_days if category_3 else rules.final_days)
        plans[TrackKind.PPC_PRELIMINARY] = prompt(rules.preliminary_target_days, rules.preliminary_limit_days)
        plans[TrackKind.PPC_FINAL] = ppc_final
        plans[TrackKind.PMARK_PRELIMINARY] = prompt(
            rules.pmark_preliminary_target_days, rules.pmark_preliminary_limit_days
        )
        notice_target = clocks.elapsed_limit(discovered, rules.data_subjects_target_days)
        plans[TrackKind.DATA_SUBJECTS] = Clock(min(notice_target, ppc_final.limit_at), ppc_final.limit_at)
    else:
        for kind in (*PPC_DUTIES, TrackKind.PMARK_PRELIMINARY):
            reasons[kind] = not_reportable

    if near_miss:
        reasons[TrackKind.PMARK_FINAL] = _("A near miss: no personal information left our control.")
        reasons[TrackKind.ENTRUSTING_PARTY] = reasons[TrackKind.PMARK_FINAL]
    else:
        plans[TrackKind.PMARK_FINAL] = final(
            rules.pmark_final_unauthorized_purpose_days if category_3 else rules.pmark_final_days
        )
        if incident.entrusted_by.strip():
            plans[TrackKind.ENTRUSTING_PARTY] = prompt(
                rules.entrusting_party_target_days, rules.entrusting_party_limit_days
            )
        else:
            reasons[TrackKind.ENTRUSTING_PARTY] = _("The data was not entrusted to us by another business.")

    company = incident.company
    if not company.holds_privacymark:
        # Only a PrivacyMark holder reports to an assessment body (domain.md §1.13).
        for kind in (TrackKind.PMARK_PRELIMINARY, TrackKind.PMARK_FINAL):
            plans.pop(kind, None)
            reasons[kind] = _("%(company)s does not hold PrivacyMark.") % {"company": company.name}

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


def sync_tracks(incident: Incident, *, by) -> list[str]:
    """Create, re-time, withdraw or reinstate the incident's tracks; return what changed.

    The reasons and the trail entry are stored text, so they are written in the company's
    language (settings.LANGUAGE_CODE) whoever's interface language triggered the change.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _sync_tracks(incident, by=by)


def _sync_tracks(incident: Incident, *, by) -> list[str]:
    existing = {track.kind: track for track in ReportingTrack.objects.select_for_update().filter(incident=incident)}
    entrusting = existing.get(TrackKind.ENTRUSTING_PARTY)
    plans, reasons = required_tracks(
        incident,
        entrusting_filed_at=entrusting.filed_at if entrusting and entrusting.state == TrackState.FILED else None,
    )
    changes = []
    for kind, label in TrackKind.choices:
        track, clock = existing.get(kind), plans.get(kind)
        if clock is not None:
            if track is None:
                track = ReportingTrack(incident=incident, kind=kind, due_at=clock.due_at, limit_at=clock.limit_at)
                track._history_user = by  # whose report or edit made it owed
                track.save()
                changes.append(_("%(track)s: required, limit %(limit)s.") % {"track": label, "limit": _when(clock.limit_at)})
                if kind == TrackKind.JOINT_USE:
                    joint_use.notify_on_commit(incident)
                continue
            if track.state == TrackState.NOT_REQUIRED and track.withdrawn_by_system:
                track.reinstate(by=by, description=_("Required again after the classification changed."))
                changes.append(_("%(track)s: required again, limit %(limit)s.") % {
                    "track": label, "limit": _when(clock.limit_at)})
                if kind == TrackKind.JOINT_USE:
                    joint_use.notify_on_commit(incident)  # each manager is still told only once
            elif track.state != TrackState.PENDING or (track.due_at, track.limit_at) == (clock.due_at, clock.limit_at):
                continue
            else:
                changes.append(_("%(track)s: limit moved from %(old)s to %(new)s.") % {
                    "track": label, "old": _when(track.limit_at), "new": _when(clock.limit_at)})
            track.due_at, track.limit_at = clock.due_at, clock.limit_at
            track._history_user = by
            track.save()
        elif track is not None and track.state == TrackState.PENDING:
            track.not_required_reason = reasons[kind]
            track.withdraw(by=by, description=reasons[kind])
            track._history_user = by
            track.save()
            changes.append(_("%(track)s: no longer required. %(reason)s") % {"track": label, "reason": reasons[kind]})
    if changes:
        write_entry(incident, transition=TRACKS_UPDATED, source_state=incident.state, state=incident.state, by=by,
                    description="\n".join(changes))
    return changes
