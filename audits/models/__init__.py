"""The audits app's records: the clause catalogue, audits with their checklists, findings."""

from .audit import Audit, AuditKind, AuditQuerySet, AuditState, ChecklistItem, ChecklistResult
from .catalogue import PMARK_GUIDELINE_EDITION, Requirement, Standard
from .finding import (
    DEFAULT_RESPONSE_DAYS,
    NONCONFORMITIES,
    Finding,
    FindingQuerySet,
    FindingResponsePolicy,
    FindingState,
    Grade,
    default_response_due,
)
from .review import DecisionKind, Review, ReviewDecision, ReviewQuerySet, ReviewState

__all__ = [
    "DEFAULT_RESPONSE_DAYS", "NONCONFORMITIES", "PMARK_GUIDELINE_EDITION", "Audit", "AuditKind", "AuditQuerySet", "AuditState", "ChecklistItem", "ChecklistResult",
    "DecisionKind", "Finding", "FindingQuerySet", "FindingResponsePolicy", "FindingState", "Grade", "Requirement", "Review", "ReviewDecision",
    "ReviewQuerySet", "ReviewState", "Standard", "default_response_due",
]
