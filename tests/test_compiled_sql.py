"""config/compiled_sql.py: a query's SQL written once, sent again with each call's values.

The two queries every request sends through it (the reader's roles, the header's unread
count) must give what the ORM gives, for every reader; a query whose SQL would change with
its values, or that drops a value, is refused on its first call.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.compiled_sql import CompiledQuery
from incidents import roles
from incidents.models import Company, RoleScope
from notifications.kinds import Kind
from notifications.models import Notification
from notifications.services import unread_count
from tests.incidents.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def names(user_id):
    return Group.objects.filter(user__id=user_id).order_by().values_list("name")


def test_rows_are_the_querysets_rows_for_each_value():
    first = UserFactory(roles=["staff", "pms_manager"])
    second = UserFactory(roles=["auditor"])
    query = CompiledQuery(names)
    for user in (first, second, first):
        assert sorted(query.rows(user.pk)) == sorted(names(user.pk))
    assert sorted(query.rows(second.pk)) == [("auditor",)]


def test_the_sql_is_written_once():
    user = UserFactory(roles=["staff"])
    query = CompiledQuery(names)
    query.rows(user.pk)
    written = []
    query.build = lambda user_id: written.append(user_id) or names(user_id)
    assert query.rows(user.pk) == [("staff",)]
    assert written == []  # not built again


def test_a_query_that_drops_its_value_is_refused():
    user = UserFactory(roles=["staff"])
    with pytest.raises(ValueError, match="not the same whatever its values"):
        CompiledQuery(lambda user_id: Group.objects.values_list("name")).rows(user.pk)


def test_a_query_whose_sql_changes_with_its_value_is_refused():
    user = UserFactory(roles=["staff"])

    def first_ones(count):  # an IN list as long as the value: a different SQL for each
        return Group.objects.filter(pk__in=list(range(1, count % 7 + 2))).values_list("name")

    with pytest.raises(ValueError, match="not the same whatever its values"):
        CompiledQuery(first_ones).rows(user.pk + 1)


def test_a_value_outside_a_columns_range_is_not_a_stand_in():
    # Django writes no SQL for a value a 32-bit id column cannot hold (that part of a union is
    # left out): the stand-ins are within the range, so every part is written.
    query = CompiledQuery(roles._access_rows)
    user = UserFactory(roles=["staff"], department=DepartmentFactory())
    query.rows(user.pk)
    sql = query._compiled["default"][0]
    assert sql.count("SELECT") == 3


def test_the_readers_roles_scopes_and_own_company_in_one_query():
    sol = Company.objects.create(code="SOL", name="株式会社INEソリューションズ", position=1)
    department = DepartmentFactory(company=sol)
    user = UserFactory(roles=["staff", "pms_manager", "auditor"], department=department)
    RoleScope.objects.create(user=user, role="pms_manager", company=None)
    RoleScope.objects.create(user=user, role="auditor", company=sol)
    plain = UserFactory(roles=["staff"])
    with CaptureQueriesContext(connection) as queries:
        access = roles._access(user)
    assert len(queries) == 1
    assert access.roles == {"staff", "pms_manager", "auditor"}
    assert access.scopes == {"pms_manager": None, "auditor": frozenset({sol.pk})}
    assert access.own_company == sol.pk
    other = roles._access(plain)
    assert (other.roles, other.scopes, other.own_company) == (frozenset({"staff"}), {}, Company.objects.default().pk)


def test_the_unread_count_is_the_inboxs():
    reader, other = UserFactory(), UserFactory()
    for n in range(3):
        Notification.objects.create(recipient=reader, kind=Kind.INCIDENT_REPORTED, subject=f"s{n}", body="b",
                                    key=f"k{n}", language="ja")
    Notification.objects.create(recipient=reader, kind=Kind.DIGEST, subject="digest", body="b", key="d",
                                language="ja")
    Notification.objects.create(recipient=other, kind=Kind.INCIDENT_REPORTED, subject="o", body="b", key="o",
                                language="ja")
    assert unread_count(reader) == 3 == Notification.objects.for_inbox(reader).unread().count()
    Notification.objects.filter(recipient=reader, subject="s0").update(read_at="2026-12-08T00:00:00Z")
    assert unread_count(reader) == 2
    assert unread_count(UserFactory()) == 0
