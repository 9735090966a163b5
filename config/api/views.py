"""The API's own endpoints: the schema (``/api/schema/``), the index and the status.

Not in config/api/schema.py: that module is DRF's DEFAULT_SCHEMA_CLASS, which
drf_spectacular.views imports while it is being imported itself.
"""

from __future__ import annotations

import json
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.middleware.common import CommonMiddleware
from django.urls import (
    Resolver404,
    ResolverMatch,
    URLResolver,
    get_resolver,
    resolve,
    reverse,
)
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.exceptions import PROBLEM_CONTENT_TYPE, problem
from config.api.schema import problem_responses
from config.health import cache_check, database_error
from config.version import API_VERSION, service_version

if TYPE_CHECKING:
    from rest_framework.request import Request

API_PREFIX = f"/api/{API_VERSION}/"
NOT_FOUND_DETAIL = "No such resource."

_SCHEMA_LOCK = threading.Lock()


class SchemaView(SpectacularAPIView):
    """drf-spectacular's schema view, generating one schema at a time per process.

    Generation is not thread-safe: drf-spectacular's extensions import their target
    classes lazily, and two threads doing that at once (gunicorn's gthread workers)
    made concurrent ``GET /api/schema/`` requests fail with a 500.
    """

    @extend_schema(**SCHEMA_KWARGS)  # as the parent's: not in the schema itself
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with _SCHEMA_LOCK:
            return super().get(request, *args, **kwargs)


# ---------------------------------------------------------------------------
# The API's own description: index and status
# ---------------------------------------------------------------------------
def _api_routes(patterns: list[Any], prefix: str = "") -> list[str]:
    """The routes under ``api/v1/`` without a parameter (lists and singletons)."""
    routes: list[str] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern).removeprefix("^").removesuffix("$")
        if isinstance(pattern, URLResolver):
            routes += _api_routes(pattern.url_patterns, route)
        elif not any(mark in route for mark in "<(?"):
            routes.append(route)
    return routes


@cache
def api_resources() -> dict[str, str]:
    """Every resource under /api/v1/, by name (its path without the slashes)."""
    resolver = get_resolver()
    routes = _api_routes(resolver.url_patterns)
    prefix = API_PREFIX.strip("/") + "/"
    return {
        route.removeprefix(prefix).strip("/"): "/" + route
        for route in sorted(routes)
        if route.startswith(prefix) and route != prefix
    }


def docs_paths() -> dict[str, str]:
    return {
        "schema": reverse("schema"),
        "swagger_ui": reverse("swagger-ui"),
        "redoc": reverse("redoc"),
    }


def _absolute(request: Request, paths: dict[str, str]) -> dict[str, str]:
    return {name: request.build_absolute_uri(path) for name, path in paths.items()}


class ApiIndexSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The API's name.")
    version = serializers.CharField(
        help_text="The service's version (pyproject.toml; also the schema's info.version)."
    )
    api_version = serializers.CharField(
        help_text="The API's major version: the `v1` in every path."
    )
    docs = serializers.DictField(
        child=serializers.URLField(),
        help_text="The OpenAPI schema (`schema`), Swagger UI (`swagger_ui`) and ReDoc (`redoc`).",
    )
    resources = serializers.DictField(
        child=serializers.URLField(),
        help_text="Every resource of this version, by name: its URL (lists and singletons).",
    )


class StatusChecksSerializer(serializers.Serializer):
    database = serializers.ChoiceField(
        choices=["ok", "unavailable"],
        help_text="Whether the database answers a query.",
    )
    cache = serializers.ChoiceField(
        choices=["ok", "unavailable", "local"],
        help_text=(
            "Whether Redis answers (cache and rate limits); `local` when no Redis is "
            "configured (per-process memory, development)."
        ),
    )


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["ok", "degraded", "unavailable"],
        help_text=(
            "`ok`: everything answers; `degraded`: Redis does not (the API still "
            "serves, rate limits and caches fall back); `unavailable`: the database "
            "does not (most operations answer 503)."
        ),
    )
    version = serializers.CharField(help_text="The service's version (pyproject.toml).")
    api_version = serializers.CharField(help_text="The API's major version (`v1`).")
    time = serializers.DateTimeField(
        help_text="The server's clock (UTC), to estimate a device's clock skew."
    )
    checks = StatusChecksSerializer(help_text="The dependencies and their state.")


INDEX_EXAMPLE = {
    "name": "Rehabit API",
    "version": "0.1.0",
    "api_version": API_VERSION,
    "docs": {
        "schema": "https://api.example.com/api/schema/",
        "swagger_ui": "https://api.example.com/api/docs/",
        "redoc": "https://api.example.com/api/redoc/",
    },
    "resources": {
        "auth/register": "https://api.example.com/api/v1/auth/register/",
        "auth/token": "https://api.example.com/api/v1/auth/token/",
        "exercises": "https://api.example.com/api/v1/exercises/",
        "me": "https://api.example.com/api/v1/me/",
        "sessions": "https://api.example.com/api/v1/sessions/",
        "status": "https://api.example.com/api/v1/status/",
    },
}


def _status_example(name: str, state: str, *, cache: str) -> OpenApiExample:
    value = {
        "status": state,
        "version": "0.1.0",
        "api_version": API_VERSION,
        "time": "2026-12-01T09:30:00Z",
        "checks": {"database": "ok", "cache": cache},
    }
    return OpenApiExample(name, value=value, response_only=True)


STATUS_EXAMPLES = [
    _status_example("Everything answers", "ok", cache="ok"),
    _status_example("Redis down", "degraded", cache="unavailable"),
]


def _service_schema(
    *,
    operation_id: str,
    summary: str,
    description: str,
    response: OpenApiResponse,
    examples: list[OpenApiExample],
) -> Any:
    """A public GET of the API's own: 200 or 429 (AutoSchema adds 304, 406, 503)."""
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        tags=["service"],
        responses={200: response, **problem_responses(429)},
        examples=examples,
    )


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class ServiceView(APIView):
    """Public, rate-limited, and credentials are not even read (no 401 for a stale token).

    Outside ATOMIC_REQUESTS: these answer without a database.
    """

    authentication_classes: list[type[BaseAuthentication]] = []
    permission_classes = [AllowAny]


class ApiIndexView(ServiceView):
    """Where to start: the resources of the API, its docs and its version (no query)."""

    @_service_schema(
        operation_id="api_index",
        summary="API index",
        description=(
            "The resources of `/api/v1/` with their URLs, links to the OpenAPI schema, "
            "Swagger UI and ReDoc, and the service's version. Public (rate-limited); "
            "reads no database."
        ),
        response=OpenApiResponse(ApiIndexSerializer, description="The index."),
        examples=[OpenApiExample("Index", value=INDEX_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "name": settings.SPECTACULAR_SETTINGS["TITLE"],
                "version": service_version(),
                "api_version": API_VERSION,
                "docs": _absolute(request, docs_paths()),
                "resources": _absolute(request, api_resources()),
            }
        )


@method_decorator(never_cache, name="dispatch")
class StatusView(ServiceView):
    """The service's version and whether its database and cache answer.

    The same for every caller: states only (no error text, host names or library
    versions; docs/decisions.md). Load balancers probe /readyz instead.
    """

    @_service_schema(
        operation_id="api_status",
        summary="Service status",
        description=(
            "The service's version and API version, the server's clock, and whether the "
            "database and the cache (Redis) answer, like NetBox's status endpoint. "
            "Answers 200 whatever the state, so a dashboard can show it; load balancers "
            "use `/readyz` (503 without a database). Public (rate-limited), never cached."
        ),
        response=OpenApiResponse(
            StatusSerializer, description="The status, whatever it is."
        ),
        examples=STATUS_EXAMPLES,
    )
    def get(self, request: Request) -> Response:
        database = "unavailable" if database_error() else "ok"
        cache_state = cache_check()
        state = "ok"
        if cache_state == "unavailable":
            state = "degraded"
        if database == "unavailable":
            state = "unavailable"
        return Response(
            {
                "status": state,
                "version": service_version(),
                "api_version": API_VERSION,
                "time": timezone.now(),
                "checks": {"database": database, "cache": cache_state},
            }
        )


@csrf_exempt  # changes nothing; a POST to a wrong URL must get the 404, not a CSRF 403
@transaction.non_atomic_requests  # needs no database: a 404, even while it is down
def api_not_found(request: HttpRequest, unmatched: str = "") -> HttpResponse:
    """Any path under /api/ that no view matched: a 404 problem document.

    A URL pattern rather than handler404 alone, which Django bypasses with DEBUG on
    (its HTML debug page). As CommonMiddleware would have done for a path missing its
    trailing slash: GET and HEAD are redirected; other methods get the 404 with a hint,
    since a redirect would lose their body.
    """
    path = request.path_info
    if settings.APPEND_SLASH and not path.endswith("/"):
        match = _resolve(path + "/")
        if match is not None and match.func is not api_not_found:
            if request.method in {"GET", "HEAD"}:
                middleware = CommonMiddleware(lambda _: HttpResponse())
                return HttpResponsePermanentRedirect(
                    middleware.get_full_path_with_slash(request)
                )
            return not_found_response(
                request,
                f"No such resource. Did you mean {request.path}/ (with a slash)?",
            )
    return not_found_response(request, NOT_FOUND_DETAIL)


def not_found_response(request: HttpRequest, detail: str) -> HttpResponse:
    body = problem(404, code="not_found", detail=detail, instance=request.path)
    return HttpResponse(json.dumps(body), status=404, content_type=PROBLEM_CONTENT_TYPE)


def _resolve(path: str) -> ResolverMatch | None:
    try:
        return resolve(path)
    except Resolver404:
        return None
