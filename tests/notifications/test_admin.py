"""The admin shows what was sent (read-only), the chat posts without their secret address,
and the task queue."""

import pytest
from django.contrib import admin
from django.urls import reverse

from incidents.models import ChatChannel, Company
from notifications.delivery import sweep
from notifications.periodic import tick
from tests.incidents.factories import reported_incident

pytestmark = pytest.mark.django_db


def test_every_page_opens_and_nothing_is_added_by_hand(admin_client, superuser, staff, manager):
    ChatChannel.objects.create(name="#pms", company=Company.objects.get(is_default=True),
                               webhook_url="https://hooks.example/secret-token")
    reported_incident(staff)  # a notification, a chat post, their queued tasks
    tick()
    sweep()
    client = admin_client(superuser)
    for model in admin.site._registry:
        if model._meta.app_label not in ("notifications", "django_tasks_database"):
            continue
        info = model._meta.app_label, model._meta.model_name
        assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200, model
        assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 403, model
        record = model.objects.first()
        assert record is not None, model
        page = client.get(reverse("admin:{}_{}_change".format(*info), args=[record.pk]))
        assert page.status_code == 200, model
        assert "secret-token" not in page.content.decode()
