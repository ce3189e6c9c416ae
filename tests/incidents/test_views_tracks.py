"""Web UI: the reporting clocks of an incident, filing a report, and the deadlines on "My items"."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.clocks import JAPAN
from incidents.models import FOLLOW_UPS, CauseCategory, ReportingTrack, TrackKind
from incidents.todo import TODO_LIMIT
from tests.incidents.factories import (
    ActionFactory,
    IncidentFactory,
    UserFactory,
    fill_ppc_items,
    reported_incident,
)
from trail.models import TrailEntry as StateLog

pytestmark = pytest.mark.django_db

DISCOVERED = dt.datetime(2025, 4, 1, 10, 0, tzinfo=JAPAN)  # a Tuesday
NOW = DISCOVERED + dt.timedelta(hours=2)

# A leak of 1,200 customers' addresses caused by unauthorized access: categories 3 and 4,
# so every report is owed and the final report has 60 days.
LEAK = {
    "title": "会員サイトへの不正アクセス",
    "description": "会員サイトに不正ログインが行われ、会員1,200人の住所が閲覧された。",
    "kind": "leak",
    "data_items": "氏名、住所",
    "affected_count": 1200,
    "suspected_unauthorized_purpose": True,
}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def leak(frozen, staff):
    return reported_incident(staff, discovered_at=DISCOVERED, **LEAK)


def in_english(client) -> None:
    """Read the interface by its msgids (the Japanese catalogue may translate them)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def track(incident, kind: str) -> ReportingTrack:
    return incident.tracks.get(kind=kind)


def detail(client, incident):
    response = client.get(reverse("incident_detail", args=[incident.pk]))
    assert response.status_code == 200
    return response


def file_url(record: ReportingTrack, name: str = "file") -> str:
    return reverse("track_transition", args=[record.pk, name])


def local_input(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def post_file(client, record: ReportingTrack, **fields):
    data = {"file-expected_state": record.state, "file-filed_at": local_input(timezone.now()),
            "file-recipient_reference": "PPC-2025-000123", "file-method": "online_form"}
    data.update({f"file-{key}": value for key, value in fields.items()})
    return client.post(file_url(record), data)


# ---------------------------------------------------------------------------
# The panel on the incident page


def test_the_panel_shows_every_report_of_a_reportable_leak_with_its_limits(client, leak, manager):
    client.force_login(manager)
    in_english(client)
    response = detail(client, leak)
    rows = response.context["tracks"]
    # The least time left first (the two 速報 share their limit, as do the two 確報).
    assert [row["track"].kind for row in rows] == [
        "ppc_preliminary", "pmark_preliminary", "data_subjects", "ppc_final", "pmark_final",
    ]
    content = response.content.decode()
    assert "Reporting clocks" in content
    assert content.index("Reporting clocks") < content.index("Overview")  # near the top
    # 速報: target 3 days, limit 5 days from the moment of discovery (Asia/Tokyo).
    assert "2025-04-04 10:00" in content and "2025-04-06 10:00" in content
    assert "4d 22h left" in content  # to the 速報 limit, from 12:00 on 04-01
    assert "target in 2d 22h" in content
    # 確報: 60 days for category 3, day 1 being the day of discovery: Friday 2025-05-30.
    assert "2025-05-30 23:59" in content
    # The follow-ups are owed only later: the 追完 once the 確報 went with items unknown, the
    # report on measures once the assessment body's notice is recorded.
    for kind in TrackKind:
        if kind not in (TrackKind.ENTRUSTING_PARTY, TrackKind.JOINT_USE, *FOLLOW_UPS):
            assert str(kind.label) in content
    # One company is itself responsible for any jointly used data: no joint-use row, no
    # "not owed" rows, no company at all.
    assert str(TrackKind.JOINT_USE.label) not in content
    assert "Not owed" not in content
    assert response.context["duties_not_owed"] == []
    # The PMS manager may file each report, or record why it is not required.
    for row in rows:
        assert [panel["option"].name for panel in row["transitions"]] == ["file", "not_required"]
        assert f'action="{file_url(row["track"])}"' in content
    assert reverse("incident_ppc_report", args=[leak.pk]) in content


def test_the_filing_time_defaults_to_now(client, leak, manager):
    client.force_login(manager)
    form = detail(client, leak).context["tracks"][0]["transitions"][0]["form"]
    assert form.initial["filed_at"] == NOW
    assert f'value="{local_input(NOW)}"' in form.as_p()


def test_a_reporter_sees_the_clocks_but_no_buttons(client, leak, staff):
    client.force_login(staff)
    response = detail(client, leak)
    assert all(row["transitions"] == [] for row in response.context["tracks"])
    content = response.content.decode()
    assert "2025-04-06 10:00" in content
    assert file_url(track(leak, "ppc_preliminary")) not in content


def test_an_incident_that_owes_nothing_says_so(client, frozen, staff, manager):
    near_miss = reported_incident(staff, discovered_at=DISCOVERED, kind="near_miss")
    client.force_login(manager)
    in_english(client)
    response = detail(client, near_miss)
    assert response.context["tracks"] == []
    assert "No reports are owed for this incident." in response.content.decode()


# ---------------------------------------------------------------------------
# Filing through the web form


def test_the_manager_files_a_report_through_the_web_form(client, leak, manager):
    preliminary = track(leak, "ppc_preliminary")
    client.force_login(manager)
    response = post_file(client, preliminary, filing_note="電子申請で提出。")
    assert response.status_code == 302
    assert response.url == reverse("incident_detail", args=[leak.pk])

    preliminary.refresh_from_db()
    assert (preliminary.state, preliminary.filed_by, preliminary.filed_at) == ("filed", manager, NOW)
    assert (preliminary.recipient_reference, preliminary.method) == ("PPC-2025-000123", "online_form")
    assert not preliminary.late
    log = StateLog.objects.get(content_type__model="reportingtrack", object_id=preliminary.pk)
    assert (log.transition, log.by, log.source_state, log.state) == ("file", manager, "pending", "filed")
    assert log.description == "電子申請で提出。"  # the note is the trail's comment (the form has no other box)

    in_english(client)
    response = detail(client, leak)
    content = response.content.decode()
    assert "PPC-2025-000123" in content
    assert "電子申請で提出。" in content
    filed_row = next(row for row in response.context["tracks"] if row["track"].pk == preliminary.pk)
    assert filed_row["transitions"] == []  # nothing more to do on it
    assert file_url(preliminary) not in content
    # The filing is in the incident's trail, named by its report.
    steps = [moment for moment in response.context["trail"] if moment.kind == "step"]
    assert (steps[-1].transition, steps[-1].subject) == ("file", TrackKind.PPC_PRELIMINARY.label)
    # The panel's reports serve the trail too: the page reads them once.
    with CaptureQueriesContext(connection) as queries:
        detail(client, leak)
    reads = [query for query in queries.captured_queries
             if query["sql"].startswith('SELECT "incidents_reportingtrack"."id"')]
    assert len(reads) == 1, reads


def test_the_notice_to_data_subjects_asks_for_the_method(client, leak, manager):
    notice = track(leak, "data_subjects")
    client.force_login(manager)
    response = post_file(client, notice, recipient_reference="", method="")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"method"}
    response = post_file(client, notice, recipient_reference="", method="publication")
    assert response.status_code == 302
    notice.refresh_from_db()
    assert (notice.state, notice.method) == ("filed", "publication")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"filed_at": local_input(NOW + dt.timedelta(hours=1))}, "filed_at", "The filing time cannot be in the future."),
        ({"filed_at": local_input(DISCOVERED - dt.timedelta(hours=1))}, "filed_at",
         "The filing time cannot be before the discovery."),
        ({"filed_at": "yesterday"}, "filed_at", "Enter a valid date/time."),
        ({"recipient_reference": "  "}, "recipient_reference", "This field is required."),
    ],
)
def test_bad_input_re_renders_the_form_with_the_error_on_the_field(client, leak, manager, fields, field, message):
    preliminary = track(leak, "ppc_preliminary")
    client.force_login(manager)
    in_english(client)
    response = post_file(client, preliminary, **fields)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert response.context["track"] == preliminary  # the page names the report and its limit
    preliminary.refresh_from_db()
    assert (preliminary.state, preliminary.filed_at) == ("pending", None)
    assert not StateLog.objects.filter(content_type__model="reportingtrack", object_id=preliminary.pk).exists()


def test_not_required_needs_a_reason(client, leak, manager):
    pmark = track(leak, "pmark_preliminary")
    client.force_login(manager)
    url = file_url(pmark, "not_required")
    response = client.post(url, {"not_required-expected_state": "pending", "not_required-not_required_reason": ""})
    assert response.status_code == 400
    assert "not_required_reason" in response.context["form"].errors
    response = client.post(url, {"not_required-expected_state": "pending",
                                 "not_required-not_required_reason": "審査機関に確認し、確報のみでよいとの回答を得た。"})
    assert response.status_code == 302
    pmark.refresh_from_db()
    assert pmark.state == "not_required"
    assert "審査機関に確認し" in detail(client, leak).content.decode()


def test_staff_may_not_file_a_report_of_their_own_incident(client, leak, staff):
    preliminary = track(leak, "ppc_preliminary")
    client.force_login(staff)
    response = post_file(client, preliminary)
    assert response.status_code == 403
    # The page for a step not offered sends them back to the incident.
    response = client.get(file_url(preliminary))
    assert response.status_code == 302
    assert response.url == reverse("incident_detail", args=[leak.pk])
    preliminary.refresh_from_db()
    assert preliminary.state == "pending"


def test_a_report_of_someone_elses_incident_is_404(client, leak, other_staff):
    preliminary = track(leak, "ppc_preliminary")
    client.force_login(other_staff)
    assert client.get(file_url(preliminary)).status_code == 404
    assert post_file(client, preliminary).status_code == 404
    assert client.get(file_url(preliminary, "explode")).status_code == 404
    preliminary.refresh_from_db()
    assert preliminary.state == "pending"


def test_the_system_steps_are_not_offered_on_the_web(client, leak, manager):
    client.force_login(manager)
    fill_ppc_items(leak, manager)  # the 確報 goes with its nine items
    assert post_file(client, track(leak, "ppc_final")).status_code == 302
    final = track(leak, "ppc_final")
    assert client.get(file_url(final, "withdraw")).status_code == 404
    assert client.post(file_url(final, "reinstate"), {"reinstate-expected_state": "filed"}).status_code == 404


def test_a_stale_filing_is_refused(client, leak, manager, office):
    preliminary = track(leak, "ppc_preliminary")
    client.force_login(manager)
    services.transition_record(preliminary, "file", by=office,
                               changes={"filed_at": NOW, "recipient_reference": "R-1"})
    response = post_file(client, preliminary, recipient_reference="R-2")
    assert response.status_code == 302
    preliminary.refresh_from_db()
    assert (preliminary.filed_by, preliminary.recipient_reference) == (office, "R-1")


# ---------------------------------------------------------------------------
# Time: overdue, due soon, late


def test_overdue_and_due_soon_are_highlighted(client, leak, manager, frozen):
    client.force_login(manager)
    in_english(client)
    # Day 4, 12:00: the 速報 targets (3 days) have passed, their limits (5 days) are 46 hours away.
    frozen.move_to(DISCOVERED + dt.timedelta(days=3, hours=2))
    content = detail(client, leak).content.decode()
    assert content.count('class="track track--soon"') == 2
    assert '<span class="clock clock--soon">1d 22h left</span>' in content
    assert "target passed" in content
    # The day before the limit, 10 minutes left: amber still, in minutes.
    frozen.move_to(DISCOVERED + dt.timedelta(days=5, minutes=-10))
    assert '<span class="clock clock--soon">10m left</span>' in detail(client, leak).content.decode()

    # Three hours after the 速報 limits they are overdue: red, with the time past the limit.
    frozen.move_to(DISCOVERED + dt.timedelta(days=5, hours=3))
    content = detail(client, leak).content.decode()
    assert content.count('class="track track--overdue"') == 2
    assert '<span class="clock clock--overdue">3h overdue</span>' in content
    assert 'class="track track--open"' in content  # the 60-day final reports are not


def test_a_report_filed_after_its_limit_stays_marked_late(client, leak, manager, frozen):
    preliminary = track(leak, "ppc_preliminary")
    frozen.move_to(DISCOVERED + dt.timedelta(days=6))
    client.force_login(manager)
    in_english(client)
    assert post_file(client, preliminary).status_code == 302
    content = detail(client, leak).content.decode()
    assert 'class="badge badge--late"' in content
    assert "Filed after its limit" in content


# ---------------------------------------------------------------------------
# The trail


def test_the_trail_shows_the_reporting_duties_updates(client, frozen, staff, manager):
    incident = reported_incident(staff, discovered_at=DISCOVERED, affected_count=300)
    assert list(incident.tracks.values_list("kind", flat=True)) == ["pmark_final"]
    incident = services.incident_update(incident=incident, version=incident.version, by=manager, affected_count=1200)
    client.force_login(manager)
    in_english(client)
    response = detail(client, incident)
    updates = [row for row in response.context["trail"] if row.transition == "update_tracks"]
    assert len(updates) == 2
    assert all(str(row.label) == "Reporting duties updated" and row.note for row in updates)
    description = updates[-1].comment
    assert description.count("\n") >= 3  # one line per new report
    content = response.content.decode()
    assert "Reporting duties updated" in content
    assert description.split("\n")[0] in content and "<br>" in content.split("Reporting duties updated")[-1]


# ---------------------------------------------------------------------------
# My items: what is due


def pending_track(incident, kind: str, limit: dt.datetime) -> ReportingTrack:
    return ReportingTrack.objects.create(incident=incident, kind=kind, due_at=limit - dt.timedelta(days=2),
                                         limit_at=limit)


def test_the_manager_sees_every_open_report_sorted_by_time_left(client, frozen, manager, staff, sales):
    late = IncidentFactory(reporter=staff, department=sales, discovered_at=DISCOVERED - dt.timedelta(days=9))
    soon = IncidentFactory(reporter=staff, department=sales, discovered_at=DISCOVERED - dt.timedelta(days=1))
    later = IncidentFactory(reporter=staff, department=sales, discovered_at=DISCOVERED - dt.timedelta(days=1))
    pending_track(later, "pmark_final", NOW + dt.timedelta(days=20))
    pending_track(late, "ppc_preliminary", NOW - dt.timedelta(hours=5))
    pending_track(soon, "ppc_preliminary", NOW + dt.timedelta(hours=30))
    filed = pending_track(soon, "pmark_preliminary", NOW + dt.timedelta(hours=1))
    ReportingTrack.objects.filter(pk=filed.pk).update(state="filed", filed_at=NOW, recipient_reference="x")

    client.force_login(manager)
    in_english(client)
    response = client.get(reverse("home"))
    deadlines = response.context["deadlines"]
    assert [(row["incident"], [track.kind for track in row["tracks"]]) for row in deadlines["incidents"]] == [
        (late, ["ppc_preliminary"]), (soon, ["ppc_preliminary"]), (later, ["pmark_final"]),
    ]
    assert (deadlines["overdue"], deadlines["due_soon"], deadlines["reports"]) == (1, 1, 3)
    content = response.content.decode()
    section = content.split('id="reporting-deadlines"')[1].split("</section>")[0]
    assert section.index(late.reference) < section.index(soon.reference) < section.index(later.reference)
    assert '<tr class="is-overdue">' in section and '<tr class="is-soon">' in section
    assert "5h overdue" in section and "1 overdue" in section and "1 due within 24 hours" in section
    assert reverse("incident_detail", args=[late.pk]) + "#reporting" in section


def make_incidents_with_tracks(n: int, reporter, department) -> None:
    for i in range(n):
        incident = IncidentFactory(reporter=reporter, department=department)
        pending_track(incident, "ppc_preliminary", NOW + dt.timedelta(hours=i - 3))
        pending_track(incident, "pmark_final", NOW + dt.timedelta(days=i))


def count_home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries)


def test_the_home_page_is_bounded_whatever_the_reports_owed(client, frozen, manager, staff, sales):
    """The most urgent TODO_LIMIT incidents with all their reports, the totals of all of them,
    and a link to the full register, in the same number of queries at 25 and at 45 incidents
    (both past the bound: a list counts its rows only once it fills up)."""
    client.force_login(manager)
    in_english(client)
    make_incidents_with_tracks(25, staff, sales)
    full = count_home_queries(client)
    make_incidents_with_tracks(20, staff, sales)
    assert count_home_queries(client) == full
    response = client.get(reverse("home"))
    deadlines = response.context["deadlines"]
    assert (deadlines["reports"], deadlines["incident_total"]) == (90, 45)
    assert len(deadlines["incidents"]) == TODO_LIMIT and deadlines["more"] == 45 - TODO_LIMIT
    assert all(len(row["tracks"]) == 2 for row in deadlines["incidents"])
    # The least time left first: the incidents whose preliminary report is overdue lead.
    limits = [row["tracks"][0].limit_at for row in deadlines["incidents"]]
    assert limits == sorted(limits)
    # The counts are of every report owed, not of the rows shown.
    assert deadlines["overdue"] == 6 and deadlines["overdue"] == ReportingTrack.objects.overdue(NOW).count()
    assert deadlines["due_soon"] == ReportingTrack.objects.due_soon(NOW).count()
    section = response.content.decode().split('id="reporting-deadlines"')[1].split("</section>")[0]
    assert section.count('<tr class="is-') == TODO_LIMIT
    assert f"and {45 - TODO_LIMIT} more incidents" in section
    assert reverse("track_list") + "?state=pending" in section


def test_executives_see_overdue_ppc_reports(client, frozen, executive, staff, sales):
    incident = IncidentFactory(reporter=staff, department=sales)
    overdue = pending_track(incident, "ppc_final", NOW - dt.timedelta(hours=1))
    pending_track(incident, "ppc_preliminary", NOW + dt.timedelta(hours=1))  # due soon, not overdue
    pending_track(incident, "pmark_final", NOW - dt.timedelta(hours=1))  # not a PPC report
    client.force_login(executive)
    response = client.get(reverse("home"))
    [row] = response.context["overdue_ppc"]["incidents"]
    assert (row["incident"], row["tracks"]) == (incident, [overdue])
    assert "deadlines" not in response.context
    assert incident.reference in response.content.decode()


def test_staff_see_no_reporting_deadlines(client, leak, staff):
    client.force_login(staff)
    response = client.get(reverse("home"))
    assert "deadlines" not in response.context and "overdue_ppc" not in response.context
    assert 'id="reporting-deadlines"' not in response.content.decode()


def test_everyone_sees_their_actions_due_within_a_week_or_overdue(client, frozen, staff, head, manager, sales):
    today = timezone.localdate()
    overdue = ActionFactory(owner=staff, verifier=head, department=sales, due_date=today - dt.timedelta(days=2))
    this_week = ActionFactory(owner=staff, verifier=head, department=sales, due_date=today + dt.timedelta(days=7))
    ActionFactory(owner=staff, verifier=head, department=sales, due_date=today + dt.timedelta(days=8))
    ActionFactory(owner=head, verifier=staff, department=sales, due_date=today)  # staff only verifies it
    client.force_login(staff)
    response = client.get(reverse("home"))
    assert response.context["actions_to_do"]["rows"][:2] == [overdue, this_week]
    assert (response.context["my_overdue_count"], response.context["my_due_soon_count"]) == (1, 1)
    # The to-do page lists the actions to carry out, the most urgent first, the overdue marked.
    section = response.content.decode().split('id="actions-to-do"')[1].split("</section>")[0]
    assert section.index(overdue.reference) < section.index(this_week.reference)
    assert "badge--overdue" in section.split(this_week.reference)[0]


# ---------------------------------------------------------------------------
# As a new user would: the demo leak of 1,200 customers' addresses


def step(client, url: str, prefix: str, state: str, **fields):
    data = {f"{prefix}-expected_state": state, **{f"{prefix}-{key}": value for key, value in fields.items()}}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    return response


def test_a_reportable_leak_is_filed_and_closed_through_the_web(client, leak, manager, office, head):
    client.force_login(manager)
    in_english(client)
    content = detail(client, leak).content.decode()
    assert "2025-04-06 10:00" in content and "2025-05-30 23:59" in content  # 速報 5 days, 確報 60 days
    assert client.get(reverse("incident_ppc_report", args=[leak.pk])).status_code == 200

    # The PMS office completes the items of the PPC report, then files every report (the
    # notice to the data subjects by letter).
    fill_ppc_items(leak, manager)
    for record in leak.tracks.all():
        method = "notice" if record.kind == "data_subjects" else "online_form"
        step(client, file_url(record), "file", "pending", filed_at=local_input(NOW),
             recipient_reference=f"R-{record.pk}", method=method)
    assert set(leak.tracks.values_list("state", flat=True)) == {"filed"}

    # The response runs to the end (its other steps are covered by the walkthrough).
    incident = services.transition_record(leak, "triage", by=manager, changes={"severity": "L3"})
    incident = services.transition_record(incident, "contain", by=manager,
                                          changes={"containment_summary": "不正ログイン元を遮断した。"})
    incident = services.transition_record(incident, "analyse", by=manager, changes={
        "root_cause": "管理画面のパスワードが推測可能だった。", "cause": CauseCategory.objects.first()})
    action = ActionFactory(incident=incident, owner=head, verifier=manager, department=incident.department)
    incident = services.transition_record(incident, "plan_actions", by=manager)
    action = services.transition_record(action, "start", by=head)
    action = services.transition_record(action, "implement", by=head, changes={"implementation_note": "多要素認証"})
    incident = services.transition_record(incident, "verify", by=manager)
    services.transition_record(action, "verify_effective", by=manager, changes={"effectiveness_note": "再発なし"})

    client.force_login(office)
    step(client, reverse("incident_transition", args=[incident.pk, "close"]), "close", "verifying")
    incident.refresh_from_db()
    assert incident.state == "closed"


# ---------------------------------------------------------------------------
# Visibility of a track's URL for other roles


def test_a_department_head_sees_the_clocks_of_their_departments_incident(client, leak, head):
    client.force_login(head)
    response = detail(client, leak)
    assert len(response.context["tracks"]) == 5
    assert post_file(client, track(leak, "ppc_final")).status_code == 403


def test_other_staff_get_404_even_on_a_pending_track_page(client, leak, other_staff):
    client.force_login(other_staff)
    for record in leak.tracks.all():
        assert client.get(file_url(record, "not_required")).status_code == 404


def test_users_without_a_department_profile_still_see_my_items(client, frozen):
    user = UserFactory(roles=["executive"])
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200
