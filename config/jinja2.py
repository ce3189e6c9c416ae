"""The Jinja2 environment of the parts that pages repeat: the rows drawn for every record, and
the site's header drawn on every page.

The pages are Django templates. The rows of the to-do page and of the incident, action and
report lists are Jinja2 templates (`<app>/jinja2/`), included with `{% rows %}`
(incidents/templatetags/lists.py): the Django template engine spends about twice Jinja2's
time on the same row (a list page's 50 rows: 5.5 ms against 2.8 here, bench/profile_summary.md),
and those rows are most of what the busiest pages draw. The site's header (config/jinja2/
_site_header.html, `{% jinja %}` in base.html) draws its menu once and prints it twice (the
desk's bar, the phone's menu): 2.1 → 0.8 ms a page.

The rows use the same display helpers as the Django templates (one function each, registered
in both) and translate only with `_("…")`, which `makemessages` reads from these files as it
reads `{{ _("…") }}` in a Django template; a text with a value in it is `_("Due %(date)s")|format(date=…)`,
the same msgid as `{% blocktranslate %}Due {{ date }}{% endblocktranslate %}`.
"""

from __future__ import annotations

from django.conf import settings
from django.forms import renderers
from django.forms.renderers import BaseRenderer
from django.template import defaultfilters
from django.utils.translation import get_language_info, gettext
from jinja2 import Environment


def environment(**options) -> Environment:
    from incidents.record_urls import page_url
    from incidents.templatetags.lists import label, moment, state_badge, track_state
    from incidents.templatetags.pms import local_datetime, role_labels, track_clock, user_label

    env = Environment(**options)
    env.globals.update(_=gettext, track_clock=track_clock, page_url=page_url,
                       language_choices=language_choices)
    env.filters.update(
        # Django's own, as the Django templates write them: date:"Y-m-d" is date("Y-m-d").
        date=defaultfilters.date, timesince=defaultfilters.timesince_filter,
        truncatechars=defaultfilters.truncatechars,
        label=label, state_badge=state_badge, track_state=track_state, moment=moment,
        local_datetime=local_datetime, user_label=user_label, role_labels=role_labels,
    )
    return env


def language_choices() -> list[dict]:
    """{% get_language_info_list for LANGUAGES %}: the header's language switcher."""
    return [get_language_info(code) for code, _name in settings.LANGUAGES]


class FormRenderer(BaseRenderer):
    """Django's own form templates (its widgets, labels, error lists: django/forms/…) drawn from
    the Jinja2 copies Django ships of them; any other (the admin's widgets, django-filter's) by
    the Django template engine as before. A list page's filter bar: 5.2 → 3.8 ms (bench/profile_summary.md)."""

    def __init__(self):
        self.jinja2, self.django = renderers.Jinja2(), renderers.DjangoTemplates()

    def get_template(self, template_name: str):
        if template_name.startswith("django/forms/"):
            return self.jinja2.get_template(template_name)
        return self.django.get_template(template_name)
