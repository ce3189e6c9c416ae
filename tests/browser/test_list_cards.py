"""The list pages in a real browser (issue 16): on a 390 px phone each row is a card whose
reference, title, state and deadline are in view without scrolling sideways, the filter bar
starts folded; at a desk a column header sorts and the register downloads as Excel."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from incidents.models import ReportingTrack, TrackKind
from tests.incidents.factories import DepartmentFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def listed(db):
    department = DepartmentFactory(code="SALES", name="営業部")
    UserFactory(username="office", roles=["staff", "pms_manager"], department=department)
    reporter = UserFactory(username="reporter", department=department)
    incidents = []
    for day in range(3):
        incident = IncidentFactory(department=department, reporter=reporter,
                                   title=f"顧客名簿を含むUSBメモリの紛失 {day}", kind="loss")
        limit = timezone.now() + dt.timedelta(days=day - 1)  # the first one is overdue
        ReportingTrack.objects.create(incident=incident, kind=TrackKind.PPC_PRELIMINARY, due_at=limit, limit_at=limit)
        incidents.append(incident)
    return incidents


def test_on_a_phone_each_incident_is_a_card_with_its_state_and_deadline_in_view(person, listed):
    page = person("office", phone=True).page
    page.goto("/incidents/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("details.filters-fold").get_attribute("open") is None  # folded by js/lists.js
    card = page.locator("#incident-list tbody tr").filter(has_text=listed[0].reference)
    for cell in (".card-key", ".cell-title", ".card-state", ".card-deadline"):
        box = card.locator(cell).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, cell
    assert "期限超過" in card.locator(".card-deadline").inner_text()
    # The headers that sort are still there, as buttons above the cards.
    assert page.locator("#incident-list thead .sort-link").first.is_visible()


def test_at_a_desk_a_header_sorts_and_the_register_downloads(person, listed):
    page = person("office").page
    page.goto("/incidents/?kind=loss")

    page.locator("#incident-list thead .sort-link", has_text="件名").click()
    page.wait_for_url("**sort=title**")
    assert page.locator("#incident-list thead th[aria-sort=ascending]").count() == 1
    titles = page.locator("#incident-list tbody .cell-title").all_inner_texts()
    assert titles == sorted(titles)

    with page.expect_download() as download:
        page.locator(".list-bar__export a").first.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        incident.reference for incident in sorted(listed, key=lambda incident: incident.title)]
