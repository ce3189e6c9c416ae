"""Incidents in a group of companies (issue 12): duties follow the company, the PPC report
names it, jointly used data is told to the responsible company once, reminders go to the
right office, references may carry the company, the header's switcher narrows the lists.

The migration's default company becomes 株式会社INE (PrivacyMark, responsible for the
jointly used data); the tests add an ISMS-only company that reports leaks to a delegated
ministry, and a third company. With one company everything is group-wide, so each test
that needs company scopes makes the group first.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import reminders, services
from incidents.clocks import JAPAN
from incidents.joint_use import sent_notices
from incidents.models import Company, Incident, LeakAuthority, SentReminder, TrackKind
from incidents.models.company import corporate_number_problem
from incidents.ppc_report import build_ppc_report
from incidents.roles import Role
from incidents.selectors import incident_list
from incidents.switcher import SESSION_KEY, narrow
from notifications.kinds import Kind
from notifications.models import MailState, Notification, Reader
from tests.incidents.factories import (
    CompanyFactory,
    DepartmentFactory,
    IncidentFactory,
    UserFactory,
    corporate_number,
    reported_incident,
    scope_role,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=JAPAN)  # a Wednesday
DISCOVERED = NOW - dt.timedelta(hours=1)
INE_NUMBER = "4011001098993"
SYSTEMS_NUMBER = "2120901007402"

# A leak of 1,200 customers' addresses by unauthorized access: reportable (categories 3 and 4).
LEAK = {
    "title": "会員サイトへの不正アクセス",
    "description": "会員サイトに不正ログインが行われ、会員1,200人の住所が閲覧された。",
    "kind": "leak",
    "data_items": "氏名、住所",
    "affected_count": 1200,
    "suspected_unauthorized_purpose": True,
}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ine(db):
    """The default company, as the group's parent: PrivacyMark, responsible for jointly used data."""
    company = Company.objects.default()
    company.code, company.name, company.corporate_number = "INE", "株式会社INE", INE_NUMBER
    company.holds_privacymark, company.joint_use_manager = True, True
    company.save()
    return company


@pytest.fixture
def systems(ine):
    """ISMS only (no PrivacyMark); its leaks go to the ministry the PPC delegated to."""
    return CompanyFactory(
        code="SYS", name="株式会社INEシステムズ", corporate_number=SYSTEMS_NUMBER, holds_privacymark=False,
        iso27001_certified=True, iso27001_certificate="IS 123456", leak_authority=LeakAuthority.DELEGATED,
        leak_authority_name="金融庁",
    )


@pytest.fixture
def logistics(ine):
    return CompanyFactory(code="LOG", name="株式会社INEロジスティクス", holds_privacymark=True)


@pytest.fixture
def ine_dept(ine):
    return DepartmentFactory(code="INE-SALES", name="営業部", company=ine)


@pytest.fixture
def systems_dept(systems):
    return DepartmentFactory(code="SYS-DEV", name="開発部", company=systems)


@pytest.fixture
def logistics_dept(logistics):
    return DepartmentFactory(code="LOG-OPS", name="物流部", company=logistics)


@pytest.fixture
def reporter(systems_dept):
    return UserFactory(username="sys_staff", roles=["staff"], department=systems_dept)


@pytest.fixture
def ine_manager(ine_dept):
    """INE's PMS office (held for INE: their own company, no scope row)."""
    return UserFactory(username="ine_manager", roles=["staff", "pms_manager"], department=ine_dept)


@pytest.fixture
def systems_manager(systems_dept):
    return UserFactory(username="sys_manager", roles=["staff", "pms_manager"], department=systems_dept)


@pytest.fixture
def group_manager(ine_dept):
    """The group PMS office: the role held for the whole group."""
    user = UserFactory(username="group_manager", roles=["staff", "pms_manager"], department=ine_dept)
    scope_role(user, Role.PMS_MANAGER, None)
    return user


@pytest.fixture
def logistics_manager(logistics, ine_dept):
    """A PMS manager scoped to the third company only (though their desk is at INE)."""
    user = UserFactory(username="log_manager", roles=["staff", "pms_manager"], department=ine_dept)
    scope_role(user, Role.PMS_MANAGER, logistics)
    return user


def leak_at(department, reporter=None, **fields):
    reporter = reporter or UserFactory(roles=["staff"], department=department)
    return reported_incident(reporter, department=department, **{"discovered_at": DISCOVERED, **LEAK, **fields})


def kinds(incident) -> set[str]:
    return set(incident.tracks.values_list("kind", flat=True))


def in_english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def detail(client, incident):
    return client.get(reverse("incident_detail", args=[incident.pk]))


def to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def joint_use_notices(incident):
    return Notification.objects.filter(key=f"joint_use:{incident.pk}")


def reads_english(user):
    Reader.objects.update_or_create(user=user, defaults={"language": "en"})


# ---------------------------------------------------------------------------
# Duties follow the company


def test_an_isms_only_companys_leak_owes_no_privacymark_report_while_the_privacymark_companys_does(
        client, systems_dept, ine_dept, systems_manager):
    systems_leak, ine_leak = leak_at(systems_dept), leak_at(ine_dept)

    assert kinds(ine_leak) == {"ppc_preliminary", "ppc_final", "pmark_preliminary", "pmark_final", "data_subjects"}
    assert kinds(systems_leak) == {"ppc_preliminary", "ppc_final", "data_subjects"}

    # The incident page says why the PrivacyMark rows are not owed.
    client.force_login(systems_manager)
    in_english(client)
    response = detail(client, systems_leak)
    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    # One row for the three PrivacyMark reports, which share the reason.
    assert [str(row["label"]) for row in response.context["duties_not_owed"]] == [", ".join([
        str(TrackKind.PMARK_PRELIMINARY.label), str(TrackKind.PMARK_FINAL.label), str(TrackKind.PMARK_MEASURES.label),
    ])]
    assert content.count("株式会社INEシステムズ does not hold PrivacyMark.") == 1
    assert content.count("Not owed") == 1
    # Its reports to the PPC go to the ministry the PPC delegated to.
    assert content.count("Addressed to 金融庁, to which the PPC delegated its authority over the sector.") == 2
    # The company and its 法人番号 are on the page.
    assert re.search(rf"<dd>株式会社INEシステムズ <span[^>]*>\(corporate number {SYSTEMS_NUMBER}\)</span></dd>", content)


def test_a_privacymark_holders_page_has_no_rows_for_duties_it_owes(client, ine_dept, ine_manager, systems):
    incident = leak_at(ine_dept)
    client.force_login(ine_manager)
    in_english(client)
    response = detail(client, incident)
    assert response.context["duties_not_owed"] == []
    assert "Not owed" not in response.content.decode()


# ---------------------------------------------------------------------------
# The PPC report names the company


def test_the_ppc_report_names_the_reporting_company_and_its_authority(client, systems_dept, ine_dept, systems_manager):
    systems_leak, ine_leak = leak_at(systems_dept), leak_at(ine_dept)

    report = build_ppc_report(systems_leak)
    assert (report.reporter, report.corporate_number, report.addressee) == (
        "株式会社INEシステムズ", SYSTEMS_NUMBER, "金融庁",
    )
    assert report.heading == (
        f"報告先：金融庁\n報告者（個人情報取扱事業者）：株式会社INEシステムズ\n法人番号：{SYSTEMS_NUMBER}"
    )
    assert report.document.startswith(report.heading + "\n\n1. 概要\n")
    assert report.subject_notice.startswith("お客様各位\n\n株式会社INEシステムズ\n\n")

    other = build_ppc_report(ine_leak)
    assert (other.reporter, other.corporate_number, other.addressee) == ("株式会社INE", INE_NUMBER, "個人情報保護委員会")

    # The page, in the English interface, still writes the report in Japanese.
    client.force_login(systems_manager)
    in_english(client)
    content = html.unescape(client.get(reverse("incident_ppc_report", args=[systems_leak.pk])).content.decode())
    assert "<dt>報告先</dt><dd>金融庁</dd>" in content
    assert "<dd>株式会社INEシステムズ</dd>" in content
    assert f"<dt>法人番号</dt><dd>{SYSTEMS_NUMBER}</dd>" in content
    assert f"readonly>{report.document}</textarea>" in content


def test_the_ppc_report_of_a_single_company_is_addressed_to_the_ppc(staff):
    report = build_ppc_report(reported_incident(staff, discovered_at=DISCOVERED, **LEAK))
    assert report.addressee == "個人情報保護委員会"
    assert report.heading.startswith("報告先：個人情報保護委員会\n")
    assert report.subject_notice.startswith("お客様各位\n\nこのたび")  # no company to name


# ---------------------------------------------------------------------------
# Jointly used data


def test_a_joint_use_incident_owes_a_one_day_notice_and_tells_the_responsible_office_once(
        worker, reporter, systems_dept, systems_manager, ine_manager, group_manager, logistics_manager):
    reads_english(ine_manager)
    incident = leak_at(systems_dept, reporter, involves_joint_use=True)

    assert incident.joint_use_company.code == "INE"
    notice = incident.tracks.get(kind=TrackKind.JOINT_USE)
    assert notice.due_at == notice.limit_at == DISCOVERED + dt.timedelta(days=1)  # 遅滞なく: one day

    # INE's PMS office: its own manager and the group office, each once; nobody else. In the
    # inbox at once (written with the report), by mail once the worker ran.
    notes = joint_use_notices(incident)
    assert sorted(notes.values_list("recipient__username", flat=True)) == ["group_manager", "ine_manager"]
    assert set(notes.values_list("kind", flat=True)) == {Kind.REPORTING_DUTY}
    worker()
    notices = [m for m in mail.outbox if m.subject in set(notes.values_list("subject", flat=True))]
    assert sorted(message.to[0] for message in notices) == sorted([ine_manager.email, group_manager.email])
    [message] = [m for m in notices if m.to == [ine_manager.email]]
    assert message.subject == f"[Joint use] {incident.reference} 会員サイトへの不正アクセス (株式会社INEシステムズ)"
    assert f"Incident: {incident.reference} 会員サイトへの不正アクセス" in message.body
    assert f"Reported by (company): 株式会社INEシステムズ (corporate number {SYSTEMS_NUMBER})" in message.body
    assert "Discovered (Japan time): June 10, 2026, 8 a.m." in message.body
    assert f"http://127.0.0.1:8000/incidents/{incident.pk}/" in message.body
    assert "for which 株式会社INE is responsible" in message.body
    # The group office reads Japanese.
    assert "2026年6月10日8:00" in next(m.body for m in notices if m.to == [group_manager.email])
    assert set(notes.values_list("mail_state", flat=True)) == {MailState.SENT}

    # Unticked and ticked again, edited, reminded: never a second notice.
    incident = services.incident_update(incident=incident, by=systems_manager, version=incident.version,
                                        involves_joint_use=False)
    assert incident.tracks.get(kind=TrackKind.JOINT_USE).state == "not_required"
    incident = services.incident_update(incident=incident, by=systems_manager, version=incident.version,
                                        involves_joint_use=True)
    assert incident.tracks.get(kind=TrackKind.JOINT_USE).state == "pending"
    reminders.send_reminders(now=NOW)
    worker()
    assert joint_use_notices(incident).count() == 2
    subjects = set(joint_use_notices(incident).values_list("subject", flat=True))
    assert sorted(m.to[0] for m in mail.outbox if m.subject in subjects) == sorted(
        [ine_manager.email, group_manager.email])


def test_the_managers_mailed_before_the_notifications_are_not_told_again(reporter, systems_dept, systems_manager,
                                                                         ine_manager, group_manager):
    incident = leak_at(systems_dept, reporter, involves_joint_use=True)
    # As if INE's manager had been mailed by the reminders of before issue 14.
    joint_use_notices(incident).filter(recipient=ine_manager).delete()
    SentReminder.objects.create(key=f"joint_use:{incident.pk}:user:{ine_manager.pk}", recipient=ine_manager,
                                subject="【共同利用】")
    for ticked in (False, True):
        incident = services.incident_update(incident=incident, by=systems_manager, version=incident.version,
                                            involves_joint_use=ticked)
    assert list(joint_use_notices(incident).values_list("recipient__username", flat=True)) == ["group_manager"]
    assert [notice.recipient for notice in sent_notices(incident)] == [ine_manager, group_manager]


def test_a_notice_whose_mail_failed_is_mailed_by_the_workers_retry(
        settings, frozen, worker, reporter, systems_dept, ine_manager):
    settings.EMAIL_BACKEND = "tests.incidents.test_companies.FailingBackend"
    incident = leak_at(systems_dept, reporter, involves_joint_use=True)  # the report is kept all the same
    worker()
    note = joint_use_notices(incident).get(recipient=ine_manager)
    assert (note.mail_state, note.attempts) == (MailState.PENDING, 1)
    assert "no mail server" in note.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    frozen.move_to(NOW + dt.timedelta(minutes=2))
    worker()
    assert [m.subject for m in to(ine_manager) if m.subject == note.subject] == [note.subject]
    note.refresh_from_db()
    assert note.mail_state == MailState.SENT


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


def test_the_responsible_office_sees_the_incident_but_does_not_run_it(
        client, worker, reporter, systems_dept, systems_manager, ine_manager, logistics_manager):
    incident = leak_at(systems_dept, reporter, involves_joint_use=True)
    worker()
    in_english(client)

    client.force_login(ine_manager)
    response = detail(client, incident)
    assert response.status_code == 200
    assert response.context["transitions"] == []
    assert all(row["transitions"] == [] for row in response.context["tracks"])
    assert not response.context["can_edit"]
    content = html.unescape(response.content.decode())
    assert "responsible company (管理責任者): 株式会社INE" in content
    assert "The PMS office of 株式会社INE was notified automatically:" in content
    assert "ine_manager (mailed 2026-06-10 09:00)" in content  # whom the system told, and when it mailed them
    refused = client.post(reverse("incident_transition", args=[incident.pk, "triage"]),
                          {"triage-expected_state": "reported", "triage-severity": "L3", "triage-kind": "leak"})
    assert refused.status_code == 403
    incident.refresh_from_db()
    assert incident.state == "reported"

    # The reporting company's office runs it, the joint-use notice included.
    client.force_login(systems_manager)
    response = detail(client, incident)
    assert {option["option"].name for option in response.context["transitions"]} == {"triage", "dismiss"}
    notice = next(row for row in response.context["tracks"] if row["track"].kind == TrackKind.JOINT_USE)
    assert [panel["option"].name for panel in notice["transitions"]] == ["file", "not_required"]

    # A PMS manager of a third company does not even learn that it exists.
    client.force_login(logistics_manager)
    assert detail(client, incident).status_code == 404
    assert client.get(reverse("incident_ppc_report", args=[incident.pk])).status_code == 404
    assert incident.reference not in client.get(reverse("incident_list")).content.decode()


def test_the_responsible_companys_own_incident_owes_no_notice_and_says_why(
        client, ine_dept, ine_manager, systems):
    incident = leak_at(ine_dept, involves_joint_use=True)
    assert TrackKind.JOINT_USE not in kinds(incident)
    assert not joint_use_notices(incident).exists()
    client.force_login(ine_manager)
    in_english(client)
    content = html.unescape(detail(client, incident).content.decode())
    assert "株式会社INE is itself responsible for the jointly used data." in content


# ---------------------------------------------------------------------------
# Reminders follow the company


def reminded(user):
    return Notification.objects.filter(recipient=user, kind__in=[Kind.REPORT_DEADLINE, Kind.ACTION_DEADLINE])


def test_reminders_reach_only_the_managers_of_the_incidents_company(
        worker, systems_dept, systems_manager, ine_manager, group_manager, logistics_manager, ine_dept):
    ine_executive = UserFactory(username="ine_exec", roles=["executive"], department=ine_dept)
    systems_executive = UserFactory(username="sys_exec", roles=["executive"], department=systems_dept)
    reads_english(systems_manager)
    reads_english(systems_executive)
    # The 速報 limit (5 days) passed an hour ago.
    incident = leak_at(systems_dept, discovered_at=NOW - dt.timedelta(days=5, hours=1))
    reminders.send_reminders(now=NOW)
    worker()

    # The ministry the PPC delegated to, by its own name, in every language.
    overdue = f"[Overdue] {incident.reference} preliminary report (速報) to 金融庁: the limit passed 1h ago"
    assert overdue in [m.subject for m in to(systems_manager)]
    assert [n.subject for n in reminded(group_manager) if "金融庁" in n.subject and "1時間" in n.subject]
    assert [m.subject for m in to(systems_executive)] == [
        f"[Overdue, top management told] {incident.reference} preliminary report (速報) to 金融庁: "
        "the limit passed 1h ago"]
    assert "The report to 金融庁 is past its legal limit" in to(systems_executive)[0].body
    for user in (ine_manager, logistics_manager, ine_executive):
        assert not reminded(user).exists()
        assert to(user) == []


def test_the_joint_use_notice_has_its_name_in_reminders(reporter, systems_dept, systems_manager, ine_manager):
    reads_english(systems_manager)
    incident = leak_at(systems_dept, reporter, involves_joint_use=True)
    reminders.send_reminders(now=NOW)
    assert (f"[Action needed] {incident.reference} notice to 株式会社INE, responsible for jointly used data (共同利用): "
            "23h left to the limit") in [note.subject for note in reminded(systems_manager)]
    assert not reminded(ine_manager).exists()  # the notice is the reporting company's to make


def test_the_joint_use_notice_and_its_reminder_read_in_japanese_as_before(worker, reporter, systems_dept,
                                                                           systems_manager, ine_manager):
    """The wording of the mails before issue 14, now the Japanese of the notifications."""
    incident = leak_at(systems_dept, reporter, involves_joint_use=True)
    reminders.send_reminders(now=NOW)
    worker()
    assert [m.subject for m in to(ine_manager)] == [
        f"【共同利用】{incident.reference} 会員サイトへの不正アクセス（株式会社INEシステムズ）"]
    body = to(ine_manager)[0].body
    assert f"株式会社INEシステムズ（法人番号 {SYSTEMS_NUMBER}）" in body
    assert "共同利用している個人データ（管理責任者：株式会社INE）" in body
    assert (f"【要対応】{incident.reference} 共同利用の管理責任者（株式会社INE）への通知の期限まであと23時間"
            in [m.subject for m in to(systems_manager)])


# ---------------------------------------------------------------------------
# References


def test_references_carry_the_company_code_with_the_setting(settings, ine_dept, systems_dept):
    assert re.fullmatch(r"INC-2026-\d{4}", leak_at(ine_dept).reference)
    settings.REFERENCE_COMPANY_PREFIX = True
    assert leak_at(ine_dept).reference == "INE-INC-2026-0001"
    assert leak_at(systems_dept).reference == "SYS-INC-2026-0001"  # each company its own series
    assert leak_at(ine_dept).reference == "INE-INC-2026-0002"


# ---------------------------------------------------------------------------
# Forms


def test_the_report_form_offers_joint_use_and_groups_departments_by_company(client, reporter, systems_dept, ine_dept):
    client.force_login(reporter)
    in_english(client)
    response = client.get(reverse("incident_report"))
    form = response.context["form"]
    assert "involves_joint_use" in form.fields
    assert "株式会社INE, responsible for it, is told at once" in str(form.fields["involves_joint_use"].help_text)
    content = html.unescape(response.content.decode())
    assert 'name="involves_joint_use"' in content
    # Departments by name under their company (the codes are the admin's).
    assert content.index('<optgroup label="株式会社INE">') < content.index(">営業部</option>")
    assert content.index('<optgroup label="株式会社INEシステムズ">') < content.index(">開発部</option>")
    assert "INE-SALES" not in content and "SYS-DEV" not in content

    response = client.post(reverse("incident_report"), {
        "title": "共有顧客名簿の紛失", "description": "共同利用している顧客名簿を紛失した。",
        "discovered_at": "2026-06-10T08:00", "department": systems_dept.pk, "kind": "loss",
        "involves_joint_use": "on",
    })
    assert response.status_code == 302
    incident = Incident.objects.get(title="共有顧客名簿の紛失")
    assert (incident.company.code, incident.joint_use_company.code) == ("SYS", "INE")


def test_a_single_company_form_has_no_joint_use_box_nor_company_groups(client, staff):
    client.force_login(staff)
    response = client.get(reverse("incident_report"))
    assert "involves_joint_use" not in response.context["form"].fields
    content = response.content.decode()
    assert "optgroup" not in content and "involves_joint_use" not in content
    # Nor does the edit form post it: a report saved there keeps what it had.
    incident = reported_incident(staff)
    assert "involves_joint_use" not in client.get(reverse("incident_edit", args=[incident.pk])).context["form"].fields


def test_the_edit_form_keeps_the_joint_use_box_among_the_report_fields(client, systems_manager, systems_dept):
    incident = leak_at(systems_dept, involves_joint_use=True)
    client.force_login(systems_manager)
    in_english(client)
    form = client.get(reverse("incident_edit", args=[incident.pk])).context["form"]
    groups = {str(title): [field.name for field in fields] for title, _note, fields in form.groups()}
    assert "involves_joint_use" in groups["Report"]
    assert form["involves_joint_use"].value() is True


# ---------------------------------------------------------------------------
# Lists and the switcher


def test_the_lists_name_the_company_and_filter_by_it(client, group_manager, ine_dept, systems_dept):
    ine_one, systems_one = IncidentFactory(department=ine_dept), IncidentFactory(department=systems_dept)
    client.force_login(group_manager)
    in_english(client)
    response = client.get(reverse("incident_list"))
    content = response.content.decode()
    assert '<select name="company"' in content
    assert "<td>株式会社INEシステムズ</td>" in content and "<td>株式会社INE</td>" in content
    filtered = client.get(reverse("incident_list") + f"?company={systems_one.company_id}")
    assert [i.reference for i in filtered.context["page"].object_list] == [systems_one.reference]
    assert ine_one.reference not in filtered.content.decode()


def test_the_incident_list_queries_do_not_grow_with_companies_shown(client, group_manager, ine_dept, systems_dept):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("incident_list")).status_code == 200
        return len(captured)

    for department in (ine_dept, systems_dept):
        IncidentFactory(department=department)
    client.force_login(group_manager)
    few = queries()
    for index in range(20):
        IncidentFactory(department=(ine_dept, systems_dept)[index % 2])
    assert queries() == few


def test_the_switcher_narrows_the_incident_list_and_the_home_page(client, group_manager, ine_dept, systems_dept):
    ine_one, systems_one = leak_at(ine_dept), leak_at(systems_dept)
    client.force_login(group_manager)
    session = client.session
    session[SESSION_KEY] = systems_one.company_id
    session.save()

    listed = client.get(reverse("incident_list")).context["page"].object_list
    assert [incident.reference for incident in listed] == [systems_one.reference]
    home = client.get(reverse("home")).context
    assert {row["incident"].pk for row in home["deadlines"]["incidents"]} == {systems_one.pk}
    assert [incident.pk for incident in home["awaiting_triage"]["rows"]] == [systems_one.pk]

    session[SESSION_KEY] = None
    session.save()
    assert {i.pk for i in client.get(reverse("incident_list")).context["page"].object_list} == {
        ine_one.pk, systems_one.pk}


def test_a_page_narrowed_to_one_company_reads_the_companies_once(client, group_manager, ine_dept, systems_dept):
    """Each list of the to-do page narrows to the chosen company: the companies one may
    choose among are read once for the page, not once per list."""
    leak_at(ine_dept), leak_at(systems_dept)
    client.force_login(group_manager)
    session = client.session
    session[SESSION_KEY] = Company.objects.get(pk=systems_dept.company_id).pk
    session.save()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    company_rows = [query["sql"] for query in queries.captured_queries
                    if query["sql"].startswith('SELECT "incidents_company"."id", "incidents_company"."code"')]
    assert len(company_rows) == 1, company_rows


def test_the_switcher_never_widens_what_a_user_may_see(
        rf, client, reporter, systems_dept, ine_dept, logistics_dept, logistics, systems, ine):
    mine, ine_one, logistics_one = leak_at(systems_dept, reporter), leak_at(ine_dept), leak_at(logistics_dept)

    # A reporter who chose another company (a forged session) still sees their own report only.
    client.force_login(reporter)
    session = client.session
    session[SESSION_KEY] = ine.pk
    session.save()
    assert [i.pk for i in client.get(reverse("incident_list")).context["page"].object_list] == [mine.pk]

    # A manager of two companies may narrow to one of them; naming a third changes nothing.
    manager = UserFactory(username="two_companies", roles=["staff", "pms_manager"], department=systems_dept)
    scope_role(manager, Role.PMS_MANAGER, systems, logistics)

    request = rf.get("/")
    request.user, request.session = manager, {SESSION_KEY: logistics.pk}  # a dict will do for the switcher
    assert {i.pk for i in narrow(incident_list(user=manager), request)} == {logistics_one.pk}
    request.session = {SESSION_KEY: ine.pk}
    assert {i.pk for i in narrow(incident_list(user=manager), request)} == {mine.pk, logistics_one.pk}
    assert ine_one.pk not in {i.pk for i in narrow(incident_list(user=manager), request)}


def test_corporate_numbers_made_by_the_factory_are_valid():
    assert corporate_number("011001098993") == INE_NUMBER
    assert corporate_number_problem(CompanyFactory.build().corporate_number) is None


def test_a_single_company_without_privacymark_is_told_why_it_owes_no_privacymark_report(client, staff, manager):
    company = Company.objects.default()
    company.holds_privacymark = False
    company.save()
    incident = reported_incident(staff, **{"discovered_at": DISCOVERED, **LEAK})
    assert kinds(incident) == {"ppc_preliminary", "ppc_final", "data_subjects"}
    client.force_login(manager)
    in_english(client)
    content = html.unescape(detail(client, incident).content.decode())
    assert content.count(f"{company.name} does not hold PrivacyMark.") == 1  # one row for its three reports
    assert "corporate number" not in content  # still no company on the page


def test_a_page_reads_the_companies_once_and_the_next_request_sees_a_new_one(client, ine, systems, group_manager):
    """The header, the filter bar and the roles each ask whether the group has several
    companies, and the header's switcher lists them: one query a request answers them all
    (incidents.middleware), and nothing is kept from one request to the next."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.models import Company, group_has_several_companies

    client.force_login(group_manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert [company.pk for company in response.context["company_choices"]] == [ine.pk, systems.pk]
    reads = [q["sql"] for q in queries.captured_queries
             if 'FROM "incidents_company"' in q["sql"] and "WHERE" not in q["sql"]]
    assert len(reads) == 1, reads
    assert "COUNT(" not in reads[0]
    # Outside a request every call reads the database: a company removed shows at once.
    assert group_has_several_companies()
    Company.objects.filter(pk=systems.pk).delete()
    assert not group_has_several_companies()
    # And the next request counts again: one company, so the page names none.
    assert client.get(reverse("incident_list")).context["several_companies"] is False


def test_the_roles_their_scopes_and_the_own_company_are_read_in_one_query(
        ine, systems, logistics, ine_dept, logistics_manager, group_manager):
    """Every page asks which roles a reader holds and for which companies: the groups, the
    RoleScope rows and the reader's own company (the roles held without a row) come in one
    query, once per user object; the answers are the same as three separate reads gave."""
    from django.contrib.auth import get_user_model

    from incidents.models import UserProfile
    from incidents.models.company import companies_read_once, group_companies
    from incidents.roles import role_companies, roles_of, seen_companies

    nobody = UserFactory(username="no_desk", roles=["staff"])
    UserProfile.objects.filter(user=nobody).update(department=None)
    with companies_read_once():  # as inside a request, where the header has read the companies
        group_companies()
        fresh = {user.pk: get_user_model().objects.get(pk=user.pk)
                 for user in (logistics_manager, group_manager, nobody)}
        with CaptureQueriesContext(connection) as queries:
            log, group, desk_less = fresh[logistics_manager.pk], fresh[group_manager.pk], fresh[nobody.pk]
            assert roles_of(log) == {"staff", "pms_manager"}
            assert role_companies(log, Role.PMS_MANAGER) == {logistics.pk}  # its scope row
            assert role_companies(log, Role.STAFF) == {ine.pk}  # no row: the company of its desk
            assert seen_companies(log) == {logistics.pk}
            assert role_companies(group, Role.PMS_MANAGER) is None  # held for the whole group
            assert seen_companies(group) is None
            assert role_companies(desk_less, Role.STAFF) == {ine.pk}  # no desk: the default company
            assert seen_companies(desk_less) == frozenset()
        assert len(queries) == 3, [q["sql"] for q in queries.captured_queries]  # one for each person
        assert all("UNION ALL" in q["sql"] for q in queries.captured_queries)


def test_the_roles_alone_need_no_company_count(ine, systems, ine_manager, django_assert_num_queries):
    """A task or a mail asking only which roles someone holds reads them, nothing about the
    companies; asking for which companies then counts the companies once for that person."""
    from django.contrib.auth import get_user_model

    from incidents.roles import role_companies, roles_of

    user = get_user_model().objects.get(pk=ine_manager.pk)
    with django_assert_num_queries(1):
        assert roles_of(user) == {"staff", "pms_manager"}
    with django_assert_num_queries(1):  # the count: several companies, so the scopes apply
        assert role_companies(user, Role.PMS_MANAGER) == {ine.pk}
        assert role_companies(user, Role.STAFF) == {ine.pk}
