"""Fixtures for the incidents app."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.incidents.factories import reported_incident


@pytest.fixture
def incident(staff):
    """An incident reported by `staff` through the service."""
    return reported_incident(staff)


@pytest.fixture
def pms_manager(manager):
    """The PMS manager, with access to the admin."""
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    return manager


@pytest.fixture
def second_client():
    """A second browser: another person with the same page open."""

    def login(user):
        other = Client(HTTP_ACCEPT_LANGUAGE="en")
        other.force_login(user)
        return other

    return login


@pytest.fixture
def staffed_office(office):
    """A second member of the PMS office, named, with access to the admin."""
    office.is_staff, office.last_name, office.first_name = True, "佐藤", "花子"
    office.save(update_fields=["is_staff", "last_name", "first_name"])
    return office
