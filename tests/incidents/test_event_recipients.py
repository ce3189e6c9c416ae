"""Who is told of an event: events.holders is people.eligible (roles.has_role in one query).

Every combination of where a role is held (a RoleScope row for one company, one for the
whole group, none: the user's own company, or the default company without a department)
against every company and the whole group: the one query picks whom has_role picks.
"""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.events import holders
from incidents.models import Company, RoleScope
from incidents.models.company import companies_read_once
from incidents.models.organisation import UserProfile
from incidents.roles import Role, has_role
from tests.incidents.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    main = Company.objects.default()
    sol = Company.objects.create(code="SOL", name="株式会社INEソリューションズ", position=1)
    ins = Company.objects.create(code="INS", name="INE保険サービス株式会社", position=2)
    departments = {company.code: DepartmentFactory(company=company) for company in (main, sol, ins)}
    people = []
    for n, (home, scope) in enumerate(itertools.product([*departments, None], ["none", "group", "SOL", "INS"])):
        user = UserFactory(username=f"p{n}", roles=["staff", "pms_manager"],
                           department=departments[home] if home else None)
        if home is None:
            UserProfile.objects.filter(user=user).update(department=None)
        if scope == "group":
            RoleScope.objects.create(user=user, role=Role.PMS_MANAGER, company=None)
        elif scope != "none":
            RoleScope.objects.create(user=user, role=Role.PMS_MANAGER, company=Company.objects.get(code=scope))
        people.append(user)
    UserFactory(username="inactive", roles=["pms_manager"], department=departments["SOL"], is_active=False)
    UserFactory(username="plain", roles=["staff"], department=departments["SOL"])
    return [main, sol, ins]


def test_holders_are_those_has_role_names_for_every_company(group):
    users = list(get_user_model().objects.order_by("pk"))
    for company_id in [None, *(company.pk for company in group)]:
        expected = [user.pk for user in users if user.is_active and has_role(user, Role.PMS_MANAGER, company=company_id)]
        assert [user.pk for user in holders(Role.PMS_MANAGER, company_id)] == expected, company_id
        assert expected  # each company has someone


def test_holders_take_one_query_in_a_request_whatever_their_number(group):
    with companies_read_once():
        holders(Role.PMS_MANAGER, group[1].pk)  # the group's companies, read once a request
        with CaptureQueriesContext(connection) as queries:
            found = holders(Role.PMS_MANAGER, group[1].pk)
    assert len(found) >= 5
    assert len(queries) == 1
