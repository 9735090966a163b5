"""Registration reports every invalid field in one answer (docs/auth.md), not one per try."""

from __future__ import annotations

import pytest

from tests.factories import PatientFactory
from users.models import User

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"


def error_codes(response) -> dict[str, set[str]]:
    assert response.status_code == 400, response.content
    found: dict[str, set[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], set()).add(error["code"])
    return found


def test_every_field_is_reported_at_once(api_client):
    response = api_client.post(
        REGISTER,
        {
            "email": "not-an-email",
            "password": "1234",
            "name": "",
            "timezone": "Mars/Base",
        },
        format="json",
    )

    codes = error_codes(response)
    assert set(codes) == {"email", "password", "name", "timezone"}
    assert codes["email"] == {"invalid"}
    assert {"password_too_short", "password_entirely_numeric"} <= codes["password"]
    assert codes["name"] == {"blank"}
    assert codes["timezone"] == {"invalid_timezone"}
    assert not User.objects.exists()


def test_a_taken_email_is_not_among_the_errors_of_a_weak_password(api_client):
    # Registration never says whether an email has an account (issue 10, finding 8).
    PatientFactory(email="ana@example.com")

    response = api_client.post(
        REGISTER,
        {"email": "Ana@Example.com", "password": "password", "name": "Ana"},
        format="json",
    )

    codes = error_codes(response)
    assert "email" not in codes
    assert "password_too_common" in codes["password"]


def test_missing_fields_and_service_rules_come_together(api_client):
    response = api_client.post(
        REGISTER, {"password": "ana1", "timezone": "Nowhere/City"}, format="json"
    )

    codes = error_codes(response)
    assert codes["email"] == {"required"}
    assert codes["name"] == {"required"}
    assert codes["timezone"] == {"invalid_timezone"}
    # Too short (similarity to the email cannot be judged without one).
    assert "password_too_short" in codes["password"]


def test_a_wrong_type_is_reported_with_the_other_fields(api_client):
    response = api_client.post(
        REGISTER,
        {"email": 42, "password": "short", "name": "Ana", "timezone": "Mars/Base"},
        format="json",
    )

    codes = error_codes(response)
    assert codes["email"] == {"invalid_type"}
    assert codes["timezone"] == {"invalid_timezone"}
    assert "password_too_short" in codes["password"]
