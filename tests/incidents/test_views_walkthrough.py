"""Web UI: a leak taken from the report to `closed`, every step through the web pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from incidents.models import Action, CauseCategory, EventClass, Incident, ReportingTrack, TrackKind
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db


def step(client, record, name: str, **fields) -> None:
    """Open the detail page, then submit the step's form as the browser would.

    A report (reporting track) has no page of its own: its steps are on its incident's page.
    """
    record.refresh_from_db()
    if isinstance(record, ReportingTrack):
        detail_url = reverse("incident_detail", args=[record.incident_id])
        url = reverse("track_transition", args=[record.pk, name])
    else:
        kind = "incident" if isinstance(record, Incident) else "action"
        detail_url = reverse(f"{kind}_detail", args=[record.pk])
        url = reverse(f"{kind}_transition", args=[record.pk, name])
    detail = client.get(detail_url)
    assert f'action="{url}"' in detail.content.decode(), f"{name} is not offered"
    data = {f"{name}-expected_state": record.state, **{f"{name}-{key}": value for key, value in fields.items()}}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    assert response.url == detail_url


def create_action(client, incident, **data) -> Action:
    form_page = client.get(reverse("action_create") + f"?incident={incident.pk}")
    assert form_page.status_code == 200
    payload = {
        "incident": incident.pk,
        "department": form_page.context["form"].initial["department"],
        "due_date": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        **data,
    }
    response = client.post(reverse("action_create"), payload)
    assert response.status_code == 302, response.content.decode()
    return Action.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))


def test_an_incident_walks_to_closed_through_the_web(client, staff, head, manager, office, sales):
    # A staff member reports the leak.
    client.force_login(staff)
    response = client.post(reverse("incident_report"), {
        "title": "顧客リストの誤送信",
        "description": "取引先宛のメールに顧客リスト（氏名・電話番号 320件）を誤って添付した。",
        "discovered_at": timezone.localtime(timezone.now() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "department": sales.pk,
        "kind": "leak",
        "affected_count": "320",
    })
    assert response.status_code == 302
    incident = Incident.objects.get()

    # The PMS manager runs the response.
    client.force_login(manager)
    step(client, incident, "triage", severity="L2", kind="leak",
         event_class=EventClass.objects.get(code="mis_sending").pk, comment="誤送信。初動対応を開始。")
    step(client, incident, "contain", containment_summary="送信先に削除を依頼し、削除済みの回答を得た。",
         correction_taken="送信先での削除を確認した。")
    step(client, incident, "analyse", root_cause="添付ファイルの確認手順がなかった。",
         cause=CauseCategory.objects.get(code="insufficient_checking").pk)
    corrective = create_action(client, incident, kind="corrective", title="添付ファイルの送信前確認",
                               owner=head.pk, verifier=manager.pk)
    preventive = create_action(client, incident, kind="preventive", title="全部署への注意喚起と教育",
                               owner=staff.pk, verifier=head.pk)
    step(client, incident, "plan_actions", comment="是正処置と予防処置を計画した。")

    # The owners carry out their actions.
    client.force_login(head)
    step(client, corrective, "start")
    step(client, corrective, "implement", implementation_note="送信前チェックリストを導入した。")
    client.force_login(staff)
    step(client, preventive, "start")
    step(client, preventive, "implement", implementation_note="全社員に教育を実施した。")

    client.force_login(manager)
    step(client, incident, "verify")
    # The verifiers check effectiveness (never the owner).
    step(client, corrective, "verify_effective", effectiveness_note="3か月間、再発なし。")
    client.force_login(head)
    step(client, preventive, "verify_effective", effectiveness_note="理解度テストで全員合格。")

    # 320 people and no other category: not reportable to the PPC, but every accident goes to
    # the PrivacyMark assessment body. Closing waits for that report.
    client.force_login(office)
    assert not incident.reportable
    pmark_final = incident.tracks.get()
    assert (pmark_final.kind, pmark_final.state) == ("pmark_final", "pending")
    response = client.post(reverse("incident_transition", args=[incident.pk, "close"]),
                           {"close-expected_state": "verifying", "close-comment": "完了。"})
    assert response.status_code == 400
    with translation.override("ja"):
        assert str(TrackKind.PMARK_FINAL.label) in response.content.decode()  # the refusal names the report
    step(client, pmark_final, "file", filed_at=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
         recipient_reference="JIPDEC-2026-0815", method="online_form")
    pmark_final.refresh_from_db()
    assert (pmark_final.state, pmark_final.filed_by, pmark_final.recipient_reference) == (
        "filed", office, "JIPDEC-2026-0815")

    # A second member of the PMS office closes it.
    step(client, incident, "close", comment="全処置の有効性を確認。完了。")

    incident.refresh_from_db()
    assert incident.state == "closed"
    assert incident.closed_at is not None
    transitions = list(
        StateLog.objects.filter(content_type__model="incident", object_id=incident.pk)
        .order_by("timestamp", "id").values_list("transition", "by__username")
    )
    assert transitions == [
        ("report", "staff"), ("update_tracks", "staff"), ("triage", "manager"), ("contain", "manager"),
        ("analyse", "manager"), ("plan_actions", "manager"), ("verify", "manager"), ("close", "office"),
    ]
    # The filing is on the report's own trail, and shown in the incident's.
    track_log = StateLog.objects.get(content_type__model="reportingtrack", object_id=pmark_final.pk)
    assert (track_log.transition, track_log.by.username, track_log.state) == ("file", "office", "filed")
    for action in (corrective, preventive):
        action.refresh_from_db()
        assert action.state == "effective"

    # The closed record offers the office reopen, and the edit of what may still change after
    # close (the items of the PPC report for a 追完, the assessment body's notice); the reporter
    # neither. It shows its whole trail.
    content = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert reverse("incident_transition", args=[incident.pk, "reopen"]) in content
    assert reverse("incident_edit", args=[incident.pk]) in content
    assert client.get(reverse("incident_edit", args=[incident.pk])).status_code == 200
    assert "全処置の有効性を確認。完了。" in content
    client.force_login(staff)
    content = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert reverse("incident_transition", args=[incident.pk, "reopen"]) not in content
    assert reverse("incident_edit", args=[incident.pk]) not in content
    client.force_login(office)
    trail = client.get(reverse("incident_detail", args=[incident.pk])).context["trail"]
    assert [(row.transition, row.subject) for row in trail if row.kind == "step"][-2:] == [
        ("file", TrackKind.PMARK_FINAL.label), ("close", None),
    ]
