"""Who the person pickers offer (people.eligible), finding people by name, reading or login
(people.search), and the pickers' search endpoint (/people/search/)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import people
from incidents.models import Company, UserProfile
from incidents.roles import Role, has_role
from tests.incidents.factories import CompanyFactory, DepartmentFactory, UserFactory, scope_role

pytestmark = pytest.mark.django_db

SEARCH_URL = "/people/search/"


def person(username, *, roles=("staff",), department=None, last="", first="", kana="", **extra):
    user = UserFactory(username=username, roles=list(roles), department=department, last_name=last,
                       first_name=first, **extra)
    UserProfile.objects.filter(user=user).update(name_kana=kana)
    return user


@pytest.fixture
def tanaka(sales):
    return person("tanaka", last="田中", first="美咲", kana="タナカ ミサキ", department=sales,
                  roles=["staff", "auditor"])


@pytest.fixture
def suzuki(it_dept):
    return person("suzuki", last="鈴木", first="一郎", kana="すずき いちろう", department=it_dept,
                  roles=["staff", "department_head"])


@pytest.fixture
def root(superuser):
    """A superuser with no group at all (as `createsuperuser` makes one; the factory gives staff)."""
    superuser.groups.clear()
    return superuser


def ids(users) -> set[int]:
    return {user.pk for user in users}


# ---------------------------------------------------------------------------
# eligible()


def test_it_offers_active_users_holding_the_role(tanaka, suzuki, executive, auditor):
    assert ids(people.eligible(Role.AUDITOR)) == {tanaka.pk, auditor.pk}
    assert ids(people.eligible([Role.AUDITOR, Role.DEPARTMENT_HEAD])) == {tanaka.pk, suzuki.pk, auditor.pk}


def test_it_leaves_out_the_inactive(tanaka, auditor):
    auditor.is_active = False
    auditor.save()
    assert ids(people.eligible(Role.AUDITOR)) == {tanaka.pk}
    assert auditor.pk not in ids(people.eligible())


def test_it_leaves_out_a_superuser_without_the_role(root, tanaka):
    assert root.pk not in ids(people.eligible())
    assert root.pk not in ids(people.eligible(Role.AUDITOR))
    root_auditor = UserFactory(username="root_auditor", is_superuser=True, is_staff=True, roles=["auditor"])
    assert root_auditor.pk in ids(people.eligible(Role.AUDITOR))
    assert root_auditor.pk not in ids(people.eligible(Role.PMS_MANAGER))


def test_it_leaves_out_executives_where_the_duty_is_not_theirs(executive, tanaka):
    assert executive.pk not in ids(people.eligible(Role.AUDITOR))
    assert executive.pk not in ids(people.eligible((Role.AUDITOR, Role.AUDIT_LEAD, Role.DEPARTMENT_HEAD)))
    assert executive.pk in ids(people.eligible(Role.EXECUTIVE))


def test_any_role_means_anyone_in_the_pms_but_not_an_account_without_a_role(staff, executive, root):
    nobody = UserFactory(username="nobody")
    nobody.groups.clear()
    offered = ids(people.eligible())
    assert {staff.pk, executive.pk} <= offered
    assert nobody.pk not in offered and root.pk not in offered


def test_the_people_a_record_names_stay_offered(tanaka, auditor):
    auditor.is_active = False
    auditor.save()
    assert auditor.pk in ids(people.eligible(Role.AUDITOR, keep=[auditor.pk, None]))


def test_the_order_is_department_code_then_reading(db):
    accounting = DepartmentFactory(code="ACC", name="経理部")
    sales = DepartmentFactory(code="SAL", name="営業部")
    late = person("late", department=sales, last="安藤", first="亮", kana="アンドウ リョウ")
    early = person("early", department=accounting, last="和田", first="昇", kana="ワダ ノボル")
    first_in_sales = person("first", department=sales, last="渡辺", first="学", kana="あいざわ")
    unread = person("unread", department=sales, last="佐藤", first="花子")
    assert list(people.eligible()) == [early, first_in_sales, late, unread]


def test_a_company_narrows_the_roles_as_has_role_does(db):
    main = Company.objects.default()
    sol = CompanyFactory(code="SOL")
    main_it = DepartmentFactory(code="MIT", name="情報システム部", company=main)
    sol_it = DepartmentFactory(code="SIT", name="情報システム部", company=sol)
    at_home = UserFactory(username="home_main", roles=["pms_manager"], department=main_it)
    at_sol = UserFactory(username="home_sol", roles=["pms_manager"], department=sol_it)
    group_wide = UserFactory(username="group", roles=["pms_manager"], department=main_it)
    scope_role(group_wide, "pms_manager", None)
    only_sol = UserFactory(username="only_sol", roles=["pms_manager"], department=main_it)
    scope_role(only_sol, "pms_manager", sol)
    homeless = UserFactory(username="homeless", roles=["pms_manager"])
    UserProfile.objects.filter(user=homeless).update(department=None)
    staff_of_sol = UserFactory(username="sol_staff", roles=["staff"], department=sol_it)
    everyone = [at_home, at_sol, group_wide, only_sol, homeless, staff_of_sol]

    for company in (main, sol):
        expected = {user.pk for user in everyone if has_role(user, Role.PMS_MANAGER, company=company)}
        assert ids(people.eligible(Role.PMS_MANAGER, company=company)) == expected
        assert ids(people.eligible(Role.PMS_MANAGER, company=company.pk)) == expected
    assert ids(people.eligible(Role.PMS_MANAGER, company=main)) == {at_home.pk, group_wide.pk, homeless.pk}
    assert ids(people.eligible(Role.PMS_MANAGER, company=sol)) == {at_sol.pk, group_wide.pk, only_sol.pk}


def test_with_one_company_the_company_narrows_nothing(manager, office):
    assert ids(people.eligible(Role.PMS_MANAGER, company=Company.objects.default())) == {manager.pk, office.pk}


# ---------------------------------------------------------------------------
# search()


@pytest.mark.parametrize("text", [
    "田中", "美咲", "田中 美咲", "田中美咲", "田中\u3000美咲",  # kanji, with or without the space
    "タナカ", "たなか", "ﾀﾅｶ", "たなかみさき", "タナカ　ミサキ", "みさき",  # the reading, in any kana
    "tanaka", "TANAKA", "tanaka@example", "営業",  # login, e-mail, department
])
def test_it_finds_a_person_by_name_reading_login_or_department(text, tanaka, suzuki):
    assert list(people.search(people.eligible(), text)) == [tanaka]


def test_a_reading_recorded_in_hiragana_is_found_in_katakana(tanaka, suzuki):
    assert list(people.search(people.eligible(), "スズキ")) == [suzuki]
    assert list(people.search(people.eligible(), "すずき イチ")) == [suzuki]


def test_every_word_must_match(tanaka, suzuki):
    assert list(people.search(people.eligible(), "田中 鈴木")) == []
    assert list(people.search(people.eligible(), "  ")) == list(people.eligible())


# ---------------------------------------------------------------------------
# /people/search/


def get(client, user, **params):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client.get(SEARCH_URL, params)


def test_the_search_url_is_the_pickers(client):
    assert reverse("person_search") == SEARCH_URL


def test_anonymous_users_are_sent_to_log_in(client, tanaka):
    response = client.get(SEARCH_URL, {"q": "田中"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_staff_may_not_search(client, staff, tanaka):
    response = get(client, staff, q="田中")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("who", ["manager", "head", "auditor", "executive", "root"])
def test_those_who_assign_duties_search(request, client, who, tanaka):
    assert get(client, request.getfixturevalue(who), q="たなか").status_code == 200


def test_the_answer_names_id_name_reading_department_and_login(client, manager, tanaka):
    response = get(client, manager, q="タナカ")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json() == [{
        "id": tanaka.pk, "name": "田中 美咲", "kana": "タナカ ミサキ", "department": "営業部",
        "username": "tanaka", "label": "田中 美咲 (営業部)",
    }]


def test_the_role_narrows_the_search(client, manager, tanaka, suzuki):
    suzuki.groups.add(*tanaka.groups.all())
    assert [row["username"] for row in get(client, manager, q="i", role="department_head").json()] == ["suzuki"]
    found = get(client, manager, q="@example", role="auditor,department_head").json()
    assert {row["username"] for row in found} == {"tanaka", "suzuki"}
    assert get(client, manager, q="executive", role="auditor").json() == []


def test_the_company_narrows_the_search(client, manager, tanaka):
    sol = CompanyFactory(code="SOL")
    response = get(client, manager, q="田中", role="auditor", company=sol.pk)
    assert response.status_code == 200 and response.json() == []
    response = get(client, manager, q="田中", role="auditor", company=Company.objects.default().pk)
    assert [row["id"] for row in response.json()] == [tanaka.pk]


@pytest.mark.parametrize("params, field", [
    ({}, "q"),
    ({"q": ""}, "q"),
    ({"q": "x" * 101}, "q"),
    ({"q": "田中", "role": "boss"}, "role"),
    ({"q": "田中", "role": "auditor,root"}, "role"),
    ({"q": "田中", "company": "abc"}, "company"),
    ({"q": "田中", "company": "999999"}, "company"),
    ({"q": "田中", "department": "-1"}, "department"),
])
def test_bad_parameters_are_a_400_naming_the_parameter(client, manager, tanaka, params, field):
    response = get(client, manager, **params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_the_answer_is_at_most_twenty_people(client, manager, sales):
    for number in range(25):
        person(f"sato{number:02d}", department=sales, last="佐藤", first=f"{number}")
    found = get(client, manager, q="佐藤").json()
    assert len(found) == people.SEARCH_LIMIT == 20


def test_the_query_count_does_not_grow_with_the_answer(client, manager, sales, it_dept):
    person("kato0", department=sales, last="加藤", first="一")

    def count() -> tuple[int, int]:
        client.force_login(manager)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(SEARCH_URL, {"q": "加藤", "role": "staff", "company": Company.objects.default().pk})
        return len(queries), len(response.json())

    few_queries, few = count()
    for number in range(1, 15):
        person(f"kato{number}", department=sales if number % 2 else it_dept, last="加藤", first=f"{number}")
    many_queries, many = count()
    assert (few, many) == (1, 15)
    assert many_queries == few_queries
