"""Mounted at /api/ by config/urls.py."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import ActionViewSet, IncidentViewSet, TokenObtainApi

app_name = "api"

router = DefaultRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("actions", ActionViewSet, basename="action")

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="token"),
    *router.urls,
]
