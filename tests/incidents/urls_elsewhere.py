"""A second URLconf, for tests/incidents/test_record_urls.py: the incident pages under another path."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("elsewhere/incidents/<int:pk>/", lambda request, pk: HttpResponse(), name="incident_detail")]
