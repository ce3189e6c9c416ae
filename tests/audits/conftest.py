"""Fixtures for the audits app: an audit team independent of the audited departments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audits import services
from audits.models import Requirement
from incidents.services import transition_record
from tests.incidents.factories import DepartmentFactory, UserFactory


@pytest.fixture
def ga(db):
    return DepartmentFactory(code="GA", name="総務部")


@pytest.fixture
def audit_lead(ga):
    """The audit lead (個人情報保護監査責任者), of the general affairs department."""
    return UserFactory(username="auditlead", roles=["staff", "audit_lead", "auditor"], department=ga)


@pytest.fixture
def lead_auditor(ga):
    return UserFactory(username="leadauditor", roles=["staff", "auditor"], department=ga)


@pytest.fixture
def second_auditor(it_dept):
    """An auditor from IT: independent of sales, not of IT."""
    return UserFactory(username="auditor2", roles=["staff", "auditor"], department=it_dept)


@pytest.fixture
def clauses(db):
    return list(Requirement.objects.filter(standard="jis_q_15001", edition="2023", clause__in=["6.1", "9.2", "5.2"]))


@pytest.fixture
def plan_audit(audit_lead, lead_auditor, second_auditor, clauses, sales):
    """plan_audit(**overrides) -> a planned internal audit of sales (by default)."""

    def plan(**overrides):
        today = timezone.localdate()
        data = {
            "by": audit_lead, "title": "営業部 内部監査", "departments": [sales], "clauses": clauses,
            "lead_auditor": lead_auditor, "auditors": [second_auditor],
            "planned_start": today, "planned_end": today + dt.timedelta(days=2),
        }
        data.update(overrides)
        return services.audit_plan(**data)

    return plan


@pytest.fixture
def fieldwork(plan_audit, lead_auditor):
    """A sales audit in fieldwork (lead auditor from GA, auditor2 from IT)."""
    return transition_record(plan_audit(), "start", by=lead_auditor)


@pytest.fixture
def draft(request, manager):
    """A draft management review of the current fiscal year, with the texts of the requesting
    test module (its TEXTS, which its assertions compare with)."""
    return services.review_create(by=manager, **request.module.TEXTS)


@pytest.fixture
def submitted(draft, manager):
    return transition_record(draft, "submit", by=manager)
