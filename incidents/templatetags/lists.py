"""The list pages' column headers that sort (incidents.sorting), their dates and their labels, and
{% rows %}, which draws the rows a page repeats for every record from a Jinja2 template."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..models.base import choice_labels
from ..registers import JAPAN
from .pms import jinja

register = template.Library()

MARKS = {"ascending": "▲", "descending": "▼", None: "↕"}


@register.simple_tag(takes_context=True)
def sort_th(context, key: str, label, css: str = ""):
    """A column header: a link that sorts the list by the column (and back), with aria-sort
    on the column the list is sorted by. A plain header where the list does not sort (the
    same rows template on another page) or not by this column."""
    sorting = context.get("sorting")
    header = sorting.header(key) if sorting is not None else None
    css_attr = format_html(' class="{}"', css) if css else ""
    if header is None:
        return format_html('<th scope="col"{}>{}</th>', css_attr, label)
    aria = format_html(' aria-sort="{}"', header["aria_sort"]) if header["aria_sort"] else ""
    hint = _("Sort by %(column)s") % {"column": label}
    return format_html(
        '<th scope="col"{}{}><a class="sort-link" href="{}" title="{}">{}<span class="sort-mark" aria-hidden="true">'
        "{}</span></a></th>",
        css_attr, aria, header["url"], hint, label, MARKS[header["aria_sort"]],
    )


@register.filter
def label(record, name: str):
    """`{{ incident|label:"state" }}`: the label of a choice field's value in the reader's
    language, as get_<name>_display() gives it (the value itself when it is no choice). Read
    from a table built once per field: Django's method rebuilds the table, translating every
    label, at each call, a fifth of a list page's time."""
    if not hasattr(record, "_meta"):
        return ""  # no record (an unset variable): as get_<name>_display() of nothing renders
    value = getattr(record, name)
    return choice_labels(record._meta.get_field(name)).get(value, value)


@register.filter
def state_badge(record):
    """`{{ incident|state_badge }}`: the record's state as a badge (its colour from the state's
    value). A filter, not an included template: a list includes it on every row, and an
    include cost some 100 µs a row."""
    if not hasattr(record, "_meta"):
        return ""
    return format_html('<span class="badge badge--{}">{}</span>', record.state, label(record, "state"))


@register.filter
def track_state(track):
    """`{{ track|track_state }}`: a report's state as a badge, marked overdue (pending past its
    limit) or late (filed after it). A filter, as state_badge, for the rows of the report list."""
    badge = format_html('<span class="badge badge--track-{}">{}</span>', track.state, label(track, "state"))
    if track.overdue:
        return badge + format_html(' <span class="badge badge--overdue">{}</span>', _("Overdue"))
    if track.late:
        return badge + format_html(' <span class="badge badge--late" title="{}">{}</span>',
                                   _("Filed after its limit"), _("Late"))
    return badge


@register.simple_tag(takes_context=True)
def rows(context, template_name: str, **values):
    """`{% rows "incidents/_incident_rows.html" incidents=page.object_list %}`: the rows of a
    table or list, a Jinja2 template (config/jinja2.py), drawn with the page's context and
    `values`."""
    return jinja(context, template_name, **values)


@register.filter
def moment(value):
    """A date and time in Japan time that may break between the day and the hour, never inside them."""
    if not value:
        return mark_safe('<span class="muted">—</span>')
    local = timezone.localtime(value, JAPAN)
    return format_html('<span class="nowrap">{}</span> <span class="nowrap">{}</span>',
                       local.strftime("%Y-%m-%d"), local.strftime("%H:%M"))
