from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts.views import LoginView
from config.api_errors import error_response, is_api_request
from config.health import healthz


def favicon(request):
    # Resolved per request: the hashed name exists only once collectstatic has run.
    return redirect(static("img/favicon.svg"), permanent=True)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says (a PDF, the API's JSON).
    path("favicon.ico", favicon),
    # The admin logs in through the site's login, which asks for the two-factor code when
    # the user has a device (accounts.views.LoginView); Django's own admin login would not.
    path("admin/login/", LoginView.as_view(next_page="admin:index")),
    path("admin/", admin.site.urls),
    # Login (with the two-factor step), logout, two-factor, password change and reset.
    path("accounts/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/auth/", include("accounts.api_urls")),
    path("api/notifications/", include("notifications.api_urls")),
    path("api/", include("incidents.api.urls")),
    path("api/", include("audits.api.urls")),
    path("audits/", include("audits.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("worklist.urls")),
    path("", include("incidents.urls")),
]


# Every answer under /api/ is JSON, an unknown URL or a server error included; elsewhere the
# site's own pages in the reader's language (config/templates/403.html, 404.html, 500.html).
def handler403(request, exception=None):
    if is_api_request(request):
        from rest_framework.exceptions import PermissionDenied

        return error_response(PermissionDenied.default_detail, PermissionDenied.default_code, 403)
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    if is_api_request(request):
        from rest_framework.exceptions import NotFound

        return error_response(NotFound.default_detail, NotFound.default_code, 404)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if is_api_request(request):
        from django.utils.translation import gettext

        return error_response(gettext("A server error occurred."), "error", 500)
    return defaults.server_error(request)
