"""Mounted at /api/notifications/ by config/urls.py."""

from django.urls import path

from .api import InboxApi, MarkReadApi, UnreadCountApi

urlpatterns = [
    path("", InboxApi.as_view(), name="notification-list"),
    path("read/", MarkReadApi.as_view(), name="notification-read"),
    path("unread/", UnreadCountApi.as_view(), name="notification-unread"),
]
