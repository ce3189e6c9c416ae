"""The person picker on the action forms: the select by department, the script's data, and
an id posted by hand that the picker does not offer refused on its field."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from incidents.models import Action, UserProfile
from incidents.people_forms import NOT_ELIGIBLE
from tests.incidents.factories import ActionFactory, UserFactory, reported_incident

pytestmark = pytest.mark.django_db

# The pages below are asked for in English.
with translation.override("en"):
    REFUSED = str(NOT_ELIGIBLE)


def action_data(incident, department, **overrides) -> dict:
    return {
        "incident": incident.pk, "kind": "corrective", "title": "宛先確認の徹底", "description": "送信前に確認する",
        "department": department.pk, "due_date": (timezone.localdate() + dt.timedelta(days=14)).isoformat(),
        **overrides,
    }


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def root(superuser):
    superuser.groups.clear()  # as `createsuperuser` makes one: no PMS role
    return superuser


def optgroups(html: str, name: str) -> dict[str, list[str]]:
    """{department heading: [option labels]} of the select named `name`."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    groups = {}
    for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S):
        groups[label] = [text.strip() for text in re.findall(r"<option [^>]*>([^<]*)</option>", body)]
    return groups


def test_the_owner_select_groups_people_by_department(english, manager, head, staff, other_staff, root, sales):
    head.last_name, head.first_name = "田中", "美咲"
    head.save()
    UserProfile.objects.filter(user=head).update(name_kana="タナカ ミサキ")
    english.force_login(manager)
    html = english.get(reverse("action_create")).content.decode()
    groups = optgroups(html, "owner")
    assert list(groups) == ["情報システム部", "営業部"]  # by department code: IT, SALES
    assert groups["営業部"] == ["田中 美咲 (営業部)", "staff (営業部)"]  # reading first, then the others
    assert "root" not in " ".join(sum(groups.values(), []))
    select = re.search(r'<select name="owner"[^>]*>', html).group(0)
    assert "data-person-picker" in select and 'data-search-url="/people/search/"' in select
    assert 'data-role=""' in select  # any role: a staff member may own an action
    assert 'src="/static/js/person-picker.js"' in html


def test_namesakes_are_told_apart_by_login(english, manager, sales):
    for login in ("sato1", "sato2"):
        UserFactory(username=login, last_name="佐藤", first_name="花子", department=sales)
    english.force_login(manager)
    groups = optgroups(english.get(reverse("action_create")).content.decode(), "verifier")
    assert {"佐藤 花子 (営業部) sato1", "佐藤 花子 (営業部) sato2"} <= set(groups["営業部"])


@pytest.mark.parametrize("who", ["root", "inactive", "no_role"])
@pytest.mark.parametrize("field", ["owner", "verifier"])
def test_a_person_the_picker_does_not_offer_is_refused_on_the_field(
        request, english, manager, staff, head, sales, who, field):
    if who == "root":
        person = request.getfixturevalue("root")
    elif who == "inactive":
        person = UserFactory(username="left", department=sales, is_active=False)
    else:
        person = UserFactory(username="no_role", department=sales)
        person.groups.clear()
    incident = reported_incident(staff)
    english.force_login(manager)
    people = {"owner": head.pk, "verifier": manager.pk, field: person.pk}
    response = english.post(reverse("action_create"), action_data(incident, sales, **people))
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [REFUSED]
    assert not Action.objects.exists()


def test_an_action_whose_owner_has_left_can_still_be_saved(english, manager, head, staff, sales):
    action = ActionFactory(owner=head, verifier=manager, department=sales, created_by=manager)
    head.is_active = False
    head.save()
    english.force_login(manager)
    response = english.post(reverse("action_edit", args=[action.pk]), {
        "kind": action.kind, "title": "改題", "description": "", "department": sales.pk, "owner": head.pk,
        "verifier": manager.pk, "due_date": action.due_date.isoformat(), "version": action.version,
    })
    assert response.status_code == 302, response.context["form"].errors
    action.refresh_from_db()
    assert (action.title, action.owner) == ("改題", head)
    # Someone else who left is not offered instead.
    staff.is_active = False
    staff.save()
    response = english.post(reverse("action_edit", args=[action.pk]), {
        "title": "再改題", "owner": staff.pk, "verifier": manager.pk, "version": action.version + 1,
        "kind": action.kind, "department": sales.pk, "due_date": action.due_date.isoformat(),
    })
    assert response.status_code == 400
    assert response.context["form"].errors["owner"] == [REFUSED]


def test_the_handler_picker_offers_the_pms_office_only(english, manager, office, staff, head, root):
    incident = reported_incident(staff)
    english.force_login(manager)
    html = english.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    select = re.search(r'<select name="handler"[^>]*>', html).group(0)
    assert 'data-role="pms_manager"' in select and f'data-company="{incident.company_id}"' in select
    offered = sum(optgroups(html, "handler").values(), [])
    assert sorted(offered) == ["manager (情報システム部)", "office (情報システム部)"]
    for outsider in (head, root):
        response = english.post(reverse("incident_handler", args=[incident.pk]),
                                {"handler": outsider.pk, "version": incident.version})
        assert response.status_code == 400
        assert REFUSED in response.content.decode()
    incident.refresh_from_db()
    assert incident.handler is None
