"""Evidence files of actions (issue 14 item 5): each proves the implementation (added by the
owner) or the effectiveness (by the verifier), the PMS office adds either; the same type and
size checks as every file; downloaded by whoever sees the action."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from incidents import services
from incidents.attachments import addable_purposes, attachment_add
from incidents.exceptions import NotPermitted, RecordClosed
from incidents.models import Attachment, EvidencePurpose
from tests.incidents.factories import ActionFactory, UserFactory
from tests.incidents.test_attachments import HTML, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db

IMPLEMENTATION, EFFECTIVENESS = EvidencePurpose.IMPLEMENTATION, EvidencePurpose.EFFECTIVENESS


@pytest.fixture(autouse=True)
def english(client):
    """Messages and pages are compared in English (the pages' language is the request's)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def owner(sales):
    return UserFactory(username="owner", roles=["staff"], department=sales)


@pytest.fixture
def verifier(it_dept):
    return UserFactory(username="verifier", roles=["staff"], department=it_dept)


@pytest.fixture
def action(incident, sales, owner, verifier):
    return ActionFactory(incident=incident, department=sales, owner=owner, verifier=verifier)


# What an action's files prove (the other purposes belong to requests from individuals).
ACTION_PURPOSES = (EvidencePurpose.IMPLEMENTATION, EvidencePurpose.EFFECTIVENESS)


def attach(action, by, purpose, name="証跡.pdf", data=None):
    return attachment_add(record=action, by=by, file=upload(name, data or pdf_bytes()), purpose=purpose)


def test_each_person_adds_the_evidence_of_their_part(action, owner, verifier, manager):
    assert attach(action, owner, IMPLEMENTATION).purpose == IMPLEMENTATION
    assert attach(action, verifier, EFFECTIVENESS).purpose == EFFECTIVENESS
    with pytest.raises(NotPermitted):
        attach(action, owner, EFFECTIVENESS)
    with pytest.raises(NotPermitted):
        attach(action, verifier, IMPLEMENTATION)
    for purpose in ACTION_PURPOSES:
        assert attach(action, manager, purpose).uploaded_by == manager
    assert addable_purposes(action, owner) == [IMPLEMENTATION]
    assert addable_purposes(action, verifier) == [EFFECTIVENESS]
    assert addable_purposes(action, manager) == [IMPLEMENTATION, EFFECTIVENESS]
    assert Attachment.objects.count() == 4


@pytest.mark.parametrize("who", ["head", "executive", "auditor"])
def test_others_who_see_the_action_only_read(request, action, who):
    user = request.getfixturevalue(who)
    for purpose in ACTION_PURPOSES:
        with pytest.raises(NotPermitted):
            attach(action, user, purpose)


def test_a_file_says_what_it_proves(action, owner, incident, staff):
    with pytest.raises(ValidationError) as raised:
        attach(action, owner, "")
    assert "purpose" in raised.value.message_dict
    with pytest.raises(ValidationError):
        attach(action, owner, "something_else")
    # An incident's files have no purpose.
    with pytest.raises(ValidationError) as raised:
        attachment_add(record=incident, by=staff, file=upload("a.pdf", pdf_bytes()), purpose=IMPLEMENTATION)
    assert "purpose" in raised.value.message_dict
    assert not Attachment.objects.exists()


def test_the_same_type_and_size_checks_apply(action, owner, settings):
    with pytest.raises(ValidationError) as raised:
        attach(action, owner, IMPLEMENTATION, "evidence.pdf", HTML)
    assert "not accepted" in raised.value.message_dict["file"][0]
    settings.ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError) as raised:
        attach(action, owner, IMPLEMENTATION)
    assert "too large" in raised.value.message_dict["file"][0]
    assert not Attachment.objects.exists()


def test_a_closed_action_takes_files_from_the_office_only(action, owner, verifier, manager):
    action = services.transition_record(action, "start", by=owner)
    action = services.transition_record(action, "implement", by=owner, changes={"implementation_note": "改訂した"})
    action = services.transition_record(action, "verify_effective", by=verifier,
                                        changes={"effectiveness_note": "再発なし"})
    with pytest.raises(RecordClosed):
        attach(action, owner, IMPLEMENTATION)
    with pytest.raises(RecordClosed):
        attach(action, verifier, EFFECTIVENESS)
    assert attach(action, manager, EFFECTIVENESS).purpose == EFFECTIVENESS


# ---------------------------------------------------------------------------
# The action's page


def test_the_page_shows_two_groups_and_the_forms_each_may_use(client, action, owner, verifier, manager):
    attach(action, owner, IMPLEMENTATION, "手順書.pdf")
    attach(action, verifier, EFFECTIVENESS, "確認記録.png", png_bytes())
    client.force_login(owner)
    page = client.get(reverse("action_detail", args=[action.pk]))
    groups = {group["purpose"]: group for group in page.context["evidence"]}
    assert [a.original_name for a in groups[IMPLEMENTATION]["files"]] == ["手順書.pdf"]
    assert [a.original_name for a in groups[EFFECTIVENESS]["files"]] == ["確認記録.png"]
    assert (groups[IMPLEMENTATION]["can_add"], groups[EFFECTIVENESS]["can_add"]) == (True, False)
    content = page.content.decode()
    assert "Evidence of implementation" in content and "Evidence of effectiveness" in content
    assert 'name="purpose" value="implementation"' in content
    assert 'name="purpose" value="effectiveness"' not in content


def test_the_page_uploads_with_a_purpose(client, action, owner):
    client.force_login(owner)
    url = reverse("attachment_upload", args=["incidents.action", action.pk])
    response = client.post(url, {"file": upload("手順書.pdf", pdf_bytes()), "purpose": IMPLEMENTATION})
    assert response.status_code == 302
    assert response["Location"].endswith("#evidence-implementation")
    assert Attachment.objects.get().purpose == IMPLEMENTATION
    assert client.post(url, {"file": upload("x.pdf", pdf_bytes()), "purpose": EFFECTIVENESS}).status_code == 403
    assert client.post(url, {"file": upload("x.pdf", pdf_bytes())}).status_code == 400
    assert client.post(url, {"file": upload("x.pdf", HTML), "purpose": IMPLEMENTATION}).status_code == 400
    assert Attachment.objects.count() == 1


def test_whoever_sees_the_action_downloads_its_files(client, action, owner, head, executive, other_staff):
    attachment = attach(action, owner, IMPLEMENTATION)
    url = reverse("attachment_download", args=[attachment.pk])
    for user in (owner, head, executive):
        client.force_login(user)
        assert client.get(url).status_code == 200, user
    client.force_login(other_staff)
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------------------
# The API


def test_the_api_lists_and_adds_evidence(api_as, action, owner, verifier, other_staff):
    url = f"/api/actions/{action.pk}/attachments/"
    response = api_as(owner).post(url, {"file": upload("手順書.pdf", pdf_bytes()), "purpose": "implementation"},
                                  format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["purpose"] == "implementation"
    answer = api_as(owner).post(url, {"file": upload("x.pdf", pdf_bytes()), "purpose": "effectiveness"},
                                format="multipart")
    assert answer.status_code == 403
    answer = api_as(verifier).post(url, {"file": upload("x.pdf", pdf_bytes())}, format="multipart")
    assert answer.status_code == 400 and "purpose" in answer.json()
    listed = api_as(verifier).get(url).json()
    assert [(row["original_name"], row["purpose"]) for row in listed] == [("手順書.pdf", "implementation")]
    download = api_as(verifier).get(listed[0]["download_url"])
    assert download.status_code == 200
    assert api_as(other_staff).get(url).status_code == 404
    assert api_as(other_staff).get(listed[0]["download_url"]).status_code == 404
