"""Editing an incident's report and classification (not its state)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import services
from incidents.exceptions import FieldsNotWritable, NotPermitted, RecordClosed
from tests.incidents.factories import IncidentFactory, reported_incident

pytestmark = pytest.mark.django_db


def test_the_reporter_may_correct_the_report_until_triage(staff, manager):
    incident = reported_incident(staff)
    incident = services.incident_update(incident=incident, version=incident.version, by=staff, title="宛先誤りによるメール誤送信")
    incident = services.transition_record(incident, "triage", by=manager, changes={"severity": "L1"})
    with pytest.raises(NotPermitted):
        incident = services.incident_update(incident=incident, version=incident.version, by=staff, title="変更")


def test_the_reporter_cannot_classify(staff):
    incident = reported_incident(staff)
    with pytest.raises(FieldsNotWritable) as refused:
        incident = services.incident_update(incident=incident, version=incident.version, by=staff, severity="L1")
    assert list(refused.value.fields) == ["severity"]


def test_the_pms_manager_classifies_and_reportability_follows(staff, manager):
    incident = reported_incident(staff)
    assert incident.reportable is False
    incident = services.incident_update(incident=incident, version=incident.version, by=manager, affected_count=1200, affected_count_estimated=True)
    incident.refresh_from_db()
    assert incident.reportable is True
    assert [r["code"] for r in incident.reportable_reasons] == ["over_1000_subjects"]


def test_closed_incidents_cannot_be_edited(staff, manager):
    incident = IncidentFactory(reporter=staff, state="closed")
    with pytest.raises(RecordClosed):
        incident = services.incident_update(incident=incident, version=incident.version, by=manager, title="変更")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"discovered_at": timezone.now() + dt.timedelta(days=1)}, "discovered_at"),
        ({"occurred_at": timezone.now() - dt.timedelta(minutes=1),
          "discovered_at": timezone.now() - dt.timedelta(hours=1)}, "occurred_at"),
        ({"affected_count": -1}, "affected_count"),
        ({"kind": "flood"}, "kind"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_values_are_refused_per_field_and_nothing_is_saved(staff, manager, changes, field):
    incident = reported_incident(staff)
    with pytest.raises(ValidationError) as error:
        incident = services.incident_update(incident=incident, version=incident.version, by=manager, **changes)
    assert field in error.value.message_dict
    fresh = type(incident).objects.get(pk=incident.pk)
    assert (fresh.title, fresh.kind) == ("顧客リストの誤送信", "leak")


def test_staff_report_facts_but_not_the_assessment(staff):
    with pytest.raises(FieldsNotWritable) as refused:
        reported_incident(staff, severity="L0", root_cause="自分のせいではない")
    assert set(refused.value.fields) == {"severity", "root_cause"}
    incident = reported_incident(staff, involves_sensitive_data=True, entrusted_by="株式会社サンプル")
    assert incident.reportable is True


def test_a_transition_validates_the_fields_it_sets(staff, manager):
    incident = reported_incident(staff)
    with pytest.raises(ValidationError) as error:
        services.transition_record(incident, "triage", by=manager, changes={"severity": "L9"})
    assert "severity" in error.value.message_dict
    incident.refresh_from_db()
    assert incident.state == "reported"
