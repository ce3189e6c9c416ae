"""Web UI: list pages, their filters, and a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.incidents.factories import ActionFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def make_incidents(n: int, departments, reporters):
    for i in range(n):
        IncidentFactory(department=departments[i % len(departments)], reporter=reporters[i % len(reporters)],
                        severity="L1" if i % 2 else "", affected_count=1500 if i % 3 == 0 else 1)


def make_actions(n: int, departments, users):
    for i in range(n):
        owner, verifier = users[i % len(users)], users[(i + 1) % len(users)]
        ActionFactory(department=departments[i % len(departments)], owner=owner, verifier=verifier,
                      created_by=owner, incident=IncidentFactory(department=departments[0], reporter=owner),
                      due_date=timezone.localdate() + dt.timedelta(days=(i % 5) - 2))


def test_incident_list_queries_do_not_grow_with_rows(client, manager, sales, it_dept):
    users = [UserFactory(department=sales) for _ in range(3)]
    make_incidents(5, [sales, it_dept], users)
    client.force_login(manager)
    url = reverse("incident_list")
    few = count_queries(client, url)
    make_incidents(45, [sales, it_dept], users + [UserFactory(department=it_dept)])
    many = count_queries(client, url)
    assert len(client.get(url).context["page"].object_list) == 50
    assert few == many


def test_action_list_queries_do_not_grow_with_rows(client, manager, sales, it_dept):
    users = [UserFactory(department=sales) for _ in range(3)]
    make_actions(5, [sales, it_dept], users)
    client.force_login(manager)
    url = reverse("action_list")
    few = count_queries(client, url)
    make_actions(45, [sales, it_dept], users + [UserFactory(department=it_dept)])
    many = count_queries(client, url)
    assert len(client.get(url).context["page"].object_list) == 50
    assert few == many


def test_my_items_queries_do_not_grow_with_rows(client, manager, head, sales, it_dept):
    for user in (manager, head):
        client.force_login(user)
        make_incidents(3, [sales], [user])
        make_actions(3, [sales], [user, UserFactory(department=sales)])
        few = count_queries(client, reverse("home"))
        make_incidents(45, [sales], [user])
        make_actions(45, [sales], [user, UserFactory(department=sales)])  # half of them the user's
        full = count_queries(client, reverse("home"))
        make_incidents(20, [sales], [user])
        make_actions(20, [sales], [user, UserFactory(department=sales)])
        # Each list shows its first TODO_LIMIT rows and counts the rest only once it fills
        # up: past that bound the page costs the same whatever the data.
        assert count_queries(client, reverse("home")) == full, user
        assert full - few <= 3, user


def test_incident_list_filters(client, manager, sales, it_dept):
    reporter = UserFactory(department=sales)
    leak = IncidentFactory(department=sales, reporter=reporter, title="顧客名簿の紛失", kind="loss",
                           severity="L2", affected_count=2000)
    near_miss = IncidentFactory(department=it_dept, reporter=reporter, title="誤送信の未遂", kind="near_miss",
                                severity="L0", affected_count=None)
    client.force_login(manager)

    def listed(query: str) -> set[str]:
        page = client.get(reverse("incident_list") + query).context["page"]
        return {incident.reference for incident in page.object_list}

    assert listed("") == {leak.reference, near_miss.reference}
    assert listed("?kind=loss") == {leak.reference}
    assert listed("?kind=") == {leak.reference, near_miss.reference}
    assert listed("?severity=L0") == {near_miss.reference}
    assert listed(f"?department={it_dept.pk}") == {near_miss.reference}
    assert listed("?reportable=true") == {leak.reference}
    assert listed("?reportable=false") == {near_miss.reference}
    assert listed("?q=名簿") == {leak.reference}
    assert listed(f"?q={near_miss.reference}") == {near_miss.reference}
    assert listed("?state=reported&open=on") == {leak.reference, near_miss.reference}
    assert listed("?state=closed") == set()


def test_action_list_filters(client, manager, sales, it_dept):
    owner, verifier = UserFactory(department=sales), UserFactory(department=sales)
    overdue = ActionFactory(department=sales, owner=owner, verifier=verifier, kind="corrective",
                            due_date=timezone.localdate() - dt.timedelta(days=1))
    later = ActionFactory(department=it_dept, owner=owner, verifier=verifier, kind="preventive",
                          due_date=timezone.localdate() + dt.timedelta(days=20))
    client.force_login(manager)

    def listed(query: str) -> set[str]:
        page = client.get(reverse("action_list") + query).context["page"]
        return {action.reference for action in page.object_list}

    assert listed("") == {overdue.reference, later.reference}
    assert listed("?overdue=on") == {overdue.reference}
    assert listed("?kind=preventive") == {later.reference}
    assert listed(f"?department={sales.pk}") == {overdue.reference}
    assert listed(f"?due_before={timezone.localdate().isoformat()}") == {overdue.reference}
    assert listed("?state=planned") == {overdue.reference, later.reference}
    content = client.get(reverse("action_list")).content.decode()
    assert 'class="is-overdue"' in content


def test_my_items_for_staff(client, staff, head, manager, sales):
    IncidentFactory(reporter=staff, department=sales, title="自分の報告")
    ActionFactory(department=sales, owner=staff, verifier=head, title="自分の処置",
                  due_date=timezone.localdate() - dt.timedelta(days=3))
    ActionFactory(department=sales, owner=head, verifier=staff, title="確認する処置")
    client.force_login(staff)
    response = client.get(reverse("home"))
    content = response.content.decode()
    assert "自分の報告" in content
    assert "自分の処置" in content
    assert "badge--overdue" in content
    # The to-do page lists what waits for the person: an action they verify only once it
    # is implemented.
    assert "確認する処置" not in content
    assert response.context["actions_to_verify"]["total"] == 0
    assert response.context.get("awaiting_triage") is None


def test_my_items_for_the_manager_and_a_department_head(client, staff, head, manager, sales):
    IncidentFactory(reporter=staff, department=sales, title="未対応の報告")
    client.force_login(manager)
    response = client.get(reverse("home"))
    assert [i.title for i in response.context["awaiting_triage"]["rows"]] == ["未対応の報告"]
    assert ("reported", 1) in [(value, n) for value, _label, n in response.context["open_by_state"]]

    client.force_login(head)
    response = client.get(reverse("home"))
    assert [i.title for i in response.context["department_incidents"]["rows"]] == ["未対応の報告"]


def test_pagination_keeps_the_filters(client, manager, sales):
    reporter = UserFactory(department=sales)
    for _ in range(52):
        IncidentFactory(department=sales, reporter=reporter)
    client.force_login(manager)
    content = client.get(reverse("incident_list") + "?kind=leak").content.decode()
    assert "?kind=leak&amp;page=2" in content
    response = client.get(reverse("incident_list") + "?kind=leak&page=2")
    assert len(response.context["page"].object_list) == 2
