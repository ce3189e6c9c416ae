"""Two people acting on one record at the same moment, with real connections per thread.

Runs on SQLite and on PostgreSQL (CI runs the suite on both): on PostgreSQL the row lock
of select_for_update serialises the two, on SQLite the IMMEDIATE transaction mode does.
"""

import pytest

from incidents import services
from incidents.exceptions import ConcurrentChange, TransitionNotAvailable
from incidents.models import Incident
from tests.incidents.factories import reported_incident
from tests.threads import race
from trail.models import TrailEntry as StateLog


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_transition_at_once_lands_once(staff, manager, office):
    incident = reported_incident(staff)
    first, second = Incident.objects.get(pk=incident.pk), Incident.objects.get(pk=incident.pk)

    outcomes = race(
        lambda: services.transition_record(first, "triage", by=manager, changes={"severity": "L1"}),
        lambda: services.transition_record(second, "triage", by=office, changes={"severity": "L3"}),
    )

    winners = [o for o in outcomes if isinstance(o, Incident)]
    losers = [o for o in outcomes if isinstance(o, ConcurrentChange | TransitionNotAvailable)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    incident.refresh_from_db()
    assert incident.state == "triaged"
    assert incident.severity == winners[0].severity
    assert StateLog.objects.filter(object_id=incident.pk, transition="triage").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_different_transitions_from_one_state_cannot_both_land(staff, manager, office):
    incident = reported_incident(staff)
    first, second = Incident.objects.get(pk=incident.pk), Incident.objects.get(pk=incident.pk)

    outcomes = race(
        lambda: services.transition_record(first, "triage", by=manager, changes={"severity": "L1"}),
        lambda: services.transition_record(second, "dismiss", by=office, changes={"dismissal_reason": "重複"}),
    )

    assert sum(isinstance(o, Incident) for o in outcomes) == 1, outcomes
    incident.refresh_from_db()
    assert incident.state in ("triaged", "dismissed")
    transitions = StateLog.objects.filter(object_id=incident.pk, content_type__model="incident")
    assert transitions.filter(transition__in=["triage", "dismiss"]).count() == 1
