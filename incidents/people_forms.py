"""The person picker of every web form: PersonField (one person) and PersonMultipleField.

Without JavaScript it is a <select> with one <optgroup> per department and options
labelled 「田中 美咲（営業部）」, in department and reading order: with a few hundred
people the browser's type-ahead still finds them. With JavaScript
(config/static/js/person-picker.js) the select is hidden behind a search-as-you-type
combobox asking /people/search/ for the same role and company, which writes the chosen
id back into the select, so the form posts exactly what it posts without the script.

The field validates against people.eligible(): an id posted by hand that is not offered
is refused on the field (the page answers 400).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django import forms
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import people

NOT_ELIGIBLE = _("This person cannot be chosen here: only active users who hold the role for this duty are offered.")


class PersonChoiceIterator(ModelChoiceIterator):
    """The choices under one heading per department (the queryset is in department order)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        from .models.company import group_has_several_companies

        with_company = group_has_several_companies()
        users = list(self.queryset)
        labels = [self.field.label_from_instance(user) for user in users]
        # Two 田中 美咲 of the same department: their logins tell them apart.
        counts = Counter(labels)
        shared = {text for text, count in counts.items() if count > 1}
        heading, options = None, []
        for user, text in zip(users, labels, strict=True):
            department = people.department_label(user, with_company=with_company) or gettext("No department")
            if options and department != heading:
                yield (heading, options)
                options = []
            heading = department
            if text in shared:
                text = f"{text} {user.username}"
            options.append((ModelChoiceIteratorValue(self.field.prepare_value(user), user), text))
        if options:
            yield (heading, options)


class PersonWidgetMixin:
    """The data the script needs, on the select itself (no inline script: the CSP forbids it)."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs.update({
            "data-person-picker": "",
            "data-search-url": reverse("person_search"),
            "data-hint": gettext("Type a name, its reading or a login"),
            "data-no-results": gettext("No one found"),
            "data-remove": gettext("Remove %(name)s"),
            "data-searching": gettext("Searching…"),
            "data-found": gettext("%(count)s found"),
            "data-failed": gettext("The search failed: choose from the list."),
        })
        return context


class PersonWidget(PersonWidgetMixin, forms.Select):
    pass


class PersonMultipleWidget(PersonWidgetMixin, forms.SelectMultiple):
    def __init__(self, attrs=None, choices=()):
        super().__init__({"size": 8, **(attrs or {})}, choices)


class PersonFieldMixin:
    """role: a role, several, or None for anyone holding a role; company: narrows the roles
    to those held for it (roles.has_role); keep: ids the record already names."""

    iterator = PersonChoiceIterator

    def __init__(self, *, role: str | Iterable[str] | None = None, company=None, keep: Iterable = (), **kwargs):
        kwargs.setdefault("widget", self.widget_class)
        super().__init__(queryset=people.eligible(role, company=company, keep=keep), **kwargs)
        self.error_messages["invalid_choice"] = NOT_ELIGIBLE
        self._describe(role, company)

    def limit(self, *, role=..., company=..., keep: Iterable = ()) -> None:
        """Offer (and accept) the people eligible for this form's record; arguments left out
        keep the field's."""
        role = self.role if role is ... else role
        company = self.company if company is ... else company
        self.queryset = people.eligible(role, company=company, keep=keep)
        self._describe(role, company)

    def _describe(self, role, company) -> None:
        self.role, self.company = role, company
        names = people.role_names(role) if role is not None else ()
        self.widget.attrs["data-role"] = ",".join(names)
        company_id = getattr(company, "pk", company)
        self.widget.attrs["data-company"] = "" if company_id is None else str(company_id)

    def label_from_instance(self, user) -> str:
        return people.label(user)


class PersonField(PersonFieldMixin, forms.ModelChoiceField):
    widget_class = PersonWidget


class PersonMultipleField(PersonFieldMixin, forms.ModelMultipleChoiceField):
    widget_class = PersonMultipleWidget
