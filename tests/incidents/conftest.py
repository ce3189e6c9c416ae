"""Fixtures for the incidents app."""

from __future__ import annotations

import pytest

from tests.incidents.factories import reported_incident


@pytest.fixture
def incident(staff):
    """An incident reported by `staff` through the service."""
    return reported_incident(staff)
