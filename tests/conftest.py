"""Shared fixtures: one user per role, and API clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.incidents.factories import DepartmentFactory, UserFactory


@pytest.fixture
def sales(db):
    return DepartmentFactory(code="SALES", name="営業部")


@pytest.fixture
def it_dept(db):
    return DepartmentFactory(code="IT", name="情報システム部")


@pytest.fixture
def staff(sales):
    """A staff member of the sales department."""
    return UserFactory(username="staff", roles=["staff"], department=sales)


@pytest.fixture
def other_staff(it_dept):
    """A staff member of another department: an outsider to `staff`'s records."""
    return UserFactory(username="other_staff", roles=["staff"], department=it_dept)


@pytest.fixture
def manager(it_dept):
    """The PMS manager (個人情報保護管理者)."""
    return UserFactory(username="manager", roles=["staff", "pms_manager"], department=it_dept)


@pytest.fixture
def office(it_dept):
    """A second member of the PMS office, who can close what the manager implemented."""
    return UserFactory(username="office", roles=["staff", "pms_manager"], department=it_dept)


@pytest.fixture
def head(sales):
    """The head of the sales department."""
    user = UserFactory(username="head", roles=["staff", "department_head"], department=sales)
    sales.head = user
    sales.save()
    return user


@pytest.fixture
def executive(it_dept):
    return UserFactory(username="executive", roles=["executive"], department=it_dept)


@pytest.fixture
def auditor(it_dept):
    return UserFactory(username="auditor", roles=["staff", "auditor"], department=it_dept)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as(api):
    """api_as(user) -> an APIClient authenticated as that user."""

    def login(user):
        api.force_authenticate(user=user)
        return api

    return login
