"""A record's address built from its name once, the id put in, and a page's without arguments
reversed once: the same as reverse() gives."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from incidents.record_urls import page_url, record_url

PAGES = ["incident_detail", "action_detail", "request_detail", "complaint_detail",
         "audit_detail", "finding_detail", "review_detail", "incident_edit", "attachment_download"]


# The header's and the main menu's pages (config/jinja2/_site_header.html).
MENU = ["home", "dashboard", "incident_list", "action_list", "incident_report", "track_list", "request_list",
        "request_new", "complaint_list", "complaint_new", "audit_programme", "finding_list", "review_list",
        "trail", "api-docs", "notification_inbox", "password_change", "two_factor", "logout",
        "choose_company", "set_language"]


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


@pytest.mark.parametrize("name", MENU)
def test_a_page_without_arguments_the_same_as_reverse(name, sub_path):
    # Under /pms/, then under "/" again: the prefix is read at each call, whichever came first.
    assert page_url(name) == reverse(name)
    assert page_url(name).startswith("/pms/")
    set_script_prefix("/")
    assert page_url(name) == reverse(name)
    assert not page_url(name).startswith("/pms/")


def test_a_namespaced_page_is_reversed_each_time(settings):
    assert page_url("admin:index") == reverse("admin:index")
    page_url("home")
    settings.ROOT_URLCONF = "tests.incidents.urls_elsewhere"
    with pytest.raises(NoReverseMatch):
        page_url("home")  # not the project's address kept from before: this URLconf has no such page


def test_the_menu_renders_the_same_links_as_the_url_tag(db):
    """The header and the menu with {% page_url %} link what {% url %} linked."""
    from django.template import engines

    names = " ".join(f"{{% url '{name}' %}}" for name in MENU)
    fast = names.replace("{% url ", "{% page_url ")
    render = engines["django"].from_string
    assert render("{% load pms %}" + fast).render({}) == render(names).render({})
