from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.middleware.common import CommonMiddleware
from django.urls import include, is_valid_path, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api import problems
from api.views.health import healthz
from frontend import views as app


@csrf_exempt  # it changes nothing; a POST to a wrong address is a 404, not a CSRF failure
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Any other address under /api: a 404 in problem details, in debug too (where Django would
    answer its HTML page). Since this route matches every such path, it does what
    CommonMiddleware's APPEND_SLASH would have done: /api/v1/me redirects to /api/v1/me/."""
    if settings.APPEND_SLASH and not request.path_info.endswith("/"):
        match = is_valid_path(f"{request.path_info}/", getattr(request, "urlconf", None))
        if match and match.func is not api_not_found and getattr(match.func, "should_append_slash",
                                                                 True):
            # Django's own redirect, and its RuntimeError in debug for a POST that would lose
            # its body.
            redirect = CommonMiddleware(lambda request: HttpResponse())
            return HttpResponsePermanentRedirect(redirect.get_full_path_with_slash(request))
    return problems.not_found(request)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    path("sw.js", app.service_worker, name="service-worker"),
    path("manifest.webmanifest", app.manifest, name="manifest"),
    path("offline.html", app.offline, name="offline"),
    path("", app.index, name="app"),
    # Last: whatever else is under /api (/api, /api/, /api/v1/, /api/v1/nope/).
    re_path(r"^api(?:/.*)?$", api_not_found, name="api-not-found"),
]

handler400 = "api.problems.bad_request"
handler403 = "api.problems.permission_denied"
handler404 = "api.problems.not_found"
handler500 = "api.problems.server_error"
