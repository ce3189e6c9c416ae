"""The audit page's checklist is one form (issue 14 item 7): saving writes every item changed,
all or nothing, and never discards what was typed on the other items."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audits import services
from audits.models import ChecklistItem, Finding
from incidents.services import transition_record
from tests.incidents.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def page_data(audit, typed: dict, *, versions: dict | None = None) -> dict:
    """The checklist form as the page posts it: every item with its version and its values as
    shown, and what the user typed (`typed`: {item: {field: value}}) over them."""
    data = {}
    for item in ChecklistItem.objects.filter(audit=audit):
        prefix = f"item-{item.pk}"
        data[f"{prefix}-version"] = (versions or {}).get(item.pk, item.version)
        data[f"{prefix}-evidence"] = item.evidence
        data[f"{prefix}-note"] = item.note
        if item.result:
            data[f"{prefix}-result"] = item.result
    for item, fields in typed.items():
        data.update({f"item-{item.pk}-{name}": value for name, value in fields.items()})
    return data


def save(client, audit, typed, **kwargs):
    return client.post(reverse("audit_checklist_save", args=[audit.pk]), page_data(audit, typed, **kwargs))


def items(audit) -> list[ChecklistItem]:
    return list(audit.checklist.order_by("position", "id"))


def form_of(response, item):
    return next(row["form"] for row in response.context["checklist"] if row["item"].pk == item.pk)


def test_the_page_has_one_checklist_form(client, fieldwork, lead_auditor):
    client.force_login(lead_auditor)
    html = client.get(reverse("audit_detail", args=[fieldwork.pk])).content.decode()
    assert html.count(f'action="{reverse("audit_checklist_save", args=[fieldwork.pk])}"') == 1
    assert reverse("audit_checklist_record", args=[fieldwork.pk, items(fieldwork)[0].pk]) not in html
    for item in items(fieldwork):
        assert f'name="item-{item.pk}-version" value="{item.version}"' in html
        assert f'name="save" value="{item.pk}"' in html


def test_two_items_one_invalid_is_a_400_that_saves_nothing_and_keeps_both(client, fieldwork, lead_auditor):
    first, second = items(fieldwork)[:2]
    client.force_login(lead_auditor)
    response = save(client, fieldwork, {
        first: {"result": "conforming", "evidence": "規程と記録を確認した"},
        second: {"evidence": "教育記録の一部を確認"},  # no result: invalid
    })
    assert response.status_code == 400
    assert [item.result for item in items(fieldwork)] == ["", "", ""]
    assert not ChecklistItem.history.filter(history_type="~").exists()
    assert "result" in form_of(response, second).errors and not form_of(response, first).errors
    html = response.content.decode()
    assert "規程と記録を確認した" in html and "教育記録の一部を確認" in html
    assert form_of(response, first)["result"].value() == "conforming"


def test_two_valid_items_are_both_saved_with_their_trail(client, fieldwork, lead_auditor):
    first, second, third = items(fieldwork)
    client.force_login(lead_auditor)
    response = save(client, fieldwork, {
        first: {"result": "conforming", "evidence": "規程を確認"},
        second: {"result": "nonconforming", "note": "台帳が更新されていない", "grade": "major"},
    }, )
    assert response.status_code == 302
    assert response.url == reverse("audit_detail", args=[fieldwork.pk]) + "#checklist"
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert (first.result, first.evidence, first.recorded_by) == ("conforming", "規程を確認", lead_auditor)
    assert (second.result, second.recorded_by) == ("nonconforming", lead_auditor)
    assert third.result == "" and third.version == 1  # untouched: not written
    for item in (first, second):
        edits = item.history.filter(history_type="~")
        assert edits.count() == 1 and edits.get().history_user == lead_auditor
    assert Finding.objects.get().checklist_item == second
    page = client.get(reverse("audit_detail", args=[fieldwork.pk]))
    edits = [moment for moment in page.context["trail"] if moment.kind == "edit"]
    assert len(edits) == 2


def test_a_stale_item_is_a_409_and_nothing_is_saved(client, fieldwork, lead_auditor, second_auditor):
    first, second = items(fieldwork)[:2]
    seen = {item.pk: item.version for item in items(fieldwork)}
    # A teammate records the second item after the lead auditor's page was read.
    services.checklist_record(item=second, by=second_auditor, result="conforming", evidence="記録を確認",
                              version=second.version)
    client.force_login(lead_auditor)
    response = save(client, fieldwork, {
        first: {"result": "nonconforming", "note": "手順書が古い"},
        second: {"result": "observation", "note": "掲示が古い"},
    }, versions=seen)
    assert response.status_code == 409
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.result == "" and first.version == 1
    assert (second.result, second.recorded_by) == ("conforming", second_auditor)
    assert not Finding.objects.exists()  # the first item's finding was not raised either
    html = response.content.decode()
    assert 'id="conflict"' in html and "記録を確認" in html and "掲示が古い" in html and "手順書が古い" in html
    assert form_of(response, second).conflict is not None and form_of(response, first).conflict is None
    # The stale item now carries the current version: saving again is a decision taken knowingly.
    assert f'name="item-{second.pk}-version" value="{second.version}"' in html
    assert f'name="item-{first.pk}-version" value="{first.version}"' in html


def test_an_item_changed_by_a_teammate_but_not_here_is_left_alone(client, fieldwork, lead_auditor, second_auditor):
    first, second = items(fieldwork)[:2]
    seen = {item.pk: item.version for item in items(fieldwork)}
    services.checklist_record(item=second, by=second_auditor, result="conforming", version=second.version)
    client.force_login(lead_auditor)
    data = page_data(fieldwork, {first: {"result": "conforming"}}, versions=seen)
    data.pop(f"item-{second.pk}-result")  # the page showed it without a result
    response = client.post(reverse("audit_checklist_save", args=[fieldwork.pk]), data)
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.result == "conforming" and (second.result, second.recorded_by) == ("conforming", second_auditor)


def test_a_refusal_of_the_service_on_one_item_saves_none(client, plan_audit, lead_auditor, sales):
    hr = DepartmentFactory(code="HR", name="人事部")
    audit = transition_record(plan_audit(departments=[sales, hr]), "start", by=lead_auditor)
    first, second = items(audit)[:2]
    client.force_login(lead_auditor)
    response = save(client, audit, {
        first: {"result": "conforming"},
        second: {"result": "nonconforming", "note": "記録なし"},  # which department? the service asks
    })
    assert response.status_code == 400
    assert "department" in form_of(response, second).errors
    assert [item.result for item in items(audit)] == ["", "", ""]
    assert not Finding.objects.exists()
    response = save(client, audit, {
        first: {"result": "conforming"},
        second: {"result": "nonconforming", "note": "記録なし", "department": hr.pk},
    }, )
    assert response.status_code == 302
    assert Finding.objects.get().department == hr


def test_line_breaks_sent_by_the_browser_are_not_a_change(client, fieldwork, lead_auditor):
    first, second = items(fieldwork)[:2]
    services.checklist_record(item=second, by=lead_auditor, result="conforming", evidence="一行目\n二行目",
                              version=second.version)
    version = ChecklistItem.objects.get(pk=second.pk).version
    client.force_login(lead_auditor)
    data = page_data(fieldwork, {first: {"result": "conforming"}})
    data[f"item-{second.pk}-evidence"] = "一行目\r\n二行目"
    assert client.post(reverse("audit_checklist_save", args=[fieldwork.pk]), data).status_code == 302
    assert ChecklistItem.objects.get(pk=second.pk).version == version


def test_saving_nothing_changed_goes_back_to_the_page(client, fieldwork, lead_auditor):
    client.force_login(lead_auditor)
    data = page_data(fieldwork, {})
    data["save"] = str(items(fieldwork)[1].pk)
    response = client.post(reverse("audit_checklist_save", args=[fieldwork.pk]), data)
    assert response.status_code == 302
    assert response.url.endswith(f"#item-{items(fieldwork)[1].pk}")
    assert all(item.version == 1 for item in items(fieldwork))


def test_only_the_audit_team_saves_the_checklist(client, fieldwork, head, staff):
    first = items(fieldwork)[0]
    client.force_login(head)
    assert save(client, fieldwork, {first: {"result": "conforming"}}).status_code == 403
    client.force_login(staff)
    assert save(client, fieldwork, {first: {"result": "conforming"}}).status_code == 404
    assert ChecklistItem.objects.get(pk=first.pk).result == ""
