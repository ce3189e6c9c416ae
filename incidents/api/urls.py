"""Mounted at /api/ by config/urls.py."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from .attachments import AttachmentDownloadApi
from .cases import ComplaintViewSet, RightsRequestViewSet
from .companies import CompanyViewSet
from .views import ActionViewSet, IncidentViewSet, TrackViewSet

app_name = "api"

router = DefaultRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("actions", ActionViewSet, basename="action")
router.register("tracks", TrackViewSet, basename="track")
router.register("companies", CompanyViewSet, basename="company")
router.register("requests", RightsRequestViewSet, basename="request")
router.register("complaints", ComplaintViewSet, basename="complaint")

urlpatterns = [
    path("attachments/<int:pk>/download/", AttachmentDownloadApi.as_view(), name="attachment-download"),
    *router.urls,
]
