"""The public form (settings.PUBLIC_INTAKE, issue 15): off by default (404); on, a person
files a request or a complaint without an account and gets the receipt number; CSRF, a
trap for robots and a limit per client address (429) protect it."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from incidents.models import CaseChannel, Complaint, ComplaintClass, RequestKind, RightsRequest
from notifications.models import Notification

pytestmark = pytest.mark.django_db

URL = "/contact/privacy/"

REQUEST = {
    "topic": "request", "kinds": [RequestKind.DISCLOSURE, RequestKind.STOP_USE], "requester_type": "person",
    "name": "山田 花子", "contact": "hanako@example.jp", "address": "東京都千代田区1-1",
    "method_requested": "electronic", "summary": "私の個人データの開示と利用停止を求めます。",
}


@pytest.fixture
def public(settings):
    settings.PUBLIC_INTAKE = True
    settings.PUBLIC_INTAKE_RATE = "3/h"
    return settings


def test_the_url_is_the_public_intake():
    assert reverse("public_intake") == URL


def test_off_by_default_it_is_a_404_and_records_nothing(client, settings):
    assert settings.PUBLIC_INTAKE is False
    assert client.get(URL).status_code == 404
    assert client.post(URL, REQUEST).status_code == 404
    assert not RightsRequest.objects.exists()


def test_on_a_person_files_a_request_without_an_account_and_gets_the_receipt_number(client, public, manager):
    page = client.get(URL)
    assert page.status_code == 200
    assert not page.wsgi_request.user.is_authenticated
    response = client.post(URL, REQUEST)
    assert response.status_code == 200
    case = RightsRequest.objects.get()
    assert case.received_by is None and case.channel == CaseChannel.WEB_FORM
    assert sorted(case.kinds()) == ["disclosure", "stop_use"]
    assert case.requester_contact == "hanako@example.jp" and case.method_requested == "electronic"
    content = response.content.decode()
    assert 'id="receipt-number"' in content and case.reference in content
    # The PMS office is told of it.
    assert Notification.objects.filter(recipient=manager, kind="request_received").exists()


def test_a_complaint_or_a_consultation_becomes_a_complaint(client, public):
    response = client.post(URL, {**REQUEST, "topic": "consultation", "kinds": [],
                                 "summary": "個人情報の取扱いについて相談したい"})
    assert response.status_code == 200
    complaint = Complaint.objects.get()
    assert complaint.classification == ComplaintClass.CONSULTATION and complaint.received_by is None
    assert complaint.channel == CaseChannel.WEB_FORM
    assert complaint.reference in response.content.decode()
    assert not RightsRequest.objects.exists()


def test_a_request_names_what_it_asks_for(client, public):
    response = client.post(URL, {**REQUEST, "kinds": [], "requester_type": "agent"})
    assert response.status_code == 400
    assert {"kinds", "subject_name"} <= set(response.context["form"].errors)
    assert not RightsRequest.objects.exists()


def test_a_robot_filling_the_trap_is_thanked_and_nothing_is_recorded(client, public):
    response = client.post(URL, {**REQUEST, "website": "http://spam.example"})
    assert response.status_code == 200
    assert 'id="receipt-number"' not in response.content.decode()
    assert not RightsRequest.objects.exists() and not Complaint.objects.exists()


def test_the_form_is_csrf_protected(public):
    client = Client(enforce_csrf_checks=True)
    assert client.post(URL, REQUEST).status_code == 403
    assert not RightsRequest.objects.exists()


def test_over_the_limit_the_page_answers_429_in_japanese(public):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert client.post(URL, REQUEST).status_code == 200
    response = client.post(URL, REQUEST)
    assert response.status_code == 429
    assert "送信" in response.content.decode()
    assert RightsRequest.objects.count() == 3
    # Another address is not held back by it.
    assert Client(REMOTE_ADDR="198.51.100.2").post(URL, REQUEST).status_code == 200


def test_the_counter_cache_increments_atomically_in_the_database():
    cache = caches["ratelimit"]
    assert cache.add("probe", 1, 60)
    assert cache.incr("probe") == 2
    assert cache.incr("probe", 3) == 5
    assert cache.get("probe") == 5
    with pytest.raises(ValueError):
        cache.incr("absent")
