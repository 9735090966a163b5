"""Issue 10, findings 7, 11, 12 and 14: surrogates, password length, caching, settings."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session as DjangoSession
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import Client
from django.utils import timezone

from config.api.exceptions import PROBLEM_CONTENT_TYPE
from config.env import BASE_DIR
from config.middleware import SESSION_SEEN_KEY, SESSION_TOUCH_SECONDS
from config.security import secret_key_check
from tests.conftest import client_for
from tests.factories import (
    CareRelationshipFactory,
    ClinicianFactory,
    PlanFactory,
    SessionFactory,
)
from tests.factories.users import PASSWORD

pytestmark = pytest.mark.django_db

LONE = '"\\ud800"'  # JSON text: an escaped high surrogate without its low half


def raw(client, method, url, body: str, **extra):
    return getattr(client, method)(url, body, content_type="application/json", **extra)


def assert_surrogate_refused(response):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["code"] == "parse_error"
    assert "surrogate" in body["detail"]


# ---------------------------------------------------------------------------
# 7. Lone surrogates: a 400 at parsing, for every endpoint
# ---------------------------------------------------------------------------
def test_lone_surrogate_in_the_profile_is_a_400_not_a_500(patient):
    client = client_for(patient)
    response = raw(client, "patch", "/api/v1/me/", f'{{"timezone": {LONE}}}')

    assert_surrogate_refused(response)
    patient.refresh_from_db()
    assert patient.timezone == "UTC"


def test_lone_surrogate_in_a_session_status_or_side_is_a_400(patient):
    client = client_for(patient)
    session_id = uuid.uuid4()
    for field in ("status", "side"):
        body = (
            f'{{"id": "{session_id}", "started_at": "2026-01-05T08:00:00Z", '
            f'"exercises": [{{"exercise": "x", "{field}": {LONE}}}]}}'
        )
        assert_surrogate_refused(raw(client, "post", "/api/v1/sessions/", body))
    session = SessionFactory(patient=patient)
    edit = raw(
        client,
        "patch",
        f"/api/v1/sessions/{session.pk}/",
        f'{{"notes": {LONE}}}',
        HTTP_IF_MATCH=session.etag,
    )
    assert_surrogate_refused(edit)


def test_lone_surrogate_in_a_plan_status_is_a_400(patient, clinician):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    plan = PlanFactory(patient=patient, prescribed_by=clinician)
    response = raw(
        client_for(clinician),
        "patch",
        f"/api/v1/plans/{plan.pk}/",
        f'{{"status": {LONE}}}',
    )
    assert_surrogate_refused(response)


def test_lone_surrogate_in_a_key_or_an_anonymous_body_is_a_400(api_client):
    body = f'{{"email": "a@example.com", {LONE}: 1, "password": "x"}}'
    assert_surrogate_refused(raw(api_client, "post", "/api/v1/auth/token/", body))
    low = '{"email": "\\udc00@example.com", "password": "x"}'
    assert_surrogate_refused(raw(api_client, "post", "/api/v1/auth/register/", low))


def test_a_paired_surrogate_escape_is_ordinary_text(patient):
    response = raw(
        client_for(patient), "patch", "/api/v1/me/", '{"name": "Ana \\ud83d\\ude00"}'
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Ana \U0001f600"


# ---------------------------------------------------------------------------
# 11. Passwords: 12 characters at least, the other validators kept
# ---------------------------------------------------------------------------
def test_an_eleven_character_password_is_refused_and_twelve_accepted(api_client):
    def register(password, email):
        body = {"email": email, "password": password, "name": "Ana"}
        return api_client.post("/api/v1/auth/register/", body, format="json")

    short = register("kneebends-1", "ana@example.com")
    assert short.status_code == 400
    codes = {(e["field"], e["code"]) for e in short.json()["errors"]}
    assert ("password", "password_too_short") in codes
    assert register("kneebends-12", "ana@example.com").status_code == 201


@pytest.mark.parametrize(
    "password", ["password1234", "123456789012345", "ana.silva.example"]
)
def test_common_numeric_and_similar_passwords_are_still_refused(patient, password):
    patient.email = "ana.silva@example.com"
    with pytest.raises(ValidationError):
        validate_password(password, user=patient)


# ---------------------------------------------------------------------------
# 12. Personal data is never stored by a cache
# ---------------------------------------------------------------------------
def test_authenticated_api_answers_are_no_store(patient, clinician):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    SessionFactory(patient=patient)
    PlanFactory(patient=patient, prescribed_by=clinician)
    mine, staff = client_for(patient), client_for(clinician)
    answers = [
        mine.get("/api/v1/me/"),
        mine.get("/api/v1/me/export/"),
        mine.get("/api/v1/sessions/"),
        mine.get("/api/v1/plans/"),
        mine.get("/api/v1/progress/"),
        staff.get("/api/v1/patients/"),
        staff.get(f"/api/v1/patients/{patient.pk}/"),
        staff.get(f"/api/v1/sessions/?patient={patient.pk}"),
    ]

    for response in answers:
        assert response["Cache-Control"] == "no-store", response.wsgi_request.path
        assert "Authorization" in response["Vary"]


def test_a_token_login_gets_no_store_too(api_client, patient):
    tokens = api_client.post(
        "/api/v1/auth/token/",
        {"email": patient.email, "password": PASSWORD},
        format="json",
    ).json()
    response = api_client.get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}"
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_public_library_answers_keep_their_caching(api_client):
    response = api_client.get("/api/v1/exercises/")

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# ---------------------------------------------------------------------------
# 14. Production secret key, admin idle expiry, admin CSP
# ---------------------------------------------------------------------------
def env_example_secret() -> str:
    text = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
    return re.search(r"^DJANGO_SECRET_KEY=(.*)$", text, re.MULTILINE).group(1)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "short-but-random-9f2K",
        "a" * 60,
        "django-insecure-local-development-only-key-change-me",
        "django-insecure-" + "x7Kq2pLm9R" * 5,
    ],
)
def test_unsafe_secret_keys_are_refused(key):
    with pytest.raises(ImproperlyConfigured):
        secret_key_check(key)


def test_the_env_example_key_is_refused_and_a_generated_one_accepted():
    with pytest.raises(ImproperlyConfigured):
        secret_key_check(env_example_secret())
    key = secrets.token_urlsafe(50)
    assert secret_key_check(key) == key


PRODUCTION_CHECK = """
import django
django.setup()
from rest_framework.throttling import ScopedRateThrottle
from django.conf import settings
# The settings were complete when DRF first read them (config.security is imported by
# the production settings and must not import DRF at module level).
assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) <= set(
    ScopedRateThrottle.THROTTLE_RATES
), ScopedRateThrottle.THROTTLE_RATES
"""


def start_production(key: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": key,
        "DJANGO_ALLOWED_HOSTS": "api.example.com",
        "DATABASE_URL": "sqlite:////tmp/unused.db",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
    }
    return subprocess.run(
        [sys.executable, "-c", PRODUCTION_CHECK],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_refuse_to_start_with_the_placeholder_key():
    refused = start_production(env_example_secret())
    started = start_production(secrets.token_urlsafe(50))

    assert refused.returncode != 0
    assert "DJANGO_SECRET_KEY is unsafe" in refused.stderr
    assert started.returncode == 0, started.stderr


@pytest.fixture
def staff_browser():
    staff = ClinicianFactory()
    client = Client()
    response = client.post(
        "/admin/login/",
        {"username": staff.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302
    return client


def stored_session(client) -> DjangoSession:
    return DjangoSession.objects.get(session_key=client.session.session_key)


def test_admin_sessions_expire_after_thirty_idle_minutes_by_default(staff_browser):
    expires_in = stored_session(staff_browser).expire_date - timezone.now()

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert dt.timedelta(minutes=29) < expires_in <= dt.timedelta(minutes=30)


def test_admin_activity_pushes_the_idle_expiry_forward(staff_browser):
    session = staff_browser.session
    session[SESSION_SEEN_KEY] -= SESSION_TOUCH_SECONDS  # last request a minute ago
    session.save()
    DjangoSession.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=1))

    assert staff_browser.get("/admin/").status_code == 200

    expires_in = stored_session(staff_browser).expire_date - timezone.now()
    assert expires_in > dt.timedelta(minutes=29)


def test_requests_within_a_minute_do_not_write_the_session(staff_browser):
    before = stored_session(staff_browser).expire_date

    staff_browser.get("/admin/")

    assert stored_session(staff_browser).expire_date == before


def test_an_idle_admin_session_is_logged_out(staff_browser):
    DjangoSession.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    response = staff_browser.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_idle_time_is_configurable():
    code = "from django.conf import settings; print(settings.SESSION_COOKIE_AGE)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "ADMIN_SESSION_IDLE_MINUTES": "10",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "600", result.stderr


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in header.split(";")
        if part.strip()
    }


def test_the_admin_sends_a_content_security_policy(staff_browser):
    for response in (Client().get("/admin/login/"), staff_browser.get("/admin/")):
        policy = csp(response)
        assert policy["script-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["form-action"] == "'self'"
        assert "unsafe-inline" not in policy["script-src"]
