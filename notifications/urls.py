from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="notification_inbox"),
    path("read/", views.read, name="notification_read"),
    path("settings/", views.settings_page, name="notification_settings"),
    path("<int:pk>/", views.open_notification, name="notification_open"),
]
