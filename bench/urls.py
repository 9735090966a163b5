"""The API (config.urls) plus the ceiling view, under the API's prefix so it takes the
path an API request takes through the middleware."""

from django.urls import path

from bench.views import ceiling
from config.urls import handler404, handler500
from config.urls import urlpatterns as api_urlpatterns

urlpatterns = [
    path("api/v1/bench/ceiling/<int:size>", ceiling, name="bench-ceiling"),
    *api_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
