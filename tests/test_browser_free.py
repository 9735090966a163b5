"""A cookie-less API request skips the browser-only middlewares, and loses nothing else.

config.middleware.browser_free (docs/decisions.md, docs/performance.md "Issue 14"):
sessions, their idle expiry, CSRF's cookie handling, the session's user and flash
messages do nothing for a call to /api/v1/ or /fhir/ without any cookie; every other
behaviour of the stack (request id, access log line, security headers, no-store,
ETag/304, CORS) is the same. A request with a cookie, and the admin, take every
middleware as before.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client, override_settings
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import AdminFactory, PatientFactory

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _finished(caplog) -> list[dict]:
    return [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict)
        and record.msg.get("event") == "request_finished"
    ]


def _bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {AccessToken.for_user(user)}"}


@override_settings(SECURE_HSTS_SECONDS=3600)
def test_a_token_request_skips_sessions_and_keeps_every_other_behaviour(caplog):
    patient = PatientFactory()
    with caplog.at_level(logging.INFO, logger="django_structlog"):
        response = Client().get(
            "/api/v1/me/",
            secure=True,
            HTTP_X_REQUEST_ID="req-browser-free-1",
            **_bearer(patient),
        )

    assert response.status_code == 200
    request = response.wsgi_request
    # Skipped: no session loaded, no messages set up, no CSRF cookie read.
    assert not hasattr(request, "session")
    assert not hasattr(request, "_messages")
    assert "CSRF_COOKIE" not in request.META
    assert not response.cookies
    # Kept: the user DRF authenticated, no-store, every security header, the id.
    assert request.user == patient
    assert response["Cache-Control"] == "no-store"
    assert {"Authorization", "Cookie"} <= {
        v.strip() for v in response["Vary"].split(",")
    }
    for name, value in SECURITY_HEADERS.items():
        assert response[name] == value
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Strict-Transport-Security"].startswith("max-age=3600")
    assert response["X-Request-ID"] == "req-browser-free-1"
    assert response["ETag"]
    (line,) = _finished(caplog)
    assert line["request_id"] == "req-browser-free-1"
    assert line["user_id"] == str(patient.pk)
    assert line["code"] == 200
    assert line["request"] == "GET /api/v1/me/"
    assert line["ip"] == "127.0.0.1"
    assert {"duration_ms", "timestamp", "level", "logger"} <= line.keys()


def test_an_anonymous_cookie_less_request_still_varies_on_cookie_and_logs_null(
    caplog,
):
    with caplog.at_level(logging.INFO, logger="django_structlog"):
        response = Client().get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "user")  # a plain view: no DRF
    # What a shared cache must know: with a session cookie the answer may differ.
    assert {"Cookie", "origin"} <= {v.strip() for v in response["Vary"].split(",")}
    assert response["X-Frame-Options"] == "DENY"
    (line,) = _finished(caplog)
    assert line["user_id"] is None
    assert line["code"] == 404


def test_a_304_still_answers_a_cookie_less_request():
    first = Client().get("/api/v1/exercises/")
    again = Client().get("/api/v1/exercises/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_a_request_with_a_session_cookie_goes_through_sessions_and_csrf():
    staff = AdminFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    read = client.get("/api/v1/me/")
    write = client.post(
        "/api/v1/me/password/",
        {"current_password": "x", "new_password": "y"},
        content_type="application/json",
    )

    # DRF's SessionAuthentication found the admin's session through the middlewares.
    assert read.status_code == 200
    assert hasattr(read.wsgi_request, "session")
    assert read.json()["email"] == staff.email
    assert read["Cache-Control"] == "no-store"
    # ... and checks CSRF for a session user: no token, no write.
    assert write.status_code == 403
    assert "CSRF" in write.json()["detail"]


def test_a_cookie_of_any_kind_keeps_the_whole_stack():
    client = Client()
    client.cookies["something"] = "else"

    response = client.get("/api/v1/no-such-thing/")

    assert hasattr(response.wsgi_request, "session")
    assert hasattr(response.wsgi_request, "user")


@pytest.mark.parametrize("path", ["/api/docs/", "/admin/login/"])
def test_browser_pages_keep_the_whole_stack_without_cookies(path):
    response = Client().get(path)

    assert response.status_code == 200
    assert hasattr(response.wsgi_request, "session")
    assert hasattr(response.wsgi_request, "user")
    if path == "/admin/login/":
        assert "csrftoken" in response.cookies  # the login form's token


def test_the_admin_still_signs_in_with_csrf_and_messages():
    staff = AdminFactory(password="a-long-enough-password")
    client = Client(enforce_csrf_checks=True)
    page = client.get("/admin/login/")
    token = page.cookies["csrftoken"].value

    refused = client.post(
        "/admin/login/",
        {"username": staff.email, "password": "a-long-enough-password"},
    )
    signed_in = client.post(
        "/admin/login/",
        {
            "username": staff.email,
            "password": "a-long-enough-password",
            "csrfmiddlewaretoken": token,
        },
    )

    assert refused.status_code == 403
    assert signed_in.status_code == 302
    assert "sessionid" in signed_in.cookies
    assert client.get("/admin/").status_code == 200


@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example"])
def test_cors_answers_an_origin_and_a_preflight_and_varies_without_one():
    allowed = Client().get("/api/v1/exercises/", HTTP_ORIGIN="https://app.example")
    preflight = Client().options(
        "/api/v1/exercises/",
        HTTP_ORIGIN="https://app.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    plain = Client().get("/api/v1/exercises/")
    admin = Client().get("/admin/login/")

    assert allowed["Access-Control-Allow-Origin"] == "https://app.example"
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Access-Control-Allow-Origin" not in plain
    assert "origin" in plain["Vary"]
    assert "origin" not in admin.get("Vary", "")  # outside CORS_URLS_REGEX


def test_a_token_write_records_its_author_in_the_history(clinician):
    from exercises.models import Exercise
    from tests.exercises.test_authoring_api import BRIDGE
    from tests.factories import MuscleFactory

    MuscleFactory(slug="gluteus-maximus")

    response = Client().post(
        "/api/v1/exercises/",
        {**BRIDGE, "primary_muscles": ["gluteus-maximus"]},
        content_type="application/json",
        **_bearer(clinician),
    )

    assert response.status_code == 201, response.content
    assert not hasattr(response.wsgi_request, "session")
    exercise = Exercise.objects.get(pk=response.json()["id"])
    # simple_history's middleware: the user DRF authenticated, not the session's.
    assert exercise.history.first().history_user == clinician
