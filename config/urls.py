from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from config import health
from config.api.views import SchemaView, api_not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api.urls")),
    path("fhir/r4/", include("integrations.fhir.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema"),
        name="swagger-ui",
    ),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Last: whatever else is under /api/ is a 404 problem document, DEBUG on or off.
    re_path(r"^api/(?P<unmatched>.*)$", api_not_found, name="api-not-found"),
]

handler404 = "config.api.exceptions.not_found_view"
handler500 = "config.api.exceptions.server_error_view"
