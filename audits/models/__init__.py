"""The audits app's records: the clause catalogue, audits with their checklists, findings."""

from .audit import Audit, AuditKind, AuditQuerySet, AuditState, ChecklistItem, ChecklistResult
from .catalogue import PMARK_GUIDELINE_EDITION, Requirement, Standard
from .finding import NONCONFORMITIES, Finding, FindingQuerySet, FindingState, Grade
from .review import DecisionKind, Review, ReviewDecision, ReviewQuerySet, ReviewState

__all__ = [
    "NONCONFORMITIES", "PMARK_GUIDELINE_EDITION", "Audit", "AuditKind", "AuditQuerySet", "AuditState", "ChecklistItem", "ChecklistResult",
    "DecisionKind", "Finding", "FindingQuerySet", "FindingState", "Grade", "Requirement", "Review", "ReviewDecision",
    "ReviewQuerySet", "ReviewState", "Standard",
]
