"""A record's address built from its name once, the id put in: the same as reverse() gives."""

import pytest
from django.urls import reverse, set_script_prefix

from incidents.record_urls import record_url

PAGES = ["incident_detail", "action_detail", "request_detail", "complaint_detail",
         "audit_detail", "finding_detail", "review_detail", "incident_edit", "attachment_download"]


@pytest.fixture
def sub_path():
    """The site served under /pms/ (SCRIPT_NAME), as behind a proxy with a path."""
    set_script_prefix("/pms/")
    yield
    set_script_prefix("/")


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("pk", [1, 7, 10476, 918_273_645])
def test_the_same_as_reverse(name, pk):
    assert record_url(name, pk) == reverse(name, args=[pk])


@pytest.mark.parametrize("name", PAGES)
def test_under_a_script_prefix(name, sub_path):
    # The pattern may have been built before under "/": the prefix is read at each call.
    url = record_url(name, 42)
    assert url.startswith("/pms/")
    assert url == reverse(name, args=[42])


def test_the_models_link_their_pages(db):
    from incidents.models import Incident

    from .factories import IncidentFactory

    incident = IncidentFactory()
    assert Incident.objects.get(pk=incident.pk).get_absolute_url() == f"/incidents/{incident.pk}/"


def test_another_urlconf_gets_its_own_address(settings):
    record_url("incident_detail", 3)  # the pattern of the project's URLconf, built first
    settings.ROOT_URLCONF = "tests.incidents.urls_elsewhere"
    assert record_url("incident_detail", 5) == "/elsewhere/incidents/5/" == reverse("incident_detail", args=[5])
