"""Mounted at /api/auth/ by config/urls.py."""

from django.urls import path

from .api import LogoutAllApi, LogoutApi, TokenListApi, TokenObtainApi, TokenRevokeApi

app_name = "auth_api"

urlpatterns = [
    path("token/", TokenObtainApi.as_view(), name="token"),
    path("tokens/", TokenListApi.as_view(), name="token-list"),
    path("tokens/<str:prefix>/", TokenRevokeApi.as_view(), name="token-revoke"),
    path("logout/", LogoutApi.as_view(), name="logout"),
    path("logoutall/", LogoutAllApi.as_view(), name="logoutall"),
]
