"""People who have acted are never deleted: the admin refuses to delete a user (or a
department, or a pick-list entry) that any record or the trail refers to, says why and
where, and offers to deactivate the user instead. A user who never did anything may
still be deleted.

These run on SQLite and on PostgreSQL (DATABASE_URL): on both the database refuses to
change a trail row, so a deletion that reached it would fail there."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from knox.models import AuthToken
from rest_framework.test import APIClient

from incidents import services
from incidents.admin import kept
from incidents.models import Department, EventClass
from tests.incidents.admin_pages import messages_of
from tests.incidents.factories import DepartmentFactory, UserFactory, reported_incident
from trail.models import Door, TrailEntry

pytestmark = pytest.mark.django_db

User = get_user_model()
HistoricalUser = User.history.model
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
CHANGELIST = "admin:auth_user_changelist"


def delete_url(user):
    return reverse("admin:auth_user_delete", args=[user.pk])


def trail_size() -> tuple[int, int]:
    return TrailEntry.objects.count(), HistoricalUser.objects.count()


@pytest.fixture
def reporter(staff):
    """`staff`, named, who has reported an incident (a record, its step and its history)."""
    staff.last_name, staff.first_name = "山田", "太郎"
    staff.save(update_fields=["last_name", "first_name"])
    reported_incident(staff)
    return staff


@pytest.fixture
def editor(sales):
    """A user whose only act is an edit of a department: history rows name them, nothing else."""
    user = UserFactory(username="editor", department=DepartmentFactory(code="EDIT"))
    sales.name, sales._history_user = "営業本部", user
    sales.save()
    return user


@pytest.fixture
def fresh(sales):
    """A user created by mistake: a profile, roles, an API token and their own history, no acts."""
    user = UserFactory(username="fresh", department=sales)
    user.first_name = "誤登録"
    user.save()
    AuthToken.objects.create(user=user)
    return user


# ---------------------------------------------------------------------------
# Where a user appears


def test_where_a_user_appears_is_every_relation_but_their_own(reporter, editor, fresh, manager):
    places = {(place.model._meta.label, place.lookup) for place in kept.places_of(User)}
    # Records, their history (copies of the keys, and who made each change), the trail's steps.
    assert {("incidents.Incident", "reporter"), ("incidents.HistoricalIncident", "reporter"),
            ("incidents.HistoricalIncident", "history_user"), ("trail.TrailEntry", "by"),
            ("trail.HistoricalUser", "history_user"), ("audits.Audit", "auditors"),
            ("audits.HistoricalAudit_auditors", "user"), ("incidents.Department", "head"),
            ("incidents.SentReminder", "recipient")} <= places
    # Not the user's own profile, token, roles, nor the history of those.
    assert not places & {("incidents.UserProfile", "user"), ("knox.AuthToken", "user"),
                         ("incidents.HistoricalUserProfile", "user"), ("trail.HistoricalUser_groups", "user"),
                         ("auth.User_groups", "user"), ("audits.Audit_auditors", "user")}
    with translation.override("en"):
        found = kept.appearances(User, [reporter.pk, editor.pk, fresh.pk])
    assert fresh.pk not in found
    assert {label for label, _ in found[editor.pk]} == {"changes they made to departments"}
    assert ("incidents (reporter)", 1) in found[reporter.pk]


# ---------------------------------------------------------------------------
# Refused


@pytest.mark.parametrize("actor", ["reporter", "editor", "stepper"])
def test_deleting_an_actor_is_refused(request, admin_client, superuser, manager, actor):
    if actor == "stepper":  # took a step on someone else's incident
        incident = request.getfixturevalue("incident")
        services.transition_record(incident, "triage", by=manager, changes={"severity": "L1"})
        user = manager
    else:
        user = request.getfixturevalue(actor)
    before = trail_size()
    client = admin_client(superuser)

    page = client.get(delete_url(user), **JA)
    assert page.status_code == 200
    text = page.content.decode()
    assert "これらのユーザーは削除できません。記録や履歴に登場しており" in text
    assert "代わりに無効にしてください" in text and 'value="代わりに無効にする"' in text
    assert 'name="action" value="deactivate_users"' in text
    with translation.override("ja"):
        steps = f"{TrailEntry._meta.verbose_name_plural}（{TrailEntry._meta.get_field('by').verbose_name}）："
    expected = {"reporter": "インシデント（報告者）：1 件", "editor": "部門 に対して行った変更：1 件", "stepper": steps}
    assert expected[actor] in text

    page = client.post(delete_url(user), {"post": "yes"}, **JA)
    assert page.status_code == 200 and "これらのユーザーは削除できません" in page.content.decode()
    user.refresh_from_db()
    assert user.is_active
    assert trail_size() == before
    assert not LogEntry.objects.filter(action_flag=3).exists()


def test_bulk_deleting_is_refused_when_one_of_them_acted(admin_client, superuser, reporter, fresh):
    client = admin_client(superuser)
    selected = {"action": "delete_selected", "_selected_action": [reporter.pk, fresh.pk]}
    page = client.post(reverse(CHANGELIST), selected, **JA)
    assert page.status_code == 200
    text = page.content.decode()
    assert "これらのユーザーは削除できません" in text and "インシデント（報告者）：1 件" in text
    assert "山田 太郎 (staff)" in text and "誤登録 (fresh)" not in text  # only the one who acted is listed
    page = client.post(reverse(CHANGELIST), {**selected, "post": "yes"}, **JA)
    assert page.status_code == 200 and "これらのユーザーは削除できません" in page.content.decode()
    assert User.objects.filter(pk__in=[reporter.pk, fresh.pk]).count() == 2


def test_when_the_database_refuses_anyway_the_admin_says_so(admin_client, superuser, editor, monkeypatch):
    """Someone acts between the page and the deletion: no error page, nothing deleted."""
    monkeypatch.setattr(kept, "appearances", lambda model, pks: {})
    before = trail_size()
    client = admin_client(superuser)
    response = client.post(delete_url(editor), {"post": "yes"})
    assert response.status_code == 302
    assert any("the database refused" in message for message in messages_of(response))
    selected = {"action": "delete_selected", "_selected_action": [editor.pk], "post": "yes"}
    response = client.post(reverse(CHANGELIST), selected)
    assert response.status_code == 302
    assert any("the database refused" in message for message in messages_of(response))
    assert User.objects.filter(pk=editor.pk).exists()
    assert trail_size() == before
    assert not LogEntry.objects.filter(action_flag=3).exists()


# ---------------------------------------------------------------------------
# A user who never did anything


def test_a_user_who_never_acted_can_be_deleted(admin_client, superuser, fresh):
    response = admin_client(superuser).post(delete_url(fresh), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=fresh.pk).exists()
    assert not AuthToken.objects.filter(user_id=fresh.pk).exists()
    # The deletion itself is on the trail, by the admin.
    gone = HistoricalUser.objects.get(id=fresh.pk, history_type="-")
    assert gone.history_user == superuser and gone.door == Door.ADMIN


def test_users_who_never_acted_can_be_deleted_together(admin_client, superuser, fresh, sales):
    other = UserFactory(username="fresh2", department=sales)
    selected = {"action": "delete_selected", "_selected_action": [fresh.pk, other.pk], "post": "yes"}
    response = admin_client(superuser).post(reverse(CHANGELIST), selected)
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[fresh.pk, other.pk]).exists()


# ---------------------------------------------------------------------------
# Deactivated instead


def test_deactivating_from_the_refusal_page(admin_client, superuser, reporter, manager):
    _instance, token = AuthToken.objects.create(user=reporter)
    client = admin_client(superuser)
    page = client.get(delete_url(reporter))
    assert page.status_code == 200
    # The refusal page's button: the deactivate action, for the users it lists.
    response = client.post(reverse(CHANGELIST), {"action": "deactivate_users", "_selected_action": [reporter.pk]})
    assert response.status_code == 302
    reporter.refresh_from_db()
    assert not reporter.is_active
    last = HistoricalUser.objects.filter(id=reporter.pk).latest("history_id")
    assert last.is_active is False and last.history_user == superuser and last.door == Door.ADMIN
    assert LogEntry.objects.filter(object_id=str(reporter.pk), action_flag=2).exists()
    assert any("山田 太郎 (staff)" in message for message in messages_of(response))
    # A deactivated user cannot sign in; the trail still names them.
    assert not client.login(username="staff", password="pass-for-tests")
    assert APIClient().get("/api/incidents/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    entry = TrailEntry.objects.get(by=reporter, transition="report")
    assert entry.actor_name == "山田 太郎 (staff)"
    manager_client = admin_client(manager)
    detail = manager_client.get(reverse("incident_detail", args=[entry.object_id]))
    assert detail.status_code == 200 and "山田 太郎" in detail.content.decode()


def test_deactivating_in_japanese_and_not_oneself(admin_client, superuser, fresh):
    client = admin_client(superuser)
    response = client.post(
        reverse(CHANGELIST), {"action": "deactivate_users", "_selected_action": [fresh.pk, superuser.pk]}, **JA,
    )
    assert response.status_code == 302
    fresh.refresh_from_db()
    superuser.refresh_from_db()
    assert not fresh.is_active and superuser.is_active
    shown = messages_of(response)
    assert any("自分のアカウントは無効にできません" in message for message in shown)
    assert any("無効にしました：誤登録 (fresh)" in message for message in shown)


# ---------------------------------------------------------------------------
# Departments and pick-lists in use


def test_a_department_in_use_is_not_deleted(admin_client, superuser, reporter, sales):
    client = admin_client(superuser)
    url = reverse("admin:incidents_department_delete", args=[sales.pk])
    page = client.get(url, **JA)
    assert page.status_code == 200
    text = page.content.decode()
    assert "これらの部門は削除できません" in text
    assert "インシデント（部門）：1 件" in text
    assert client.post(url, {"post": "yes"}, **JA).status_code == 200
    assert Department.objects.filter(pk=sales.pk).exists()


def test_an_unused_department_can_be_deleted(admin_client, superuser):
    unused = DepartmentFactory(code="UNUSED")
    response = admin_client(superuser).post(
        reverse("admin:incidents_department_delete", args=[unused.pk]), {"post": "yes"},
    )
    assert response.status_code == 302
    assert not Department.objects.filter(pk=unused.pk).exists()


def test_a_pick_list_entry_in_use_is_not_deleted(admin_client, superuser, reporter):
    from incidents.models import Incident

    entry = EventClass.objects.first()
    Incident.objects.update(event_class=entry)
    page = admin_client(superuser).post(
        reverse("admin:incidents_eventclass_delete", args=[entry.pk]), {"post": "yes"}, **JA,
    )
    assert page.status_code == 200 and "「有効」のチェックを外してください" in page.content.decode()
    assert EventClass.objects.filter(pk=entry.pk).exists()


# ---------------------------------------------------------------------------
# No other door deletes a user


def test_the_api_has_no_user_endpoint():
    for path in ("/api/users/", "/api/users/1/"):
        with pytest.raises(Resolver404):
            resolve(path)
