"""The progress log of an incident (経過記録, issue 14 item 4): written by those working on the
incident, never changed or removed, with files given when written, shown on the timeline
with the steps, and the basis of item 1 (事実経過) of the report to the PPC."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from incidents import services
from incidents.exceptions import NotPermitted, RecordClosed
from incidents.models import Attachment, ProgressEntry
from incidents.ppc_report import build_ppc_report
from tests.incidents.factories import ActionFactory, UserFactory
from tests.incidents.test_attachments import HTML, pdf_bytes, png_bytes, stored_files, upload
from trail.models import AppendOnly

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Messages and pages are compared in English (the pages' language is the request's)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def add(incident, by, text="送信先に削除を依頼した。", **kwargs):
    return services.add_progress(incident, by=by, text=text, **kwargs)


def dismissed(incident, manager):
    return services.transition_record(incident, "dismiss", by=manager, changes={"dismissal_reason": "重複報告"})


# ---------------------------------------------------------------------------
# Writing


def test_an_entry_is_written_with_its_time_and_writer(incident, manager):
    earlier = timezone.now() - dt.timedelta(minutes=30)
    with mock.patch("incidents.services.progress_added") as hook:
        entry = add(incident, manager, occurred_at=earlier)
    hook.assert_called_once_with(entry)
    entry = ProgressEntry.objects.get()
    assert (entry.incident, entry.written_by, entry.occurred_at, entry.text) == (
        incident, manager, earlier, "送信先に削除を依頼した。")
    assert entry.created_at >= entry.occurred_at
    # Its creation is sealed into the trail.
    created = entry.history.get()
    assert created.history_type == "+" and created.chain_hash and created.history_user == manager


def test_an_entry_defaults_to_now_and_is_never_in_the_future(incident, manager):
    entry = add(incident, manager)
    assert abs((entry.occurred_at - timezone.now()).total_seconds()) < 5
    with pytest.raises(ValidationError) as raised:
        add(incident, manager, occurred_at=timezone.now() + dt.timedelta(minutes=5))
    assert "future" in raised.value.message_dict["occurred_at"][0]
    with pytest.raises(ValidationError) as raised:
        add(incident, manager, text="  ")
    assert "text" in raised.value.message_dict
    assert ProgressEntry.objects.count() == 1


def test_the_log_reads_in_the_order_things_happened(incident, manager):
    now = timezone.now()
    add(incident, manager, text="二番目", occurred_at=now - dt.timedelta(hours=1))
    add(incident, manager, text="一番目", occurred_at=now - dt.timedelta(hours=2))
    add(incident, manager, text="三番目")
    assert [entry.text for entry in services.progress_log(incident, manager)] == ["一番目", "二番目", "三番目"]


@pytest.mark.parametrize("who", ["manager", "head", "owner"])
def test_those_working_on_the_incident_write(request, incident, sales, manager, who):
    owner = UserFactory(roles=["staff"])
    ActionFactory(incident=incident, department=sales, owner=owner, verifier=manager)
    user = owner if who == "owner" else request.getfixturevalue(who)
    assert services.can_add_progress(incident, user)
    assert add(incident, user).written_by == user


def test_a_handler_who_left_the_office_no_longer_writes(incident, manager, office):
    incident = services.incident_assign_handler(incident=incident, by=manager, handler=office,
                                                version=incident.version)
    assert add(incident, office).written_by == office
    office.groups.remove(office.groups.get(name="pms_manager"))
    office = type(office).objects.get(pk=office.pk)
    with pytest.raises(NotPermitted):  # they no longer see the incident at all
        add(incident, office)


@pytest.mark.parametrize("who", ["executive", "auditor", "staff", "verifier"])
def test_read_only_roles_and_others_do_not_write(request, incident, sales, manager, who):
    verifier = UserFactory(roles=["staff"])
    ActionFactory(incident=incident, department=sales, owner=manager, verifier=verifier)
    user = verifier if who == "verifier" else request.getfixturevalue(who)  # staff: the reporter
    assert not services.can_add_progress(incident, user)
    with pytest.raises(NotPermitted):
        add(incident, user)
    assert not ProgressEntry.objects.exists()


def test_an_outsider_cannot_write(incident, other_staff):
    with pytest.raises(NotPermitted):
        add(incident, other_staff)


def test_after_close_only_the_office_writes(incident, manager, head):
    incident = dismissed(incident, manager)
    with pytest.raises(RecordClosed):
        add(incident, head)
    assert add(incident, manager).written_by == manager


# ---------------------------------------------------------------------------
# Never changed, never removed


def test_an_entry_is_never_changed_or_removed(incident, manager):
    entry = add(incident, manager)
    entry.text = "書き換え"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        ProgressEntry.objects.filter(pk=entry.pk).update(text="書き換え")
    with pytest.raises(AppendOnly):
        ProgressEntry.objects.filter(pk=entry.pk).delete()
    assert ProgressEntry.objects.get().text == "送信先に削除を依頼した。"


def test_the_admin_only_shows_entries(admin_client, superuser, pms_manager, incident):
    entry = add(incident, pms_manager)
    for user in (superuser, pms_manager):
        client = admin_client(user)
        assert client.get(reverse("admin:incidents_progressentry_changelist")).status_code == 200
        change_url = reverse("admin:incidents_progressentry_change", args=[entry.pk])
        assert client.get(change_url).status_code == 200
        client.post(change_url, {"text": "書き換え", "occurred_at": "2020-01-01 00:00"})
        assert client.get(reverse("admin:incidents_progressentry_add")).status_code == 403
        assert client.get(reverse("admin:incidents_progressentry_delete", args=[entry.pk])).status_code == 403
        client.post(reverse("admin:incidents_progressentry_delete", args=[entry.pk]), {"post": "yes"})
        client.post(reverse("admin:incidents_progressentry_changelist"),
                    {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
        # On the incident's page the log is listed, not editable.
        page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
        assert page.status_code == 200
        assert "送信先に削除を依頼した。" in page.content.decode()
    assert ProgressEntry.objects.get().text == "送信先に削除を依頼した。"


# ---------------------------------------------------------------------------
# Files


def test_files_go_with_the_entry(incident, manager, media):
    entry = add(incident, manager, files=[upload("通知文.pdf", pdf_bytes()), upload("画面.png", png_bytes())])
    files = list(Attachment.objects.order_by("id"))
    assert [(f.record, f.original_name, f.mime_type, f.uploaded_by) for f in files] == [
        (entry, "通知文.pdf", "application/pdf", manager), (entry, "画面.png", "image/png", manager)]
    assert len(stored_files(media)) == 2
    assert [f.pk for f in services.progress_log(incident, manager)[0].files] == [f.pk for f in files]


def test_a_refused_file_stores_nothing(incident, manager, media):
    with pytest.raises(ValidationError) as raised:
        add(incident, manager, files=[upload("通知文.pdf", pdf_bytes()), upload("evidence.pdf", HTML)])
    assert "evidence.pdf" in raised.value.message_dict["files"][0]
    assert not ProgressEntry.objects.exists() and not Attachment.objects.exists()
    assert stored_files(media) == []


def test_no_file_is_added_to_an_entry_afterwards(client, incident, manager):
    entry = add(incident, manager)
    client.force_login(manager)
    response = client.post(reverse("attachment_upload", args=["incidents.progressentry", entry.pk]),
                           {"file": upload("後から.pdf", pdf_bytes())})
    assert response.status_code == 409
    assert not Attachment.objects.exists()


# ---------------------------------------------------------------------------
# The incident's page


def test_the_page_lists_the_log_and_puts_it_on_the_timeline(client, incident, manager):
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1), tick=True):
        services.transition_record(incident, "triage", by=manager, changes={"severity": "L2"})
        # Written after the triage, but telling of a moment before it: it sits before the step.
        add(incident, manager, text="報告者から事情を聴取した。", occurred_at=timezone.now() - dt.timedelta(minutes=30))
    client.force_login(manager)
    page = client.get(reverse("incident_detail", args=[incident.pk]))
    assert [entry.text for entry in page.context["progress_entries"]] == ["報告者から事情を聴取した。"]
    kinds = [(row.kind, row.transition) for row in page.context["trail"] if row.kind == "log"
             or row.transition in ("report", "triage")]
    assert kinds == [("step", "report"), ("log", None), ("step", "triage")]
    log = next(row for row in page.context["trail"] if row.kind == "log")
    assert (log.label, log.by, log.comment) == ("Progress entry", manager, "報告者から事情を聴取した。")
    assert log.recorded_at > log.at
    assert "報告者から事情を聴取した。" in page.content.decode()


def test_the_page_form_writes_an_entry(client, incident, manager):
    client.force_login(manager)
    url = reverse("progress_add", args=[incident.pk])
    when = timezone.localtime(timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"occurred_at": when, "text": "委託先に連絡した。",
                                 "files": [upload("連絡記録.txt", "委託先に電話した。".encode())]})
    assert response.status_code == 302
    entry = ProgressEntry.objects.get()
    assert timezone.localtime(entry.occurred_at).strftime("%Y-%m-%dT%H:%M") == when
    assert Attachment.objects.get().record == entry
    future = timezone.localtime(timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"occurred_at": future, "text": "未来の記録"})
    assert response.status_code == 400
    assert response.context["progress_form"].errors["occurred_at"]
    assert ProgressEntry.objects.count() == 1


def test_the_page_form_refuses_read_only_roles(client, incident, executive, head, manager):
    client.force_login(executive)
    assert client.get(reverse("incident_detail", args=[incident.pk])).context["progress_form"] is None
    assert client.post(reverse("progress_add", args=[incident.pk]), {"text": "x"}).status_code == 403
    incident = dismissed(incident, manager)
    client.force_login(head)
    assert client.get(reverse("incident_detail", args=[incident.pk])).context["progress_form"] is None
    response = client.post(reverse("progress_add", args=[incident.pk]), {"text": "x"})
    assert response.status_code == 302
    assert not ProgressEntry.objects.exists()


# ---------------------------------------------------------------------------
# The API


def progress_url(incident) -> str:
    return f"/api/incidents/{incident.pk}/progress/"


def test_the_api_writes_and_lists_the_log(api_as, incident, manager):
    client = api_as(manager)
    earlier = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    response = client.post(progress_url(incident), {"text": "送信先に削除を依頼した。", "occurred_at": earlier},
                           format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["text"] == "送信先に削除を依頼した。" and body["written_by"]["id"] == manager.pk
    assert body["files"] == []
    response = client.post(progress_url(incident), {
        "text": "削除完了の連絡を受けた。", "files": [upload("削除完了.pdf", pdf_bytes()), upload("画面.png", png_bytes())],
    }, format="multipart")
    assert response.status_code == 201, response.json()
    assert [f["original_name"] for f in response.json()["files"]] == ["削除完了.pdf", "画面.png"]
    listed = client.get(progress_url(incident)).json()
    assert [row["text"] for row in listed] == ["送信先に削除を依頼した。", "削除完了の連絡を受けた。"]
    assert len(listed[1]["files"]) == 2


def test_the_api_answers_refusals(api_as, incident, manager, head, auditor, other_staff):
    assert api_as(auditor).post(progress_url(incident), {"text": "x"}, format="json").status_code == 403
    assert api_as(auditor).get(progress_url(incident)).status_code == 200  # reads it
    assert api_as(other_staff).get(progress_url(incident)).status_code == 404
    assert api_as(other_staff).post(progress_url(incident), {"text": "x"}, format="json").status_code == 404
    future = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    answer = api_as(manager).post(progress_url(incident), {"text": "x", "occurred_at": future}, format="json")
    assert answer.status_code == 400 and "occurred_at" in answer.json()
    answer = api_as(manager).post(progress_url(incident), {"text": "x", "files": [upload("x.pdf", HTML)]},
                                  format="multipart")
    assert answer.status_code == 400 and "files" in answer.json()
    assert api_as(manager).post(progress_url(incident), {"text": "x", "state": "closed"},
                                format="json").status_code == 400
    dismissed(incident, manager)
    assert api_as(head).post(progress_url(incident), {"text": "x"}, format="json").status_code == 409
    assert not ProgressEntry.objects.exists()
    # No edit, no removal.
    entry = add(incident, manager)
    for method in ("put", "patch", "delete"):
        answer = getattr(api_as(manager), method)(f"{progress_url(incident)}{entry.pk}/", {"text": "y"},
                                                   format="json")
        assert answer.status_code == 404
        assert getattr(api_as(manager), method)(progress_url(incident), {"text": "y"},
                                                format="json").status_code == 405


def test_the_api_log_reads_in_constant_queries(api_as, incident, manager):
    client = api_as(manager)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(progress_url(incident)).status_code == 200
        return len(queries)

    add(incident, manager, files=[upload("a.pdf", pdf_bytes())])
    few = count()
    for n in range(4):
        add(incident, manager, text=f"記録{n}", files=[upload("a.pdf", pdf_bytes()), upload("b.png", png_bytes())])
    assert count() == few


# ---------------------------------------------------------------------------
# PPC item 1 (事実経過)


def test_the_ppc_overview_tells_the_course_from_the_log(incident, manager):
    before = build_ppc_report(incident).items[0].text
    assert "・事実経過：（未入力）" in before
    add(incident, manager, text="削除完了の連絡を受けた。", occurred_at=dt.datetime(2026, 1, 1, 1, 30, tzinfo=dt.UTC))
    add(incident, manager, text="送信先に\n削除を依頼した。", occurred_at=dt.datetime(2025, 12, 31, 23, 15, tzinfo=dt.UTC))
    with translation.override("en"), timezone.override("UTC"):
        overview = build_ppc_report(incident).items[0].text
    # Japan time (UTC+9), oldest first, one line each, after the discovery.
    assert overview.endswith("・事実経過：\n2026年01月01日 08時15分　送信先に 削除を依頼した。\n"
                             "2026年01月01日 10時30分　削除完了の連絡を受けた。")
    assert overview.index("・発見者及び発覚の経緯") < overview.index("・事実経過")


def test_the_course_keeps_the_containment_after_the_log(incident, manager):
    incident = services.transition_record(incident, "triage", by=manager, changes={"severity": "L2"})
    incident = services.transition_record(incident, "contain", by=manager,
                                          changes={"containment_summary": "送信先で削除済み。"})
    assert build_ppc_report(incident).items[0].text.endswith("・事実経過：送信先で削除済み。")
    add(incident, manager, text="送信先に電話した。")
    assert build_ppc_report(incident).items[0].text.endswith("送信先に電話した。\n送信先で削除済み。")
