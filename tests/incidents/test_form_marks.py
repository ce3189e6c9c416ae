"""Forms say what they need (issue 16): required fields are marked 「必須」 and carry the
`required` attribute; a step posted with errors comes back at 400 with the form in place and
each error beside its field; a field needed only sometimes is required only then (the
recipient's receipt number: not for the notice to the data subjects, nor for a recipient
that gives none)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from incidents import services
from incidents.clocks import JAPAN
from incidents.exceptions import ConditionsNotMet
from incidents.forms import TrackFilingForm
from incidents.models import FilingMethod, TrackKind
from incidents.workflow.forms import transition_form_class
from tests.incidents.factories import reported_incident

pytestmark = pytest.mark.django_db

DISCOVERED = dt.datetime(2026, 4, 1, 10, 0, tzinfo=JAPAN)
NOW = DISCOVERED + dt.timedelta(hours=2)
# Reportable (1,200 people, unauthorized access) and entrusted to us: every report is owed,
# to the PPC, the assessment body, the data subjects and the entrusting business.
LEAK = {"kind": "leak", "data_items": "氏名、住所", "affected_count": 1200, "suspected_unauthorized_purpose": True,
        "entrusted_by": "株式会社サンプル"}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client(client, manager):
    """The PMS manager's browser, in English (the messages are read by their msgid)."""
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def leak(clock, staff):
    return reported_incident(staff, discovered_at=DISCOVERED, **LEAK)


def tag(html: str, element_id: str) -> str:
    """The opening tag of the element with that id."""
    match = re.search(rf'<(?:input|textarea|select)\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', html)
    assert match, element_id
    return match.group(0)


def label(html: str, element_id: str) -> str:
    match = re.search(rf'<label[^>]*for="{re.escape(element_id)}"[^>]*>(.*?)</label>', html, re.S)
    assert match, element_id
    return match.group(1)


# --- marks


def test_a_step_marks_what_its_conditions_insist_on(client, leak):
    html = client.get(reverse("incident_transition", args=[leak.pk, "dismiss"])).content.decode()

    field = tag(html, "id_dismiss-dismissal_reason")
    assert " required" in field
    assert 'class="field__required"' in label(html, "id_dismiss-dismissal_reason")
    # The comment is optional here: no mark, no attribute.
    assert " required" not in tag(html, "id_dismiss-comment")
    assert "field__required" not in label(html, "id_dismiss-comment")


def test_the_report_form_marks_its_required_fields(client, clock):
    html = client.get(reverse("incident_report")).content.decode()

    assert " required" in tag(html, "id_title")
    assert 'class="field__required"' in label(html, "id_title")


def test_the_steps_on_a_record_page_are_marked_too(client, leak):
    html = client.get(reverse("incident_detail", args=[leak.pk])).content.decode()

    triage = f"id_incident{leak.pk}_triage-severity"
    assert " required" in tag(html, triage)
    assert 'class="field__required"' in label(html, triage)


# --- errors beside their field


def test_a_step_posted_without_what_it_needs_comes_back_with_the_error_beside_the_field(client, leak):
    response = client.post(reverse("incident_transition", args=[leak.pk, "dismiss"]), {
        "dismiss-expected_state": "reported", "dismiss-dismissal_reason": "  ", "dismiss-comment": "",
    })

    assert response.status_code == 400
    assert response.templates[0].name == "incidents/transition_form.html"  # the step's page, not an error page
    html = response.content.decode()
    field = tag(html, "id_dismiss-dismissal_reason")
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="id_dismiss-dismissal_reason_error"' in field
    assert re.search(r'<div class="field__error" id="id_dismiss-dismissal_reason_error"><p>This field is required.</p>',
                     html)
    # The summary at the top links to the field instead of a generic line.
    assert 'href="#id_dismiss-dismissal_reason"' in html
    assert "The conditions for this step are not met." not in html
    leak.refresh_from_db()
    assert leak.state == "reported"


def test_an_unmet_condition_of_no_field_is_said_in_its_own_words(client, clock, staff, manager):
    # A leak analysed without a corrective action: "Start corrective actions" is refused.
    incident = reported_incident(staff, discovered_at=DISCOVERED)
    for name, changes in [("triage", {"severity": "L1"}), ("contain", {"containment_summary": "回収した"})]:
        incident = services.transition_record(incident, name, by=manager, changes=changes)
    from incidents.models import CauseCategory

    incident = services.transition_record(incident, "analyse", by=manager, changes={
        "root_cause": "確認不足", "cause": CauseCategory.objects.first()})

    response = client.post(reverse("incident_transition", args=[incident.pk, "plan_actions"]), {
        "plan_actions-expected_state": "analysed", "plan_actions-version": incident.version,
    })

    assert response.status_code == 400
    html = response.content.decode()
    assert "Add at least one corrective action (not needed for a near miss)." in html
    assert "The conditions for this step are not met." not in html


# --- the receipt number, only where the recipient gives one


@pytest.mark.parametrize(
    ("kind", "needed"),
    [
        (TrackKind.PPC_PRELIMINARY, True),
        (TrackKind.PMARK_PRELIMINARY, True),
        (TrackKind.DATA_SUBJECTS, False),
        (TrackKind.ENTRUSTING_PARTY, False),
    ],
)
def test_the_receipt_number_is_asked_only_of_a_recipient_that_gives_one(leak, kind, needed):
    track = leak.tracks.get(kind=kind)
    form = transition_form_class(type(track), track.transition_specs["file"])(
        instance=track, spec=track.transition_specs["file"], prefix="file")

    assert isinstance(form, TrackFilingForm)
    assert track.needs_receipt_number is needed
    assert form.fields["recipient_reference"].required is needed


def test_the_notice_to_the_data_subjects_is_filed_without_a_receipt_number(leak, manager):
    notice = leak.tracks.get(kind=TrackKind.DATA_SUBJECTS)

    services.transition_record(notice, "file", by=manager, changes={
        "filed_at": NOW, "method": FilingMethod.PUBLICATION, "recipient_reference": ""})

    notice.refresh_from_db()
    assert (notice.state, notice.recipient_reference) == ("filed", "")


def test_the_entrusting_business_is_notified_without_a_receipt_number(leak, manager):
    notice = leak.tracks.get(kind=TrackKind.ENTRUSTING_PARTY)

    services.transition_record(notice, "file", by=manager, changes={"filed_at": NOW, "method": FilingMethod.EMAIL})

    notice.refresh_from_db()
    assert notice.state == "filed"


def test_a_report_to_the_ppc_still_needs_its_receipt_number(leak, manager):
    preliminary = leak.tracks.get(kind=TrackKind.PPC_PRELIMINARY)

    with translation.override("en"), pytest.raises(ConditionsNotMet) as refused:
        services.transition_record(preliminary, "file", by=manager, changes={
            "filed_at": NOW, "method": FilingMethod.ONLINE_FORM, "recipient_reference": " "})

    assert refused.value.problems == [
        "Enter the recipient's reference number (or the name of the person who received it)."]
    preliminary.refresh_from_db()
    assert preliminary.state == "pending"


def test_the_notice_to_the_data_subjects_is_filed_from_the_page_without_a_number(client, leak):
    notice = leak.tracks.get(kind=TrackKind.DATA_SUBJECTS)
    preliminary = leak.tracks.get(kind=TrackKind.PPC_PRELIMINARY)
    html = client.get(reverse("incident_detail", args=[leak.pk])).content.decode()
    assert " required" not in tag(html, f"id_reportingtrack{notice.pk}_file-recipient_reference")
    assert " required" in tag(html, f"id_reportingtrack{preliminary.pk}_file-recipient_reference")

    response = client.post(reverse("track_transition", args=[notice.pk, "file"]), {
        "file-expected_state": "pending", "file-version": notice.version,
        "file-filed_at": "2026-04-01T11:30", "file-method": FilingMethod.PUBLICATION, "file-recipient_reference": "",
    })

    assert response.status_code == 302, response.content.decode()[:2000]
    notice.refresh_from_db()
    assert (notice.state, notice.method, notice.recipient_reference) == ("filed", "publication", "")


def test_a_filed_notice_shows_who_received_it_and_a_report_its_receipt_number(client, leak, manager):
    preliminary = leak.tracks.get(kind=TrackKind.PPC_PRELIMINARY)
    services.transition_record(preliminary, "file", by=manager, changes={
        "filed_at": NOW, "method": FilingMethod.ONLINE_FORM, "recipient_reference": "PPC-2026-001234"})
    notice = leak.tracks.get(kind=TrackKind.ENTRUSTING_PARTY)  # as filing the report left it
    services.transition_record(notice, "file", by=manager, changes={
        "filed_at": NOW, "method": FilingMethod.EMAIL, "recipient_reference": "委託元 総務課 佐藤様"})

    with translation.override("en"):
        html = client.get(reverse("incident_detail", args=[leak.pk])).content.decode()

    assert "<dt>Received by</dt><dd>委託元 総務課 佐藤様</dd>" in html
    assert "<dt>Receipt number</dt><dd>PPC-2026-001234</dd>" in html
