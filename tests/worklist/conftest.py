import pytest

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


@pytest.fixture(autouse=True)
def rows_read_with_their_columns(no_lazy_columns):
    """The to-do page reads only the columns its rows show (incidents/rows.py): any other it
    read later would cost a query per row, unseen by a page of a few rows. Refused here."""
