"""The admin of requests from individuals and complaints (issue 15): the pages load, the state
is read-only, adding and editing go through case_services from the version the page was read
at, the things asked for are decided in the request's page from their own version, the
pauses are shown read-only, and the steps go through the engine, which checks permission."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from incidents import case_services
from incidents.models import Company, Complaint, RequestKind, RightsRequest
from incidents.workflow.service import transition_record
from tests.incidents.admin_pages import change_url, form_data, messages_of, reload, transition_url

pytestmark = pytest.mark.django_db

REQUEST_LIST = reverse("admin:incidents_rightsrequest_changelist")
COMPLAINT_LIST = reverse("admin:incidents_complaint_changelist")


def receive(by, kinds=(RequestKind.DISCLOSURE,), **data) -> RightsRequest:
    data = {"channel": "post", "requester_name": "山田 花子", "summary": "保有個人データの開示を求める", **data}
    return case_services.request_receive(by=by, kinds=list(kinds), **data)


def complaint_of(by, **data) -> Complaint:
    data = {"channel": "phone", "complainant_name": "鈴木 一郎", "summary": "案内メールの宛先誤り", **data}
    return case_services.complaint_receive(by=by, **data)


def with_items(response, data: dict) -> dict:
    """form_data plus the editable fields of the things asked for, as the browser sends them."""
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for row in formset.initial_forms:
            for name in row.fields:
                value = row[name].value()
                data[row.add_prefix(name)] = "" if value is None else str(value)
    return data


# ---------------------------------------------------------------------------
# Pages


@pytest.mark.parametrize("query", ["", "?state__exact=received", "?q=山田", "?clock=overdue", "?clock=paused",
                                   "?items__kind=disclosure", "?channel__exact=post"])
def test_the_request_list_loads_filtered_and_searched(admin_client, pms_manager, query):
    shown = receive(pms_manager)
    response = admin_client(pms_manager).get(REQUEST_LIST + query)
    assert response.status_code == 200
    listed = list(response.context["cl"].result_list)
    if query in ("", "?state__exact=received", "?q=山田", "?items__kind=disclosure", "?channel__exact=post"):
        assert listed == [shown]
    else:
        assert listed == []


def test_the_request_pages_show_the_items_the_pauses_and_the_clock(admin_client, pms_manager):
    request = receive(pms_manager, kinds=[RequestKind.DISCLOSURE, RequestKind.CORRECTION])
    request = case_services.request_pause(request=request, by=pms_manager, version=request.version,
                                          reason="本人確認書類の再送")
    client = admin_client(pms_manager)
    assert client.get(reverse("admin:incidents_rightsrequest_add")).status_code == 200
    response = client.get(change_url(request))
    assert response.status_code == 200
    content = response.content.decode()
    assert "本人確認書類の再送" in content
    items, pauses = response.context["inline_admin_formsets"]
    assert [form.instance.kind for form in items.formset.initial_forms] == ["disclosure", "correction"]
    assert set(items.formset.forms[0].fields) >= {"decision", "ground", "reason", "outcome", "item_version"}
    assert pauses.formset.forms[0].fields == {} or "reason" not in pauses.formset.forms[0].fields
    assert not pauses.has_add_permission and not pauses.has_change_permission
    form = response.context["adminform"].form
    assert "state" not in form.fields and "due_on" not in form.fields and "paused_since" not in form.fields
    assert transition_url(request, "check_identity") in content


def test_the_complaint_pages_load(admin_client, pms_manager):
    complaint = complaint_of(pms_manager)
    client = admin_client(pms_manager)
    for page in (COMPLAINT_LIST, COMPLAINT_LIST + "?classification__exact=complaint", COMPLAINT_LIST + "?q=鈴木",
                 reverse("admin:incidents_complaint_add"), change_url(complaint)):
        assert client.get(page).status_code == 200, page
    assert list(client.get(COMPLAINT_LIST + "?q=鈴木").context["cl"].result_list) == [complaint]


def test_nothing_is_deleted(admin_client, superuser, pms_manager):
    request = receive(pms_manager)
    response = admin_client(superuser).get(reverse("admin:incidents_rightsrequest_delete", args=[request.pk]))
    assert response.status_code == 403
    assert RightsRequest.objects.filter(pk=request.pk).exists()


# ---------------------------------------------------------------------------
# Adding and editing


def test_adding_a_request_goes_through_the_service(admin_client, pms_manager, sales):
    response = admin_client(pms_manager).post(reverse("admin:incidents_rightsrequest_add"), {
        "kinds": ["disclosure", "stop_use"], "channel": "post", "received_on": dt.date.today().isoformat(),
        "requester_type": "person", "requester_name": "田中 太郎", "summary": "登録情報の開示と利用停止",
        "department": str(sales.pk),
        "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0", "pauses-TOTAL_FORMS": "0", "pauses-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    request = RightsRequest.objects.get()
    assert request.reference.startswith("REQ-") and request.received_by == pms_manager
    assert sorted(request.kinds()) == ["disclosure", "stop_use"]
    assert request.department == sales


def test_adding_a_request_without_kinds_is_refused_on_the_field(admin_client, pms_manager):
    response = admin_client(pms_manager).post(reverse("admin:incidents_rightsrequest_add"), {
        "channel": "post", "received_on": dt.date.today().isoformat(), "requester_type": "person",
        "requester_name": "田中 太郎", "summary": "開示",
        "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0", "pauses-TOTAL_FORMS": "0", "pauses-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "kinds" in response.context["adminform"].form.errors
    assert not RightsRequest.objects.exists()


def test_an_edit_from_a_stale_page_is_refused(admin_client, second_client, pms_manager, staffed_office):
    request = receive(pms_manager)
    mine, theirs = admin_client(pms_manager), second_client(staffed_office)
    my_page = mine.get(change_url(request))
    my_data = with_items(my_page, form_data(my_page))
    their_page = theirs.get(change_url(request))
    their_data = with_items(their_page, form_data(their_page))
    their_data["data_searched"] = "顧客DB"
    assert theirs.post(change_url(request), their_data).status_code == 302
    my_data["data_searched"] = "会員DB"
    response = mine.post(change_url(request), my_data)
    assert response.status_code == 200
    assert "Someone else changed this record" in " ".join(response.context["adminform"].form.non_field_errors())
    assert reload(request).data_searched == "顧客DB"


def test_an_item_is_decided_in_the_page_through_its_service(admin_client, pms_manager):
    request = receive(pms_manager)
    client = admin_client(pms_manager)
    page = client.get(change_url(request))
    data = with_items(page, form_data(page))
    item = request.items.get()
    data.update({"items-0-decision": "refused", "items-0-ground": "", "items-0-reason": ""})
    refused = client.post(change_url(request), data)
    assert refused.status_code == 200  # the article and the reason are asked for
    assert reload(item).decision == ""
    data.update({"items-0-decision": "partial", "items-0-ground": "business",
                 "items-0-reason": "一部は業務に著しい支障があるため"})
    assert client.post(change_url(request), data).status_code == 302
    item = reload(item)
    assert (item.decision, item.ground) == ("partial", "business")
    assert item.history.latest().history_user == pms_manager
    # From the same (now stale) page again: the item's version is checked.
    data.update({"items-0-outcome": "一部を開示"})
    stale = client.post(change_url(request), data)
    assert stale.status_code == 200
    assert reload(item).outcome == ""


def test_an_answered_request_shows_its_items_read_only(admin_client, pms_manager):
    request = receive(pms_manager)
    request = transition_record(request, "withdraw", by=pms_manager, comment="取下げ")
    response = admin_client(pms_manager).get(change_url(request))
    items = response.context["inline_admin_formsets"][0]
    assert not items.has_change_permission


def test_the_company_admin_sets_the_request_target_and_the_retention(admin_client, pms_manager):
    company = Company.objects.default()
    client = admin_client(pms_manager)
    url = reverse("admin:incidents_company_change", args=[company.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    assert {"request_target_days", "identity_copy_retention_days"} <= set(form.fields)
    data = form_data(page)
    data.update(request_target_days="10", identity_copy_retention_days="60")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    company.refresh_from_db()
    assert (company.request_target_days, company.identity_copy_retention_days) == (10, 60)


# ---------------------------------------------------------------------------
# Steps


def test_a_step_through_the_admin_by_the_office(admin_client, pms_manager):
    request = receive(pms_manager)
    client = admin_client(pms_manager)
    response = client.post(transition_url(request, "check_identity"), {
        "from_state": "received", "version": str(request.version), "identity_method": "id_copy", "comment": "写し待ち",
    })
    assert response.status_code == 302
    request = reload(request)
    assert (request.state, request.identity_method) == ("identity", "id_copy")
    assert LogEntry.objects.filter(object_id=str(request.pk), user=pms_manager).exists()


def test_a_step_through_the_admin_checks_the_permission(admin_client, superuser, pms_manager):
    request = receive(pms_manager)
    client = admin_client(superuser)
    assert client.get(transition_url(request, "check_identity")).status_code == 403
    response = client.post(transition_url(request, "check_identity"), {
        "from_state": "received", "version": str(request.version), "identity_method": "id_copy", "comment": "無断",
    })
    assert response.status_code == 403
    assert "Only the PMS office or the person handling the case may do this." in " ".join(messages_of(response))
    assert reload(request).state == "received"


def test_an_unmet_condition_is_shown_in_the_admin(admin_client, pms_manager):
    request = receive(pms_manager)
    response = admin_client(pms_manager).post(transition_url(request, "withdraw"), {
        "from_state": "received", "version": str(request.version), "comment": "",
    })
    assert response.status_code == 200
    assert "comment" in response.context["form"].errors
    assert reload(request).state == "received"


def test_a_complaint_step_and_edit_in_the_admin(admin_client, pms_manager):
    complaint = complaint_of(pms_manager)
    client = admin_client(pms_manager)
    response = client.post(transition_url(complaint, "start"), {
        "from_state": "received", "version": str(complaint.version), "comment": "",
    })
    assert response.status_code == 302
    complaint = reload(complaint)
    assert complaint.state == "handling" and complaint.first_response_on is not None
    page = client.get(change_url(complaint))
    data = form_data(page)
    data["weakness_note"] = "宛先確認の手順がない"
    assert client.post(change_url(complaint), data).status_code == 302
    assert reload(complaint).weakness_note == "宛先確認の手順がない"
