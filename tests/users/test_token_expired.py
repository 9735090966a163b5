"""An expired access token says so (``token_expired``): refresh, rather than log in again."""

from __future__ import annotations

import datetime as dt
import time

import jwt
import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from config.api.authentication import TOKEN_EXPIRED

pytestmark = pytest.mark.django_db

AN_HOUR_AGO = timezone.now() - dt.timedelta(hours=1)


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def expired(token: AccessToken | RefreshToken) -> str:
    token.set_exp(from_time=AN_HOUR_AGO, lifetime=dt.timedelta(minutes=5))
    return str(token)


def problem_of(response) -> tuple[int, str, str]:
    body = response.json()
    assert body["type"] == f"urn:rehabit:problem:{body['code']}"
    return response.status_code, body["code"], body["detail"]


@pytest.mark.parametrize(
    "path", ["/api/v1/me/", "/api/v1/sessions/", "/api/v1/exercises/"]
)
def test_an_expired_access_token_is_token_expired(patient, path):
    response = bearer(expired(AccessToken.for_user(patient))).get(path)

    assert problem_of(response) == (401, "token_expired", TOKEN_EXPIRED)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_fresh_access_token_still_works(patient):
    assert (
        bearer(str(AccessToken.for_user(patient))).get("/api/v1/me/").status_code == 200
    )


def test_a_forged_expired_token_is_not_valid_rather_than_expired(patient):
    """Only an authentic token is "expired": the signature is checked first."""
    payload = AccessToken(expired(AccessToken.for_user(patient)), verify=False).payload
    forged = jwt.encode(payload, "not-the-server-key-" * 3, algorithm="HS256")

    status, code, _ = problem_of(bearer(forged).get("/api/v1/me/"))

    assert (status, code) == (401, "token_not_valid")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(
            lambda user: expired(RefreshToken.for_user(user)), id="expired refresh"
        ),
        pytest.param(
            lambda user: str(RefreshToken.for_user(user)), id="refresh as access"
        ),
        pytest.param(lambda user: "not-a-jwt", id="garbage"),
    ],
)
def test_other_bad_tokens_stay_token_not_valid(patient, token):
    status, code, _ = problem_of(bearer(token(patient)).get("/api/v1/me/"))

    assert (status, code) == (401, "token_not_valid")


def test_an_expired_refresh_token_cannot_be_refreshed(api_client, patient):
    """The refresh endpoint's 401 means: log in again."""
    response = api_client.post(
        "/api/v1/auth/token/refresh/",
        {"refresh": expired(RefreshToken.for_user(patient))},
        format="json",
    )

    status, code, _ = problem_of(response)
    assert (status, code) == (401, "token_not_valid")


# A process remembers the tokens it verified (config/api/authentication.py).


def test_a_token_is_verified_once_then_only_its_expiry_is_checked(patient, monkeypatch):
    from rest_framework_simplejwt.backends import TokenBackend

    decoded = []
    decode = TokenBackend.decode
    monkeypatch.setattr(
        TokenBackend,
        "decode",
        lambda self, token, verify=True: (
            decoded.append(verify) or decode(self, token, verify)
        ),
    )
    client = bearer(str(AccessToken.for_user(patient)))

    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200] * 3
    assert decoded == [True]  # the signature checked on the first request only
    other = bearer(str(AccessToken.for_user(patient)))  # another token: verified too
    assert other.get("/api/v1/me/").status_code == 200
    assert decoded == [True, True]


def test_a_remembered_token_is_refused_once_it_expires(patient):
    token = AccessToken.for_user(patient)
    token.set_exp(lifetime=dt.timedelta(seconds=2))
    client = bearer(str(token))
    assert client.get("/api/v1/me/").status_code == 200

    time.sleep(max(0.0, token["exp"] - time.time()) + 0.05)  # past its exp, really

    assert problem_of(client.get("/api/v1/me/")) == (
        401,
        "token_expired",
        TOKEN_EXPIRED,
    )


def test_a_tampered_copy_of_a_remembered_token_is_not_valid(patient):
    token = str(AccessToken.for_user(patient))
    assert bearer(token).get("/api/v1/me/").status_code == 200
    header, payload, signature = token.split(".")
    tampered = (
        f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    )

    status, code, _ = problem_of(bearer(tampered).get("/api/v1/me/"))

    assert (status, code) == (401, "token_not_valid")
