"""The Django admin's steps: transitions through the one service, with the web UI's and the
API's permissions, and the reporting rule sets, tracks and reminders."""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import (
    CauseCategory,
    EventClass,
    ProgressEntry,
    RuleSet,
    SentReminder,
)
from incidents.selectors import trail
from tests.incidents.admin_pages import change_url, form_data, messages_of, reload, transition_url
from tests.incidents.factories import ActionFactory, reported_incident
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db


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
        "from_state", "version", "severity", "kind", "event_class", "pmark_event", "comment",
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
        "Reportability (rule art. 7)", "Notice to data subjects (APPI art. 26(2))",
        "PPC reports (rule art. 8; guideline 3-5-3-3, 3-5-3-4)", "PrivacyMark assessment body (PMK500)",
        "Entrusting business (委託元), data subjects (本人通知), joint use and the PPC 追完",
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
    # The reports, then the progress log (read-only too).
    inline, progress = response.context["inline_admin_formsets"]
    assert progress.formset.model is ProgressEntry
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


def test_the_reminders_mailed_before_the_notifications_stay_a_read_only_log(admin_client, pms_manager):
    """Nothing writes SentReminder since issue 14 (the reminders are notifications); its rows
    stay, to be read."""
    reminder = SentReminder.objects.create(key="track:1:overdue:x", recipient=pms_manager, subject="【期限超過】")
    client = admin_client(pms_manager)
    response = client.get(reverse("admin:incidents_sentreminder_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [reminder]
    response = client.get(reverse("admin:incidents_sentreminder_change", args=[reminder.pk]))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert client.get(reverse("admin:incidents_sentreminder_add")).status_code == 403
