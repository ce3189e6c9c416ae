"""Requests from individuals (開示等の請求等, APPI arts. 32–39; PrivacyMark J.10).

A request (RightsRequest, REQ-2026-0001) is one case: one requester, received once, through
one channel, asking for one or more of the six things of domain.md §1.14, each answered on
its own (RequestItem: in full, in part, by another measure, or refused with the article of
the exception and the reason given to the person, art. 36).

The clock (遅滞なく): the company's target (Company.request_target_days, 14 days unless the
office changes it) counts from the day the request was received; a pause while the company
waits for the requester (identity documents, the fee, what exactly is asked) stops it, is
kept as a RequestPause row and shown on the case, and moves the due date by its length. The
art. 39 mark, two weeks from receipt after which the person may sue, never moves.

Where the company's published procedure (policy §6: paper answers by post) lags the law,
the rules follow the law and say so: since the 2022 amendment the person chooses the
method of disclosure (art. 33(1)), and a paper answer to a request for electronic
disclosure needs the recorded reason why the electronic method was difficult (art. 33(2)).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import transition

from incidents.workflow.fields import StateField
from trail.history import TrailedHistory

from ..record_urls import record_url
from ..roles import Role, has_role, role_companies
from ..workflow import Editable, EditPolicy, TransitionSpec, condition, permission, specs
from .attachments import EvidencePurpose
from .base import StateMachineRecord, VersionedRecord
from .organisation import Department, headed_department_ids

# Art. 39: the person may sue once two weeks have passed from the day the request arrived.
LAWSUIT_MARK_DAYS = 14
DEFAULT_TARGET_DAYS = 14


class CaseChannel(models.TextChoices):
    """How a request or a complaint reached the company."""

    POST = "post", _("Post (郵送)")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Telephone")
    IN_PERSON = "in_person", _("In person (窓口)")
    FAX = "fax", _("Fax")
    WEB_FORM = "web_form", _("Web form")
    OTHER = "other", _("Other")


class RequestKind(models.TextChoices):
    """The six requests of domain.md §1.14 (APPI arts. 32–35)."""

    PURPOSE = "purpose", _("Notice of the purpose of use (利用目的の通知, art. 32)")
    DISCLOSURE = "disclosure", _("Disclosure (開示, art. 33)")
    PROVISION_RECORDS = "provision_records", _("Disclosure of third-party provision records (第三者提供記録の開示, art. 33(5))")
    CORRECTION = "correction", _("Correction, addition or deletion (訂正・追加・削除, art. 34)")
    STOP_USE = "stop_use", _("Stop of use or erasure (利用停止・消去, art. 35(1),(5))")
    STOP_PROVISION = "stop_provision", _("Stop of provision to third parties (第三者提供の停止, art. 35(3))")


# Art. 38(1): a fee may be charged only for a notice of the purpose of use and a disclosure.
FEE_KINDS = frozenset({RequestKind.PURPOSE, RequestKind.DISCLOSURE, RequestKind.PROVISION_RECORDS})
DISCLOSURE_KINDS = frozenset({RequestKind.DISCLOSURE, RequestKind.PROVISION_RECORDS})


class RequesterType(models.TextChoices):
    PERSON = "person", _("The person (本人)")
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative (法定代理人: a parent, a guardian)")
    AGENT = "agent", _("Appointed agent (任意代理人, with a power of attorney)")


class IdentityMethod(models.TextChoices):
    ID_COPY = "id_copy", _("Copy of an identity document (本人確認書類の写し)")
    ID_PRESENTED = "id_presented", _("Identity document shown in person")
    REGISTERED_DETAILS = "registered_details", _("Match with the registered details (登録情報の照合)")
    ACCOUNT_LOGIN = "account_login", _("Login to the person's account")
    OTHER = "other", _("Other")


class IdentityResult(models.TextChoices):
    PENDING = "", _("Not yet confirmed")
    CONFIRMED = "confirmed", _("Confirmed")
    FAILED = "failed", _("Could not be confirmed")


class AnswerMethod(models.TextChoices):
    ELECTRONIC = "electronic", _("Electronic (電磁的記録)")
    PAPER = "paper", _("Paper (書面)")
    OTHER = "other", _("Other")


class Decision(models.TextChoices):
    PENDING = "", _("Not yet decided")
    FULL = "full", _("In full")
    PARTIAL = "partial", _("In part")
    ALTERNATIVE = "alternative", _("By another measure (use stopped instead of deletion)")
    REFUSED = "refused", _("Refused")


class ExceptionGround(models.TextChoices):
    """The article a refusal (or a partial answer) relies on; the reason itself is written
    for the person (art. 36)."""

    NONE = "", _("—")
    NOT_HELD = "not_held", _("No such retained personal data is held (art. 33(3))")
    IDENTITY = "identity", _("The requester's identity or authority could not be confirmed (art. 37(1))")
    PURPOSE_EXEMPT = "purpose_exempt", _("Purpose of use exempt from notice (art. 32(2), art. 21(4)(i)–(iv))")
    HARM = "harm", _("Would harm the life, body, property or other rights of the person or a third party "
                     "(art. 33(2)(i))")
    BUSINESS = "business", _("Would seriously hinder the proper conduct of business (art. 33(2)(ii))")
    OTHER_LAW = "other_law", _("Would violate another law (art. 33(2)(iii))")
    NOT_INCORRECT = "not_incorrect", _("The data are not contrary to the facts, or the change is beyond what the "
                                       "purpose needs (art. 34(2))")
    NO_GROUNDS = "no_grounds", _("None of the grounds for stopping use or provision applies (art. 35)")
    COST = "cost", _("Too costly or difficult; another measure taken instead (art. 35(2), (4), (6) proviso)")
    OTHER = "other", _("Other (explained in the reason)")


class RequestState(models.TextChoices):
    RECEIVED = "received", _("Received")
    IDENTITY = "identity", _("Identity being confirmed")
    IN_PROGRESS = "in_progress", pgettext_lazy("request state", "In progress")
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", pgettext_lazy("request state", "Closed")


# The states in which the company still owes the person an answer (the clock runs).
REQUEST_OPEN_STATES = (RequestState.RECEIVED, RequestState.IDENTITY, RequestState.IN_PROGRESS)


class RightsRequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> RightsRequestQuerySet:
        """The PMS office of the company; whoever handles or received the case; the heads of
        the department it is assigned to. Nobody else: a request carries the requester's
        personal data (executives read the figures in the management review)."""
        return self.filter(case_visibility(user))

    def open(self) -> RightsRequestQuerySet:
        return self.filter(state__in=REQUEST_OPEN_STATES)

    def overdue(self, today: dt.date | None = None) -> RightsRequestQuerySet:
        """Still unanswered after the due date, the clock running (a paused case is not late
        while it waits for the requester: its due date moves when it resumes)."""
        today = today or timezone.localdate()
        return self.open().filter(due_on__lt=today, paused_since__isnull=True)

    def due_soon(self, today: dt.date | None = None, days: int = 3) -> RightsRequestQuerySet:
        today = today or timezone.localdate()
        return self.open().filter(paused_since__isnull=True, due_on__gte=today,
                                  due_on__lte=today + dt.timedelta(days=days))


def case_visibility(user, *, handler_field: str = "handler") -> Q:
    """Who reads a request or a complaint (design.md: the PMS office and whoever handles the
    case; department heads the cases assigned to their department)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    visible = Q(**{handler_field: user}) | Q(received_by=user)
    companies = role_companies(user, Role.PMS_MANAGER)
    if companies is None:
        return Q()
    if companies:
        visible |= Q(company_id__in=companies)
    departments = headed_department_ids(user)
    if departments:
        visible |= Q(department_id__in=departments)
    return visible


def case_office_problem(record, user) -> str | None:
    """The PMS office of the case's company, or its handler."""
    if record is not None and record.company_id and has_role(user, Role.PMS_MANAGER, company=record.company_id):
        return None
    if record is not None and getattr(record, "handler_id", None) == user.pk and user.pk is not None:
        return None
    return _("Only the PMS office or the person handling the case may do this.")


def _receives(record, user) -> str | None:
    """Anyone may record a request they received (by phone, by mail, at a desk); once it is
    recorded, the PMS office and the handler take it over."""
    if record is None or record.pk is None:
        return None if user.is_authenticated and user.is_active else _("Sign in to record a request.")
    return case_office_problem(record, user)


def _office_only(record, user) -> str | None:
    if record is not None and record.company_id and has_role(user, Role.PMS_MANAGER, company=record.company_id):
        return None
    if record is None or record.pk is None:
        return None if has_role(user, Role.PMS_MANAGER) else _("Only the PMS office assigns the case.")
    return _("Only the PMS office assigns the case.")


def _request_open(request: RightsRequest) -> str | None:
    return None if request.state != RequestState.CLOSED else _("This record is closed and can no longer be edited.")


def _still_unanswered(request: RightsRequest) -> str | None:
    if request.state in REQUEST_OPEN_STATES:
        return None
    return _("The request has been answered: what was asked for can no longer change.")


# --- conditions of the steps (each returns its reason, or None)


def _identity_confirmed(request: RightsRequest) -> str | None:
    problems = []
    if not request.identity_method:
        problems.append(str(_("Record how the requester's identity was confirmed.")))
    if request.identity_result != IdentityResult.CONFIRMED:
        problems.append(str(_("The identity must be confirmed before the request is handled (art. 37(1)); if it "
                              "cannot be, refuse the request with that reason.")))
    if request.requester_type != RequesterType.PERSON and not (
            request.authority_evidence.strip() or request.files_count(EvidencePurpose.AUTHORITY)):
        problems.append(str(_("Record the evidence of the representative's authority (a family register extract, "
                              "a power of attorney), or attach it.")))
    return " ".join(problems) or None


def _items_decided(request: RightsRequest) -> str | None:
    items = request.item_list()
    if not items:
        return _("Record at least one thing the person asks for.")
    undecided = [str(item.get_kind_display()) for item in items if not item.decision]
    if undecided:
        return _("Decide each thing asked for: %(kinds)s.") % {"kinds": "、".join(undecided)}
    unexplained = [str(item.get_kind_display()) for item in items
                   if item.decision != Decision.FULL and not (item.ground and item.reason.strip())]
    if unexplained:
        return _("Give the article relied on and the reason told to the person (art. 36) for: %(kinds)s.") % {
            "kinds": "、".join(unexplained)}
    return None


def _not_all_refused(request: RightsRequest) -> str | None:
    items = request.item_list()
    if items and all(item.decision == Decision.REFUSED for item in items):
        return _("Every part of the request is refused: take the step “Refuse” instead.")
    return None


def _sent(request: RightsRequest) -> str | None:
    problems = []
    if not request.sent_on:
        problems.append(str(_("Give the date the answer was sent.")))
    if not request.method_used:
        problems.append(str(_("Give the method used for the answer.")))
    return " ".join(problems) or None


def _electronic_disclosure(request: RightsRequest) -> str | None:
    """Art. 33(1),(2) since 2022: the person chooses the method; paper only with a reason."""
    if request.paper_needs_reason() and not request.paper_reason.strip():
        return _("The person asked for electronic disclosure (art. 33(1)). Paper may be used only where the "
                 "electronic method would cost too much or is otherwise difficult (art. 33(2)): record why. "
                 "The company's published procedure (policy §6) speaks of paper only; the law now comes first.")
    return None


def _disclosed_data_attached(request: RightsRequest) -> str | None:
    if request.method_used != AnswerMethod.ELECTRONIC:
        return None
    disclosed = [item for item in request.item_list() if item.kind in DISCLOSURE_KINDS
                 and item.decision in (Decision.FULL, Decision.PARTIAL)]
    if disclosed and not request.disclosed_files_count():
        return _("Attach the disclosed data (the file sent to the person) before recording an electronic answer.")
    return None


def _late_acknowledged(request: RightsRequest) -> str | None:
    if not request.answered_late_on(request.sent_on or timezone.localdate()):
        return None
    if request.consequence_acknowledged and request.late_reason.strip():
        return None
    return _("The answer is late (due %(due)s). Record why, and confirm that a late answer may be treated as a "
             "refusal: a wrongful refusal of a request is a PrivacyMark 事故等 (kind ⑧) to be reported to the "
             "assessment body.") % {"due": request.effective_due_on()}


def _refusal_grounds(request: RightsRequest) -> str | None:
    if request.identity_result == IdentityResult.FAILED:
        pass  # art. 37(1): refused because the identity could not be confirmed
    else:
        items = request.item_list()
        if not items or any(item.decision != Decision.REFUSED for item in items):
            return _("Refuse only when every part of the request is refused (or the identity could not be "
                     "confirmed); otherwise answer in part.")
        unexplained = [str(item.get_kind_display()) for item in items if not (item.ground and item.reason.strip())]
        if unexplained:
            return _("Give the article relied on and the reason told to the person (art. 36) for: %(kinds)s.") % {
                "kinds": "、".join(unexplained)}
    if not request.consequence_acknowledged:
        return _("Confirm the refusal: a request refused wrongly is a PrivacyMark 事故等 (kind ⑧, 開示等の求め等の拒否) "
                 "that must be reported to the assessment body.")
    if not request.sent_on:
        return _("Give the date the refusal was sent to the person.")
    return None


REQUEST_TRANSITIONS = specs(
    TransitionSpec("check_identity", _("Start the identity check"), ("identity_method",)),
    TransitionSpec("confirm_identity", _("Identity confirmed: handle the request"),
                   ("identity_method", "identity_result", "identity_checked_on"),
                   required=("identity_method", "identity_result")),
    TransitionSpec("answer", _("Record the answer sent"),
                   ("method_used", "sent_on", "paper_reason", "late_reason", "consequence_acknowledged"),
                   required=("method_used", "sent_on")),
    TransitionSpec("refuse", _("Refuse the request"), ("sent_on", "consequence_acknowledged"),
                   comment_required=True, danger=True, required=("sent_on", "consequence_acknowledged")),
    TransitionSpec("withdraw", _("Withdrawn by the requester"), comment_required=True, danger=True),
    TransitionSpec("close", pgettext_lazy("request transition", "Close")),
)

REQUEST_INTAKE_FIELDS = (
    "company", "channel", "received_on", "requester_type", "requester_name", "requester_address",
    "requester_contact", "subject_name", "summary", "method_requested", "enclosures", "postage_by_requester",
)
REQUEST_IDENTITY_FIELDS = (
    "identity_method", "identity_result", "identity_checked_on", "identity_note", "authority_evidence",
)
REQUEST_WORK_FIELDS = (
    "data_searched", "method_used", "paper_reason", "fee_amount", "fee_received_on", "sent_on", "late_reason",
    "letter_body",
)


class RightsRequest(StateMachineRecord):
    transition_specs = REQUEST_TRANSITIONS
    edit_policy = EditPolicy(
        Editable(REQUEST_INTAKE_FIELDS, who=_receives, when=_still_unanswered),
        Editable(("department", "handler"), who=_office_only),
        Editable(REQUEST_IDENTITY_FIELDS, who=case_office_problem, on_create=False),
        Editable(REQUEST_WORK_FIELDS, who=case_office_problem, on_create=False),
        editable=_request_open,
        by_transition={"consequence_acknowledged": _("Record the answer sent")},
    )
    system_trail_labels = {"receive": _("Request received")}

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    company = models.ForeignKey("incidents.Company", verbose_name=_("company"), on_delete=models.PROTECT,
                                related_name="rights_requests", blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department concerned"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="rights_requests",
        help_text=_("The department that holds the data asked about: its head sees the case."),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handler"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text=_("Who runs the case (担当者)."),
    )
    # --- intake
    channel = models.CharField(_("channel"), max_length=20, choices=CaseChannel.choices)
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", editable=False, help_text=_("Empty: filed by the person through the public form."),
    )
    requester_type = models.CharField(_("requester"), max_length=30, choices=RequesterType.choices,
                                      default=RequesterType.PERSON)
    requester_name = models.CharField(_("requester's name"), max_length=200)
    requester_address = models.TextField(_("requester's address"), blank=True,
                                         help_text=_("Where the answer is sent by post."))
    requester_contact = models.CharField(_("requester's telephone or e-mail"), max_length=200, blank=True)
    subject_name = models.CharField(
        _("name of the person (本人)"), max_length=200, blank=True,
        help_text=_("When a representative files the request: whose data it is about."),
    )
    summary = models.TextField(_("what is asked"), help_text=_("The request in the requester's words, briefly."))
    method_requested = models.CharField(
        _("method asked for"), max_length=20, choices=AnswerMethod.choices, blank=True,
        help_text=_("How the person wants the answer (art. 33(1): they choose the method of disclosure)."),
    )
    enclosures = models.TextField(
        _("documents enclosed"), blank=True,
        help_text=_("What came with the request (the request form, copies of identity documents, a power of "
                    "attorney, stamps for the reply)."),
    )
    postage_by_requester = models.BooleanField(
        _("postage borne by the requester"), default=False,
        help_text=_("The company's procedure asks the requester to pay the postage of the answer."),
    )
    # --- identity and authority (art. 37)
    identity_method = models.CharField(_("identity confirmed by"), max_length=30, choices=IdentityMethod.choices,
                                       blank=True)
    identity_result = models.CharField(_("identity check"), max_length=20, choices=IdentityResult.choices,
                                       blank=True)
    identity_checked_on = models.DateField(_("identity checked on"), null=True, blank=True)
    identity_note = models.TextField(_("identity check notes"), blank=True)
    authority_evidence = models.TextField(
        _("evidence of authority"), blank=True,
        help_text=_("For a representative: the document that shows the authority (戸籍謄本, 委任状)."),
    )
    identity_documents_deleted_at = models.DateTimeField(
        _("identity documents deleted at"), null=True, blank=True, editable=False,
        help_text=_("The copies of identity documents are deleted automatically once the case has been closed "
                    "for the company's retention period."),
    )
    # --- the work
    data_searched = models.TextField(_("data searched"), blank=True,
                                     help_text=_("Which systems and files were searched, and what was found."))
    method_used = models.CharField(_("method used"), max_length=20, choices=AnswerMethod.choices, blank=True)
    paper_reason = models.TextField(
        _("why not electronically"), blank=True,
        help_text=_("Required when the person asked for electronic disclosure and the answer is on paper "
                    "(art. 33(2))."),
    )
    fee_amount = models.PositiveIntegerField(
        _("fee (yen)"), default=0,
        help_text=_("Only for a notice of the purpose of use or a disclosure (art. 38(1)), within a reasonable "
                    "amount."),
    )
    fee_received_on = models.DateField(_("fee received on"), null=True, blank=True)
    sent_on = models.DateField(_("answer sent on"), null=True, blank=True)
    late_reason = models.TextField(_("reason for the delay"), blank=True)
    # Written only by the steps that ask for it (refuse, a late answer): not in the edit
    # policy, so an edit of it is refused; editable for the steps' forms.
    consequence_acknowledged = models.BooleanField(
        _("I understand the PrivacyMark consequence"), default=False,
        help_text=_("A request refused wrongly, or answered so late that it amounts to a refusal, is a PrivacyMark "
                    "事故等 (kind ⑧, 開示等の求め等の拒否) that must be reported to the assessment body."),
    )
    letter_body = models.TextField(
        _("text of the answer letter"), blank=True,
        help_text=_("Drafted from the case; edit it before printing the letter."),
    )
    # --- the clock
    target_days = models.PositiveSmallIntegerField(_("target (days)"), editable=False,
                                                   default=DEFAULT_TARGET_DAYS)
    paused_days = models.PositiveIntegerField(_("days paused"), default=0, editable=False)
    paused_since = models.DateField(_("paused since"), null=True, blank=True, editable=False)
    pause_reason = models.CharField(_("waiting for"), max_length=300, blank=True, editable=False)
    due_on = models.DateField(_("answer due"), null=True, blank=True, editable=False)
    # --- what it led to
    incident = models.ForeignKey(
        "incidents.Incident", verbose_name=_("incident raised"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="rights_requests", editable=False,
        help_text=_("The PrivacyMark 事故等 (kind ⑧) raised when the refusal was judged wrongful."),
    )
    state = StateField(_("state"), default=RequestState.RECEIVED, choices=RequestState.choices, protected=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    objects = RightsRequestQuerySet.as_manager()
    history = TrailedHistory()

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("request from an individual")
        verbose_name_plural = _("requests from individuals")
        indexes = [
            models.Index(fields=["state", "due_on"], name="request_state_due"),
            models.Index(fields=["-received_on", "-id"], name="request_received"),  # the list's order
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return record_url("request_detail", self.pk)

    def save(self, *args, **kwargs) -> None:
        if self.company_id is None:
            from .company import Company

            self.company = (self.department.company if self.department_id else None) or Company.objects.default()
        if self.received_on:
            self.due_on = self.received_on + dt.timedelta(days=self.target_days + self.paused_days)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "due_on"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = {}
        today = timezone.localdate()
        if self.received_on and self.received_on > today:
            errors["received_on"] = _("A request cannot be received in the future.")
        if self.sent_on and self.received_on and self.sent_on < self.received_on:
            errors["sent_on"] = _("The answer cannot be sent before the request was received.")
        if self.requester_type != RequesterType.PERSON and not self.subject_name.strip():
            errors["subject_name"] = _("Name the person whose data the representative asks about.")
        if self.fee_amount and self.pk and not self.items.filter(kind__in=FEE_KINDS).exists():
            errors["fee_amount"] = _("A fee may be charged only for a notice of the purpose of use or a disclosure "
                                     "(art. 38(1)); this request asks for neither.")
        if self.department_id and self.company_id and self.department.company_id != self.company_id:
            errors["department"] = _("The department belongs to another company.")
        if errors:
            raise ValidationError(errors)

    # --- the transitions

    @transition(field=state, source=RequestState.RECEIVED, target=RequestState.IDENTITY,
                permission=permission(case_office_problem))
    def check_identity(self, by=None, description=None):
        """Waiting for, or checking, the documents that identify the requester (art. 37)."""

    @transition(field=state, source=[RequestState.RECEIVED, RequestState.IDENTITY], target=RequestState.IN_PROGRESS,
                conditions=[condition(_identity_confirmed)], permission=permission(case_office_problem))
    def confirm_identity(self, by=None, description=None):
        """The requester is who they say (and may act for the person): the search starts."""
        if not self.identity_checked_on:
            self.identity_checked_on = timezone.localdate()

    @transition(field=state, source=RequestState.IN_PROGRESS, target=RequestState.ANSWERED,
                conditions=[condition(_items_decided), condition(_not_all_refused), condition(_sent),
                            condition(_electronic_disclosure), condition(_disclosed_data_attached),
                            condition(_late_acknowledged)],
                permission=permission(case_office_problem))
    def answer(self, by=None, description=None):
        """The answer (in full or in part) has been sent to the person."""

    @transition(field=state, source=[RequestState.IDENTITY, RequestState.IN_PROGRESS], target=RequestState.REFUSED,
                conditions=[condition(_refusal_grounds)], permission=permission(case_office_problem))
    def refuse(self, by=None, description=None):
        """Nothing of what was asked is done; the person is told why (art. 36)."""

    @transition(field=state, source=list(REQUEST_OPEN_STATES), target=RequestState.WITHDRAWN,
                permission=permission(case_office_problem))
    def withdraw(self, by=None, description=None):
        """The requester withdrew the request."""

    @transition(field=state, source=[RequestState.ANSWERED, RequestState.REFUSED, RequestState.WITHDRAWN],
                target=RequestState.CLOSED, permission=permission(case_office_problem))
    def close(self, by=None, description=None):
        self.closed_at = timezone.now()
        if self.paused_since:
            self.end_pause(timezone.localdate(), by=by)

    def announce_transition(self, name: str, *, by) -> None:
        from ..case_events import request_transition

        request_transition(self, name, by=by)

    # --- reading

    def item_list(self) -> list[RequestItem]:
        cached = getattr(self, "_prefetched_objects_cache", {}).get("items")
        return list(cached) if cached is not None else list(self.items.all())

    def kinds(self) -> list[str]:
        return [item.kind for item in self.item_list()]

    def files_count(self, purpose: str) -> int:
        from .attachments import Attachment

        return Attachment.objects.filter(
            content_type__app_label="incidents", content_type__model="rightsrequest", object_id=self.pk,
            purpose=purpose,
        ).count()

    def disclosed_files_count(self) -> int:
        return self.files_count(EvidencePurpose.DISCLOSED_DATA)

    def paper_needs_reason(self) -> bool:
        """Asked electronically, a disclosure given, answered on paper (art. 33(2))."""
        return (self.method_requested == AnswerMethod.ELECTRONIC and self.method_used == AnswerMethod.PAPER
                and any(item.kind in DISCLOSURE_KINDS and item.decision in (Decision.FULL, Decision.PARTIAL)
                        for item in self.item_list()))

    @property
    def is_open(self) -> bool:
        return self.state in REQUEST_OPEN_STATES

    @property
    def lawsuit_mark_on(self) -> dt.date | None:
        """Art. 39: from two weeks after the request arrived the person may sue. Never moved by a pause."""
        return self.received_on + dt.timedelta(days=LAWSUIT_MARK_DAYS) if self.received_on else None

    def current_pause_days(self, today: dt.date | None = None) -> int:
        if not self.paused_since:
            return 0
        return max(0, ((today or timezone.localdate()) - self.paused_since).days)

    def effective_due_on(self, today: dt.date | None = None) -> dt.date | None:
        """The due date counting a pause still running up to today."""
        if self.due_on is None:
            return None
        return self.due_on + dt.timedelta(days=self.current_pause_days(today))

    @property
    def overdue(self) -> bool:
        due = self.effective_due_on()
        return self.is_open and self.paused_since is None and due is not None and due < timezone.localdate()

    def answered_late_on(self, day: dt.date | None) -> bool:
        due = self.effective_due_on(day)
        return day is not None and due is not None and day > due

    @property
    def answered_late(self) -> bool:
        return self.state in (RequestState.ANSWERED, RequestState.REFUSED, RequestState.CLOSED) and \
            self.sent_on is not None and self.due_on is not None and self.sent_on > self.due_on

    @property
    def days_to_answer(self) -> int | None:
        return (self.sent_on - self.received_on).days if self.sent_on and self.received_on else None

    @property
    def allows_fee(self) -> bool:
        return any(kind in FEE_KINDS for kind in self.kinds())

    def pause_days_until(self, day: dt.date) -> int:
        """The days the running pause lasts if it ends at `day` (0 when the clock runs)."""
        return max(0, (day - self.paused_since).days) if self.paused_since else 0

    def close_pauses(self, day: dt.date, *, by) -> None:
        """End the running pause's row at `day`, saved on its trail like every change."""
        for pause in self.pauses.filter(ended_on__isnull=True):
            pause.ended_on, pause.days = day, max(0, (day - pause.started_on).days)
            pause._history_user = by
            pause.save()

    def end_pause(self, day: dt.date, *, by) -> None:
        """Close the running pause at `day` (the caller saves the request, inside its lock)."""
        if not self.paused_since:
            return
        self.close_pauses(day, by=by)
        self.paused_days += self.pause_days_until(day)
        self.paused_since = None
        self.pause_reason = ""


class RequestItem(VersionedRecord):
    """One thing a request asks for, and the decision on it."""

    edit_policy = EditPolicy(
        Editable(("decision", "ground", "reason", "outcome"),
                 who=lambda item, user: case_office_problem(item.request if item is not None else None, user),
                 when=lambda item: _still_unanswered(item.request) if item is not None else None),
    )

    request = models.ForeignKey(RightsRequest, verbose_name=_("request"), on_delete=models.CASCADE,
                                related_name="items")
    kind = models.CharField(_("request"), max_length=30, choices=RequestKind.choices)
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    ground = models.CharField(_("article relied on"), max_length=30, choices=ExceptionGround.choices, blank=True)
    reason = models.TextField(
        _("reason told to the person"), blank=True,
        help_text=_("Art. 36: explain the reason when not doing what was asked, or doing something else."),
    )
    outcome = models.TextField(_("what was done"), blank=True,
                               help_text=_("What was disclosed, corrected, deleted or stopped."))

    history = TrailedHistory()

    class Meta:
        ordering = ["request_id", "id"]
        verbose_name = _("thing asked for")
        verbose_name_plural = _("things asked for")
        constraints = [models.UniqueConstraint(fields=["request", "kind"], name="one_item_per_kind")]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    def clean(self) -> None:
        errors = {}
        if self.decision == Decision.ALTERNATIVE and self.kind not in (RequestKind.CORRECTION, RequestKind.STOP_USE):
            errors["decision"] = _("Another measure instead (stopping use) answers only a deletion or an erasure.")
        if self.decision in (Decision.PARTIAL, Decision.ALTERNATIVE, Decision.REFUSED):
            if not self.ground:
                errors["ground"] = _("Give the article relied on.")
            if not self.reason.strip():
                errors["reason"] = _("Give the reason told to the person (art. 36).")
        if errors:
            raise ValidationError(errors)


class RequestPause(models.Model):
    """A stretch of time the company waited for the requester: kept, shown, never hidden."""

    request = models.ForeignKey(RightsRequest, verbose_name=_("request"), on_delete=models.CASCADE,
                                related_name="pauses")
    started_on = models.DateField(_("paused from"))
    ended_on = models.DateField(_("resumed on"), null=True, blank=True)
    days = models.PositiveIntegerField(_("days"), default=0)
    reason = models.CharField(_("waiting for"), max_length=300)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("paused by"), on_delete=models.PROTECT,
                                   related_name="+")

    history = TrailedHistory()

    class Meta:
        ordering = ["started_on", "id"]
        verbose_name = _("pause of the clock")
        verbose_name_plural = _("pauses of the clock")

    def __str__(self) -> str:
        return f"{self.started_on}–{self.ended_on or ''} {self.reason}"
