"""Building the API schema in the same process must not break the web list filters.

The schema generator builds the form fields of the API's filter sets, which the web list
filters share; the web pages must still get their own widgets afterwards.
"""

import io

from django.core.management import call_command
from django.urls import reverse

from tests.incidents.factories import IncidentFactory


def test_list_filters_still_work_after_the_schema_was_built(client, manager, sales):
    open_one = IncidentFactory(department=sales, kind="loss")
    call_command("spectacular", stdout=io.StringIO())
    client.force_login(manager)

    response = client.get(reverse("incident_list") + "?open=on&reportable=")

    assert {incident.reference for incident in response.context["page"].object_list} == {open_one.reference}
    page = response.content.decode()
    assert '<select name="reportable"' in page
    # one value or "all" (FilterSelect), not the multiple-choice list box the API's field has
    assert '<select name="state" id="id_state">' in page
