"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.utils import Error as DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

REDIS_BACKEND = "django_redis.cache.RedisCache"


@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


def cache_check() -> str:
    """Redis reachability, reported but not required: without it rate limits degrade.

    ``ok``, ``unavailable``, or ``local`` (no Redis configured: per-process memory).
    """
    if settings.CACHES["default"]["BACKEND"] != REDIS_BACKEND:
        return "local"
    from django_redis import get_redis_connection

    try:
        get_redis_connection("default").ping()
    except Exception:  # any client or socket error means the same thing here
        return "unavailable"
    return "ok"


def database_error() -> str:
    """Why the database does not answer ``SELECT 1`` (first 200 characters), or ''."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return str(exc)[:200] or type(exc).__name__
    return ""


@transaction.non_atomic_requests
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The process can serve traffic: the database answers a query.

    Redis is not a condition: the API keeps serving without it (rate limits and caches
    fall back to nothing), so taking every instance out of the load balancer when Redis
    is down would turn a degradation into an outage. Its state is in ``checks.cache``.
    """
    cache_state = cache_check()
    error = database_error()
    if error:
        return JsonResponse(
            {
                "status": "unavailable",
                "checks": {"database": error, "cache": cache_state},
            },
            status=503,
        )
    return JsonResponse(
        {"status": "ok", "checks": {"database": "ok", "cache": cache_state}}
    )


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
}


class ProbeMiddleware:
    """Answer GET /healthz and /readyz before host validation, HTTPS redirect and logging.

    Load balancers and container healthchecks probe an instance by its own address
    (a Host that is not in ALLOWED_HOSTS) over plain HTTP, every few seconds: through
    the full stack those probes would get 400 or 301 and fill the request log.
    The URL routes stay for direct use (tests, runserver).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method == "GET":
            return probe(request)
        return self.get_response(request)
