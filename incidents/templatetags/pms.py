"""Small display helpers for the incident and action pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.db import models
from django.template import engines
from django.template.defaultfilters import linebreaksbr
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from incidents.models import TrackState, person_name
from incidents.record_urls import page_url as _page_url
from incidents.roles import Role

register = template.Library()

DATETIME_FORMAT = "Y-m-d H:i"
DATE_FORMAT = "Y-m-d"


def local_minute(value: dt.datetime) -> str:
    """The moment in the current time zone (Japan time) as DATETIME_FORMAT writes it: what
    formats.date_format(…, DATETIME_FORMAT) returns, in a fifth of its time (it parses the
    format and builds a formatter at each call; the to-do page and the lists write some
    50–80 of these a page)."""
    local = timezone.localtime(value)
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


@register.simple_tag(takes_context=True)
def jinja(context, template_name: str, **values):
    """`{% jinja "_site_header.html" %}`: a part of the page that is a Jinja2 template
    (config/jinja2.py), drawn with the page's context and `values`."""
    return mark_safe(engines["jinja2"].get_template(template_name).render({**context.flatten(), **values}))


@register.simple_tag
def page_url(name: str) -> str:
    """{% url name %} for a page without arguments, reversed once (incidents/record_urls.py):
    the header and the main menu, drawn on every page."""
    return _page_url(name)


@register.simple_tag
def field_label(record, name: str) -> str:
    """The field's verbose name, as the forms and the admin show it."""
    return capfirst(record._meta.get_field(name).verbose_name)


@register.simple_tag
def field_value(record, name: str):
    """A field's value for reading: choice labels, local times, yes/no, line breaks, or a dash."""
    field = record._meta.get_field(name)
    value = getattr(record, name)
    if field.choices and value not in (None, ""):
        return getattr(record, f"get_{name}_display")()
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if value is None or value == "":
        return mark_safe('<span class="muted">—</span>')
    if isinstance(value, dt.datetime):
        return local_minute(value)
    if isinstance(value, dt.date):
        return formats.date_format(value, DATE_FORMAT)
    if isinstance(field, models.TextField):
        return linebreaksbr(value, autoescape=True)
    if isinstance(field, models.ForeignKey) and field.related_model is not None and hasattr(value, "get_username"):
        return user_label(value)
    return value


@register.filter
def user_label(user) -> str:
    """Full name, or the username when no name is recorded."""
    if user is None:
        return "—"
    return person_name(user) or user.get_username()


@register.filter
def actor_label(moment) -> str:
    """Who did it, by the name the trail kept from that day (the user may have been renamed since)."""
    if moment.actor_name:
        return moment.actor_name.rsplit(" (", 1)[0]
    return user_label(moment.by)


@register.simple_tag
def trail_export_url(record, fmt: str) -> str:
    from django.urls import reverse

    return reverse("record_trail_export", args=[record._meta.label_lower, record.pk, fmt])


@register.filter
def door_label(door: str) -> str:
    from trail.models import Door

    return str(Door(door).label) if door in Door.values else door


@register.filter
def role_labels(role_names) -> list[str]:
    """The labels of the roles a user holds, in the order of Role."""
    return [role.label for role in Role if role.value in (role_names or ())]


@register.filter
def local_datetime(value) -> str:
    if not value:
        return "—"
    return local_minute(value)


@register.filter
def is_checkbox(bound_field) -> bool:
    """A single tick box (not a list of them, which is laid out like a radio list)."""
    widget = bound_field.field.widget
    return getattr(widget, "input_type", None) == "checkbox" and not getattr(widget, "allow_multiple_selected", False)


@register.filter
def split(value: str) -> list[str]:
    """"a b c"|split → ["a", "b", "c"] (field-name lists in templates)."""
    return value.split()


# ---------------------------------------------------------------------------
# Reporting clocks

def urgency(track, now: dt.datetime | None = None) -> str:
    """ReportingTrack.urgency, for templates."""
    return track.urgency(now)


def duration(delta: dt.timedelta) -> str:
    """A span of time as the two largest units: 2d 5h, 3h 12m, 40m (あと2日5時間, 3時間12分)."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        if hours:
            return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
        return _("%(days)dd") % {"days": days}
    if hours:
        if minutes:
            return _("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": minutes}
        return _("%(hours)dh") % {"hours": hours}
    return _("%(minutes)dm") % {"minutes": minutes}


def time_left_text(moment: dt.datetime, now: dt.datetime) -> str:
    if moment >= now:
        return _("%(duration)s left") % {"duration": duration(moment - now)}
    return _("%(duration)s overdue") % {"duration": duration(now - moment)}


@register.simple_tag
def track_clock(track, now: dt.datetime | None = None) -> str:
    """Time left to a pending report's limit, red when overdue, amber when due soon; "on time"
    for a report filed by its limit. Written here, not in a template: the report list and the
    to-do page show one on every row (an included template cost some 100 µs a row)."""
    now = now or timezone.now()
    level = urgency(track, now)
    if level == "settled":
        if track.state == TrackState.FILED and not track.late:
            return format_html('<span class="clock clock--done">{}</span>', _("On time"))
        return mark_safe('<span class="muted">—</span>')
    clock = format_html('<span class="clock clock--{}">{}</span>', level, time_left_text(track.limit_at, now))
    if level == "overdue" or track.due_at >= track.limit_at:
        return clock
    # "Promptly" reports have a target before the limit.
    if track.due_at > now:
        target = _("target in %(duration)s") % {"duration": duration(track.due_at - now)}
        return clock + format_html('<span class="clock__target">{}</span>', target)
    return clock + format_html('<span class="clock__target clock__target--passed">{}</span>', _("target passed"))


@register.simple_tag
def track_urgency(track) -> str:
    return urgency(track)
