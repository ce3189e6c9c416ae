"""Evidence files on an S3-compatible bucket (FILE_STORAGE=s3, django-storages), against a
real S3 HTTP endpoint in-process (moto's ThreadedMotoServer on a free port; no network).

The storage configuration is the one config/settings.py builds from the environment; the
application code is unchanged: it only uses the storage API (save, open, delete).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import reverse

from incidents.models import Attachment
from tests.incidents.test_attachments import ELF, pdf_bytes, stored_files, upload

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

pytestmark = pytest.mark.django_db

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_from_env(**env) -> subprocess.CompletedProcess:
    """config/settings.py loaded in a fresh process with `env`; prints STORAGES["default"] as JSON."""
    code = "import json, config.settings as s; print(json.dumps(s.STORAGES['default']))"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FILE_STORAGE"))}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                          cwd=settings.BASE_DIR)


@pytest.fixture(scope="module")
def endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def s3_default_storage(endpoint):
    """STORAGES["default"] as settings.py makes it from FILE_STORAGE=s3 and the AWS_* variables."""
    result = settings_from_env(FILE_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="pms-evidence",
                               AWS_S3_ENDPOINT_URL=endpoint, AWS_S3_REGION_NAME="ap-northeast-1")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def bucket(endpoint, s3_default_storage, monkeypatch):
    """A fresh private bucket, and the default storage switched to it for the test."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)  # read by django-storages, as in production
    name = f"pms-evidence-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="ap-northeast-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    storage = {**s3_default_storage, "OPTIONS": {**s3_default_storage["OPTIONS"], "bucket_name": name}}
    with override_settings(STORAGES={**settings.STORAGES, "default": storage}):
        yield client, name


def objects(client, bucket_name: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=bucket_name).get("Contents", [])]


# ---------------------------------------------------------------------------
# The settings


def test_the_default_is_the_file_system_at_media_root():
    result = settings_from_env()
    assert json.loads(result.stdout) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_file_storage_s3_selects_a_private_bucket(s3_default_storage, endpoint):
    assert s3_default_storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = s3_default_storage["OPTIONS"]
    assert options["bucket_name"] == "pms-evidence"
    assert options["endpoint_url"] == endpoint
    assert options["region_name"] == "ap-northeast-1"
    assert options["default_acl"] is None  # the bucket's own: private
    assert options["querystring_auth"] is True  # any URL it would make is signed and expires
    assert "access_key" not in options and "secret_key" not in options  # from the environment, never settings


def test_file_storage_s3_needs_a_bucket():
    result = settings_from_env(FILE_STORAGE="s3")
    assert result.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME" in result.stderr


def test_an_unknown_file_storage_is_refused():
    result = settings_from_env(FILE_STORAGE="ftp")
    assert result.returncode != 0
    assert "FILE_STORAGE" in result.stderr


# ---------------------------------------------------------------------------
# The files


def test_an_upload_lands_in_the_bucket_and_downloads_through_the_views(
    bucket, api_as, client, staff, incident, media
):
    s3, bucket_name = bucket
    data = pdf_bytes()
    response = api_as(staff).post(f"/api/incidents/{incident.pk}/attachments/", {
        "file": upload("顧客への通知文.pdf", data, "text/html"), "description": "送付した通知文の控え",
    }, format="multipart")
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()

    # In the bucket, under the unguessable name, typed as detected (not the browser's text/html).
    assert objects(s3, bucket_name) == [attachment.file.name]
    stored = s3.get_object(Bucket=bucket_name, Key=attachment.file.name)
    stored_bytes = stored["Body"].read()
    assert stored_bytes == data
    assert hashlib.sha256(stored_bytes).hexdigest() == attachment.sha256 == response.json()["sha256"]
    assert stored["ContentType"] == "application/pdf"
    # Private: nobody but the owner is granted anything.
    grants = s3.get_object_acl(Bucket=bucket_name, Key=attachment.file.name)["Grants"]
    assert all(grant["Grantee"].get("Type") == "CanonicalUser" for grant in grants)
    assert stored_files(media) == []  # nothing on the local disk

    # Read back through the API's download view (its download_url) and the web view.
    downloaded = api_as(staff).get(response.json()["download_url"])
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == data
    assert downloaded["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''" in downloaded["Content-Disposition"]
    client.force_login(staff)
    page = client.get(reverse("attachment_download", args=[attachment.pk]))
    assert page.status_code == 200
    assert b"".join(page.streaming_content) == data


def test_an_upload_through_the_web_page_lands_in_the_bucket(bucket, client, staff, incident):
    s3, bucket_name = bucket
    client.force_login(staff)
    response = client.post(reverse("attachment_upload", args=["incidents.incident", incident.pk]),
                           {"file": upload("報告書.pdf", pdf_bytes())})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert objects(s3, bucket_name) == [attachment.file.name]
    assert attachment.file.storage.exists(attachment.file.name)
    assert default_storage.__class__.__name__ != "FileSystemStorage"


def test_a_refused_file_never_reaches_the_bucket(bucket, api_as, staff, incident):
    s3, bucket_name = bucket
    response = api_as(staff).post(f"/api/incidents/{incident.pk}/attachments/",
                                  {"file": upload("evidence.pdf", ELF)}, format="multipart")
    assert response.status_code == 400
    assert objects(s3, bucket_name) == []


def test_a_file_whose_record_is_not_saved_is_removed_from_the_bucket(bucket, api_as, staff, incident, monkeypatch):
    s3, bucket_name = bucket

    def fail(self, *args, **kwargs):
        raise ValidationError({"description": ["refused after the file was stored"]})

    monkeypatch.setattr(Attachment, "full_clean", fail)
    response = api_as(staff).post(f"/api/incidents/{incident.pk}/attachments/",
                                  {"file": upload("報告書.pdf", pdf_bytes())}, format="multipart")
    assert response.status_code == 400
    assert not Attachment.objects.exists()
    assert objects(s3, bucket_name) == []


def test_another_user_cannot_download_it_from_the_bucket_either(bucket, api_as, staff, other_staff, incident):
    response = api_as(staff).post(f"/api/incidents/{incident.pk}/attachments/",
                                  {"file": upload("報告書.pdf", pdf_bytes())}, format="multipart")
    assert api_as(other_staff).get(response.json()["download_url"]).status_code == 404


def test_a_file_missing_from_the_bucket_is_404(bucket, api_as, staff, incident):
    s3, bucket_name = bucket
    response = api_as(staff).post(f"/api/incidents/{incident.pk}/attachments/",
                                  {"file": upload("報告書.pdf", pdf_bytes())}, format="multipart")
    s3.delete_object(Bucket=bucket_name, Key=Attachment.objects.get().file.name)
    assert api_as(staff).get(response.json()["download_url"]).status_code == 404
