from tests.audits.conftest import (  # noqa: F401
    audit_lead,
    clauses,
    draft,
    fieldwork,
    ga,
    lead_auditor,
    plan_audit,
    second_auditor,
)
