"""The incidents app's records, one module per aggregate."""

from .action import (
    ACTION_WORK_STATES,
    Action,
    ActionKind,
    ActionQuerySet,
    ActionRound,
    ActionState,
    RoundOutcome,
    implementers_of,
)
from .attachments import Attachment, EvidencePurpose
from .base import StateMachineRecord, VersionedRecord
from .channels import ChatChannel
from .company import (
    Company,
    LeakAuthority,
    PrivacyDesk,
    RoleScope,
    group_companies,
    group_has_several_companies,
)
from .complaints import Complaint, ComplaintClass, ComplaintQuerySet, ComplaintState
from .idempotency import IdempotentRequest
from .incident import (
    PPC_ITEM_KEYS,
    Incident,
    IncidentKind,
    IncidentQuerySet,
    IncidentState,
    PMarkEvent,
    Severity,
)
from .organisation import (
    CauseCategory,
    Department,
    EventClass,
    PickList,
    ReferenceCounter,
    UserProfile,
    department_of,
    headed_department_ids,
    person_name,
)
from .progress import ProgressEntry, progress_closed_problem, progress_writer_problem
from .reminders import SentReminder
from .reporting import FOLLOW_UPS, FilingMethod, ReportingTrack, RuleSet, TrackKind, TrackQuerySet, TrackState
from .requests import (
    AnswerMethod,
    CaseChannel,
    Decision,
    ExceptionGround,
    IdentityMethod,
    IdentityResult,
    RequesterType,
    RequestItem,
    RequestKind,
    RequestPause,
    RequestState,
    RightsRequest,
    RightsRequestQuerySet,
)

__all__ = [
    "ACTION_WORK_STATES", "Action", "ActionKind", "ActionQuerySet", "ActionRound", "ActionState", "Attachment",
    "CauseCategory", "Company", "PrivacyDesk", "Department", "LeakAuthority", "RoleScope", "group_companies", "group_has_several_companies", "EventClass", "IdempotentRequest", "Incident", "IncidentKind", "IncidentQuerySet",
    "IncidentState", "PickList", "ReferenceCounter", "RoundOutcome", "Severity", "StateMachineRecord", "VersionedRecord",
    "UserProfile", "department_of", "headed_department_ids", "implementers_of", "person_name", "FilingMethod",
    "ReportingTrack", "RuleSet", "TrackKind", "TrackQuerySet", "TrackState", "SentReminder", "FOLLOW_UPS",
    "PMarkEvent", "PPC_ITEM_KEYS", "EvidencePurpose", "ProgressEntry", "progress_closed_problem",
    "progress_writer_problem", "ChatChannel",
    "Complaint", "ComplaintClass", "ComplaintQuerySet", "ComplaintState", "AnswerMethod", "CaseChannel", "Decision",
    "ExceptionGround", "IdentityMethod", "IdentityResult", "RequesterType", "RequestItem", "RequestKind",
    "RequestPause", "RequestState", "RightsRequest", "RightsRequestQuerySet",
]
