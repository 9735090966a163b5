"""Production plumbing in-process: request ids, JSON logs, probes, database failures as 503.

The same behaviour through gunicorn with production settings is checked by .ci/smoke and
tests/resilience (live).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid

import pytest
import structlog
from django.db.utils import InterfaceError, OperationalError
from django.test import Client

from config.logs import REQUEST_ID_PATTERN, build_logging, formatter
from exercises.api.views import ExerciseViewSet

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


# ---------------------------------------------------------------------------
# Request ids
# ---------------------------------------------------------------------------
def test_a_request_without_an_id_gets_a_new_uuid_in_the_response(client, db):
    first = client.get("/api/v1/exercises/")
    second = client.get("/api/v1/exercises/")

    assert UUID.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_the_load_balancers_request_id_is_kept(client, db):
    response = client.get("/api/v1/exercises/", HTTP_X_REQUEST_ID="lb-1f2e3d:42")

    assert response["X-Request-ID"] == "lb-1f2e3d:42"


@pytest.mark.parametrize(
    "bad",
    ["", "x" * 129, "two words", 'quote"d', "new\nline", "caf\u00e9", "{json}"],
)
def test_an_unsafe_request_id_is_replaced(client, db, bad):
    response = client.get("/api/v1/exercises/", HTTP_X_REQUEST_ID=bad)

    assert UUID.fullmatch(response["X-Request-ID"])


def test_refusals_and_errors_carry_the_request_id_too(client):
    not_found = client.get("/api/v1/nothing-here/", HTTP_X_REQUEST_ID="abc")
    probe = client.get("/healthz", HTTP_X_REQUEST_ID="def")

    assert not_found.status_code == 404
    assert not_found["X-Request-ID"] == "abc"
    assert probe["X-Request-ID"] == "def"


def test_the_request_id_pattern_accepts_common_formats():
    for value in [str(uuid.uuid4()), "Root=1-67891233-abcdef012345678912345678"]:
        assert REQUEST_ID_PATTERN.fullmatch(value)


# ---------------------------------------------------------------------------
# JSON logs
# ---------------------------------------------------------------------------
def render(fmt: str, record: logging.LogRecord) -> str:
    config = formatter(fmt)
    factory = config.pop("()")
    return factory(**config).format(record)


def test_a_plain_logging_record_renders_as_one_json_line_with_the_request_context():
    record = logging.LogRecord(
        "django.db.backends", logging.WARNING, __file__, 1, "slow %s", ("query",), None
    )

    with structlog.contextvars.bound_contextvars(request_id="rid-1", user_id="u-1"):
        line = render("json", record)

    data = json.loads(line)
    assert "\n" not in line
    assert data["event"] == "slow query"
    assert data["request_id"] == "rid-1"
    assert data["user_id"] == "u-1"
    assert data["level"] == "warning"
    assert data["logger"] == "django.db.backends"
    assert data["timestamp"].endswith("Z")


def test_a_logged_exception_is_a_structured_traceback_without_local_variables():
    def login(password: str) -> None:
        raise ValueError("boom")

    try:
        login("hunter2-secret")
    except ValueError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )

    line = render("json", record)

    data = json.loads(line)
    assert data["exception"][0]["exc_type"] == "ValueError"
    assert data["exception"][0]["frames"][-1]["name"] == "login"
    assert "hunter2-secret" not in line


def test_the_console_format_is_not_json():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)

    line = render("console", record)

    assert "hello" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_an_unknown_log_format_is_refused_at_startup():
    with pytest.raises(ValueError, match="DJANGO_LOG_FORMAT"):
        build_logging("xml", "INFO")


def test_each_request_logs_one_finished_line_with_its_id_status_and_duration(
    client, db, caplog
):
    with caplog.at_level(logging.INFO, logger="django_structlog"):
        client.get("/api/v1/exercises/", HTTP_X_REQUEST_ID="rid-logged")

    finished = [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict)
        and record.msg.get("event") == "request_finished"
    ]
    assert len(finished) == 1
    assert finished[0]["code"] == 200
    assert finished[0]["duration_ms"] >= 0
    assert finished[0]["request"] == "GET /api/v1/exercises/"


# ---------------------------------------------------------------------------
# Probes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_any_host_over_plain_http(client, db, path, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get(path, HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200


def test_readiness_reports_the_cache_without_depending_on_it(client, db):
    response = client.get("/readyz")

    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "local"},
    }


def test_other_paths_still_check_the_host(client):
    response = client.get("/api/v1/exercises/", HTTP_HOST="evil.example.com")

    assert response.status_code == 400


# ---------------------------------------------------------------------------
# Database failures
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection refused"),
        OperationalError("canceling statement due to statement timeout"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_database_failure_is_a_503_problem_with_retry_after(
    client, db, monkeypatch, error
):
    def fail(self):
        raise error

    monkeypatch.setattr(ExerciseViewSet, "get_queryset", fail)

    response = client.get("/api/v1/exercises/")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "5"


def test_other_server_errors_stay_500(client, db, monkeypatch):
    def fail(self):
        raise RuntimeError("bug")

    monkeypatch.setattr(ExerciseViewSet, "get_queryset", fail)

    response = client.get("/api/v1/exercises/")

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert "Retry-After" not in response
