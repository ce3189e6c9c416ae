"""The web UI's share of the workflow engine: the pages every record type shares.

One transition page for every state machine, the edit page with its conflict panel, the
trail, the refusal page and list pages with filters. Records say where their page is
(`get_absolute_url`); the apps' views fetch what the user may see and call these.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..exceptions import (
    ConcurrentChange,
    ConditionsNotMet,
    FieldsNotWritable,
    NotPermitted,
    RecordClosed,
    StaleEdit,
    TransitionNotAvailable,
    UnknownTransition,
)
from ..rows import only_shown
from ..sorting import Sorting
from .forms import show_conflict, transition_form_class
from .service import transition_record, transition_spec, transitions_for, validation_messages
from .timeline import Moment, related_timeline, timeline, version_moment

__all__ = [
    "PAGE_SIZE", "add_model_errors", "detail_url", "edit_view", "filter_data", "filtered_list", "paginate",
    "refused", "related_timeline", "trail_rows", "transition_panels", "transition_view", "visible_or_404",
]

PAGE_SIZE = 50


def visible_or_404(model, user, pk: int):
    return get_object_or_404(model.objects.visible_to(user), pk=pk)


def refused(request: HttpRequest, error, record=None) -> HttpResponse:
    """The page shown when the user may not do what they asked (403)."""
    context = {"message": error.message, "record": record}
    if record is not None:
        context["back_url"] = detail_url(record)
    return render(request, "incidents/error.html", context, status=error.status_code)


def add_model_errors(form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: on its field when the form has it."""
    for name, messages_ in validation_messages(error).items():
        form.add_error(name if name in form.fields else None, messages_)


def detail_url(record) -> str:
    return record.get_absolute_url()


def trail_rows(record, extra=()) -> list[Moment]:
    """The record's timeline for its page (steps and field changes, files added and
    removed); `extra` moments (of related records) are merged in by time."""
    return sorted([*timeline(record), *file_moments(record), *extra], key=Moment.sort_key)


def file_moments(record) -> list[Moment]:
    """Evidence files added to the record and removed from it, named by their file name."""
    from django.contrib.contenttypes.models import ContentType

    from ..models import Attachment

    rows = Attachment.history.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk,
    ).exclude(history_type="~").select_related("history_user").order_by("history_date", "history_id")
    return [
        version_moment(row, "created" if row.history_type == "+" else "deleted",
                       _("File added") if row.history_type == "+" else _("File removed"), row.original_name)
        for row in rows
    ]


def transition_panels(record, user) -> list[dict]:
    """One form per transition the user may take now, for the detail page.

    The fields keep the names the step's own page posts (prefixed by the step), but their ids
    carry the record too: an incident's page holds the same step of several reports, and a
    label must reach its own field, not the first one of that name on the page.
    """
    auto_id = f"id_{record._meta.model_name}{record.pk}_%s"
    panels = []
    for option in transitions_for(record, user):
        form_class = transition_form_class(type(record), option.spec)
        panels.append({
            "option": option,
            "form": form_class(instance=record, spec=option.spec, prefix=option.name, auto_id=auto_id),
        })
    return panels


def filter_data(request: HttpRequest):
    """The query string without the page number (kept separately for pagination links)."""
    data = request.GET.copy()
    data.pop("page", None)
    return data


def paginate(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# The spreadsheets a list leaves as (?format=…): see incidents.registers.
EXPORT_FORMATS = ("xlsx", "csv")


def filtered_list(request: HttpRequest, *, filter_class, queryset, template: str, register=None,
                  columns: tuple[str, ...] = (), **context) -> HttpResponse:
    """A list page: the filter bar, one page of the filtered rows in the order asked for
    (`?sort=`, among the filter class's `sorts`), links that keep the filters and the order.

    With a `register` (incidents.registers.Register), `?format=xlsx` or `?format=csv` answers
    with the same rows, every one of them, as a spreadsheet: the same query, so the same
    visibility and filters. A filter value the form refuses is shown beside its field with
    status 400, and nothing is exported. With `columns` (incidents/rows.py), the page's rows
    read only those; a spreadsheet reads every column its register names.
    """
    data = filter_data(request)
    export = (data.pop("format", None) or [None])[-1]
    filterset = filter_class(data, queryset=queryset, request=request)
    valid = filterset.is_valid()
    sorting = Sorting(data, getattr(filter_class, "sorts", {}))
    rows = sorting.apply(filterset.qs)
    if register is not None and valid and export in EXPORT_FORMATS:
        return register.response(rows, export, user=request.user)
    query = data.urlencode()
    # How many filters are on (said by the folded filter bar on a phone).
    active = sum(1 for name, values in data.lists() if name in filterset.filters and any(v.strip() for v in values))
    export_urls = {fmt: f"?{query}&format={fmt}" if query else f"?format={fmt}" for fmt in EXPORT_FORMATS}
    return render(request, template, {
        "filter": filterset, "page": paginate(request, only_shown(rows, columns) if columns else rows),
        "query": query, "sorting": sorting,
        "active_filters": active, "export_urls": export_urls if register is not None else {}, **context,
    }, status=200 if valid else 400)


def edit_view(request: HttpRequest, record, *, form_class, check, update, template: str,
              context: dict) -> HttpResponse:
    """The edit page of a record: the service decides, the form shows why.

    `update(by=…, version=…, **values)` is the record type's edit service. A stale version
    shows the form again with the user's entries, the current values and who changed them
    (status 409); the next save is then made from the current version.
    """
    try:
        check(record, request.user)
    except RecordClosed as error:
        messages.error(request, error.message)
        return redirect(detail_url(record))
    except NotPermitted as error:
        return refused(request, error, record)
    form = form_class(request.POST or None, instance=record, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            update(by=request.user, version=form.cleaned_data["version"], **form.edits())
        except StaleEdit as error:
            show_conflict(form, error)
            return render(request, template, {"form": form, **context}, status=409)
        except FieldsNotWritable as error:
            for name, message in error.fields.items():
                form.add_error(name if name in form.fields else None, message)
        except ValidationError as error:
            add_model_errors(form, error)
        except NotPermitted as error:
            return refused(request, error, record)
        except (RecordClosed, ConcurrentChange) as error:
            messages.error(request, error.message)
            return redirect(detail_url(record))
        else:
            messages.success(request, _("%(reference)s was updated.") % {"reference": record.reference})
            return redirect(detail_url(record))
    status = 400 if form.is_bound else 200
    return render(request, template, {"form": form, **context}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def transition_view(request: HttpRequest, model: type, pk: int, name: str) -> HttpResponse:
    """The page of one transition (GET: its form; POST: take it). One view for every record type."""
    record = visible_or_404(model, request.user, pk)
    try:
        spec = transition_spec(model, name)
    except UnknownTransition:
        raise Http404 from None
    form_class = transition_form_class(model, spec)
    offered = {option.name: option for option in transitions_for(record, request.user)}
    status = 200

    if request.method == "POST":
        if request.POST.get(f"{name}-expected_state") != record.state:
            # The page was read before someone else moved the record on.
            messages.error(request, ConcurrentChange.default_message)
            return redirect(detail_url(record))
        form = form_class(request.POST, instance=record, spec=spec, prefix=name)
        valid = form.is_valid()
        if valid or name not in offered:
            # A step not offered to this user goes to the service without the form's changes:
            # it answers with the authoritative refusal (403 or 409) and changes nothing.
            changes = form.changes() if valid else None
            comment = form.cleaned_data.get("comment", "") if valid else ""
            # A step that writes fields carries the version the page was read at.
            version = form.cleaned_data.get("version") if valid and changes else None
            try:
                transition_record(record, name, by=request.user, comment=comment, changes=changes, version=version)
            except StaleEdit as error:
                show_conflict(form, error)
                status = 409
            except ConditionsNotMet as error:
                # What is missing, in its own words; the generic line only when it has none.
                for problem in error.problems or [error.message]:
                    form.add_error(None, problem)
            except ValidationError as error:
                add_model_errors(form, error)
            except NotPermitted as error:
                return refused(request, error, record)
            except (TransitionNotAvailable, ConcurrentChange) as error:
                messages.error(request, error.message)
                return redirect(detail_url(record))
            else:
                part_of = getattr(record, "part_of", None)
                step = f"{record.get_kind_display()}: {spec.label}" if part_of is not None else spec.label
                messages.success(request, _("Done: %(step)s.") % {"step": step})
                return redirect(detail_url(record))
        if status != 409:
            status = 400
    else:
        if name not in offered:
            messages.error(request, _("This step is not available to you now."))
            return redirect(detail_url(record))
        form = form_class(instance=record, spec=spec, prefix=name)

    # Re-read the record for the page: the form may have applied unsaved values to it.
    fresh = model.objects.get(pk=record.pk)
    # A record shown on another's page (a report, on its incident's) is named after it.
    owner = getattr(fresh, "part_of", None)
    track = fresh if owner is not None else None
    return render(request, "incidents/transition_form.html", {
        "record": fresh,
        "track": track,
        "reference": owner.reference if owner is not None else fresh.reference,
        "crumb": owner if owner is not None else fresh,
        "spec": spec,
        "option": offered.get(name),
        "form": form,
        "action_url": request.path,
        "back_url": detail_url(fresh),
    }, status=status)


