"""Evidence files of incidents (issue 4): checked by content, stored out of any public URL,
downloaded only by users who may see the incident."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from incidents import attachments
from incidents.attachments import attachment_add, attachment_for_download, detect_type, validate_upload
from incidents.exceptions import NotPermitted, RecordClosed
from incidents.models import Attachment, IncidentState
from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------
# Sample files, made here


def pdf_bytes() -> bytes:
    """A small but complete PDF: one empty page."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def png_bytes() -> bytes:
    """A valid 1x1 red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def docx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<Relationships/>",
                      "word/document.xml": b"<w:document/>"})


def xlsx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<workbook/>"})


HTML = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"\x90" * 200
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run in DOS mode."


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    # The browser's content type is deliberately a lie in most tests: it is never trusted.
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English (requests choose theirs with Accept-Language)."""
    with translation.override("en"):
        yield


def stored_files(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


# ---------------------------------------------------------------------------
# Detection by content


@pytest.mark.parametrize(("name", "data", "mime_type"), [
    ("報告書.pdf", pdf_bytes(), "application/pdf"),
    ("screen.PNG", png_bytes(), "image/png"),
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, "image/jpeg"),
    ("photo.jpeg", b"\xff\xd8\xff\xe1\x00\x10Exif\x00" + b"\x00" * 100, "image/jpeg"),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
    ("手順書.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("台帳.xlsx", xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("slides.pptx", zip_bytes({"[Content_Types].xml": CONTENT_TYPES, "ppt/presentation.xml": b"<p/>"}),
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("メモ.txt", "入退室記録を確認した。\n".encode(), "text/plain; charset=utf-8"),
    ("一覧.csv", "氏名,部署\n佐藤,営業部\n".encode("cp932"), "text/csv; charset=shift_jis"),
    ("bom.csv", "\ufeff氏名,部署\r\n".encode(), "text/csv; charset=utf-8"),
])
def test_allowed_types_are_recognised_by_content(name, data, mime_type):
    assert validate_upload(upload(name, data, "application/octet-stream")).mime_type == mime_type


@pytest.mark.parametrize(("name", "data"), [
    ("evidence.pdf", HTML),  # an HTML page disguised as a PDF
    ("evidence.pdf", ELF),  # a Linux executable disguised as a PDF
    ("evidence.pdf", PE),  # a Windows executable disguised as a PDF
    ("page.html", HTML),
    ("notes.txt", HTML),  # an HTML page is refused whatever it is called
    ("notes.txt", b"  <svg onload=alert(1)>"),
    ("run.txt", b"#!/bin/sh\nrm -rf ~\n"),  # a script
    ("data.txt", b"abc\x00def"),  # NUL bytes: binary
    ("data.csv", b"\x80\x81\xff\xfe\xfd"),  # neither UTF-8 nor Shift_JIS
    ("archive.docx", zip_bytes({"word/document.xml": b"<w/>"})),  # a ZIP without [Content_Types].xml
    ("macro.docx", zip_bytes({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w/>",
                              "word/vbaProject.bin": b"\x00"})),  # macros
    ("broken.xlsx", b"PK\x03\x04 not really a zip"),
])
def test_other_content_is_refused_whatever_the_name(name, data):
    assert detect_type(upload(name, data)) is None
    with pytest.raises(Exception) as raised:
        validate_upload(upload(name, data))
    assert "file" in raised.value.message_dict
    assert "not accepted" in raised.value.message_dict["file"][0]


@pytest.mark.parametrize(("name", "data"), [
    ("evidence.png", pdf_bytes()),  # a real PDF with the wrong extension
    ("evidence.pdf", png_bytes()),
    ("evidence.pdf", "ただのテキスト".encode()),  # text named .pdf
    ("evidence.docx", xlsx_bytes()),  # a workbook named as a document
    ("evidence", pdf_bytes()),  # no extension
])
def test_the_extension_must_match_the_content(name, data):
    with pytest.raises(Exception) as raised:
        validate_upload(upload(name, data))
    assert "does not match its content" in raised.value.message_dict["file"][0]


def test_an_empty_file_is_refused():
    with pytest.raises(Exception) as raised:
        validate_upload(upload("empty.txt", b""))
    assert raised.value.message_dict["file"] == ["The file is empty."]


# ---------------------------------------------------------------------------
# The API


def attachments_url(incident) -> str:
    return f"/api/incidents/{incident.pk}/attachments/"


def test_a_real_pdf_is_accepted_and_stored_under_an_unguessable_name(api_as, staff, incident, media):
    data = pdf_bytes()
    response = api_as(staff).post(attachments_url(incident), {
        "file": upload("顧客への通知文.pdf", data, "text/html"), "description": "送付した通知文の控え",
    }, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["original_name"] == "顧客への通知文.pdf"
    assert body["mime_type"] == "application/pdf"  # detected, not the browser's text/html
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["description"] == "送付した通知文の控え"
    assert body["uploaded_by"]["username"] == "staff"
    assert body["download_url"].endswith(f"/api/attachments/{body['id']}/download/")
    attachment = Attachment.objects.get()
    assert attachment.record == incident
    assert attachment.file.name.startswith("attachments/")
    stored_name = attachment.file.name.removeprefix("attachments/")
    assert len(stored_name) == 32 and all(c in "0123456789abcdef" for c in stored_name)
    assert [path.read_bytes() for path in stored_files(media)] == [data]

    listed = api_as(staff).get(attachments_url(incident))
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [body["id"]]


def test_a_png_is_accepted(api_as, staff, incident):
    response = api_as(staff).post(attachments_url(incident), {"file": upload("現場写真.png", png_bytes())},
                                  format="multipart")
    assert response.status_code == 201
    assert response.json()["mime_type"] == "image/png"


def test_too_large_is_400_with_the_limit_and_nothing_is_stored(api_as, staff, incident, settings, media):
    settings.ATTACHMENT_MAX_BYTES = 512 * 1024
    big = pdf_bytes() + b"%" + b"0" * (600 * 1024)
    response = api_as(staff).post(attachments_url(incident), {"file": upload("scan.pdf", big)}, format="multipart",
                                  HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    message = response.json()["file"][0]
    assert "too large" in message and "0.5 MB" in message
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_the_messages_are_japanese_by_default(api_as, staff, incident, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    client = api_as(staff)
    response = client.post(attachments_url(incident), {"file": upload("scan.pdf", b"%PDF-" + b"0" * 1100000)},
                           format="multipart")
    assert response.json()["file"] == ["ファイルが大きすぎます（1.1 MB）。1ファイルの上限は 1 MB です。"]
    response = client.post(attachments_url(incident), {"file": upload("evidence.pdf", ELF)}, format="multipart")
    assert response.json()["file"][0].startswith("この種類のファイルは受け付けられません。")


def test_the_size_limit_is_read_from_the_settings(settings):
    settings.ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    assert attachments.max_size_mb() == "20"
    with pytest.raises(Exception) as raised:
        validate_upload(SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024)))
    assert "The limit is 20 MB" in raised.value.message_dict["file"][0]


@pytest.mark.parametrize(("name", "data"), [("evidence.pdf", HTML), ("evidence.pdf", ELF)])
def test_a_disguised_file_is_400_and_nothing_is_stored(api_as, staff, incident, media, name, data):
    response = api_as(staff).post(attachments_url(incident), {"file": upload(name, data)}, format="multipart",
                                  HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "not accepted" in response.json()["file"][0]
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_an_outsider_gets_404_on_the_list_and_the_upload(api_as, other_staff, incident):
    client = api_as(other_staff)
    assert client.get(attachments_url(incident)).status_code == 404
    response = client.post(attachments_url(incident), {"file": upload("a.pdf", pdf_bytes())}, format="multipart")
    assert response.status_code == 404
    assert not Attachment.objects.exists()


def test_only_the_pms_manager_adds_files_to_a_closed_incident(api_as, staff, manager, sales):
    closed = IncidentFactory(reporter=staff, department=sales, state=IncidentState.CLOSED)
    response = api_as(staff).post(attachments_url(closed), {"file": upload("a.pdf", pdf_bytes())},
                                  format="multipart")
    assert response.status_code == 409
    response = api_as(manager).post(attachments_url(closed), {"file": upload("a.pdf", pdf_bytes())},
                                    format="multipart")
    assert response.status_code == 201


def test_the_api_needs_a_file(api_as, staff, incident):
    response = api_as(staff).post(attachments_url(incident), {"description": "no file"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


# ---------------------------------------------------------------------------
# Downloads


@pytest.fixture
def stored(staff, incident):
    return attachment_add(record=incident, by=staff, file=upload("顧客一覧 (抜粋).pdf", pdf_bytes()),
                          description="漏えい対象の一覧")


def test_a_permitted_user_downloads_it_as_an_attachment(client, staff, manager, stored):
    for user in (staff, manager):
        client.force_login(user)
        response = client.get(f"/attachments/{stored.pk}/")
        assert response.status_code == 200
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=utf-8''" in disposition  # the Japanese name, RFC 5987-encoded
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == pdf_bytes()


def test_an_outsider_gets_404(client, other_staff, stored):
    client.force_login(other_staff)
    assert client.get(f"/attachments/{stored.pk}/").status_code == 404
    with pytest.raises(Exception) as raised:
        attachment_for_download(pk=stored.pk, user=other_staff)
    assert type(raised.value).__name__ == "Http404"


def test_anonymous_users_are_sent_to_the_login(client, stored):
    response = client.get(f"/attachments/{stored.pk}/")
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_an_unknown_attachment_is_404(client, staff):
    client.force_login(staff)
    assert client.get("/attachments/999999/").status_code == 404


def test_the_stored_file_is_not_reachable_under_media(client, staff, stored):
    client.force_login(staff)
    for url in (f"/media/{stored.file.name}", f"/{stored.file.name}", f"/static/{stored.file.name}"):
        assert client.get(url).status_code == 404, url


def test_a_text_file_is_sent_with_its_charset_and_never_rendered(client, staff, incident):
    attachment = attachment_add(record=incident, by=staff, file=upload("一覧.csv", "氏名\n佐藤\n".encode("cp932")))
    client.force_login(staff)
    response = client.get(f"/attachments/{attachment.pk}/")
    assert response["Content-Type"] == "text/csv; charset=shift_jis"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


# ---------------------------------------------------------------------------
# The service's permission checks


def test_the_service_refuses_outsiders_and_closed_incidents(staff, other_staff, sales, incident):
    with pytest.raises(NotPermitted):
        attachment_add(record=incident, by=other_staff, file=upload("a.pdf", pdf_bytes()))
    closed = IncidentFactory(reporter=staff, department=sales, state=IncidentState.DISMISSED)
    with pytest.raises(RecordClosed):
        attachment_add(record=closed, by=staff, file=upload("a.pdf", pdf_bytes()))
    assert not Attachment.objects.exists()


def test_a_path_in_the_name_is_dropped():
    assert attachments.clean_name("../../etc/passwd.txt") == "passwd.txt"
    assert attachments.clean_name("C:\\Users\\sato\\報告.pdf") == "報告.pdf"
    assert attachments.clean_name("a\x00b\n.pdf") == "ab.pdf"
    assert len(attachments.clean_name("あ" * 300 + ".pdf")) == 255


# ---------------------------------------------------------------------------
# The web page


def test_the_incident_page_lists_the_files_and_offers_the_upload_form(client, staff, incident, stored):
    client.force_login(staff)
    page = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert 'id="attachments"' in page
    assert f'href="/attachments/{stored.pk}/"' in page
    assert "顧客一覧 (抜粋).pdf" in page
    assert f'action="/attachments/upload/incidents.incident/{incident.pk}/"' in page
    assert 'enctype="multipart/form-data"' in page


def test_uploading_from_the_page(client, staff, incident):
    client.force_login(staff)
    url = reverse("attachment_upload", args=["incidents.incident", incident.pk])
    response = client.post(url, {"file": upload("写真.png", png_bytes()), "description": "現場の写真"})
    assert response.status_code == 302
    assert response["Location"] == reverse("incident_detail", args=[incident.pk]) + "#attachments"
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.description, attachment.mime_type) == (
        "写真.png", "現場の写真", "image/png",
    )


def test_uploading_from_the_page_refuses_with_the_reason(client, staff, incident, settings, media):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("attachment_upload", args=["incidents.incident", incident.pk])
    response = client.post(url, {"file": upload("big.pdf", b"%PDF-" + b"0" * (2 * 1024 * 1024))})
    assert response.status_code == 400
    assert "The limit is 1 MB" in response.content.decode()
    response = client.post(url, {"file": upload("evidence.pdf", HTML)})
    assert response.status_code == 400
    assert "not accepted" in response.content.decode()
    response = client.post(url, {})
    assert response.status_code == 400
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_the_upload_view_hides_what_the_user_may_not_see(client, other_staff, incident):
    client.force_login(other_staff)
    url = reverse("attachment_upload", args=["incidents.incident", incident.pk])
    assert client.post(url, {"file": upload("a.pdf", pdf_bytes())}).status_code == 404
    assert client.post(f"/attachments/upload/auth.user/{other_staff.pk}/",
                       {"file": upload("a.pdf", pdf_bytes())}).status_code == 404
    assert client.get(url).status_code == 405


def test_the_admin_lists_attachments_without_linking_the_stored_file(client, manager, staff):
    from django.urls import reverse

    from incidents import attachments
    from tests.incidents.factories import reported_incident

    manager.is_staff = True
    manager.save()
    incident = reported_incident(staff)
    upload = SimpleUploadedFile("証跡.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
    attachment = attachments.attachment_add(record=incident, by=staff, file=upload)
    client.force_login(manager)
    assert client.get(reverse("admin:incidents_attachment_changelist")).status_code == 200
    page = client.get(reverse("admin:incidents_attachment_change", args=[attachment.pk])).content.decode()
    assert reverse("attachment_download", args=[attachment.pk]) in page
    assert attachment.file.name not in page
