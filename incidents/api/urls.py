"""Mounted at /api/ by config/urls.py."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import ActionViewSet, IncidentViewSet, TokenObtainApi, TrackViewSet

app_name = "api"

router = DefaultRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("actions", ActionViewSet, basename="action")
router.register("tracks", TrackViewSet, basename="track")

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="token"),
    *router.urls,
]
