"""The owner and the verifier of an action read the incident it fixes (issue 14 item 5), with what
the work needs and nothing the visibility rules otherwise keep from them; every other incident,
and every other page of this one, stays a 404.

The API: `GET /api/incidents/<id>/` answers them with the limited view (`limited`: true);
`/api/incidents/` does not list the incident (a filter on fields they may not read would
otherwise tell them about it), and its other endpoints but the progress log are 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from incidents import services
from incidents.attachments import attachment_add
from incidents.models import ActionState, Attachment, CauseCategory
from tests.incidents.factories import ActionFactory, UserFactory, reported_incident

pytestmark = pytest.mark.django_db

SECRET_REPORTER = "密告者"


@pytest.fixture(autouse=True)
def english(client):
    """Messages and pages are compared in English (the pages' language is the request's)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def worker(it_dept):
    """A staff member of another department than the incident's, who sees neither incident."""
    return UserFactory(username="worker", roles=["staff"], department=it_dept)


@pytest.fixture
def setting(staff, manager, sales, worker):
    """Incident A (with a root cause, a file and a report owed) and B; `worker` owns an action of A,
    `checker` verifies it."""
    staff.last_name = SECRET_REPORTER
    staff.save()
    a = reported_incident(staff, title="顧客リストの誤送信", involves_sensitive_data=True)
    a = services.transition_record(a, "triage", by=manager, changes={"severity": "L3"})
    a = services.transition_record(a, "contain", by=manager, changes={"containment_summary": "削除を確認した。"})
    a = services.transition_record(a, "analyse", by=manager, changes={
        "root_cause": "送信前の宛先確認手順がなかった。", "cause": CauseCategory.objects.get(code="insufficient_checking")})
    attachment_add(record=a, by=manager, file=SimpleUploadedFile("顧客一覧.txt", "佐藤,090-0000".encode()))
    b = reported_incident(staff, title="別件の紛失")
    checker = UserFactory(username="checker", roles=["staff"], department=sales)
    action = ActionFactory(incident=a, department=sales, owner=worker, verifier=checker, title="宛先の二重確認",
                           description="送信前に二人で宛先を確認する。")
    services.add_progress(a, by=manager, text="送信先に削除を依頼した。")
    return {"a": a, "b": b, "action": action, "checker": checker}


@pytest.mark.parametrize("who", ["worker", "checker"])
def test_the_owner_and_verifier_read_the_incident_but_no_other(client, setting, worker, who):
    user = worker if who == "worker" else setting["checker"]
    client.force_login(user)
    page = client.get(reverse("incident_detail", args=[setting["a"].pk]))
    assert page.status_code == 200
    assert page.templates[0].name == "incidents/incident_context.html"
    content = page.content.decode()
    for shown in ("顧客リストの誤送信", "取引先宛のメールに顧客リストを誤って添付した。", "送信前の宛先確認手順がなかった。",
                  "宛先の二重確認", "送信前に二人で宛先を確認する。", "送信先に削除を依頼した。", "営業部"):
        assert shown in content, shown
    for withheld in (SECRET_REPORTER, "顧客一覧.txt", "PPC report text", "Reportability", "Trail", "Next steps",
                     reverse("incident_edit", args=[setting["a"].pk])):
        assert withheld not in content, withheld
    assert client.get(reverse("incident_detail", args=[setting["b"].pk])).status_code == 404


def test_only_the_limited_pages_open(client, setting, worker):
    a = setting["a"]
    client.force_login(worker)
    file_of_a = Attachment.objects.get(object_id=a.pk, content_type__model="incident")
    assert client.get(reverse("attachment_download", args=[file_of_a.pk])).status_code == 404
    assert client.get(reverse("incident_edit", args=[a.pk])).status_code == 404
    assert client.get(reverse("incident_ppc_report", args=[a.pk])).status_code == 404
    assert client.get(reverse("incident_transition", args=[a.pk, "plan_actions"])).status_code == 404
    assert client.get(reverse("record_trail_export", args=["incidents.incident", a.pk, "csv"])).status_code == 404
    # Nor does the incident list show it.
    assert "顧客リストの誤送信" not in client.get(reverse("incident_list")).content.decode()
    # The action's page links to it.
    action_page = client.get(reverse("action_detail", args=[setting["action"].pk])).content.decode()
    assert reverse("incident_detail", args=[a.pk]) in action_page


def test_a_cancelled_action_no_longer_opens_the_incident(client, setting, worker, manager):
    action = services.transition_record(setting["action"], "cancel", by=manager,
                                        changes={"cancel_reason": "別の処置に統合"})
    assert action.state == ActionState.CANCELLED
    client.force_login(worker)
    assert client.get(reverse("incident_detail", args=[setting["a"].pk])).status_code == 404


def test_the_owner_writes_the_progress_log_the_verifier_reads_it(client, setting, worker):
    a = setting["a"]
    client.force_login(worker)
    page = client.get(reverse("incident_detail", args=[a.pk]))
    assert page.context["progress_form"] is not None
    response = client.post(reverse("progress_add", args=[a.pk]), {
        "text": "手順書の改訂案を作成した。", "files": [SimpleUploadedFile("改訂案.txt", "案".encode())]})
    assert response.status_code == 302
    page = client.get(reverse("incident_detail", args=[a.pk]))
    entries = page.context["progress_entries"]
    assert [entry.text for entry in entries] == ["送信先に削除を依頼した。", "手順書の改訂案を作成した。"]
    assert [f.original_name for f in entries[1].files] == ["改訂案.txt"]  # their own files
    client.force_login(setting["checker"])
    page = client.get(reverse("incident_detail", args=[a.pk]))
    assert page.context["progress_form"] is None  # a verifier does not work on the incident
    assert page.context["progress_entries"][1].files == []  # nor downloads the owner's files
    assert client.post(reverse("progress_add", args=[a.pk]), {"text": "x"}).status_code == 403


def test_the_owners_bad_entry_is_shown_again_on_the_limited_page(client, setting, worker):
    client.force_login(worker)
    response = client.post(reverse("progress_add", args=[setting["a"].pk]), {"text": ""})
    assert response.status_code == 400
    assert response.templates[0].name == "incidents/incident_context.html"
    assert response.context["progress_form"].errors["text"]


# ---------------------------------------------------------------------------
# The API


@pytest.mark.parametrize("who", ["worker", "checker"])
def test_the_api_answers_with_the_limited_view(api_as, setting, worker, who):
    user = worker if who == "worker" else setting["checker"]
    client = api_as(user)
    a, b = setting["a"], setting["b"]
    body = client.get(f"/api/incidents/{a.pk}/").json()
    assert body["limited"] is True
    assert body["reference"] == a.reference and body["root_cause"] == "送信前の宛先確認手順がなかった。"
    assert body["department_name"] == "営業部"
    assert [row["title"] for row in body["actions"]] == ["宛先の二重確認"]
    assert body["actions"][0]["description"] == "送信前に二人で宛先を確認する。"
    assert [row["text"] for row in body["progress"]] == ["送信先に削除を依頼した。"]
    for withheld in ("reporter", "tracks", "reportable", "discovery_route", "severity", "version"):
        assert withheld not in body
    assert SECRET_REPORTER not in str(body)
    assert client.get(f"/api/incidents/{b.pk}/").status_code == 404
    assert client.get("/api/incidents/").json()["count"] == 0
    for endpoint in ("history/", "transitions/", "attachments/", "ppc-report/"):
        assert client.get(f"/api/incidents/{a.pk}/{endpoint}").status_code == 404, endpoint
    assert client.patch(f"/api/incidents/{a.pk}/", {"title": "x", "version": 1}, format="json").status_code == 404
    assert client.get(f"/api/incidents/{a.pk}/progress/").status_code == 200


def test_who_sees_the_incident_in_full_still_does(api_as, setting, manager, head):
    for user in (manager, head):
        body = api_as(user).get(f"/api/incidents/{setting['a'].pk}/").json()
        assert "limited" not in body and body["reporter"]["username"] == "staff"
