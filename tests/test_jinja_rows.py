"""The rows pages repeat for every record are Jinja2 templates (config/jinja2.py), drawn inside
the Django pages by {% rows %}: escaped as the pages are, translated from the same catalogue,
and, in the tests, refusing any name their page does not give."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import jinja2
import pytest
import time_machine
from django.conf import settings
from django.template import TemplateDoesNotExist, engines
from django.urls import reverse
from django.utils import translation

from incidents.clocks import JAPAN
from incidents.models import ReportingTrack
from incidents.templatetags.lists import track_state
from incidents.templatetags.pms import track_clock
from tests.incidents.factories import ActionFactory, IncidentFactory
from tests.test_translations import catalogue_entries

ROWS = sorted(Path(settings.BASE_DIR).glob("*/jinja2/**/*.html"))
NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=JAPAN)
HOSTILE = '<script>alert("x")</script> & "quoted"'


def test_the_rows_are_jinja2_templates_and_only_that():
    assert len(ROWS) >= 18
    for path in ROWS:
        name = str(path).split("/jinja2/", 1)[1]
        engines["jinja2"].get_template(name)
        with pytest.raises(TemplateDoesNotExist):  # not also a Django template of the same name
            engines["django"].get_template(name)


def test_a_name_the_page_does_not_give_fails_the_tests():
    template = engines["jinja2"].get_template("incidents/_action_rows.html")
    with pytest.raises(jinja2.UndefinedError):  # show_role is missing
        template.render({"actions": [], "several_companies": False, "user": None})


def test_every_text_of_the_rows_is_in_the_japanese_catalogue():
    """makemessages reads _("…") in these files; a text it did not read would show in English."""
    translated = {msgid for _context, msgid, msgstr in catalogue_entries() if msgstr}
    texts = {text for path in ROWS for text in re.findall(r'_\("([^"]+)"\)', path.read_text(encoding="utf-8"))}
    assert len(texts) > 40
    assert sorted(texts - translated) == []


@pytest.mark.django_db
def test_rows_escape_what_people_typed(client, manager, staff, sales):
    incident = IncidentFactory(reporter=staff, department=sales, title=HOSTILE, state="reported")
    ActionFactory(incident=incident, owner=manager, title=HOSTILE, due_date=dt.date(2026, 1, 5))
    for user, url, at_least in [(staff, reverse("home"), 1), (manager, reverse("home"), 2),
                                (manager, reverse("incident_list"), 1), (manager, reverse("action_list"), 1)]:
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "<script>alert" not in page, url
        assert page.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quoted&#34;") >= at_least, url


@pytest.mark.django_db
def test_rows_are_translated_in_the_readers_language(client, manager, staff, sales):
    IncidentFactory(reporter=staff, department=sales, title="紛失", state="reported")
    client.force_login(manager)
    for language, heading, meta in [("ja", "発見日時", "前に報告"), ("en", "Discovered", "ago")]:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(reverse("home")).content.decode()
        triage = page.split('id="triage"')[1].split("</section>")[0]
        assert meta in triage
        assert f'data-label="{heading}"' in client.get(reverse("incident_list")).content.decode()


# The report's state and clock: Python, shared by the Jinja2 rows and the Django record pages.

def track(**fields) -> ReportingTrack:
    values = {"kind": "ppc_preliminary", "state": "pending", "due_at": NOW + dt.timedelta(days=3),
              "limit_at": NOW + dt.timedelta(days=3)}
    return ReportingTrack(**{**values, **fields})


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, '<span class="badge badge--track-pending">未了</span>'),
    ({"limit_at": NOW - dt.timedelta(hours=1)},
     '<span class="badge badge--track-pending">未了</span> <span class="badge badge--overdue">期限超過</span>'),
    ({"state": "filed", "filed_at": NOW + dt.timedelta(days=4)},
     '<span class="badge badge--track-filed">報告済</span> <span class="badge badge--late" title="期限後に報告">期限後</span>'),
    ({"state": "filed", "filed_at": NOW}, '<span class="badge badge--track-filed">報告済</span>'),
])
def test_track_state(fields, expected):
    with time_machine.travel(NOW, tick=False), translation.override("ja"):
        assert track_state(track(**fields)) == expected


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, '<span class="clock clock--open">あと3日</span>'),
    ({"due_at": NOW + dt.timedelta(hours=5)},
     '<span class="clock clock--soon">あと3日</span><span class="clock__target">目標まであと5時間</span>'),
    ({"due_at": NOW - dt.timedelta(hours=5)},
     '<span class="clock clock--soon">あと3日</span><span class="clock__target clock__target--passed">目標超過</span>'),
    ({"limit_at": NOW - dt.timedelta(hours=2), "due_at": NOW - dt.timedelta(hours=2)},
     '<span class="clock clock--overdue">2時間超過</span>'),
    ({"state": "filed", "filed_at": NOW}, '<span class="clock clock--done">期限内</span>'),
    ({"state": "filed", "filed_at": NOW + dt.timedelta(days=4)}, '<span class="muted">—</span>'),
    ({"state": "not_required"}, '<span class="muted">—</span>'),
])
def test_track_clock(fields, expected):
    with time_machine.travel(NOW, tick=False), translation.override("ja"):
        assert track_clock(track(**fields)) == expected


@pytest.mark.parametrize("moment", [
    dt.datetime(2026, 12, 8, 0, 0, tzinfo=dt.UTC),  # 09:00 in Japan
    dt.datetime(2026, 12, 31, 15, 5, tzinfo=dt.UTC),  # the next day (and year) in Japan
    dt.datetime(2027, 1, 1, 9, 59, tzinfo=JAPAN),
    dt.datetime(987, 3, 4, 5, 6, tzinfo=dt.UTC),  # a year of three digits, padded to four
])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_moment_is_written_as_djangos_date_format_writes_it(moment, language):
    from django.utils import formats, timezone

    from incidents.templatetags.pms import DATETIME_FORMAT, local_datetime, local_minute

    with translation.override(language):
        expected = formats.date_format(timezone.localtime(moment), DATETIME_FORMAT)
        assert local_minute(moment) == expected == local_datetime(moment)
    assert local_datetime(None) == "—"


# The site's header (config/jinja2/_site_header.html), drawn on every page by {% jinja %}.

@pytest.mark.django_db
def test_the_header_draws_the_menu_twice_the_same_and_escapes_company_names(client, manager):
    from incidents.models import Company, RoleScope

    Company.objects.create(code="EVL", name=HOSTILE, position=9)
    RoleScope.objects.create(user=manager, role="pms_manager", company=None)
    client.force_login(manager)
    page = client.get(reverse("action_list")).content.decode()
    header = page.split('<header class="site-header">')[1].split("</header>")[0]
    phone = header.split('<nav class="site-menu__nav"')[1].split("</nav>")[0].split(">", 1)[1]
    desk = header.split('<div class="main-nav__inner">')[1].split("</div>")[0]
    assert phone.strip() == desk.strip()
    assert desk.count("<a ") >= 10 and desk.count('aria-current="page"') == 1
    assert f'href="{reverse("action_list")}" aria-current="page"' in desk
    # The tools twice (the header on a desk, the menu on a phone), each form with its token.
    assert header.count('name="csrfmiddlewaretoken"') == 6  # twice: the company and language switchers, log-out
    assert header.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quoted&#34;</option>") == 2
    assert 'id="company-switch"' in header and 'id="company-switch-menu"' in header
    assert "<script>alert" not in page


@pytest.mark.django_db
def test_the_header_of_someone_not_signed_in_offers_the_languages_only(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("login")).content.decode()
    header = page.split('<header class="site-header">')[1].split("</header>")[0]
    assert "main-nav" not in header and "site-menu" not in header and "Log out" not in header
    assert 'value="en" lang="en" aria-pressed="true"' in header and 'value="ja" lang="ja"' in header
    assert header.count('name="csrfmiddlewaretoken"') == 1
