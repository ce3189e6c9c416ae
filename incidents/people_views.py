"""The person pickers' search (GET /people/search/?q=…&role=…&company=…), as JSON.

Thin: the rules are people.eligible and people.search. Only those who assign people to
duties use the pickers: a user holding no role beyond staff is refused (403).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from . import people
from .models import Company, Department, group_has_several_companies
from .roles import Role, roles_of


class PersonSearchForm(forms.Form):
    q = forms.CharField(max_length=100, strip=True, label=gettext_lazy("Search"))
    role = forms.CharField(max_length=200, required=False)
    company = forms.ModelChoiceField(queryset=Company.objects.all(), required=False)
    department = forms.ModelChoiceField(queryset=Department.objects.all(), required=False)

    def clean_role(self):
        try:
            return people.parse_roles(self.cleaned_data["role"])
        except ValueError as error:
            raise forms.ValidationError(_("Unknown role: %(roles)s.") % {"roles": error}, code="invalid") from None


def may_search(user) -> bool:
    """Whoever assigns duties: every role but plain staff, and superusers."""
    return user.is_superuser or bool(roles_of(user) - {Role.STAFF})


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


@require_GET
@login_required
def person_search(request: HttpRequest) -> JsonResponse:
    """At most people.SEARCH_LIMIT people eligible for the role (and company) matching `q`:
    [{id, name, kana, department, username, label}], in picker order."""
    if not may_search(request.user):
        return _json({"detail": _("You do not assign people to duties."), "code": "permission_denied"}, 403)
    form = PersonSearchForm(request.GET)
    if not form.is_valid():
        return _json({"detail": _("The search parameters are not valid."), "code": "invalid",
                      "errors": {name: [str(e) for e in errors] for name, errors in form.errors.items()}}, 400)
    data = form.cleaned_data
    users = people.eligible(data["role"], company=data["company"])
    if data["department"] is not None:
        users = users.filter(profile__department=data["department"])
    found = people.search(users, data["q"])[: people.SEARCH_LIMIT]
    with_company = group_has_several_companies()
    return _json([people.as_json(user, with_company=with_company) for user in found])
