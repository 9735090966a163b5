"""auth/ endpoints: registration, login, token expiry, rotation, logout, lockout, throttling."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.factories import PatientFactory
from tests.factories.users import PASSWORD
from users.models import RefreshRotation, User
from users.services import user_register

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/me/"
PROBLEM = "application/problem+json"
STRONG = "knee-bends-at-dawn-42"


def register_body(**overrides):
    body = {
        "email": "ana@example.com",
        "password": STRONG,
        "name": "Ana Silva",
        "timezone": "Europe/Lisbon",
    }
    body.update(overrides)
    return body


def login(client, email, password=PASSWORD):
    return client.post(TOKEN, {"email": email, "password": password}, format="json")


def bearer(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def error_fields(response):
    return {(e["field"], e["code"]) for e in response.json()["errors"]}


# ---------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------
def test_register_creates_a_patient_and_returns_the_account(api_client):
    response = api_client.post(REGISTER, register_body(), format="json")

    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(email="ana@example.com")
    assert body == {
        "id": str(user.id),
        "email": "ana@example.com",
        "name": "Ana Silva",
        "timezone": "Europe/Lisbon",
        "role": "patient",
        "in_care": False,
    }
    assert user.check_password(STRONG)
    assert "password" not in body


def test_register_defaults_timezone_to_utc_and_lowercases_email(api_client):
    body = register_body(email="  Ana.Silva@Example.COM ")
    del body["timezone"]

    response = api_client.post(REGISTER, body, format="json")

    assert response.status_code == 201
    assert response.json()["email"] == "ana.silva@example.com"
    assert response.json()["timezone"] == "UTC"


def test_register_forces_patient_role_even_if_staff_fields_are_sent(api_client):
    response = api_client.post(
        REGISTER,
        register_body(role="clinician", is_staff=True, is_superuser=True),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["role"] == "patient"
    user = User.objects.get(email="ana@example.com")
    assert user.role == User.Role.PATIENT
    assert not user.is_staff
    assert not user.is_superuser
    assert not user.groups.exists()


def test_register_cannot_create_a_clinician_whatever_the_role_value(api_client):
    for index, role in enumerate(["clinician", "admin", "CLINICIAN"]):
        response = api_client.post(
            REGISTER,
            register_body(email=f"staff{index}@example.com", role=role),
            format="json",
        )
        assert response.status_code == 201

    assert not User.objects.exclude(role=User.Role.PATIENT).exists()
    assert not Group.objects.get(name="Clinicians").user_set.exists()


def test_register_with_a_taken_email_creates_nothing(api_client):
    # The answer is the same as for a new email: tests/security/test_registration.py.
    PatientFactory(email="ana@example.com")

    response = api_client.post(
        REGISTER, register_body(email="ANA@example.com"), format="json"
    )

    assert response.status_code == 201
    assert User.objects.filter(email__iexact="ana@example.com").count() == 1


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1", "password_too_short"),
        ("password123", "password_too_common"),
        ("8273649182736", "password_entirely_numeric"),
        ("ana.silva@example", "password_too_similar"),
    ],
)
def test_register_weak_password_is_400_on_password(api_client, password, code):
    response = api_client.post(
        REGISTER,
        register_body(email="ana.silva@example.com", password=password),
        format="json",
    )

    assert response.status_code == 400
    assert ("password", code) in error_fields(response)
    assert not User.objects.filter(email="ana.silva@example.com").exists()


def test_register_unknown_timezone_is_400_on_timezone(api_client):
    response = api_client.post(
        REGISTER, register_body(timezone="Mars/Olympus_Mons"), format="json"
    )

    assert response.status_code == 400
    assert error_fields(response) == {("timezone", "invalid_timezone")}
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"email": "not-an-email"}, "email", "invalid"),
        ({"name": ""}, "name", "blank"),
        ({"name": "x" * 151}, "name", "max_length"),
        ({"password": "p" * 129}, "password", "max_length"),
    ],
)
def test_register_rejects_bad_fields(api_client, body, field, code):
    response = api_client.post(REGISTER, register_body(**body), format="json")

    assert response.status_code == 400
    assert (field, code) in error_fields(response)


def test_register_requires_email_password_and_name(api_client):
    response = api_client.post(REGISTER, {}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {
        ("email", "required"),
        ("password", "required"),
        ("name", "required"),
    }


def test_register_ignores_a_bad_authorization_header(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.post(REGISTER, register_body(), format="json")

    assert response.status_code == 201


def test_register_is_throttled_with_retry_after(api_client, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "register": "2/hour"},
    )
    for index in range(2):
        response = api_client.post(
            REGISTER, register_body(email=f"p{index}@example.com"), format="json"
        )
        assert response.status_code == 201

    response = api_client.post(
        REGISTER, register_body(email="p3@example.com"), format="json"
    )

    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 3600
    assert not User.objects.filter(email="p3@example.com").exists()


# ---------------------------------------------------------------------------
# Login and token lifecycle
# ---------------------------------------------------------------------------
def test_login_returns_a_token_pair_that_authenticates(api_client, patient):
    response = login(api_client, patient.email)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    me = bearer(body["access"]).get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == str(patient.id)


def test_login_token_lifetimes_are_5_minutes_and_30_days(api_client, patient):
    body = login(api_client, patient.email).json()

    access = AccessToken(body["access"])
    refresh = RefreshToken(body["refresh"])
    assert access["exp"] - access["iat"] == 5 * 60
    assert refresh["exp"] - refresh["iat"] == 30 * 24 * 3600
    assert access["user_id"] == str(patient.id)


def test_login_email_is_case_insensitive(api_client):
    PatientFactory(email="ana@example.com")

    response = login(api_client, "  ANA@Example.com")

    assert response.status_code == 200


def test_login_updates_last_login(api_client, patient):
    assert patient.last_login is None

    login(api_client, patient.email)

    patient.refresh_from_db()
    assert patient.last_login is not None


def test_login_wrong_password_is_401_problem(api_client, patient):
    response = login(api_client, patient.email, "not-the-password")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "no_active_account"
    assert body["status"] == 401
    assert "access" not in body


def test_login_unknown_email_is_the_same_401(api_client):
    response = login(api_client, "nobody@example.com")

    assert response.status_code == 401
    assert response.json()["code"] == "no_active_account"


def test_login_of_a_disabled_account_is_401(api_client):
    user = PatientFactory(is_active=False)

    response = login(api_client, user.email)

    assert response.status_code == 401


def test_login_missing_password_is_400(api_client, patient):
    response = api_client.post(TOKEN, {"email": patient.email}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {("password", "required")}


def test_expired_access_token_is_401_token_expired(patient):
    access = AccessToken.for_user(patient)
    # Issued 10 minutes ago with the 5-minute lifetime: expired 5 minutes ago.
    access.set_exp(from_time=timezone.now() - dt.timedelta(minutes=10))

    response = bearer(str(access)).get(ME)

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    # Not token_not_valid: the app refreshes rather than logging the patient out.
    assert response.json()["code"] == "token_expired"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_access_token_still_valid_just_before_expiry(patient):
    access = AccessToken.for_user(patient)
    access.set_exp(from_time=timezone.now() - dt.timedelta(minutes=4, seconds=50))

    assert bearer(str(access)).get(ME).status_code == 200


def test_refresh_token_is_not_accepted_as_an_access_token(api_client, patient):
    body = login(api_client, patient.email).json()

    response = bearer(body["refresh"]).get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh_returns_a_new_pair_and_rotates(api_client, patient):
    first = login(api_client, patient.email).json()

    response = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")

    assert response.status_code == 200
    second = response.json()
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    assert bearer(second["access"]).get(ME).status_code == 200


def test_used_refresh_token_is_rejected_after_rotation(api_client, patient):
    first = login(api_client, patient.email).json()
    second = api_client.post(
        REFRESH, {"refresh": first["refresh"]}, format="json"
    ).json()
    # Past the grace window for retries (users/tokens.py, tests/security/test_tokens.py).
    RefreshRotation.objects.update(
        rotated_at=timezone.now()
        - dt.timedelta(seconds=settings.JWT_REFRESH_REUSE_GRACE_SECONDS + 1)
    )

    replay = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")

    assert replay.status_code == 401
    assert replay["Content-Type"] == PROBLEM
    assert replay.json()["code"] == "token_not_valid"
    # A reuse revokes the login's every token, the rotated one included.
    third = api_client.post(REFRESH, {"refresh": second["refresh"]}, format="json")
    assert third.status_code == 401


def test_expired_refresh_token_is_401(api_client, patient):
    refresh = RefreshToken.for_user(patient)
    refresh.set_exp(from_time=timezone.now() - dt.timedelta(days=31))

    response = api_client.post(REFRESH, {"refresh": str(refresh)}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_refresh_with_a_malformed_token_is_401_or_400(api_client, token):
    response = api_client.post(REFRESH, {"refresh": token}, format="json")

    assert response.status_code == (400 if token == "" else 401)
    assert response["Content-Type"] == PROBLEM


def test_access_token_is_not_accepted_for_refresh(api_client, patient):
    body = login(api_client, patient.email).json()

    response = api_client.post(REFRESH, {"refresh": body["access"]}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_logout_revokes_the_refresh_token(api_client, patient):
    body = login(api_client, patient.email).json()

    response = api_client.post(LOGOUT, {"refresh": body["refresh"]}, format="json")

    assert response.status_code == 204
    assert response.content == b""
    after = api_client.post(REFRESH, {"refresh": body["refresh"]}, format="json")
    assert after.status_code == 401
    assert after.json()["code"] == "token_not_valid"


def test_logout_keeps_other_devices_logged_in(api_client, patient):
    phone = login(api_client, patient.email).json()
    tablet = login(api_client, patient.email).json()

    api_client.post(LOGOUT, {"refresh": phone["refresh"]}, format="json")

    response = api_client.post(REFRESH, {"refresh": tablet["refresh"]}, format="json")
    assert response.status_code == 200


def test_logout_twice_is_401_the_second_time(api_client, patient):
    body = login(api_client, patient.email).json()
    api_client.post(LOGOUT, {"refresh": body["refresh"]}, format="json")

    response = api_client.post(LOGOUT, {"refresh": body["refresh"]}, format="json")

    assert response.status_code == 401


def test_logout_needs_the_refresh_token(api_client):
    response = api_client.post(LOGOUT, {}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {("refresh", "required")}


# ---------------------------------------------------------------------------
# Lockout (django-axes) and throttling
# ---------------------------------------------------------------------------
def test_lockout_after_failure_limit_even_with_the_right_password(api_client, patient):
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [
        login(api_client, patient.email, "wrong-password").status_code
        for _ in range(limit)
    ]
    # The failure that reaches the limit is already answered with the lockout.
    assert statuses == [401] * (limit - 1) + [429]

    response = login(api_client, patient.email, PASSWORD)

    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "locked_out"
    assert int(response["Retry-After"]) == int(
        settings.AXES_COOLOFF_TIME.total_seconds()
    )
    assert "access" not in response.json()


def test_lockout_counts_email_case_variants_together(api_client, patient):
    limit = settings.AXES_FAILURE_LIMIT
    for index in range(limit):
        email = patient.email.upper() if index % 2 else patient.email
        login(api_client, email, "wrong-password")

    assert login(api_client, patient.email).status_code == 429


def test_lockout_is_per_email_and_address(api_client, patient, other_patient):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(api_client, patient.email, "wrong-password")

    assert login(api_client, other_patient.email).status_code == 200
    elsewhere = APIClient(REMOTE_ADDR="203.0.113.9")
    assert login(elsewhere, patient.email).status_code == 200


def test_lockout_ends_after_the_cool_off(api_client, patient):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(api_client, patient.email, "wrong-password")
    assert login(api_client, patient.email).status_code == 429
    # Move the recorded attempts back past the cool-off.
    AccessAttempt.objects.update(
        attempt_time=timezone.now()
        - settings.AXES_COOLOFF_TIME
        - dt.timedelta(seconds=1)
    )

    assert login(api_client, patient.email).status_code == 200


def test_successful_login_resets_the_failure_count(api_client, patient):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        login(api_client, patient.email, "wrong-password")
    assert login(api_client, patient.email).status_code == 200

    statuses = [
        login(api_client, patient.email, "wrong-password").status_code
        for _ in range(limit - 1)
    ]

    assert statuses == [401] * (limit - 1)


def test_failed_logins_are_recorded_despite_the_error_response(api_client, patient):
    login(api_client, patient.email, "wrong-password")

    attempt = AccessAttempt.objects.get()
    assert attempt.username == patient.email
    assert attempt.failures_since_start == 1


def test_login_is_throttled_with_retry_after(api_client, patient, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "auth": "2/min"},
    )
    assert login(api_client, patient.email).status_code == 200
    assert login(api_client, patient.email).status_code == 200

    response = login(api_client, patient.email)

    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_throttle_without_a_computable_wait_still_sends_retry_after(
    api_client, patient, monkeypatch
):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "auth": "1/min"},
    )
    monkeypatch.setattr(ScopedRateThrottle, "wait", lambda self: None)
    login(api_client, patient.email)

    response = login(api_client, patient.email)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_login_and_refresh_query_counts(
    api_client, patient, django_assert_max_num_queries
):
    # Bounded rather than exact: simplejwt and axes own these queries. Login: axes
    # lockout check, user, outstanding-token insert, last_login, axes reset (+ clean up).
    with django_assert_max_num_queries(8):
        body = login(api_client, patient.email).json()
    # Refresh: lock the token row, rotation lookup, blacklist check, user (x3 inside
    # simplejwt), blacklist the old token, record the new one and the rotation, forget
    # old rotations (2), plus savepoints.
    with django_assert_max_num_queries(22):
        response = api_client.post(REFRESH, {"refresh": body["refresh"]}, format="json")
    assert response.status_code == 200


def test_register_race_on_the_same_email_is_a_400_not_a_500(monkeypatch):
    PatientFactory(email="ana@example.com")
    # Both existence checks miss the row, as when two registrations run at once:
    # the unique index decides, inside a savepoint.
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)

    with pytest.raises(ValidationError) as raised:
        user_register(email="ana@example.com", password=STRONG, name="Ana")

    assert raised.value.error_dict["email"][0].code == "email_taken"
    monkeypatch.undo()
    assert User.objects.filter(email="ana@example.com").count() == 1
