"""me/ and me/password/: read and edit my account, change my password."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import PatientFactory
from tests.factories.users import PASSWORD
from users.services import WRONG_CURRENT_PASSWORD

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
PASSWORD_URL = "/api/v1/me/password/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
PROBLEM = "application/problem+json"
NEW_PASSWORD = "lunges-before-lunch-7"


def bearer_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def error_fields(response):
    return {(e["field"], e["code"]) for e in response.json()["errors"]}


# ---------------------------------------------------------------------------
# GET / PATCH me/
# ---------------------------------------------------------------------------
def test_me_returns_my_account():
    user = PatientFactory(
        email="ana@example.com", name="Ana Silva", timezone="Europe/Lisbon"
    )

    response = bearer_for(user).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.id),
        "email": "ana@example.com",
        "name": "Ana Silva",
        "timezone": "Europe/Lisbon",
        "role": "patient",
        "in_care": False,
    }


def test_me_shows_the_clinician_role(clinician_client, clinician):
    response = clinician_client.get(ME)

    assert response.json()["role"] == "clinician"
    assert response.json()["id"] == str(clinician.id)


def test_me_query_count(patient, django_assert_num_queries):
    client = bearer_for(patient)
    # The request's savepoint and its release (ATOMIC_REQUESTS inside the test's
    # transaction), the user behind the access token and whether anyone cares for them
    # (in_care, one EXISTS).
    with django_assert_num_queries(4):
        response = client.get(ME)
    assert response.status_code == 200


def test_patch_me_changes_name_and_timezone(patient_client, patient):
    response = patient_client.patch(
        ME, {"name": "Ana S.", "timezone": "America/Sao_Paulo"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Ana S."
    assert response.json()["timezone"] == "America/Sao_Paulo"
    patient.refresh_from_db()
    assert (patient.name, patient.timezone) == ("Ana S.", "America/Sao_Paulo")


def test_patch_me_ignores_email_role_and_id(patient_client, patient):
    email = patient.email
    original_id = patient.id

    response = patient_client.patch(
        ME,
        {
            "email": "new@example.com",
            "role": "clinician",
            "id": "00000000-0000-0000-0000-000000000000",
            "is_staff": True,
            "name": "Still Me",
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["role"], body["id"]) == (
        email,
        "patient",
        str(original_id),
    )
    patient.refresh_from_db()
    assert patient.email == email
    assert patient.role == "patient"
    assert not patient.is_staff
    assert patient.name == "Still Me"


def test_patch_me_accepts_the_whole_object_read_back(patient_client, patient):
    current = patient_client.get(ME).json()

    response = patient_client.patch(
        ME, {**current, "timezone": "Asia/Tokyo"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {**current, "timezone": "Asia/Tokyo"}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "invalid_timezone"),
        ({"timezone": ""}, "timezone", "blank"),
        ({"timezone": "Europe/" + "x" * 60}, "timezone", "max_length"),
        ({"name": ""}, "name", "blank"),
        ({"name": "n" * 151}, "name", "max_length"),
        ({"name": None}, "name", "null"),
    ],
)
def test_patch_me_rejects_bad_values(patient_client, patient, body, field, code):
    before = (patient.name, patient.timezone)

    response = patient_client.patch(ME, body, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert (field, code) in error_fields(response)
    patient.refresh_from_db()
    assert (patient.name, patient.timezone) == before


def test_put_me_is_not_allowed(patient_client):
    response = patient_client.put(ME, {"name": "x"}, format="json")

    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", ME),
        ("patch", ME),
        ("delete", ME),
        ("get", "/api/v1/me/export/"),
        ("post", PASSWORD_URL),
    ],
)
def test_me_endpoints_need_authentication(api_client, patient, method, url):
    response = getattr(api_client, method)(url, {}, format="json")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_me_with_a_garbage_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


# ---------------------------------------------------------------------------
# POST me/password/
# ---------------------------------------------------------------------------
def _login(client, email, password):
    return client.post(TOKEN, {"email": email, "password": password}, format="json")


def test_password_change_sets_the_new_password(patient_client, patient):
    response = patient_client.post(
        PASSWORD_URL,
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)
    assert not patient.check_password(PASSWORD)


def test_password_change_revokes_every_refresh_token(api_client, patient):
    phone = _login(api_client, patient.email, PASSWORD).json()
    tablet = _login(api_client, patient.email, PASSWORD).json()

    response = bearer_for(patient).post(
        PASSWORD_URL,
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204
    for device in (phone, tablet):
        refresh = api_client.post(
            REFRESH, {"refresh": device["refresh"]}, format="json"
        )
        assert refresh.status_code == 401
        assert refresh.json()["code"] == "token_not_valid"
    assert _login(api_client, patient.email, NEW_PASSWORD).status_code == 200


def test_password_change_leaves_other_accounts_tokens_alone(
    api_client, patient, other_patient
):
    theirs = _login(api_client, other_patient.email, PASSWORD).json()

    bearer_for(patient).post(
        PASSWORD_URL,
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    response = api_client.post(REFRESH, {"refresh": theirs["refresh"]}, format="json")
    assert response.status_code == 200


def test_password_change_with_wrong_current_password_is_400(
    api_client, patient_client, patient
):
    tokens = _login(api_client, patient.email, PASSWORD).json()

    response = patient_client.post(
        PASSWORD_URL,
        {"current_password": "not-it", "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "current_password",
            "code": "wrong_password",
            "message": WRONG_CURRENT_PASSWORD,
        }
    ]
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)
    # Nothing was revoked.
    refresh = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refresh.status_code == 200


@pytest.mark.parametrize(
    ("new_password", "code"),
    [
        ("short", "password_too_short"),
        ("password1", "password_too_common"),
        ("1234567890123", "password_entirely_numeric"),
    ],
)
def test_password_change_rejects_a_weak_new_password(
    patient_client, patient, new_password, code
):
    response = patient_client.post(
        PASSWORD_URL,
        {"current_password": PASSWORD, "new_password": new_password},
        format="json",
    )

    assert response.status_code == 400
    assert ("new_password", code) in error_fields(response)
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


def test_password_change_requires_both_fields(patient_client):
    response = patient_client.post(PASSWORD_URL, {}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {
        ("current_password", "required"),
        ("new_password", "required"),
    }


def test_password_change_is_throttled_with_retry_after(patient_client, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle,
        "THROTTLE_RATES",
        {**ScopedRateThrottle.THROTTLE_RATES, "auth": "2/min"},
    )
    body = {"current_password": "guess", "new_password": NEW_PASSWORD}
    for _ in range(2):
        assert patient_client.post(PASSWORD_URL, body, format="json").status_code == 400

    response = patient_client.post(PASSWORD_URL, body, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
