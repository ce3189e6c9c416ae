"""The audits app's records: the clause catalogue, audits with their checklists, findings."""

from .audit import Audit, AuditKind, AuditQuerySet, AuditState, ChecklistItem, ChecklistResult
from .catalogue import Requirement, Standard
from .finding import NONCONFORMITIES, Finding, FindingQuerySet, FindingState, Grade

__all__ = [
    "NONCONFORMITIES", "Audit", "AuditKind", "AuditQuerySet", "AuditState", "ChecklistItem", "ChecklistResult",
    "Finding", "FindingQuerySet", "FindingState", "Grade", "Requirement", "Standard",
]
