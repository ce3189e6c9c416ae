"""The role-scope visibility matrix (issue 12, "Roles scoped by company"): every role scope
over every record type, through the model, the web detail page and the API detail.

A group of three companies: the default one (D), A, responsible for jointly used data, and
B, whose incident involves jointly used data (so A's PMS office must see it). Each company
has one record of every type (an incident with an evidence file, its action and its
reporting track, an audit with a finding, a review), plus the group's review and an
action of B owned by a person of A. The readers hold every role scope: the PMS office, the
auditors and top management for the whole group or for A only, an audit lead whose scope
is their own company (no RoleScope row), a department head and a reporter of A, and a
user with no role.

What each reader may see is computed here from the rules, from the scopes this module
declares (not from incidents.roles):
- a reader holding a reading role (PMS manager, auditor, audit lead, executive) for the
  whole group sees everything;
- one holding it for some companies sees their records, and the incidents of other
  companies whose jointly used data one of them is responsible for;
- the group's review (no company) only for the whole group;
- as before, everyone: the incidents they reported, the records of the departments they
  head, the actions they own or verify, the audits (and their findings) they audit.
A record's track and evidence file are seen with it.

Every (reader, record) pair is checked against `visible_to`, the web page (200, else 404)
and the API (200, else 404). A leak (seen, not expected) and a hidden record (expected,
not seen) are both failures, listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audits import services as audit_services
from audits.models import Audit, Finding, Requirement, Review
from incidents import services
from incidents.attachments import attachment_add
from incidents.models import (
    Action,
    Attachment,
    Company,
    Department,
    Incident,
    ReportingTrack,
    RoleScope,
    TrackKind,
    UserProfile,
)
from incidents.roles import Role
from incidents.services import transition_record

pytestmark = pytest.mark.django_db

READING_ROLES = {Role.PMS_MANAGER, Role.AUDITOR, Role.AUDIT_LEAD, Role.EXECUTIVE}
ALL = "all"  # a scope: the whole group

# username: (roles, department code, the companies the reading roles are held for: ALL, or
# codes; None: no RoleScope row, so their own department's company)
READERS = {
    "pms_group": ((Role.STAFF, Role.PMS_MANAGER), "D2", ALL),
    "pms_a": ((Role.STAFF, Role.PMS_MANAGER), "A2", {"A"}),
    "auditor_group": ((Role.STAFF, Role.AUDITOR), "D2", ALL),
    "auditor_a": ((Role.STAFF, Role.AUDITOR), "A2", {"A"}),
    "lead_group": ((Role.STAFF, Role.AUDIT_LEAD), "D2", ALL),
    "lead_b": ((Role.STAFF, Role.AUDIT_LEAD), "B2", None),
    "exec_group": ((Role.EXECUTIVE,), "D2", ALL),
    "exec_a": ((Role.EXECUTIVE,), "A2", {"A"}),
    "head_a": ((Role.STAFF, Role.DEPARTMENT_HEAD), "A1", None),
    "staff_a": ((Role.STAFF,), "A1", None),
    "nobody": ((), "A1", None),
}


@dataclass
class Record:
    kind: str
    obj: object
    company: str | None  # its company's code; None for the group's review
    joint_use_company: str | None = None
    reporter: str = ""
    department: str = ""  # its department's code
    people: frozenset[str] = frozenset()  # owner and verifier, or the audit team
    parent: Record | None = None  # a track's or an attachment's record

    @property
    def label(self) -> str:
        return f"{self.kind} of {self.company or 'the group'} ({getattr(self.obj, 'reference', self.obj.pk)})"


def reading_scope(username: str, departments: dict[str, Department]) -> str | set[str] | None:
    """The companies whose every record the reader sees (ALL, a set of codes), from READERS."""
    roles, department, scope = READERS[username]
    if not READING_ROLES & set(roles):
        return set()
    if scope is None:  # no RoleScope row: the company of their own department
        return {departments[department].company.code}
    return scope


def expected(username: str, record: Record, world) -> bool:
    """Whether `username` may see `record`, by the rules (module docstring)."""
    if record.parent is not None:
        return expected(username, record.parent, world)
    scope = reading_scope(username, world.departments)
    if scope == ALL:
        return True
    if record.kind == "review":
        return record.company is not None and record.company in scope
    if record.company in scope:
        return True
    if record.kind == "incident" and record.joint_use_company in scope:
        return True
    if record.department and world.departments[record.department].head.username == username:
        return True
    if record.kind == "incident":
        return record.reporter == username
    return username in record.people  # an action's owner or verifier, an audit's or a finding's team


class World:
    """Three companies, their departments, the readers and one record of every type per company."""

    def __init__(self):
        User = get_user_model()
        now = timezone.now()
        default = Company.objects.default()
        default.code, default.joint_use_manager = "D", False
        default.save()
        self.companies = {
            "D": default,
            "A": Company.objects.create(code="A", name="A株式会社", holds_privacymark=True, joint_use_manager=True,
                                        position=1),
            "B": Company.objects.create(code="B", name="B株式会社", holds_privacymark=True, position=2),
        }
        self.departments = {
            code: Department.objects.create(code=code, name=f"{code}部", company=self.companies[code[0]])
            for code in ("D1", "D2", "A1", "A2", "B1", "B2")
        }
        groups = {group.name: group for group in Group.objects.all()}
        self.users = {}
        for username, (roles, department, scope) in READERS.items():
            user = User.objects.create_user(username, password="x")
            user.groups.add(*(groups[role] for role in roles))
            UserProfile.objects.create(user=user, department=self.departments[department])
            for role in set(roles) & READING_ROLES:
                if scope == ALL:
                    RoleScope.objects.create(user=user, role=role, company=None)
                elif scope is not None:
                    for code in scope:
                        RoleScope.objects.create(user=user, role=role, company=self.companies[code])
            self.users[username] = user
        # The heads: head_a of A1; people without a reading role head the others.
        heads = {"A1": self.users["head_a"]}
        for code in ("D1", "D2", "A2", "B1", "B2"):
            heads[code] = self.person(f"head_{code.lower()}", code)
        for code, head in heads.items():
            self.departments[code].head = head
            self.departments[code].save()
        office, lead = self.users["pms_group"], self.users["lead_group"]
        clauses = list(Requirement.objects.filter(standard="jis_q_15001", edition="2023", clause__in=["6.1", "8"]))

        self.records: list[Record] = []
        for code in ("D", "A", "B"):
            department = self.departments[f"{code}1"]
            reporter = self.users["staff_a"] if code == "A" else self.person(f"staff_{code.lower()}", department.code)
            incident = services.incident_report(
                reporter=reporter, title=f"{code}の誤送信", description="顧客リストを誤って送信した。",
                department=department, kind="leak", discovered_at=now - dt.timedelta(hours=3),
                involves_joint_use=(code == "B"),
            )
            incident_record = self.add("incident", incident, code, reporter=reporter.username,
                                       department=department.code,
                                       joint_use_company=incident.joint_use_company.code
                                       if incident.joint_use_company else None)
            track = incident.tracks.get(kind=TrackKind.PMARK_FINAL)
            self.add("track", track, code, parent=incident_record)
            attachment = attachment_add(record=incident, by=office,
                                        file=SimpleUploadedFile("memo.txt", "経緯のメモ".encode()))
            self.add("attachment", attachment, code, parent=incident_record)
            owner, verifier = self.person(f"owner_{code.lower()}", department.code), heads[f"{code}2"]
            action = services.action_create(
                by=office, incident=incident, department=department, kind="corrective", title=f"{code}の是正処置",
                owner=owner, verifier=verifier, due_date=timezone.localdate() + dt.timedelta(days=30),
            )
            self.add("action", action, code, department=department.code,
                     people=frozenset({owner.username, verifier.username}))
            # Audited by someone of another company: A's auditor audits B (a cross-audit).
            team = [self.users["auditor_a"]] if code == "B" else [self.users["auditor_group"]]
            audit = audit_services.audit_plan(
                by=lead, title=f"{code} 内部監査", kind="internal", departments=[department], clauses=clauses,
                lead_auditor=team[0], auditors=[],
                planned_start=timezone.localdate(), planned_end=timezone.localdate() + dt.timedelta(days=1),
            )
            audit = transition_record(audit, "start", by=team[0])
            members = frozenset(user.username for user in team)
            self.add("audit", audit, code, department=department.code, people=members)
            finding = audit_services.finding_raise(
                audit=audit, by=team[0], department=department, requirement=clauses[0], grade="minor",
                description="台帳が更新されていない。",
            )
            self.add("finding", finding, code, department=department.code, people=members)
            review = audit_services.review_create(by=office, company=self.companies[code])
            self.add("review", review, code)
        self.add("review", audit_services.review_create(by=office, company=None), None)
        # An action of B owned by a person of A, outside any incident.
        action = services.action_create(
            by=office, department=self.departments["B2"], kind="improvement", title="Bの改善",
            owner=self.users["staff_a"], verifier=heads["B2"], due_date=timezone.localdate() + dt.timedelta(days=30),
        )
        self.add("action", action, "B", department="B2", people=frozenset({"staff_a", heads["B2"].username}))
        for user in self.users.values():  # drop what the set-up cached about their roles
            user.__dict__.pop("_pms_access", None)
            user.__dict__.pop("_pms_scopes", None)
            user.__dict__.pop("_pms_switchable", None)

    def person(self, username: str, department: str):
        user = get_user_model().objects.create_user(username, password="x")
        user.groups.add(Group.objects.get(name=Role.STAFF))
        UserProfile.objects.create(user=user, department=self.departments[department])
        return user

    def add(self, kind: str, obj, company: str | None, **details) -> Record:
        record = Record(kind, obj, company, **details)
        if kind not in ("track", "attachment"):  # theirs is their record's
            assert (obj.company.code if obj.company_id else None) == company, record.label
        self.records.append(record)
        return record


MODELS = {"incident": Incident, "action": Action, "track": ReportingTrack, "audit": Audit, "finding": Finding,
          "review": Review}

WEB = {"incident": "incident_detail", "action": "action_detail", "audit": "audit_detail",
       "finding": "finding_detail", "review": "review_detail", "attachment": "attachment_download"}

API = {"incident": "api:incident-detail", "action": "api:action-detail", "track": "api:track-detail",
       "audit": "audits_api:audit-detail", "finding": "audits_api:finding-detail",
       "review": "audits_api:review-detail", "attachment": "api:attachment-download"}


def model_sees(user, record: Record) -> bool:
    if record.kind == "attachment":
        return model_sees(user, record.parent)
    return MODELS[record.kind].objects.visible_to(user).filter(pk=record.obj.pk).exists()


@pytest.fixture
def world(db):
    return World()


def check(world, sees, channel: str) -> None:
    """Every (reader, record) pair: what `sees` answers against the rules; fails with the list."""
    leaks, hidden, pairs = [], [], 0
    for username, user in world.users.items():
        for record in world.records:
            seen = sees(user, record)
            if seen is None:  # no such page for this record type
                continue
            pairs += 1
            should = expected(username, record, world)
            if seen and not should:
                leaks.append(f"{username} sees {record.label}")
            elif should and not seen:
                hidden.append(f"{username} does not see {record.label}")
    print(f"{channel}: {len(world.users)} readers × {len(world.records)} records, {pairs} pairs checked")
    assert pairs > 100
    assert not leaks, f"{len(leaks)} leaks through {channel}:\n" + "\n".join(leaks)
    assert not hidden, f"{len(hidden)} records hidden by {channel} though the rules show them:\n" + "\n".join(hidden)


def test_the_world_has_every_record_type_in_every_company(world):
    kinds = {(record.kind, record.company) for record in world.records}
    for code in ("D", "A", "B"):
        assert {kind for kind, company in kinds if company == code} == {
            "incident", "track", "attachment", "action", "audit", "finding", "review"}
    assert ("review", None) in kinds
    [joint] = [record for record in world.records if record.kind == "incident" and record.joint_use_company]
    assert (joint.company, joint.joint_use_company) == ("B", "A")
    assert Attachment.objects.count() == 3
    # Each reader is expected to see some records and not others (the group's readers all).
    for username in world.users:
        seen = [record for record in world.records if expected(username, record, world)]
        if reading_scope(username, world.departments) == ALL:
            assert len(seen) == len(world.records), username
        else:
            assert 0 <= len(seen) < len(world.records), username
    assert not any(expected("nobody", record, world) for record in world.records)
    assert expected("pms_a", joint, world) and not expected("staff_a", joint, world)


def test_the_models_visible_to_follows_the_rules(world):
    check(world, model_sees, "visible_to")


def test_the_web_detail_pages_follow_the_rules(world, client):
    current = {}

    def sees(user, record: Record) -> bool | None:
        if record.kind not in WEB:
            return None
        if current.get("user") != user.pk:
            client.force_login(user)
            current["user"] = user.pk
        response = client.get(reverse(WEB[record.kind], args=[record.obj.pk]))
        assert response.status_code in (200, 404), (user.username, record.label, response.status_code)
        return response.status_code == 200

    check(world, sees, "the web pages")


def test_the_api_detail_follows_the_rules(world):
    api = APIClient()

    def sees(user, record: Record) -> bool:
        api.force_authenticate(user=user)
        response = api.get(reverse(API[record.kind], args=[record.obj.pk]))
        assert response.status_code in (200, 404), (user.username, record.label, response.status_code)
        return response.status_code == 200

    check(world, sees, "the API")
