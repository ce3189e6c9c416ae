"""GET /api/incidents/<id>/ppc-report/: the nine items of rule art. 8(1), paste-ready, and the notice draft."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.clocks import JAPAN
from incidents.models import CauseCategory, TrackKind
from tests.incidents.factories import ActionFactory, UserFactory, reported_incident

pytestmark = pytest.mark.django_db

DISCOVERED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=JAPAN)
ITEM_KEYS = ["overview", "data_items", "subject_count", "cause", "secondary_harm", "subject_response",
             "publication", "recurrence_prevention", "other"]


def report_url(incident) -> str:
    return reverse("api:incident-ppc-report", args=[incident.pk])


@pytest.fixture
def clock():
    with time_machine.travel(DISCOVERED + dt.timedelta(hours=1), tick=False) as traveller:
        yield traveller


@pytest.fixture
def leak(clock, staff, manager):
    """The issue's walkthrough: 1,200 customers' addresses leaked through unauthorized access."""
    incident = reported_incident(
        staff, title="会員サイトへの不正アクセス", description="会員サイトに不正ログインが行われ、会員情報が閲覧された。",
        discovered_at=DISCOVERED, occurred_at=DISCOVERED - dt.timedelta(days=2), kind="leak",
        affected_count=1200, affected_count_estimated=True, suspected_unauthorized_purpose=True,
        data_items="氏名、住所",
    )
    return services.incident_update(
        incident=incident, version=incident.version, by=manager, root_cause="管理画面のパスワードが推測可能だった。",
        cause=CauseCategory.objects.get(code="weak_password"), discovery_route="監視システムの検知",
    )


def test_it_returns_the_nine_items_and_names_the_empty_ones(api_as, manager, leak):
    response = api_as(manager).get(report_url(leak), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body.keys() == {"incident", "items", "missing", "blocking_final", "not_yet_known", "text", "subject_notice"}
    # Nothing is marked as not yet known: every empty item blocks the 確報.
    assert body["blocking_final"] == body["missing"] and body["not_yet_known"] == {}
    assert body["incident"] == leak.reference
    items = body["items"]
    assert [(item["number"], item["key"]) for item in items] == list(enumerate(ITEM_KEYS, start=1))
    assert all(item.keys() == {"number", "key", "title", "text", "empty"} for item in items)
    assert body["missing"] == ["secondary_harm", "publication", "recurrence_prevention", "other"]
    assert body["missing"] == [item["key"] for item in items if item["empty"]]
    by_key = {item["key"]: item for item in items}
    # Japanese whatever the interface language: it is pasted into the PPC's form.
    assert by_key["overview"]["title"] == "概要"
    assert "第3号" in by_key["overview"]["text"] and "第4号" in by_key["overview"]["text"]
    assert "監視システムの検知" in by_key["overview"]["text"]
    assert by_key["subject_count"]["text"] == "1,200人（推定。最大の可能性のある人数）"
    assert by_key["cause"]["text"] == "管理画面のパスワードが推測可能だった。（原因分類：脆弱なパスワード）"
    # The notice to the data subjects is pending: by the 確報 limit, day 60 (category 3).
    assert by_key["subject_response"]["text"] == "実施予定（2027年01月18日 23時59分までに実施する）。"
    assert by_key["secondary_harm"]["text"] == "（未入力）"
    # The whole text is the nine items, numbered, ready to paste.
    assert body["text"] == "\n\n".join(f"{item['number']}. {item['title']}\n{item['text']}" for item in items)
    assert body["text"].startswith("1. 概要\n")


def test_the_notice_to_data_subjects_uses_items_1_2_4_5_and_9(api_as, manager, leak):
    services.incident_update(incident=leak, version=leak.version, by=manager, secondary_harm="フィッシングメールのおそれがある。",
                             other_information="専用の問合せ窓口を設置した。")

    notice = api_as(manager).get(report_url(leak)).json()["subject_notice"]

    assert notice.startswith("お客様各位")
    assert "会員サイトへの不正アクセス" in notice  # 1
    assert "氏名、住所" in notice  # 2
    assert "パスワードが推測可能" in notice  # 4
    assert "フィッシングメールのおそれがある。" in notice  # 5
    assert "専用の問合せ窓口を設置した。" in notice  # 9
    assert "1,200" not in notice  # 3 is for the PPC, not for the data subjects


def test_what_the_pms_office_fills_in_empties_the_missing_list(api_as, manager, head, leak):
    client = api_as(manager)
    patch = client.patch(reverse("api:incident-detail", args=[leak.pk]), {"version": leak.version, 
        "secondary_harm": "現時点で二次被害は確認されていない。", "publication": "当社ウェブサイトで公表した。",
        "other_information": "警察に相談済み。",
    }, format="json")
    assert patch.status_code == 200, patch.content
    ActionFactory(incident=leak, title="管理画面への多要素認証の導入", owner=head, verifier=manager,
                  department=leak.department, due_date=dt.date(2026, 12, 15))

    body = client.get(report_url(leak)).json()

    assert body["missing"] == []
    by_key = {item["key"]: item for item in body["items"]}
    assert by_key["publication"]["text"] == "当社ウェブサイトで公表した。"
    assert "・管理画面への多要素認証の導入（是正処置、2026年12月15日までに実施予定）" in by_key["recurrence_prevention"]["text"]


def test_a_filed_notice_shows_in_the_response_to_data_subjects(api_as, clock, manager, leak):
    track = leak.tracks.get(kind=TrackKind.DATA_SUBJECTS)
    clock.move_to(DISCOVERED + dt.timedelta(days=3))
    filed = api_as(manager).post(reverse("api:track-transition", args=[track.pk, "file"]), {
        "filed_at": (DISCOVERED + dt.timedelta(days=2)).isoformat(), "method": "notice",
    }, format="json")
    assert filed.status_code == 200, filed.content

    item = api_as(manager).get(report_url(leak)).json()["items"][5]

    assert item["key"] == "subject_response"
    assert item["text"].startswith("2026年11月22日 09時30分に実施（")
    assert item["empty"] is False


def test_it_is_there_for_whoever_sees_the_incident_and_a_404_for_the_others(api_as, staff, other_staff, head,
                                                                            manager, leak):
    for user in (manager, head, UserFactory(roles=["auditor"])):
        assert api_as(user).get(report_url(leak)).status_code == 200

    hidden = api_as(other_staff).get(report_url(leak), HTTP_ACCEPT_LANGUAGE="en")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    assert api_as(manager).get(reverse("api:incident-ppc-report", args=[987654])).status_code == 404


def test_only_get_is_allowed(api_as, manager, leak):
    assert api_as(manager).post(report_url(leak), {}, format="json").status_code == 405


def test_the_number_of_queries_does_not_grow_with_the_actions(api_as, manager, head, leak):
    client = api_as(manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(report_url(leak)).status_code == 200
        return len(captured)

    queries()  # warm up: whatever is cached per user or per process is loaded now
    ActionFactory(incident=leak, owner=head, verifier=manager, department=leak.department)
    with_one = queries()
    for _ in range(5):
        ActionFactory(incident=leak, owner=head, verifier=manager, department=leak.department)

    assert queries() == with_one
