"""The paste-ready PPC report (rule art. 8(1)) and the data-subject notice (rule art. 10)."""

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from incidents import services
from incidents.clocks import JAPAN
from incidents.models import CauseCategory
from incidents.ppc_report import build_ppc_report
from tests.incidents.factories import ActionFactory, reported_incident

pytestmark = pytest.mark.django_db

DISCOVERED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=JAPAN)


@pytest.fixture
def leak(staff, manager):
    with time_machine.travel(DISCOVERED + dt.timedelta(hours=1), tick=False):
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


def test_it_has_the_nine_items_in_order_and_names_the_empty_ones(leak):
    report = build_ppc_report(leak)
    assert [item.number for item in report.items] == list(range(1, 10))
    assert report.missing == ["secondary_harm", "publication", "recurrence_prevention", "other"]
    texts = {item.key: item.text for item in report.items}
    # The notice to data subjects is still pending: the item says by when it will be done.
    assert texts["subject_response"] == "実施予定（2027年01月18日 23時59分までに実施する）。"  # 60 days (category 3)
    assert "第3号" in texts["overview"] and "第4号" in texts["overview"]
    assert "2026年11月20日 09時30分" in texts["overview"]
    assert texts["subject_count"] == "1,200人（推定。最大の可能性のある人数）"
    assert texts["cause"] == "管理画面のパスワードが推測可能だった。（原因分類：脆弱なパスワード）"
    assert "監視システムの検知" in texts["overview"]


def test_it_is_japanese_whatever_the_interface_language(leak):
    with translation.override("en"):
        report = build_ppc_report(leak)
    assert report.items[0].title == "概要"
    assert report.text.startswith("1. 概要\n")


def test_actions_fill_the_recurrence_prevention_item(leak, head, manager):
    ActionFactory(incident=leak, title="管理画面への多要素認証の導入", owner=head, verifier=manager,
                  department=leak.department, due_date=dt.date(2026, 12, 15))
    text = {item.key: item for item in build_ppc_report(leak).items}["recurrence_prevention"]
    assert text.empty is False
    assert "【実施予定の措置】\n・管理画面への多要素認証の導入（是正処置、2026年12月15日までに実施予定）" in text.text


def test_the_notice_to_data_subjects_uses_items_1_2_4_5_and_9(leak):
    notice = build_ppc_report(leak).subject_notice
    assert "会員サイトへの不正アクセス" in notice
    assert "氏名、住所" in notice  # item 2
    assert "パスワードが推測可能" in notice  # item 4
    assert "二次被害" in notice  # item 5
    assert "1,200" not in notice  # item 3 is not for the data subjects
