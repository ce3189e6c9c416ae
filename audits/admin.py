"""The Django admin of the audits app: the clause catalogue, the programme's audits, findings.

- The clause catalogue (Requirement) is data: listed by standard, edition and clause,
  filtered, searched and edited here like the other pick-lists.
- Audits and findings are records with a protected state machine, so they use the
  workflow engine's admin (incidents.workflow.admin.StateMachineAdmin): the fields each
  user may edit are the model's `edit_policy`'s answer, everything else (`state` and
  `reference` always) is read-only; adding and editing go through the services
  (audits.services.audit_plan / audit_update / finding_raise / finding_update) from the
  version the change form was read at, and the transitions have their own page,
  `<pk>/transition/<name>/`, which calls transition_record with the user's permissions.
  Nothing is deleted: they are evidence.
- The response deadlines of findings (FindingResponsePolicy): the days per grade, the whole
  group's row and any company's own, set by the PMS office or the audit lead (of the company,
  or of the group for the group's row) without a deploy.
- The checklist of an audit is shown read-only: results are recorded during fieldwork
  on the audit's page (audits.services.checklist_record), by the audit team.
- Management reviews: the PMS manager opens one and writes the inputs only people know
  while it is a draft (services.review_create / review_update); submitted and approved
  reviews, their snapshot and their decisions (an inline) are read-only. Submit and return
  for revision use the shared transition page; approval is not offered here, because it
  records top management's decisions (services.review_approve): it is on the review's web
  page. Top management (with is_staff) may look at reviews and return one for revision.

The audit lead (role `audit_lead`, with `is_staff`) uses these pages without Django model
permissions, as the PMS office does for the incidents' pages; the edit policy and the
services still decide what each may do (StateMachineAdmin comes first in the bases, so a
record the policy would refuse to let them change is shown read-only to the audit lead too).
"""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from incidents.admin.company import CompanyColumnsMixin, GroupOrCompanyFilter
from incidents.models import Company, group_has_several_companies, person_name
from incidents.roles import Role, has_role, role_companies
from incidents.workflow.admin import (
    PMSOfficeAccessMixin,
    ReadOnlyInlineMixin,
    StateMachineAdmin,
    StateMachineAdminForm,
)

from . import services
from .api.filters import of_fiscal_year
from .fiscal import fiscal_year_bounds, fiscal_year_of
from .independence import independence_problems
from .models import (
    Audit,
    ChecklistItem,
    Finding,
    FindingResponsePolicy,
    Requirement,
    Review,
    ReviewDecision,
    ReviewState,
)
from .models.review import TEXT_INPUTS


def _is_audit_lead(request) -> bool:
    return has_role(request.user, Role.AUDIT_LEAD)


class AuditLeadAccessMixin(PMSOfficeAccessMixin):
    """The audit lead, like the PMS office, may view, add and change these models."""

    def has_module_permission(self, request):
        return super().has_module_permission(request) or _is_audit_lead(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _is_audit_lead(request)

    def has_add_permission(self, request):
        return super().has_add_permission(request) or _is_audit_lead(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or _is_audit_lead(request)


# ---------------------------------------------------------------------------
# The clause catalogue


@admin.register(Requirement)
class RequirementAdmin(AuditLeadAccessMixin, SimpleHistoryAdmin):
    list_display = ["clause", "title_ja", "title_en", "standard", "edition", "parent", "verified", "position"]
    list_display_links = ["clause", "title_ja"]
    list_editable = ["verified", "position"]
    list_filter = ["standard", "edition", "verified"]
    list_select_related = ["parent"]
    search_fields = ["clause", "title_ja", "title_en"]
    ordering = ["standard", "-edition", "position", "clause"]
    autocomplete_fields = ["parent"]
    fields = ["standard", "edition", "clause", "parent", "title_ja", "title_en", "verified", "position"]


# ---------------------------------------------------------------------------
# Audits


class ChecklistItemInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The audit's checklist, read-only: filled in during fieldwork through the services."""

    model = ChecklistItem
    extra = 0
    can_delete = False
    fields = ["position", "requirement", "result", "evidence", "note", "recorded_by", "recorded_at"]
    readonly_fields = fields
    ordering = ["position", "id"]
    verbose_name_plural = _("checklist (results are recorded on the audit's page during fieldwork)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requirement", "recorded_by")



def audited_company(company, departments) -> Company | None:
    """The company an audit audits: the one named, else its departments' when they share one,
    else the default (as services.audit_plan decides)."""
    if company is not None:
        return company
    companies = {department.company_id for department in departments}
    if len(companies) == 1:
        return Company.objects.filter(pk=companies.pop()).first()
    return Company.objects.filter(is_default=True).first()


class AuditAdminForm(StateMachineAdminForm):
    """Refuses a team that is not independent of the scope on the field concerned, with the
    reason (audits.independence), before the service would refuse the whole save."""

    def clean(self):
        cleaned = super().clean()
        names = set(self.fields)
        if not {"departments", "lead_auditor"} <= names:
            return cleaned
        kind = cleaned.get("kind", self.instance.kind)
        departments = list(cleaned.get("departments") or [])
        lead = cleaned.get("lead_auditor")
        company = audited_company(cleaned.get("company") or (self.instance.company if self.instance.pk else None),
                                  departments)
        if departments and not services.audit_can_plan(self.user, kind=kind, departments=departments,
                                                       company=company):
            self.add_error(None, _("Only the audit lead plans audits (a department head may plan its own "
                                   "operational check)."))
        if lead is not None and departments:
            auditors = [a for a in cleaned.get("auditors") or [] if a.pk != lead.pk]
            problems = independence_problems(kind=kind, departments=departments, team=[lead, *auditors],
                                             company=company)
            if problems:
                self.add_error("auditors" if auditors else "lead_auditor", problems)
        return cleaned


@admin.register(Audit)
class AuditAdmin(CompanyColumnsMixin, StateMachineAdmin, AuditLeadAccessMixin):
    form = AuditAdminForm
    list_display = ["reference", "title", "kind", "state", "fiscal_year", "department_list", "lead_auditor",
                    "planned_start", "planned_end", "finding_count"]
    list_display_links = ["reference", "title"]
    list_select_related = ["lead_auditor"]
    list_filter = ["state", "kind", "fiscal_year", "departments"]
    search_fields = ["reference", "title", "conclusion"]
    date_hierarchy = "planned_start"
    autocomplete_fields = ["lead_auditor"]
    filter_horizontal = ["departments", "clauses", "auditors"]
    inlines = [ChecklistItemInline]

    # The layout. Which of these fields this user may edit is Audit.edit_policy's answer
    # (the plan, until fieldwork starts; the conclusion and the cancel reason are written
    # by their steps).
    plan_fields = ["title", "kind", "company", "departments", "clauses", "lead_auditor", "auditors",
                   "planned_start", "planned_end"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("departments").annotate(
            finding_count=Count("findings", distinct=True)
        )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": self.plan_fields})]
        return [
            (None, {"fields": ["reference", "state", "fiscal_year", *self.plan_fields]}),
            (_("Report"), {"fields": ["conclusion", "cancel_reason"]}),
            (_("Trail"), {"fields": ["created_by", "created_at", "started_at", "reported_at", "closed_at",
                                     "updated_at", "trail_display"]}),
        ]

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    def service_create(self, user, data):
        return services.audit_plan(by=user, **data)

    def service_update(self, record, user, data, version):
        return services.audit_update(audit=record, by=user, version=version, **data)

    @admin.display(description=_("departments audited"))
    def department_list(self, obj) -> str:
        return ", ".join(department.name for department in obj.departments.all())

    @admin.display(description=_("findings"), ordering="finding_count")
    def finding_count(self, obj) -> int:
        return obj.finding_count


# ---------------------------------------------------------------------------
# Findings


@admin.register(Finding)
class FindingAdmin(CompanyColumnsMixin, StateMachineAdmin, AuditLeadAccessMixin):
    """Raised through the service (finding_raise). Afterwards the audit team rewords it and the
    department's head refines its cause and plan as Finding.edit_policy allows (finding_update);
    responding, accepting and closing are its transitions."""

    list_display = ["reference", "grade", "state", "audit", "department", "requirement", "response_due", "raised_by",
                    "created_at"]
    list_display_links = ["reference", "grade"]
    list_select_related = ["audit", "department", "requirement", "raised_by"]
    list_filter = ["state", "grade", "department", "audit__fiscal_year"]
    search_fields = ["reference", "description", "evidence", "audit__reference", "audit__title"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["audit", "requirement"]
    filter_horizontal = ["incidents"]
    readonly_fields = ("action_list",)
    # What finding_raise takes besides the finding's own fields: the audit it is raised in
    # and the incidents it refers to. Asked on the add page only: no edit changes them.
    create_arguments = ("audit", "incidents")

    # The layout. Which of these fields this user may edit is Finding.edit_policy's answer.
    raise_fields = ["audit", "requirement", "department", "grade", "description", "evidence", "response_due",
                    "incidents"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": self.raise_fields})]
        # The company is the audit's (set by the system).
        company = ["company"] if group_has_several_companies() else []
        return [
            (None, {"fields": ["reference", "state", *self.raise_fields, *company, "checklist_item"]}),
            (_("Response"), {"fields": ["cause", "plan", "responded_by", "responded_at", "action_list"]}),
            (_("Trail"), {"fields": ["raised_by", "created_at", "updated_at", "closed_at", "trail_display"]}),
        ]

    def service_create(self, user, data):
        audit = data.pop("audit")
        if data.get("response_due") is None:
            data.pop("response_due", None)  # left empty: the grade's default (FindingResponsePolicy)
        return services.finding_raise(audit=audit, by=user, **data)

    def service_update(self, record, user, data, version):
        return services.finding_update(finding=record, by=user, version=version, **data)

    @admin.display(description=_("corrective actions"))
    def action_list(self, obj):
        actions = obj.actions.select_related("owner").order_by("reference")
        return format_html_join(
            "", "<div>{} {} — {} ({})</div>",
            ((a.reference, a.title, person_name(a.owner) or a.owner.get_username(), a.get_state_display())
             for a in actions),
        ) or "-"


# ---------------------------------------------------------------------------
# Response deadlines of findings (回答期限), per grade


def _sets_response_policy(user, company_id: int | None) -> bool:
    """The PMS office or the audit lead: of the company, or of the whole group for the group's row."""
    if company_id is None:
        return any(has_role(user, role) and role_companies(user, role) is None
                   for role in (Role.PMS_MANAGER, Role.AUDIT_LEAD))
    return has_role(user, Role.PMS_MANAGER, Role.AUDIT_LEAD, company=company_id)


@admin.register(FindingResponsePolicy)
class FindingResponsePolicyAdmin(AuditLeadAccessMixin, SimpleHistoryAdmin):
    """The days a department has to answer a finding, by grade: the whole group's row and, if a
    company needs its own, that company's. Changes apply to findings raised afterwards; each
    one is kept in the row's history (the trail)."""

    list_display = ["__str__", "major_days", "minor_days", "observation_days", "opportunity_days", "updated_at"]
    list_select_related = ["company"]
    fields = ["company", "major_days", "minor_days", "observation_days", "opportunity_days"]

    def has_change_permission(self, request, obj=None):
        if admin.ModelAdmin.has_change_permission(self, request, obj):
            return True
        if obj is None:
            return super().has_change_permission(request, obj)
        return _sets_response_policy(request.user, obj.company_id)

    def has_delete_permission(self, request, obj=None):
        # A company's own row may go (the group's then applies); the group's row stays.
        if obj is not None and obj.company_id is None:
            return False
        return admin.ModelAdmin.has_delete_permission(self, request, obj) or (
            obj is not None and _sets_response_policy(request.user, obj.company_id))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "company" and not request.user.is_superuser:
            # A company's PMS office or audit lead sets their own company's row only.
            companies = role_companies(request.user, Role.PMS_MANAGER, Role.AUDIT_LEAD)
            if companies is not None:
                kwargs["queryset"] = Company.objects.filter(pk__in=companies)
                kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# ---------------------------------------------------------------------------
# Management reviews


# Taken on the review's web page only: approving records top management's decisions with
# it (services.review_approve), which the admin's one-form transition page cannot carry.
WEB_ONLY_TRANSITIONS = frozenset({"approve"})


def _is_executive(request) -> bool:
    return has_role(request.user, Role.EXECUTIVE)


def _approve_url(review) -> str | None:
    """The web page where top management approves the review, if it is installed."""
    try:
        return reverse("review_approve", args=[review.pk])
    except NoReverseMatch:
        return None


class ReviewAccessMixin(PMSOfficeAccessMixin):
    """The PMS office prepares the review (view, add, change through the services); top
    management (with is_staff) may look at it and take its own step, the return for revision."""

    def has_module_permission(self, request):
        return super().has_module_permission(request) or _is_executive(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or _is_executive(request)


class FiscalYearFilter(admin.SimpleListFilter):
    title = _("fiscal year")
    parameter_name = "fiscal_year"

    def lookups(self, request, model_admin):
        # Each review in its company's fiscal year (the group's in the default company's).
        companies = {company.pk: company for company in Company.objects.all()}
        default = next((company for company in companies.values() if company.is_default), None)
        starts = model_admin.get_queryset(request).order_by().values_list("period_start", "company_id").distinct()
        years = sorted({fiscal_year_of(day, companies.get(company_id, default)) for day, company_id in starts},
                       reverse=True)
        return [(str(year), str(year)) for year in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return of_fiscal_year(queryset, int(self.value()))
        return queryset


class ReviewDecisionInline(ReadOnlyInlineMixin, admin.TabularInline):
    """Top management's decisions, read-only: recorded with the approval on the review's web
    page (services.review_approve); each became an improvement action, followed in the actions."""

    model = ReviewDecision
    extra = 0
    can_delete = False
    fields = ["position", "kind", "title", "owner", "department", "due_date", "action_display"]
    readonly_fields = fields
    ordering = ["position"]
    verbose_name_plural = _("decisions (recorded with the approval; each is an improvement action)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner", "department", "action")

    @admin.display(description=_("improvement action"))
    def action_display(self, obj):
        action = obj.action
        if action is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a> {}',
            reverse("admin:incidents_action_change", args=[action.pk]), action.reference,
            action.get_state_display(),
        )



@admin.register(Review)
class ReviewAdmin(CompanyColumnsMixin, StateMachineAdmin, ReviewAccessMixin):
    """The PMS manager opens a review and writes the inputs only people know while it is a
    draft (services.review_create / review_update); the rest comes from the records. Submit
    and return for revision go through the shared transition page; approval, which records
    the decisions, is on the review's web page. Submitted and approved reviews are read-only."""

    list_display = ["reference", "period_start", "period_end", "state", "held_on", "submitted_at", "approved_at",
                    "decision_count"]
    list_display_links = ["reference"]
    list_filter = ["state", FiscalYearFilter]
    search_fields = ["reference", "attendees", "conclusion", "issues_changes", "interested_parties", "feedback",
                     "risk_status", "improvement_notes", "decisions__title"]
    readonly_fields = ("approval_display", "snapshot_display", "company_display")
    inlines = [ReviewDecisionInline]
    company_column = "company_display"
    company_list_filter = GroupOrCompanyFilter

    # The layout. Which of these fields this user may edit is Review.edit_policy's answer
    # (the draft's, by the PMS manager; the conclusion comes with the approval).
    plan_fields = ["company", "period_start", "period_end", "held_on", "attendees"]
    input_fields = [*TEXT_INPUTS, "improvement_notes"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(decision_count=Count("decisions", distinct=True))

    def _fieldsets(self, request, obj=None):
        inputs = (_("Inputs only people know"), {
            "fields": self.input_fields,
            "description": _("Everything else the review reads (incidents, reports, actions, audits, findings) "
                             "is assembled from the records, and frozen when the review is submitted."),
        })
        if obj is None:
            return [(None, {"fields": self.plan_fields}), inputs]
        return [
            (None, {"fields": ["reference", "state", *self.plan_fields]}),
            inputs,
            (_("Top management"), {"fields": ["conclusion", "approval_display"]}),
            (_("Inputs as submitted"), {"fields": ["snapshot_display"]}),
            (_("Trail"), {"fields": ["created_by", "created_at", "submitted_by", "submitted_at", "approved_by",
                                     "approved_at", "updated_at", "trail_display"]}),
        ]

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_changeform_initial_data(self, request):
        # The default company's review of the current fiscal year, as review_create would choose.
        company = Company.objects.filter(is_default=True).first()
        first, last = fiscal_year_bounds(fiscal_year_of(timezone.localdate(), company), company)
        return {"company": company, "period_start": first, "period_end": last,
                **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "company" and field is not None:
            field.empty_label = gettext("Whole group")
        return field

    def get_readonly_fields(self, request, obj=None):
        # A review's company, read-only, shows "whole group" rather than a blank.
        fields = list(super().get_readonly_fields(request, obj))
        return ["company_display" if name == "company" else name for name in fields]

    def get_fieldsets(self, request, obj=None):
        fieldsets = self._fieldsets(request, obj)
        if "company" in self.editable_fields(request, obj):
            return fieldsets
        return [(name, {**options, "fields": ["company_display" if field == "company" else field
                                              for field in options["fields"]]})
                for name, options in fieldsets]

    @admin.display(description=_("company"))
    def company_display(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "-"
        return obj.company.name if obj.company_id else gettext("Whole group")

    def service_create(self, user, data):
        return services.review_create(by=user, **data)

    def service_update(self, record, user, data, version):
        return services.review_update(review=record, by=user, version=version, **data)

    # --- transitions: submit and return for revision here, approve on the web page

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
        if obj is not None:
            response.context_data["transitions"] = [
                option for option in response.context_data.get("transitions", [])
                if option.name not in WEB_ONLY_TRANSITIONS
            ]
        return response

    def transition_view(self, request, object_id, name):
        if name not in WEB_ONLY_TRANSITIONS:
            return super().transition_view(request, object_id, name)
        record = self.get_object(request, unquote(object_id))
        if record is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, record):
            raise PermissionDenied
        self.message_user(
            request, gettext("Top management approves the review with its decisions on the review's web page, "
                             "not in the admin."), messages.WARNING,
        )
        return HttpResponseRedirect(reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[record.pk],
            current_app=self.admin_site.name,
        ))

    # --- read-only displays

    @admin.display(description=_("decisions"), ordering="decision_count")
    def decision_count(self, obj) -> int:
        return obj.decision_count

    @admin.display(description=_("approval"))
    def approval_display(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        if obj.state == ReviewState.APPROVED:
            return gettext("Approved with %(count)d decisions (listed below).") % {"count": obj.decisions.count()}
        if obj.state == ReviewState.DRAFT:
            return gettext("Submit the review first. Top management then approves it with its decisions on "
                           "the review's web page.")
        url = _approve_url(obj)
        text = gettext("Top management approves the review with its decisions on the review's web page.")
        return text if url is None else format_html('<a href="{}">{}</a>', url, text)

    @admin.display(description=_("inputs as submitted"))
    def snapshot_display(self, obj):
        if obj is None or obj.snapshot is None:
            return gettext("Not frozen yet: until the review is submitted its inputs follow the records.")
        assembled = obj.snapshot.get("assembled_at") or ""
        return format_html(
            "{}<details><summary>{}</summary><pre style=\"white-space: pre-wrap\">{}</pre></details>",
            gettext("Frozen at submission (assembled %(moment)s).") % {"moment": _iso_moment(assembled)},
            gettext("Show the frozen inputs (JSON)"),
            json.dumps(obj.snapshot, ensure_ascii=False, indent=1),
        )


def _iso_moment(value: str) -> str:
    try:
        return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return value or "-"
