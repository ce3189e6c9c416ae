"""Who is told when work arrives on an incident or an action (issue 14).

Each function is called by the service that records the event, inside its transaction,
and says what happened once; notifications.notify writes it in each recipient's language,
for the inbox, the mail and the chat channels, and never twice for the same key.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications.kinds import Kind
from notifications.services import Message, display, notify

from .roles import Role


def holders(role: str, company_id: int | None) -> list:
    """The active users who hold `role` for the company (scoped to it, to the whole group,
    or by belonging to it), with or without a mail address: people.eligible, roles.has_role
    in one query (not one more for each holder's roles)."""
    from .people import eligible

    return list(eligible(role, company=company_id).order_by("pk"))


def channels_for(*, company_id: int | None, department_ids=(), office: bool = False) -> list:
    """The chat channels that take this event: the PMS office's of the company (`office`) and
    those of the departments concerned."""
    from .models import ChatChannel

    return list(ChatChannel.objects.for_event(company_id=company_id, department_ids=department_ids, office=office))


def _incident_lines(incident) -> list[tuple]:
    return [
        (_("Incident"), f"{incident.reference} {incident.title}"),
        (_("Kind"), incident.get_kind_display),
        (_("Department"), incident.department.name if incident.department_id else ""),
        (_("Discovered"), incident.discovered_at),
    ]


def _pending_tracks(incident) -> list:
    from .models import ReportingTrack

    return list(ReportingTrack.objects.filter(incident=incident).pending().order_by("limit_at", "id"))


def _duty_lines(tracks) -> list[tuple]:
    return [(track.get_kind_display, _limit_text(track)) for track in tracks]


def _limit_text(track):
    """「期限 …」, written when the reader's copy is (in their language)."""
    return lambda: gettext("limit %(limit)s") % {"limit": display(track.limit_at)}


def _duty_label(track, change: str):
    return lambda: f"{track.get_kind_display()} ({CHANGE_LABELS[change]})"


def incident_reported(incident, *, by) -> None:
    """A new report: the PMS office of its company triages it. When the report already owes
    reports to an authority, the same notice names them and is mailed at once whatever the
    office chose (a legal deadline is running)."""
    duties = _pending_tracks(incident)
    notify(
        kind=Kind.INCIDENT_REPORTED, key=f"incident:{incident.pk}:reported",
        recipients=holders(Role.PMS_MANAGER, incident.company_id), actor=by, legal=bool(duties),
        deadline=duties[0].limit_at if duties else None,
        message=Message(
            subject=(_("New incident report %(reference)s: %(title)s (reports owed, first limit %(limit)s)")
                     if duties else _("New incident report %(reference)s: %(title)s")),
            params={"reference": incident.reference, "title": incident.title,
                    "limit": duties[0].limit_at if duties else ""},
            intro=_("A new incident was reported and waits for triage."),
            lines=[*_incident_lines(incident), (_("Reported by"), _name(incident.reporter)), *_duty_lines(duties)],
            url=incident.get_absolute_url(),
        ),
        channels=channels_for(company_id=incident.company_id, office=True),
    )


def handler_assigned(incident, *, by) -> None:
    """The PMS office made someone the incident's handler (担当者): they own the case."""
    if incident.handler_id is None:
        return
    notify(
        kind=Kind.HANDLER_ASSIGNED, key=f"incident:{incident.pk}:handler:{incident.handler_id}:{incident.version}",
        recipients=[incident.handler], actor=by,
        message=Message(
            subject=_("You are the handler of %(reference)s: %(title)s"),
            params={"reference": incident.reference, "title": incident.title, "by": _name(by)},
            intro=_("%(by)s made you the handler of this incident: you own the case until it is closed."),
            lines=[*_incident_lines(incident), (_("State"), incident.get_state_display)],
            url=incident.get_absolute_url(),
        ),
    )


def progress_added(entry, *, by) -> None:
    """A progress entry by someone else: the incident's handler follows the case."""
    incident = entry.incident
    if incident.handler_id is None:
        return
    notify(
        kind=Kind.PROGRESS_ADDED, key=f"progress:{entry.pk}", recipients=[incident.handler], actor=by,
        message=Message(
            subject=_("Progress on %(reference)s recorded by %(by)s"),
            params={"reference": incident.reference, "by": _name(by)},
            lines=[(_("Incident"), f"{incident.reference} {incident.title}"), (_("Progress"), entry.text[:500])],
            url=incident.get_absolute_url() + "#progress",
        ),
    )


def _action_lines(action) -> list[tuple]:
    origin = action.incident.reference if action.incident_id else ""
    return [
        (_("Action"), f"{action.reference} {action.title}"),
        (_("Kind"), action.get_kind_display),
        (_("For"), origin),
        (_("Department"), action.department.name if action.department_id else ""),
        (_("Due"), action.due_date),
    ]


def action_assigned(action, *, by) -> None:
    """An action's owner learns of it when it is planned or handed to them."""
    if action.owner_id is None:
        return
    notify(
        kind=Kind.ACTION_ASSIGNED, key=f"action:{action.pk}:owner:{action.owner_id}", recipients=[action.owner],
        actor=by,
        message=Message(
            subject=_("Action for you: %(reference)s %(title)s (due %(due)s)"),
            params={"reference": action.reference, "title": action.title, "due": action.due_date},
            intro=_("You own this action: carry it out by its due date, then mark it implemented with the evidence."),
            lines=[*_action_lines(action), (_("Plan"), action.description[:800])],
            url=action.get_absolute_url(),
        ),
        channels=channels_for(company_id=action.company_id, department_ids=[action.department_id]),
    )


def action_to_verify(action, *, by) -> None:
    """An implemented action waits for its verifier's check of effectiveness (each round anew)."""
    if action.verifier_id is None:
        return
    notify(
        kind=Kind.ACTION_TO_VERIFY, key=f"action:{action.pk}:verify:{action.version}",
        recipients=[action.verifier], actor=by,
        message=Message(
            subject=_("Action to verify: %(reference)s %(title)s"),
            params={"reference": action.reference, "title": action.title, "by": _name(by)},
            intro=_("%(by)s marked this action implemented. Check whether it was effective and record the "
                    "verification."),
            lines=[*_action_lines(action), (_("Implementation"), action.implementation_note[:800])],
            url=action.get_absolute_url(),
        ),
    )


def _name(user) -> str:
    if user is None:
        return ""
    return " ".join(part for part in (user.last_name, user.first_name) if part) or user.get_username()


def heads_of(department_id: int | None) -> list:
    """Who answers for a department: its named head, and the department heads who belong to it."""
    from .models import Department

    if department_id is None:
        return []
    users = list(get_user_model().objects.filter(
        groups__name=Role.DEPARTMENT_HEAD, is_active=True, profile__department_id=department_id).distinct())
    head = Department.objects.select_related("head").get(pk=department_id).head
    if head is not None and head.is_active and head.pk not in {user.pk for user in users}:
        users.insert(0, head)
    return users


def reporting_duties(incident, duties: list[tuple], *, by) -> None:
    """Reports became owed, owed again, or their limits moved (a change of classification,
    a filed 委託元 notice): the PMS office of the company is told in one notice, mailed at
    once whatever it chose (legal deadlines)."""
    tracks = [track for track, _change in duties]
    first = min(tracks, key=lambda track: track.limit_at)
    notify(
        kind=Kind.REPORTING_DUTY, key=f"incident:{incident.pk}:duties:{_change_stamp(tracks)}"[:200],
        recipients=holders(Role.PMS_MANAGER, incident.company_id), actor=None, deadline=first.limit_at,
        message=Message(
            subject=_("%(reference)s: reporting duties changed, first limit %(limit)s"),
            params={"reference": incident.reference, "limit": first.limit_at},
            intro=_("The reports this incident owes changed. Check the reporting deadlines on the incident page."),
            lines=[(_("Incident"), f"{incident.reference} {incident.title}"),
                   *[(_duty_label(track, change), _limit_text(track)) for track, change in duties]],
            url=incident.get_absolute_url() + "#reporting",
        ),
        channels=channels_for(company_id=incident.company_id, office=True),
    )


def _change_stamp(tracks) -> str:
    """What names one change of an incident's duties: each track with the history row its
    last save wrote. Every real change (owed, withdrawn and owed again, a limit moved and
    moved back) saves the track and so gets a new row, where the track and its limit alone
    would repeat an earlier change and be taken for it; the same change announced again
    finds the same rows and tells nobody twice."""
    from .models import ReportingTrack

    latest = dict(ReportingTrack.history.filter(id__in=[track.pk for track in tracks])
                  .order_by().values_list("id").annotate(last=Max("history_id")))
    return ",".join(f"{track.pk}h{latest.get(track.pk, 0)}" for track in sorted(tracks, key=lambda t: t.pk))


CHANGE_LABELS = {
    "required": _("now required"),
    "again": _("required again"),
    "moved": _("limit moved"),
}
