"""The Django admin: pages load, the state is never writable, the editable fields are the
models' edit policies', and transitions and edits go through the services, from the version
the page was read at, with the same permissions as the web UI and the API."""

import datetime as dt

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog
from rest_framework.authtoken.models import Token

from incidents import services
from incidents.models import (
    Action,
    CauseCategory,
    EventClass,
    Incident,
    ReportingTrack,
    RuleSet,
    SentReminder,
)
from incidents.selectors import trail
from incidents.tracks import TRACKS_UPDATED
from tests.incidents.factories import ActionFactory, reported_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def pms_manager(manager):
    """The PMS manager, with access to the admin."""
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    return manager


def change_url(record):
    return reverse(f"admin:incidents_{record._meta.model_name}_change", args=[record.pk])


def transition_url(record, name):
    return reverse(f"admin:incidents_{record._meta.model_name}_transition", args=[record.pk, name])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(response) -> dict:
    """The POST data of an admin form as the browser would send it back unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    # The read-only inlines (the reporting clocks) send their management forms and each row's
    # hidden key, as in a browser.
    for inline in response.context.get("inline_admin_formsets") or []:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = str(value)
        for row in formset.initial_forms:
            for name in (formset.model._meta.pk.name, formset.fk.name):
                data[row.add_prefix(name)] = str(row[name].value())
    return data


def reload(record):
    return type(record).objects.get(pk=record.pk)


@pytest.fixture
def second_client():
    """A second browser: another person with the same page open."""

    def login(user):
        other = Client(HTTP_ACCEPT_LANGUAGE="en")
        other.force_login(user)
        return other

    return login


@pytest.fixture
def staffed_office(office):
    """A second member of the PMS office, named, with access to the admin."""
    office.is_staff, office.last_name, office.first_name = True, "佐藤", "花子"
    office.save(update_fields=["is_staff", "last_name", "first_name"])
    return office


# ---------------------------------------------------------------------------
# Pages


def test_every_admin_page_loads_for_a_superuser(admin_client, superuser, incident, manager, head, sales):
    ActionFactory(incident=incident, department=sales, owner=head, verifier=manager, created_by=manager)
    Token.objects.create(user=superuser)
    SentReminder.objects.create(key="track:1:overdue:1", recipient=manager, subject="【期限超過】")
    from django.core.files.uploadedfile import SimpleUploadedFile

    from incidents.attachments import attachment_add
    from incidents.models import Attachment

    attachment_add(record=incident, by=manager, file=SimpleUploadedFile("memo.txt", "確認メモ".encode()))
    client = admin_client(superuser)
    assert client.get(reverse("admin:index")).status_code == 200
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label == "audits":
            continue  # opened with audit records in tests/audits/test_admin.py
        info = model._meta.app_label, model._meta.model_name
        response = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, model
        response = client.get(reverse("admin:{}_{}_add".format(*info)))
        # Reporting tracks, sent reminders and evidence files are not added in the admin.
        assert response.status_code == (200 if model not in (ReportingTrack, SentReminder, Attachment) else 403), model
        record = model_admin.get_queryset(response.wsgi_request).first()
        assert record is not None, f"no {model.__name__} to open"
        response = client.get(reverse("admin:{}_{}_change".format(*info), args=[record.pk]))
        assert response.status_code == 200, model


@pytest.mark.parametrize("query", [
    "?state__exact=reported", "?q=誤送信", "?reportable__exact=1", "?kind__exact=leak",
])
def test_the_incident_list_filters_and_searches(admin_client, superuser, incident, query):
    response = admin_client(superuser).get(reverse("admin:incidents_incident_changelist") + query)
    assert response.status_code == 200


def test_the_action_list_shows_overdue_actions(admin_client, superuser, manager, head, sales):
    late = ActionFactory(department=sales, owner=head, verifier=manager, title="期限切れの処置",
                         due_date=timezone.localdate() - dt.timedelta(days=3))
    ActionFactory(department=sales, owner=head, verifier=manager, title="期限内の処置")
    response = admin_client(superuser).get(reverse("admin:incidents_action_changelist") + "?overdue=yes")
    assert list(response.context["cl"].result_list) == [late]


def test_the_pick_lists_are_edited_in_the_list(admin_client, superuser):
    response = admin_client(superuser).get(reverse("admin:incidents_eventclass_changelist"))
    assert response.context["cl"].list_editable == ["position", "active"]


def test_the_user_list_shows_departments_and_roles(admin_client, superuser, head):
    response = admin_client(superuser).get(reverse("admin:auth_user_changelist") + "?q=head")
    content = response.content.decode()
    assert "営業部" in content
    assert "Department head" in content


def test_the_pms_office_uses_the_admin_without_model_permissions(admin_client, pms_manager, incident):
    client = admin_client(pms_manager)
    for name in ["incidents_incident_changelist", "incidents_action_changelist", "incidents_department_changelist",
                 "incidents_eventclass_changelist", "incidents_causecategory_changelist"]:
        assert client.get(reverse(f"admin:{name}")).status_code == 200, name
    assert client.get(change_url(incident)).status_code == 200


# ---------------------------------------------------------------------------
# Nothing bypasses the services


def test_posting_a_state_in_the_change_form_does_not_change_it(admin_client, pms_manager, incident):
    client = admin_client(pms_manager)
    data = form_data(client.get(change_url(incident)))
    data.update(title="顧客リストの誤送信（訂正）", state="closed")
    response = client.post(change_url(incident), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    incident = reload(incident)
    assert incident.title == "顧客リストの誤送信（訂正）"
    assert incident.state == "reported"
    assert not trail(incident).exclude(transition__in=["report", TRACKS_UPDATED]).exists()


def test_the_state_reference_and_reportable_fields_are_read_only(admin_client, pms_manager, incident):
    response = admin_client(pms_manager).get(change_url(incident))
    form = response.context["adminform"].form
    assert {"state", "reference", "reportable"}.isdisjoint(form.fields)


def test_adding_an_incident_goes_through_the_report_service(admin_client, pms_manager, sales):
    client = admin_client(pms_manager)
    data = form_data(client.get(reverse("admin:incidents_incident_add")))
    discovered = timezone.localtime() - dt.timedelta(hours=3)
    data.update(
        title="USBメモリの紛失", description="社外でUSBメモリを紛失した。", department=str(sales.pk), kind="loss",
        discovered_at_0=discovered.date().isoformat(), discovered_at_1=discovered.strftime("%H:%M:%S"),
        state="closed",
    )
    response = client.post(reverse("admin:incidents_incident_add"), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    incident = Incident.objects.get(title="USBメモリの紛失")
    assert incident.reference.startswith(f"INC-{timezone.localdate().year}-")
    assert (incident.state, incident.reporter) == ("reported", pms_manager)
    assert [(e.transition, e.by) for e in trail(incident)] == [("report", pms_manager), (TRACKS_UPDATED, pms_manager)]


def test_adding_an_action_goes_through_the_service(admin_client, pms_manager, incident, head, office, sales):
    client = admin_client(pms_manager)
    data = {
        "kind": "corrective", "title": "宛先確認手順の制定", "description": "", "incident": str(incident.pk),
        "department": str(sales.pk), "owner": str(head.pk), "verifier": str(office.pk),
        "due_date": (timezone.localdate() + dt.timedelta(days=30)).isoformat(), "state": "effective",
    }
    response = client.post(reverse("admin:incidents_action_add"), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    action = Action.objects.get(title="宛先確認手順の制定")
    assert (action.state, action.created_by, action.incident) == ("planned", pms_manager, incident)
    assert action.reference.startswith("ACT-")
    assert [e.transition for e in trail(action)] == ["create"]


def test_the_verifier_cannot_be_the_owner_in_the_admin(admin_client, pms_manager, head, sales):
    data = {
        "kind": "corrective", "title": "自己検証", "department": str(sales.pk), "owner": str(head.pk),
        "verifier": str(head.pk), "due_date": timezone.localdate().isoformat(),
    }
    response = admin_client(pms_manager).post(reverse("admin:incidents_action_add"), data)
    assert response.status_code == 200
    assert "verifier" in response.context["adminform"].form.errors
    assert not Action.objects.exists()


def test_a_department_head_cannot_plan_actions_for_another_department(admin_client, head, manager, it_dept):
    head.is_staff = True
    head.save(update_fields=["is_staff"])
    head.user_permissions.add(*Permission.objects.filter(codename__in=["add_action", "view_action"]))
    data = {
        "kind": "corrective", "title": "他部署の処置", "department": str(it_dept.pk), "owner": str(head.pk),
        "verifier": str(manager.pk), "due_date": timezone.localdate().isoformat(),
    }
    response = admin_client(head).post(reverse("admin:incidents_action_add"), data)
    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors
    assert not Action.objects.exists()


def test_a_closed_record_is_read_only(admin_client, pms_manager, incident):
    incident = services.transition_record(incident, "dismiss", by=pms_manager, changes={"dismissal_reason": "重複"})
    client = admin_client(pms_manager)
    response = client.get(change_url(incident))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert client.post(change_url(incident), {"title": "書き換え"}).status_code == 403
    assert reload(incident).title != "書き換え"


def test_nothing_can_be_deleted(admin_client, superuser, incident, manager, head, sales):
    action = ActionFactory(department=sales, owner=head, verifier=manager)
    client = admin_client(superuser)
    for record in (incident, action):
        url = reverse(f"admin:incidents_{record._meta.model_name}_delete", args=[record.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"post": "yes"}).status_code == 403
        assert type(record).objects.filter(pk=record.pk).exists()
    response = client.get(reverse("admin:incidents_incident_changelist"))
    action_form = response.context["action_form"]  # None when no bulk action is left
    assert action_form is None or "delete_selected" not in dict(action_form.fields["action"].choices)


# ---------------------------------------------------------------------------
# Edits: the edit policy decides which fields, the version decides whether the page is current


def test_the_editable_fields_are_the_edit_policys(admin_client, pms_manager, incident, head, sales):
    client = admin_client(pms_manager)
    form = client.get(change_url(incident)).context["adminform"].form
    assert set(form.fields) == {*Incident.edit_policy.writable(incident, pms_manager), "version"}
    # Written by the step "Dismiss", shown read-only.
    assert "dismissal_reason" in Incident.edit_policy.by_transition
    assert "dismissal_reason" not in form.fields

    form = client.get(reverse("admin:incidents_incident_add")).context["adminform"].form
    assert {"title", "severity"} <= set(form.fields) <= set(Incident.edit_policy.creatable(pms_manager))
    assert "version" not in form.fields

    action = ActionFactory(department=sales, owner=head, verifier=pms_manager, created_by=pms_manager)
    form = client.get(change_url(action)).context["adminform"].form
    assert set(form.fields) == {*Action.edit_policy.writable(action, pms_manager), "version"}
    assert set(Action.edit_policy.by_transition).isdisjoint(form.fields)


def test_the_reporter_corrects_the_report_until_the_response_starts(admin_client, staff, pms_manager, incident):
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.add(*Permission.objects.filter(
        codename__in=["add_incident", "change_incident", "view_incident"]
    ))
    client = admin_client(staff)
    form = client.get(reverse("admin:incidents_incident_add")).context["adminform"].form
    assert "title" in form.fields and "severity" not in form.fields  # the assessment is the PMS office's

    response = client.get(change_url(incident))
    form = response.context["adminform"].form
    assert set(form.fields) == {*Incident.edit_policy.writable(incident, staff), "version"}
    assert "title" in form.fields and "severity" not in form.fields
    data = form_data(response)
    data.update(title="顧客リストの誤送信（件数訂正）", severity="L4")
    assert client.post(change_url(incident), data).status_code == 302
    incident = reload(incident)
    assert (incident.title, incident.severity) == ("顧客リストの誤送信（件数訂正）", "")

    services.transition_record(incident, "triage", by=pms_manager, changes={"severity": "L1"})
    response = client.get(change_url(incident))
    assert not response.context["has_change_permission"]
    assert response.context["adminform"].form.fields == {}


def test_a_save_from_a_stale_page_names_what_changed_and_keeps_the_first_save(
    admin_client, second_client, pms_manager, staffed_office, incident
):
    mine, theirs = admin_client(pms_manager), second_client(staffed_office)
    my_data = form_data(mine.get(change_url(incident)))
    their_data = form_data(theirs.get(change_url(incident)))
    assert my_data["version"] == their_data["version"] == str(incident.version)

    their_data["title"] = "顧客リストの誤送信（件数訂正）"
    assert theirs.post(change_url(incident), their_data).status_code == 302

    my_data.update(title="顧客リストの誤送信（宛先訂正）", root_cause="宛先の手入力")
    response = mine.post(change_url(incident), my_data)
    # Not a 500 and not an overwrite: the form again, with the reason.
    assert response.status_code == 200
    form = response.context["adminform"].form
    error = " ".join(form.non_field_errors())
    assert "Someone else changed this record after you opened it. Nothing was saved" in error
    assert "Changed since you opened it: Title (佐藤 花子, " in error
    assert [(row["label"], row["current"], row["by"]) for row in form.conflict] == [
        ("title", "顧客リストの誤送信（件数訂正）", staffed_office),
    ]
    content = response.content.decode()
    assert "佐藤 花子" in content and "顧客リストの誤送信（件数訂正）" in content
    # My entries are kept on the form; the first person's value is kept in the database.
    assert form["title"].value() == "顧客リストの誤送信（宛先訂正）"
    assert form["root_cause"].value() == "宛先の手入力"
    incident = reload(incident)
    assert (incident.title, incident.root_cause) == ("顧客リストの誤送信（件数訂正）", "")
    assert not LogEntry.objects.filter(object_id=str(incident.pk), user=pms_manager).exists()

    # The form now carries the current version: saving again writes my entries, knowingly.
    assert form["version"].value() == str(incident.version)
    my_data["version"] = form["version"].value()
    assert mine.post(change_url(incident), my_data).status_code == 302
    incident = reload(incident)
    assert (incident.title, incident.root_cause) == ("顧客リストの誤送信（宛先訂正）", "宛先の手入力")


def test_a_save_without_the_version_is_refused(admin_client, pms_manager, incident):
    client = admin_client(pms_manager)
    data = form_data(client.get(change_url(incident)))
    del data["version"]
    data["title"] = "版なしの保存"
    response = client.post(change_url(incident), data)
    assert response.status_code == 200
    assert "version" in response.context["adminform"].form.errors
    assert reload(incident).title != "版なしの保存"


# ---------------------------------------------------------------------------
# Transitions


def test_the_change_form_offers_exactly_the_permitted_transitions(admin_client, pms_manager, superuser, incident):
    response = admin_client(pms_manager).get(change_url(incident))
    expected = [option.name for option in services.transitions_for(incident, pms_manager)]
    assert [option.name for option in response.context["transitions"]] == expected == ["triage", "dismiss"]
    content = response.content.decode()
    for name in expected:
        assert transition_url(incident, name) in content
    assert transition_url(incident, "close") not in content

    response = admin_client(superuser).get(change_url(incident))
    assert response.context["transitions"] == []
    assert transition_url(incident, "triage") not in response.content.decode()


def test_a_permitted_transition_changes_the_state_and_writes_the_trail(admin_client, pms_manager, incident):
    client = admin_client(pms_manager)
    response = client.get(transition_url(incident, "triage"))
    assert response.status_code == 200
    assert set(response.context["form"].fields) == {
        "from_state", "version", "severity", "kind", "event_class", "comment",
    }
    assert response.context["form"]["version"].value() == incident.version

    response = client.post(transition_url(incident, "triage"), {
        "from_state": "reported", "version": str(incident.version), "severity": "L2", "kind": "leak",
        "event_class": str(EventClass.objects.get(code="mis_sending").pk), "comment": "初動対応を開始した。",
    })
    assert response.status_code == 302
    assert response["Location"] == change_url(incident)
    incident = reload(incident)
    assert (incident.state, incident.severity, incident.event_class.code) == ("triaged", "L2", "mis_sending")
    entry = trail(incident).last()
    assert (entry.transition, entry.source_state, entry.state) == ("triage", "reported", "triaged")
    assert (entry.by, entry.description) == (pms_manager, "初動対応を開始した。")
    assert LogEntry.objects.filter(object_id=str(incident.pk), user=pms_manager).exists()


@pytest.mark.parametrize("who", ["superuser", "head_with_view_permission"])
def test_a_transition_by_someone_without_the_role_is_refused(admin_client, superuser, head, incident, who):
    user = superuser
    if who == "head_with_view_permission":
        head.is_staff = True
        head.save(update_fields=["is_staff"])
        head.user_permissions.add(Permission.objects.get(codename="view_incident"))
        user = head
    client = admin_client(user)
    assert client.get(transition_url(incident, "triage")).status_code == 403
    response = client.post(transition_url(incident, "triage"), {
        "from_state": "reported", "version": str(incident.version), "severity": "L2", "kind": "leak",
        "comment": "無断で進める",
    })
    assert response.status_code == 403
    assert "Only the PMS manager or the PMS office may do this." in " ".join(messages_of(response))
    incident = reload(incident)
    assert (incident.state, incident.severity) == ("reported", "")
    assert not StateLog.objects.for_(incident).filter(transition="triage").exists()


def test_a_staff_member_without_admin_access_is_sent_to_the_login(admin_client, staff, incident):
    response = admin_client(staff).post(transition_url(incident, "triage"), {"from_state": "reported"})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert reload(incident).state == "reported"


def test_an_unmet_condition_is_shown_and_changes_nothing(admin_client, pms_manager, incident):
    response = admin_client(pms_manager).post(transition_url(incident, "triage"), {
        "from_state": "reported", "version": str(incident.version), "severity": "", "kind": "leak",
        "comment": "重大度は未定",
    })
    assert response.status_code == 200
    assert any("Set the severity (L0-L4)." in message for message in messages_of(response))
    assert "Set the severity (L0-L4)." in response.context["form"].non_field_errors()
    assert response.context["form"]["comment"].value() == "重大度は未定"
    assert reload(incident).state == "reported"
    assert not StateLog.objects.for_(incident).filter(transition="triage").exists()


def test_a_required_comment_is_asked_for(admin_client, pms_manager, office, staff):
    near_miss = reported_incident(staff, kind="near_miss")
    for name, changes in [
        ("triage", {"severity": "L0"}), ("contain", {"containment_summary": "送信前に気付いた"}),
        ("analyse", {"root_cause": "手入力", "cause": CauseCategory.objects.get(code="operating_error")}),
        ("plan_actions", {}), ("verify", {}), ("close", {}),
    ]:
        near_miss = services.transition_record(near_miss, name, by=office, changes=changes)
    client = admin_client(pms_manager)
    response = client.post(transition_url(near_miss, "reopen"), {"from_state": "closed", "comment": ""})
    assert response.status_code == 200
    assert "comment" in response.context["form"].errors
    assert reload(near_miss).state == "closed"

    response = client.post(transition_url(near_miss, "reopen"), {"from_state": "closed", "comment": "再発した"})
    assert response.status_code == 302
    assert reload(near_miss).state == "correcting"
    assert trail(near_miss).last().description == "再発した"


def test_a_step_not_available_from_the_state_is_refused(admin_client, pms_manager, incident):
    client = admin_client(pms_manager)
    response = client.get(transition_url(incident, "close"))
    assert response.status_code == 302
    assert response["Location"] == change_url(incident)
    response = client.post(transition_url(incident, "close"), {"from_state": "reported"})
    assert response.status_code == 302
    assert any("not available" in message for message in messages_of(response))
    assert reload(incident).state == "reported"


def test_a_stale_page_is_refused(admin_client, pms_manager, office, incident):
    services.transition_record(incident, "triage", by=office, changes={"severity": "L1"})
    response = admin_client(pms_manager).post(transition_url(incident, "dismiss"), {
        "from_state": "reported", "version": str(incident.version), "dismissal_reason": "重複報告",
    })
    assert response.status_code == 302
    assert any("Someone else changed this record" in message for message in messages_of(response))
    assert reload(incident).state == "triaged"


def test_a_step_that_writes_fields_from_a_stale_page_lists_what_changed(
    admin_client, pms_manager, staffed_office, incident
):
    client = admin_client(pms_manager)
    seen = client.get(transition_url(incident, "triage")).context["form"]["version"].value()
    services.incident_update(incident=incident, by=staffed_office, version=incident.version, kind="loss")
    data = {"from_state": "reported", "version": str(seen), "severity": "L1", "kind": "leak", "comment": "開始"}
    response = client.post(transition_url(incident, "triage"), data)
    assert response.status_code == 409
    form = response.context["form"]
    assert "Kind (佐藤 花子, " in " ".join(form.non_field_errors())
    assert [row["label"] for row in form.conflict] == ["kind"]
    assert (form["severity"].value(), form["comment"].value()) == ("L1", "開始")  # the entries stay
    incident = reload(incident)
    assert (incident.state, incident.kind) == ("reported", "loss")

    # Taken again from the version the form now carries: knowingly.
    data["version"] = form["version"].value()
    assert client.post(transition_url(incident, "triage"), data).status_code == 302
    incident = reload(incident)
    assert (incident.state, incident.kind, incident.severity) == ("triaged", "leak", "L1")


def test_an_unknown_transition_is_404(admin_client, pms_manager, incident):
    assert admin_client(pms_manager).get(transition_url(incident, "teleport")).status_code == 404


def test_only_the_verifier_checks_an_action_in_the_admin(admin_client, pms_manager, office, head, sales):
    action = ActionFactory(department=sales, owner=head, verifier=office, created_by=pms_manager)
    action = services.transition_record(action, "start", by=head)
    action = services.transition_record(action, "implement", by=head, changes={"implementation_note": "実施"})
    data = {"from_state": "implemented", "version": str(action.version), "effectiveness_note": "有効", "comment": ""}

    response = admin_client(pms_manager).post(transition_url(action, "verify_effective"), data)
    assert response.status_code == 403
    assert reload(action).state == "implemented"

    office.is_staff = True
    office.save(update_fields=["is_staff"])
    response = admin_client(office).post(transition_url(action, "verify_effective"), data)
    assert response.status_code == 302
    action = reload(action)
    assert (action.state, action.effectiveness_note) == ("effective", "有効")
    assert trail(action).last().by == office


def test_the_transition_form_offers_only_active_pick_list_entries(admin_client, pms_manager, incident):
    incident = services.transition_record(incident, "triage", by=pms_manager, changes={"severity": "L1"})
    incident = services.transition_record(incident, "contain", by=pms_manager,
                                          changes={"containment_summary": "削除を確認"})
    CauseCategory.objects.filter(code="other").update(active=False)
    response = admin_client(pms_manager).get(transition_url(incident, "analyse"))
    codes = {cause.code for cause in response.context["form"].fields["cause"].queryset}
    assert "other" not in codes
    assert "insufficient_checking" in codes


# ---------------------------------------------------------------------------
# Reporting: rule sets, tracks, reminders (issue 3)


@pytest.fixture
def reportable(staff):
    """A leak of 1,200 customers' addresses by unauthorized access: every report owed."""
    return reported_incident(
        staff, title="配送管理システムへの不正アクセス", affected_count=1200, suspected_unauthorized_purpose=True,
        discovered_at=timezone.now() - dt.timedelta(days=2),
    )


def test_the_rule_sets_are_listed_and_edited_as_data(admin_client, pms_manager, reportable):
    client = admin_client(pms_manager)
    response = client.get(reverse("admin:incidents_ruleset_changelist"))
    assert response.status_code == 200
    assert [(r.version, r.effective_from.isoformat()) for r in response.context["cl"].result_list] == [
        ("2024-04", "2024-04-01"), ("2022-04", "2022-04-01"),
    ]
    rules = RuleSet.objects.get(version="2024-04")
    response = client.get(reverse("admin:incidents_ruleset_change", args=[rules.pk]))
    assert response.status_code == 200
    titles = [str(fieldset.name) for fieldset in response.context["adminform"]]
    assert titles[1:] == [
        "Reportability (rule art. 7)", "PPC reports (rule art. 8; guideline 3-5-3-3, 3-5-3-4)",
        "PrivacyMark assessment body (PMK500)", "Entrusting business (委託元) and data subjects (本人通知)",
    ]
    content = response.content.decode()
    assert "re-synced" in content
    assert "「その時点を1日目とする」" in content  # a help text

    data = form_data(response)
    data.update(preliminary_target_days="6")  # later than the 5-day limit
    response = client.post(reverse("admin:incidents_ruleset_change", args=[rules.pk]), data)
    assert response.status_code == 200
    assert "preliminary_target_days" in response.context["adminform"].form.errors
    data.update(preliminary_target_days="2")
    assert client.post(reverse("admin:incidents_ruleset_change", args=[rules.pk]), data).status_code == 302
    assert RuleSet.objects.get(pk=rules.pk).preliminary_target_days == 2
    # Nothing moved yet: the incident's clocks change when it is re-synced.
    ppc = reportable.tracks.get(kind="ppc_preliminary")
    assert ppc.due_at == reportable.discovered_at + dt.timedelta(days=3)


@pytest.mark.parametrize(("query", "kinds"), [
    ("?kind__exact=ppc_final", ["ppc_final", "ppc_final"]),
    ("?state__exact=pending&clock=overdue", ["ppc_preliminary"]),
    ("?clock=due_soon", ["pmark_preliminary"]),
    ("?state__exact=filed", ["ppc_preliminary"]),
    ("?clock=late", []),
    ("?q=不正アクセス&kind__exact=data_subjects", ["data_subjects"]),
])
def test_the_track_list_filters(admin_client, superuser, staff, manager, query, kinds):
    def settle(incident, *, keep, decision):
        for track in incident.tracks.exclude(kind=keep):
            if decision == "file" and track.kind == "ppc_preliminary":
                services.transition_record(track, "file", by=manager, changes={
                    "filed_at": timezone.now(), "recipient_reference": "PPC受付番号 2026-0000001",
                })
            else:
                services.transition_record(track, "not_required", by=manager,
                                           changes={"not_required_reason": "一覧のテスト"})

    # Only its PPC 速報 stays pending, 1 day past its 5-day limit.
    overdue = reported_incident(staff, affected_count=1200, discovered_at=timezone.now() - dt.timedelta(days=6),
                                title="顧客リストの不正アクセス")
    settle(overdue, keep="ppc_preliminary", decision="not_required")
    # Only its PrivacyMark 速報 stays pending, its 3-day target 12 hours away; its PPC 速報 is filed.
    soon = reported_incident(staff, affected_count=1200, discovered_at=timezone.now() - dt.timedelta(days=2, hours=12))
    settle(soon, keep="pmark_preliminary", decision="file")
    response = admin_client(superuser).get(reverse("admin:incidents_reportingtrack_changelist") + query)
    assert response.status_code == 200
    assert sorted(track.kind for track in response.context["cl"].result_list) == kinds


def test_a_track_is_read_only_in_the_admin(admin_client, pms_manager, reportable):
    client = admin_client(pms_manager)
    track = reportable.tracks.get(kind="ppc_preliminary")
    response = client.get(change_url(track))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert [option.name for option in response.context["transitions"]] == ["file", "not_required"]
    assert transition_url(track, "file") in response.content.decode()
    assert client.get(reverse("admin:incidents_reportingtrack_add")).status_code == 403
    assert client.post(change_url(track), {"state": "filed"}).status_code == 403
    delete = reverse("admin:incidents_reportingtrack_delete", args=[track.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    track.refresh_from_db()
    assert track.state == "pending"


def test_the_incident_page_lists_its_reports(admin_client, pms_manager, reportable):
    response = admin_client(pms_manager).get(change_url(reportable))
    (inline,) = response.context["inline_admin_formsets"]
    assert {form.original.kind for form in inline} == {
        "ppc_preliminary", "ppc_final", "pmark_preliminary", "pmark_final", "data_subjects",
    }
    assert not inline.has_change_permission and not inline.has_add_permission
    assert change_url(reportable.tracks.get(kind="ppc_final")) in response.content.decode()


def test_filing_a_report_through_the_admin(admin_client, pms_manager, reportable):
    client = admin_client(pms_manager)
    track = reportable.tracks.get(kind="ppc_preliminary")
    response = client.get(transition_url(track, "file"))
    assert response.status_code == 200
    assert set(response.context["form"].fields) == {
        "from_state", "version", "filed_at", "recipient_reference", "method", "filing_note", "comment",
    }
    filed = timezone.localtime() - dt.timedelta(hours=1)
    data = {
        "from_state": "pending", "version": str(track.version), "filed_at_0": filed.date().isoformat(), "filed_at_1": filed.strftime("%H:%M:%S"),
        "recipient_reference": "", "method": "online_form", "filing_note": "", "comment": "速報を提出した。",
    }
    response = client.post(transition_url(track, "file"), data)
    assert response.status_code == 200
    assert any("recipient's reference" in str(error) for error in response.context["form"].non_field_errors())
    assert reload(track).state == "pending"

    data["recipient_reference"] = "PPC受付番号 2026-0012345"
    response = client.post(transition_url(track, "file"), data)
    assert response.status_code == 302
    assert response["Location"] == change_url(track)
    track = reload(track)
    assert (track.state, track.filed_by, track.recipient_reference) == ("filed", pms_manager, "PPC受付番号 2026-0012345")
    assert track.filed_at == filed.replace(microsecond=0)
    entry = trail(track).last()
    assert (entry.transition, entry.by, entry.description) == ("file", pms_manager, "速報を提出した。")
    assert LogEntry.objects.filter(object_id=str(track.pk), user=pms_manager).exists()


@pytest.mark.parametrize("who", ["superuser", "auditor_with_view_permission"])
def test_filing_a_report_is_refused_without_the_role(admin_client, superuser, auditor, reportable, who):
    user = superuser
    if who == "auditor_with_view_permission":
        auditor.is_staff = True
        auditor.save(update_fields=["is_staff"])
        auditor.user_permissions.add(Permission.objects.get(codename="view_reportingtrack"))
        user = auditor
    client = admin_client(user)
    track = reportable.tracks.get(kind="ppc_preliminary")
    assert client.get(change_url(track)).context["transitions"] == []
    assert client.get(transition_url(track, "not_required")).status_code == 403
    response = client.post(transition_url(track, "not_required"), {
        "from_state": "pending", "version": str(track.version), "not_required_reason": "報告不要と判断",
        "comment": "",
    })
    assert response.status_code == 403
    assert "Only the PMS manager or the PMS office files reports." in " ".join(messages_of(response))
    assert reload(track).state == "pending"
    assert not trail(track).exists()


def test_the_system_transitions_of_a_track_are_not_offered(admin_client, pms_manager, reportable):
    track = reportable.tracks.get(kind="ppc_preliminary")
    assert admin_client(pms_manager).get(transition_url(track, "withdraw")).status_code == 404


def test_the_sent_reminders_are_a_read_only_log(admin_client, pms_manager):
    reminder = SentReminder.objects.create(key="track:1:overdue:x", recipient=pms_manager, subject="【期限超過】")
    client = admin_client(pms_manager)
    response = client.get(reverse("admin:incidents_sentreminder_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [reminder]
    response = client.get(reverse("admin:incidents_sentreminder_change", args=[reminder.pk]))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert client.get(reverse("admin:incidents_sentreminder_add")).status_code == 403
