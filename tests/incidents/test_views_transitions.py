"""Web UI: the transition buttons and the one generic transition view."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from incidents import services
from incidents.models import CauseCategory, Incident
from tests.incidents.factories import ActionFactory, reported_incident
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    """English pages, so that the tests can read the domain messages by their msgid."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def offered_steps(content: str) -> set[str]:
    """The transitions whose form the page shows."""
    return set(re.findall(r'action="/(?:incidents|actions)/\d+/transitions/([a-z_]+)/"', content))


def post_step(client, record, name: str, expected_state: str | None = None, **fields):
    kind = "incident" if isinstance(record, Incident) else "action"
    data = {f"{name}-expected_state": expected_state or record.state}
    data.update({f"{name}-{key}": value for key, value in fields.items()})
    return client.post(reverse(f"{kind}_transition", args=[record.pk, name]), data)


def trail_of(record, transition: str):
    return StateLog.objects.filter(object_id=record.pk, content_type__model=type(record).__name__.lower(),
                                   transition=transition)


def test_staff_sees_no_triage_button_but_the_manager_does(client, staff, manager):
    incident = reported_incident(staff)

    client.force_login(staff)
    content = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert offered_steps(content) == set()
    assert reverse("incident_edit", args=[incident.pk]) in content  # the reporter may still edit

    client.force_login(manager)
    content = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert offered_steps(content) == {"triage", "dismiss"}


def test_buttons_follow_the_state(client, staff, manager):
    incident = reported_incident(staff)
    services.transition_record(incident, "triage", by=manager, changes={"severity": "L1"})
    client.force_login(manager)
    content = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert offered_steps(content) == {"contain", "dismiss"}
    # the reporter lost the edit link once the response started
    client.force_login(staff)
    content = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert reverse("incident_edit", args=[incident.pk]) not in content


def test_action_buttons_for_owner_and_verifier(client, staff, head, manager, sales):
    action = ActionFactory(department=sales, owner=staff, verifier=head, created_by=manager)
    client.force_login(staff)
    assert offered_steps(client.get(reverse("action_detail", args=[action.pk])).content.decode()) == {"start"}
    client.force_login(head)
    assert offered_steps(client.get(reverse("action_detail", args=[action.pk])).content.decode()) == set()
    client.force_login(manager)
    assert offered_steps(client.get(reverse("action_detail", args=[action.pk])).content.decode()) == {
        "start", "cancel",
    }


def test_a_transition_through_the_web_moves_the_state_and_writes_the_trail(client, staff, manager):
    incident = reported_incident(staff)
    client.force_login(manager)
    response = post_step(client, incident, "triage", severity="L2", kind="leak", comment="初動対応を開始")
    assert response.status_code == 302
    assert response.url == reverse("incident_detail", args=[incident.pk])
    incident.refresh_from_db()
    assert incident.state == "triaged"
    assert incident.severity == "L2"
    log = trail_of(incident, "triage").get()
    assert (log.by, log.source_state, log.state, log.description) == (manager, "reported", "triaged", "初動対応を開始")

    content = client.get(response.url).content.decode()
    assert "初動対応を開始" in content  # the trail shows the comment


def test_the_transition_page_shows_the_fields_it_needs(client, staff, manager):
    incident = reported_incident(staff)
    client.force_login(manager)
    response = client.get(reverse("incident_transition", args=[incident.pk, "triage"]))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == [
        "severity", "kind", "event_class", "pmark_event", "comment", "expected_state", "version"]
    # Left blank, the PrivacyMark kind of 事故等 follows the report's kind.
    with translation.override("en"):
        assert [str(label) for _value, label in form.fields["pmark_event"].choices][0] == "From the kind of the report"


def test_an_isms_only_company_is_not_asked_the_privacymark_kind_at_triage(client, staff, manager):
    incident = reported_incident(staff)
    incident.company.holds_privacymark = False
    incident.company.save()
    client.force_login(manager)
    form = client.get(reverse("incident_transition", args=[incident.pk, "triage"])).context["form"]
    assert "pmark_event" not in form.fields
    # Its office starts the response as before; no PrivacyMark kind is recorded.
    response = post_step(client, incident, "triage", severity="L2", kind="leak")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.state, incident.severity, incident.pmark_event) == ("triaged", "L2", "")


def test_an_unmet_condition_re_renders_the_form_with_the_reason(client, staff, manager):
    incident = reported_incident(staff)
    client.force_login(manager)
    response = post_step(client, incident, "triage", kind="leak", severity="")
    assert response.status_code == 400
    # The step's condition (a severity) is asked for beside its field, which is marked required.
    assert response.context["form"].errors["severity"] == ["This field is required."]
    assert 'id="id_triage-severity_error"' in response.content.decode()
    incident.refresh_from_db()
    assert incident.state == "reported"
    assert not trail_of(incident, "triage").exists()


def test_reopen_requires_a_comment(client, staff, manager, office):
    incident = reported_incident(staff, kind="near_miss")
    for name, changes in [
        ("triage", {"severity": "L0"}), ("contain", {"containment_summary": "回収済み"}),
        ("analyse", {"root_cause": "確認不足", "cause": CauseCategory.objects.first()}),
    ]:
        incident = services.transition_record(incident, name, by=manager, changes=changes)
    for name in ["plan_actions", "verify"]:
        incident = services.transition_record(incident, name, by=manager)
    incident = services.transition_record(incident, "close", by=office)

    client.force_login(manager)
    response = post_step(client, incident, "reopen", comment="  ")
    assert response.status_code == 400
    assert "Add a comment explaining this step." in response.content.decode()
    response = post_step(client, incident, "reopen", comment="再発が確認されたため")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == "correcting"


def test_a_step_the_user_may_not_take_is_403(client, staff, manager):
    incident = reported_incident(staff)
    client.force_login(staff)
    response = post_step(client, incident, "triage", severity="L1", kind="leak")
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.state == "reported"
    assert not trail_of(incident, "triage").exists()


def test_a_step_not_available_from_the_state_redirects_with_a_message(client, staff, manager):
    incident = reported_incident(staff)
    client.force_login(manager)
    response = post_step(client, incident, "close")
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["This step is not available in the record's current state."]
    incident.refresh_from_db()
    assert incident.state == "reported"


def test_a_stale_post_is_refused_without_a_second_trail_entry(client, staff, manager, office):
    incident = reported_incident(staff)
    client.force_login(manager)
    page = client.get(reverse("incident_transition", args=[incident.pk, "triage"]))
    seen_state = page.context["form"]["expected_state"].value()
    assert seen_state == "reported"

    # Meanwhile a colleague in the PMS office takes the same step.
    services.transition_record(incident, "triage", by=office, changes={"severity": "L1"})

    response = post_step(client, incident, "triage", expected_state=seen_state, severity="L3", kind="leak")
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Someone else changed this record in the meantime. Reload it and try again."]
    incident.refresh_from_db()
    assert incident.severity == "L1"
    assert trail_of(incident, "triage").count() == 1


def test_a_stale_post_to_a_step_that_is_available_again_is_refused(client, staff, head, manager, sales):
    """verify_ineffective sends an action back to in_progress, where `implement` is offered again."""
    action = ActionFactory(department=sales, owner=staff, verifier=head, created_by=manager)
    action = services.transition_record(action, "start", by=staff)
    action = services.transition_record(action, "implement", by=staff, changes={"implementation_note": "手順書改訂"})
    action = services.transition_record(action, "verify_ineffective", by=head,
                                        changes={"effectiveness_note": "再発あり"})
    client.force_login(staff)
    response = post_step(client, action, "implement", expected_state="implemented", implementation_note="二重送信")
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.state == "in_progress"
    assert trail_of(action, "implement").count() == 1


def test_unknown_transition_is_404(client, staff, manager):
    incident = reported_incident(staff)
    client.force_login(manager)
    assert client.get(reverse("incident_transition", args=[incident.pk, "explode"])).status_code == 404
    assert post_step(client, incident, "explode").status_code == 404


def test_transition_page_for_a_step_not_offered_redirects(client, staff):
    incident = reported_incident(staff)
    client.force_login(staff)
    response = client.get(reverse("incident_transition", args=[incident.pk, "triage"]))
    assert response.status_code == 302
    assert response.url == reverse("incident_detail", args=[incident.pk])


def test_plan_actions_shows_what_is_missing(client, staff, manager):
    incident = reported_incident(staff)
    incident = services.transition_record(incident, "triage", by=manager, changes={"severity": "L1"})
    incident = services.transition_record(incident, "contain", by=manager, changes={"containment_summary": "削除依頼"})
    incident = services.transition_record(
        incident, "analyse", by=manager, changes={"root_cause": "宛先確認の不足", "cause": CauseCategory.objects.first()}
    )
    client.force_login(manager)
    content = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert "Add at least one corrective action (not needed for a near miss)." in content


def test_bad_field_values_in_a_step_are_errors_on_the_field(client, staff, manager):
    incident = reported_incident(staff)
    client.force_login(manager)
    response = post_step(client, incident, "triage", severity="L9", kind="gossip")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"severity", "kind"} <= set(errors)
    incident.refresh_from_db()
    assert (incident.state, incident.kind, incident.severity) == ("reported", "leak", "")
