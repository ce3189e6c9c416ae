"""The audit fixtures (an independent audit team, a planned audit, a draft review), for the
tests of who is told of audit work."""

from tests.audits.conftest import (  # noqa: F401
    audit_lead,
    clauses,
    draft,
    ga,
    lead_auditor,
    plan_audit,
    second_auditor,
)
