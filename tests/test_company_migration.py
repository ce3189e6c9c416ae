"""The migration from single-company data (issue 12, "What it must show"): every record of an
installation made before group companies is kept, with its reference, and belongs to one
default company, which holds PrivacyMark (today's duties assume it), is responsible for
jointly used data, takes its fiscal year from FISCAL_YEAR_START_MONTH and its name from
COMPANY_NAME.

A database of its own, beside the test database, is migrated up to the last single-company
migrations (incidents 0012, audits 0006, and whatever they need), records are written with
the models of that state (no company anywhere), and the database is migrated forward to the
latest state, which is checked, the trail's guards included. The test database is never
touched, so nothing has to be rolled back or reloaded after it.
"""

from __future__ import annotations

import datetime as dt
import importlib
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audits.models import Audit, Finding, Review
from incidents.models import Action, Company, Department, Incident, RoleScope
from trail.guard import unguarded_tables

SINGLE_COMPANY = [("incidents", "0012_idempotent_requests"), ("audits", "0006_trail_sealed_and_append_only")]


def migrate(targets=None):
    """Migrate to `targets` (None: the latest state of every app); the models of that state."""
    executor = MigrationExecutor(connection)
    if targets is None:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()  # the applied migrations as they now are
    return executor.loader.project_state(targets).apps


def single_company_records(apps) -> dict:
    """A department, its people and one record of every type, as a single-company
    installation wrote them (the models of that state: no save() of today's code runs)."""
    User = apps.get_model("auth", "User")
    Group = apps.get_model("auth", "Group")
    Department = apps.get_model("incidents", "Department")
    UserProfile = apps.get_model("incidents", "UserProfile")
    Incident = apps.get_model("incidents", "Incident")
    Action = apps.get_model("incidents", "Action")
    Audit = apps.get_model("audits", "Audit")
    Finding = apps.get_model("audits", "Finding")
    Review = apps.get_model("audits", "Review")
    Requirement = apps.get_model("audits", "Requirement")

    now = timezone.now()
    today = timezone.localdate()
    sales = Department.objects.create(code="SALES", name="営業部")
    it = Department.objects.create(code="IT", name="情報システム部")
    people = {}
    for username, department, role in [("staff", sales, "staff"), ("manager", it, "pms_manager"),
                                       ("head", sales, "department_head"), ("auditor", it, "auditor")]:
        user = User.objects.create(username=username, password="!")
        user.groups.add(Group.objects.get(name=role))
        UserProfile.objects.create(user=user, department=department)
        people[username] = user
    sales.head = people["head"]
    sales.save()
    incident = Incident.objects.create(
        reference="INC-2025-0042", title="顧客リストの誤送信", description="取引先宛のメールに顧客リストを添付した。",
        reporter=people["staff"], department=sales, kind="leak", discovered_at=now - dt.timedelta(days=3),
        affected_count=12,
    )
    action = Action.objects.create(
        reference="ACT-2025-0107", kind="corrective", title="送信前の宛先確認", department=sales, incident=incident,
        owner=people["head"], verifier=people["manager"], created_by=people["manager"],
        due_date=today + dt.timedelta(days=30),
    )
    audit = Audit.objects.create(
        reference="AUD-2025-03", title="営業部 内部監査", kind="internal", planned_start=today,
        planned_end=today + dt.timedelta(days=1), fiscal_year=2025, lead_auditor=people["auditor"],
        created_by=people["auditor"],
    )
    audit.departments.add(sales)
    finding = Finding.objects.create(
        reference="FND-2025-0009", audit=audit, department=sales, grade="minor", description="台帳が古い。",
        requirement=Requirement.objects.get(standard="jis_q_15001", edition="2023", clause="6.1"),
        raised_by=people["auditor"],
    )
    review = Review.objects.create(
        reference="MR-FY2025", period_start=dt.date(2025, 4, 1), period_end=dt.date(2026, 3, 31),
        created_by=people["manager"],
    )
    return {
        Department: {"SALES": sales.pk, "IT": it.pk},
        Incident: {incident.reference: incident.pk}, Action: {action.reference: action.pk},
        Audit: {audit.reference: audit.pk}, Finding: {finding.reference: finding.pk},
        Review: {review.reference: review.pk},
    }


@contextmanager
def database_of_its_own(tmp_path):
    """The default connection pointed, for the block, at a new empty database (a file beside
    the test's on SQLite, a database of its own on PostgreSQL), dropped afterwards."""
    settings_dict = connection.settings_dict
    test_name = settings_dict["NAME"]
    postgres = connection.vendor == "postgresql"
    name = f"{test_name}_before_groups" if postgres else str(tmp_path / "before_groups.sqlite3")
    if postgres:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    ContentType.objects.clear_cache()  # its ids are the other database's
    settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = test_name
        ContentType.objects.clear_cache()
        if postgres:
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_single_company_data_becomes_the_default_companys(settings, django_db_setup, django_db_blocker, tmp_path):
    settings.COMPANY_NAME = "株式会社テスト商事"
    settings.FISCAL_YEAR_START_MONTH = 1
    with django_db_blocker.unblock(), database_of_its_own(tmp_path):
        old = single_company_records(migrate(SINGLE_COMPANY))
        migrate()
        check_the_migrated_records(old)


def check_the_migrated_records(old: dict) -> None:

    [company] = Company.objects.all()
    assert (company.name, company.is_default, company.holds_privacymark, company.joint_use_manager,
            company.fiscal_year_start_month) == ("株式会社テスト商事", True, True, True, 1)
    assert Company.objects.default() == company
    # Every record kept, under its reference (its key in the records written), and the company's.
    by_name = {model.__name__: model for model in (Department, Incident, Action, Audit, Finding, Review)}
    for historical, written in old.items():
        model = by_name[historical.__name__]
        key = "code" if model is Department else "reference"
        assert dict(model.objects.values_list(key, "pk")) == written, model.__name__
        assert set(model.objects.values_list("company", flat=True)) == {company.pk}, model.__name__
    incident = Incident.objects.get()
    assert (incident.involves_joint_use, incident.joint_use_company) == (False, None)
    assert incident.department.company == company and incident.reporter.username == "staff"
    assert Action.objects.get().incident == incident
    assert list(Audit.objects.get().departments.values_list("code", flat=True)) == ["SALES"]
    assert Finding.objects.get().audit == Audit.objects.get()
    # No scope anywhere: with one company every role is held for all of it.
    assert not RoleScope.objects.exists()
    # The database is left at the latest state, its trail tables guarded.
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert unguarded_tables() == []


@pytest.mark.django_db
def test_without_a_company_name_the_migration_calls_it_tousha(settings):
    """The data step of the migration alone (a second round trip of the schema would double
    this module's time), on a database whose default company is set aside."""
    settings.COMPANY_NAME = ""
    Company.objects.filter(is_default=True).update(is_default=False, joint_use_manager=False, code="OLD",
                                                   name="旧")
    step = importlib.import_module("incidents.migrations.0014_default_company")
    step.create_default_company(django_apps, SimpleNamespace(connection=connection))
    company = Company.objects.get(is_default=True)
    assert (company.name, company.code, company.holds_privacymark, company.joint_use_manager,
            company.fiscal_year_start_month) == ("当社", "MAIN", True, True, settings.FISCAL_YEAR_START_MONTH)
