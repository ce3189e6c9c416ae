"""Web UI: the paste-ready PPC report page and the PPC items of the edit form."""

from __future__ import annotations

import datetime as dt
import html

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from incidents import services
from incidents.clocks import JAPAN
from incidents.forms import PPC_FIELDS
from incidents.ppc_report import build_ppc_report
from tests.incidents.factories import reported_incident

pytestmark = pytest.mark.django_db

DISCOVERED = dt.datetime(2025, 4, 1, 10, 0, tzinfo=JAPAN)

NINE_TITLES = [
    "概要",
    "漏えい等が発生し、又は発生したおそれがある個人データの項目",
    "漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数",
    "原因",
    "二次被害又はそのおそれの有無及びその内容",
    "本人への対応の実施状況",
    "公表の実施状況",
    "再発防止のための措置",
    "その他参考となる事項",
]


@pytest.fixture
def leak(staff):
    with time_machine.travel(DISCOVERED + dt.timedelta(hours=2), tick=False):
        yield reported_incident(
            staff, title="会員サイトへの不正アクセス", description="会員サイトに不正ログインが行われ、会員の住所が閲覧された。",
            discovered_at=DISCOVERED, kind="leak", data_items="氏名、住所", affected_count=1200,
            suspected_unauthorized_purpose=True,
        )


def report_url(incident) -> str:
    return reverse("incident_ppc_report", args=[incident.pk])


def test_the_page_shows_the_nine_items_in_order_in_japanese(client, leak, manager):
    client.force_login(manager)
    response = client.get(report_url(leak))
    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    positions = [content.index(f"{number}</span> {title}") for number, title in enumerate(NINE_TITLES, 1)]
    assert positions == sorted(positions)
    # Each item's text is in a read-only box, selectable without JavaScript.
    report = build_ppc_report(leak)
    for item in report.items:
        assert f'id="item-text-{item.number}" rows="' in content
        assert f"readonly>{item.text}</textarea>" in content
    assert "会員サイトに不正ログインが行われ" in content
    assert "1,200人" in content
    assert "第3号" in content and "第4号" in content


def test_it_is_japanese_even_in_the_english_interface(client, leak, manager):
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    content = html.unescape(client.get(report_url(leak)).content.decode())
    assert '<html lang="en">' in content
    assert "Report to the PPC" in content
    for title in NINE_TITLES:
        assert title in content


def test_empty_items_are_flagged_with_a_link_to_the_form(client, leak, manager):
    client.force_login(manager)
    response = client.get(report_url(leak))
    missing = [row["item"].key for row in response.context["items"] if row["item"].empty]
    # The overview lacks who found it and how (発見者、発覚の経緯): empty until recorded.
    assert missing == ["overview", "cause", "secondary_harm", "publication", "recurrence_prevention", "other"]
    content = response.content.decode()
    edit = reverse("incident_edit", args=[leak.pk])
    for field in ["root_cause", "secondary_harm", "publication", "recurrence_prevention", "other_information"]:
        assert f'href="{edit}#id_{field}"' in content
    assert f'href="{edit}#id_data_items"' not in content  # filled in
    assert content.count('class="badge badge--missing"') == 6
    overview = response.context["items"][0]
    assert overview["item"].empty and overview["edit_url"] == f"{edit}#id_discovery_route"


def test_filling_in_the_form_fills_the_report(client, leak, manager):
    client.force_login(manager)
    edit = reverse("incident_edit", args=[leak.pk])
    form = client.get(edit).context["form"]
    with translation.override("en"):
        groups = {str(title): [field.name for field in fields] for title, _note, fields in form.groups()}
    assert groups["Items for the PPC report"] == PPC_FIELDS
    assert all(form.fields[name].help_text for name in PPC_FIELDS)

    data = {name: form[name].value() or "" for name in form.fields}
    data["discovered_at"] = "2025-04-01T10:00"
    data["suspected_unauthorized_purpose"] = "on"
    data.update({
        "discovery_route": "監視システムの検知",
        "secondary_harm": "現時点で二次被害は確認されていない。",
        "publication": "2025年4月3日に当社ウェブサイトで公表。",
        "other_information": "警察に被害を届け出た。",
    })
    with time_machine.travel(DISCOVERED + dt.timedelta(days=1), tick=False):
        response = client.post(edit, {key: value for key, value in data.items() if value not in (None, False)})
    assert response.status_code == 302, response.context["form"].errors
    leak.refresh_from_db()
    assert leak.secondary_harm == "現時点で二次被害は確認されていない。"
    content = client.get(report_url(leak)).content.decode()
    assert "現時点で二次被害は確認されていない。" in content
    assert "警察に被害を届け出た。" in content
    assert [item.key for item in client.get(report_url(leak)).context["missing"]] == [
        "cause", "recurrence_prevention",
    ]


def test_staff_cannot_fill_in_the_ppc_items(client, leak, staff):
    client.force_login(staff)
    form = client.get(reverse("incident_edit", args=[leak.pk])).context["form"]
    assert not set(PPC_FIELDS) & set(form.fields)
    # The reporter may read the report of their incident, without the PMS office's edit links.
    response = client.get(report_url(leak))
    assert response.status_code == 200
    edit = reverse("incident_edit", args=[leak.pk])
    assert f"{edit}#id_secondary_harm" not in response.content.decode()


def test_the_data_subject_notice_draft_is_below_the_items(client, leak, manager):
    client.force_login(manager)
    content = html.unescape(client.get(report_url(leak)).content.decode())
    notice = build_ppc_report(leak).subject_notice
    assert f"readonly>{notice}</textarea>" in content
    assert content.index("9</span> その他参考となる事項") < content.index('id="subject-notice"')


def test_copy_buttons_are_added_by_a_local_script(client, leak, manager):
    client.force_login(manager)
    content = client.get(report_url(leak)).content.decode()
    assert 'src="/static/js/copy.js"' in content
    assert content.count("data-copy=") == 11  # nine items, the whole report, the notice
    assert 'data-copy="item-text-1"' in content
    assert "http://" not in content.replace("http://testserver", "") and "https://" not in content


def test_the_link_is_on_reportable_incidents_and_for_the_pms_manager(client, staff, manager, leak):
    with time_machine.travel(DISCOVERED + dt.timedelta(hours=2), tick=False):
        small = reported_incident(staff, discovered_at=DISCOVERED, affected_count=3)
    client.force_login(staff)
    assert report_url(leak) in client.get(reverse("incident_detail", args=[leak.pk])).content.decode()
    assert report_url(small) not in client.get(reverse("incident_detail", args=[small.pk])).content.decode()
    client.force_login(manager)
    assert report_url(small) in client.get(reverse("incident_detail", args=[small.pk])).content.decode()


def test_someone_elses_incident_report_is_404(client, leak, other_staff):
    client.force_login(other_staff)
    assert client.get(report_url(leak)).status_code == 404


def test_it_requires_login(client, leak):
    response = client.get(report_url(leak))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_ppc_items_show_on_the_incident_page(client, leak, manager):
    services.incident_update(incident=leak, version=leak.version, by=manager, secondary_harm="フィッシングメールのおそれがある。")
    client.force_login(manager)
    assert "フィッシングメールのおそれがある。" in client.get(reverse("incident_detail", args=[leak.pk])).content.decode()
