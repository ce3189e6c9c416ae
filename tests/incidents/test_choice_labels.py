"""get_<field>_display() of the project's records reads a table built once per field
(incidents.models.base.ChoiceLabels) and answers as Django's own would, in each language."""

from django.db import models
from django.utils import translation

from audits.models import Audit, Finding
from incidents.models import Action, Complaint, Incident, ReportingTrack, RightsRequest


def choice_fields(model):
    return [field for field in model._meta.concrete_fields if field.choices]


def test_every_label_is_djangos_own_in_both_languages():
    compared = 0
    for model in (Incident, Action, ReportingTrack, RightsRequest, Complaint, Audit, Finding):
        for field in choice_fields(model):
            for value, _label in field.flatchoices:
                record = model()
                record.__dict__[field.attname] = value
                for language in ("ja", "en"):
                    with translation.override(language):
                        ours = getattr(record, f"get_{field.name}_display")()
                        assert ours == models.Model._get_FIELD_display(record, field), (model, field.name, value)
                        assert isinstance(ours, str)
                        compared += 1
    assert compared > 100


def test_the_label_follows_the_language_and_an_unknown_value_is_shown_as_it_is():
    incident = Incident(kind="loss")
    with translation.override("ja"):
        japanese = incident.get_kind_display()
    with translation.override("en"):
        english = incident.get_kind_display()
    assert japanese != english and english == "Loss"
    incident.__dict__["kind"] = "no-such-kind"
    assert incident.get_kind_display() == "no-such-kind"


def test_the_state_badge_of_every_state_in_both_languages():
    """`|state_badge` (the rows' state column) writes the badge the included template wrote."""
    from django.template import Context, Template
    from django.utils.html import escape

    badge = Template("{% load lists %}{{ record|state_badge }}")
    for model in (Incident, Action, Audit, Finding):
        for value, _label in model._meta.get_field("state").flatchoices:
            record = model(state=value)
            for language in ("ja", "en"):
                with translation.override(language):
                    expected = f'<span class="badge badge--{value}">{escape(record.get_state_display())}</span>'
                    assert badge.render(Context({"record": record})) == expected
    assert badge.render(Context({"record": None})) == ""
