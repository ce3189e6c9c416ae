from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/", include("incidents.api.urls")),
    path("api/", include("audits.api.urls")),
    path("audits/", include("audits.urls")),
    path("", include("incidents.urls")),
]


# Every answer under /api/ is JSON, an unknown URL or a server error included; elsewhere the usual pages.
def _api_error(request, status: int, detail, code: str):
    from django.http import JsonResponse

    return JsonResponse({"detail": str(detail), "code": code}, status=status)


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        from rest_framework.exceptions import NotFound

        return _api_error(request, 404, NotFound.default_detail, NotFound.default_code)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        from django.utils.translation import gettext

        return _api_error(request, 500, gettext("A server error occurred."), "error")
    return defaults.server_error(request)
