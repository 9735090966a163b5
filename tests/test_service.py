"""The API explains itself: the index, the status, and 404s under /api/ as problems."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.test import override_settings
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from config.api.exceptions import PROBLEM_CONTENT_TYPE
from config.version import service_version
from tests.resilience.live import VENV_BIN, Server, start_server, wait_for

pytestmark = pytest.mark.django_db

INDEX = "/api/v1/"
STATUS = "/api/v1/status/"
# Nothing listens on port 1 (privileged, unassigned): a dependency that is down.
CLOSED = "127.0.0.1:1"
TEST_REDIS = os.environ.get("REHABIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_cache(url: str) -> dict:
    """CACHES as production builds them (config.settings.base), for ``url``, with keys of
    their own (a fresh KEY_PREFIX): tests running at once on one Redis database clean up
    their own keys (``cache.delete_pattern("*")``), never the others' (FLUSHDB)."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }


def redis_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


# ---------------------------------------------------------------------------
# GET /api/v1/
# ---------------------------------------------------------------------------
def test_index_links_every_resource_docs_and_version(api_client):
    response = api_client.get(INDEX)

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Rehabit API"
    assert body["version"] == service_version()
    assert body["api_version"] == "v1"
    assert body["docs"] == {
        "schema": "http://testserver/api/schema/",
        "swagger_ui": "http://testserver/api/docs/",
        "redoc": "http://testserver/api/redoc/",
    }
    resources = body["resources"]
    assert {
        "exercises",
        "muscles",
        "equipment",
        "conditions",
        "routines",
        "auth/register",
        "auth/token",
        "auth/token/refresh",
        "auth/logout",
        "me",
        "me/export",
        "patients",
        "plans",
        "sessions",
        "progress",
        "status",
    } <= set(resources)
    assert resources["sessions"] == "http://testserver/api/v1/sessions/"
    assert "" not in resources  # not itself


def test_every_resource_of_the_index_answers_as_documented(api_client):
    """Each link leads somewhere real: a 2xx, or a 401/405 that names what it needs."""
    resources = api_client.get(INDEX).json()["resources"]

    for name, url in resources.items():
        response = api_client.get(url)
        assert response.status_code in {200, 401, 405}, name
        assert response["Content-Type"] != "text/html", name


def test_index_reads_no_database_whatever_the_credentials(
    api_client, django_assert_num_queries
):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired-or-garbage")
    # Credentials are not read, so not even an invalid token costs a query or a 401.
    with django_assert_num_queries(0):
        response = api_client.get(INDEX)

    assert response.status_code == 200


# ---------------------------------------------------------------------------
# 404s under /api/, DEBUG on and off
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/no-such-thing/"),
        ("get", "/api/v2/exercises/"),
        ("get", "/api/"),
        ("post", "/api/v1/no-such-thing/"),
        ("delete", "/api/nope"),
    ],
)
def test_unknown_api_paths_answer_a_problem_document(
    api_client, settings, debug, method, path
):
    settings.DEBUG = debug

    response = getattr(api_client, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json() == {
        "type": "urn:rehabit:problem:not_found",
        "title": "Not Found",
        "status": 404,
        "detail": "No such resource.",
        "code": "not_found",
        "instance": path,
    }


@pytest.mark.parametrize("debug", [False, True])
def test_a_missing_slash_redirects_reads_and_hints_writes(api_client, settings, debug):
    settings.DEBUG = debug

    read = api_client.get("/api/v1/exercises?limit=5")
    write = api_client.post("/api/v1/sessions", {}, format="json")

    assert read.status_code == 301
    assert read["Location"] == "/api/v1/exercises/?limit=5"
    # A redirect would turn the POST into a GET and lose its body: a 404 that says why.
    assert write.status_code == 404
    assert write["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert write.json()["detail"] == (
        "No such resource. Did you mean /api/v1/sessions/ (with a slash)?"
    )


@pytest.mark.parametrize("debug", [False, True])
def test_paths_outside_the_api_keep_django_pages(client, settings, debug):
    settings.DEBUG = debug

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# ---------------------------------------------------------------------------
# GET /api/v1/status/
# ---------------------------------------------------------------------------
def test_status_reports_version_and_dependencies(api_client, django_assert_num_queries):
    # One query: SELECT 1. The test settings have no Redis (per-process memory).
    with django_assert_num_queries(1):
        response = api_client.get(STATUS)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == service_version()
    assert body["api_version"] == "v1"
    assert body["checks"] == {"database": "ok", "cache": "local"}
    assert body["time"].endswith("Z")
    assert "no-cache" in response["Cache-Control"]


def test_status_says_the_same_to_everyone(api_client, admin_client_api):
    """Anonymous callers learn states only: no error text, hosts or library versions."""
    anonymous = api_client.get(STATUS).json()
    admin = admin_client_api.get(STATUS).json()

    assert (
        set(anonymous)
        == set(admin)
        == {
            "status",
            "version",
            "api_version",
            "time",
            "checks",
        }
    )
    assert anonymous["checks"] == admin["checks"]


def test_status_with_redis_down_is_degraded_not_failed(api_client):
    with override_settings(CACHES=redis_cache(f"redis://{CLOSED}/0")):
        response = api_client.get(STATUS)

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"] == {"database": "ok", "cache": "unavailable"}


@pytest.mark.skipif(not redis_reachable(TEST_REDIS), reason=f"no Redis at {TEST_REDIS}")
def test_status_with_redis_up_says_ok(api_client):
    with override_settings(CACHES=redis_cache(TEST_REDIS)):
        response = api_client.get(STATUS)

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"] == {"database": "ok", "cache": "ok"}


@pytest.mark.parametrize("path", [INDEX, STATUS])
def test_index_and_status_are_rate_limited(api_client, monkeypatch, path):
    # DRF reads the rates into the class at import time, so override_settings cannot.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "2/min"}
    )

    statuses = [api_client.get(path).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# ---------------------------------------------------------------------------
# The production server with its database and Redis down
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server_without_dependencies(tmp_path_factory) -> Iterator[Server]:
    """gunicorn as bin/serve runs it, pointed at a database and a Redis that are down."""
    workdir = tmp_path_factory.mktemp("no-dependencies")
    env = {
        **{
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "API_"))
        },
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "status-test-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_ROOT": str(workdir),
        "DATABASE_URL": f"postgres://rehabit@{CLOSED}/rehabit",
        "REDIS_URL": f"redis://{CLOSED}/0",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    }
    server = start_server("no-dependencies", env, workdir)
    try:
        wait_for(
            lambda: server.call("GET", "/healthz", timeout=3).status == 200,
            60,
            "gunicorn to answer /healthz",
        )
        yield server
    finally:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=30)


def test_status_with_database_and_redis_down(server_without_dependencies):
    server = server_without_dependencies

    status = server.call("GET", STATUS)
    index = server.call("GET", INDEX)
    unknown = server.call("GET", "/api/v1/no-such-thing/")
    catalog = server.call("GET", "/api/v1/exercises/")

    assert status.status == 200, server.log_tail()
    assert status.json()["status"] == "unavailable"
    assert status.json()["checks"] == {
        "database": "unavailable",
        "cache": "unavailable",
    }
    assert status.json()["version"] == service_version()
    # The index needs neither; an unknown path is still a 404 problem.
    assert index.status == 200
    assert index.json()["resources"]["status"] == f"http://localhost{STATUS}"
    assert unknown.status == 404
    assert unknown.is_problem
    # What the status warns about: reads that need the database answer 503.
    assert catalog.status == 503
    assert catalog.is_problem
    assert catalog.headers["retry-after"]


def test_status_url_is_named(api_client):
    assert reverse("api:status") == STATUS
    assert reverse("api:index") == INDEX
