"""Issue 10, finding 14: refresh-token reuse detection with a grace window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories.users import PASSWORD
from users.models import RefreshRotation
from users.tokens import FAMILY_CLAIM, REUSE_DETECTED, FamilyRefreshToken

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/me/"


def login(client, user) -> dict[str, str]:
    response = client.post(
        LOGIN, {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()


def refresh(client, token):
    return client.post(REFRESH, {"refresh": token}, format="json")


def after_the_grace() -> None:
    grace = dt.timedelta(seconds=settings.JWT_REFRESH_REUSE_GRACE_SECONDS + 1)
    for rotation in RefreshRotation.objects.all():
        rotation.rotated_at -= grace
        rotation.save()


def works(client, token) -> bool:
    return refresh(client, token).status_code == 200


def test_a_login_starts_a_family_that_rotations_inherit(api_client, patient):
    first = login(api_client, patient)["refresh"]
    second = refresh(api_client, first).json()["refresh"]

    family = FamilyRefreshToken(first, verify=False)[FAMILY_CLAIM]
    assert family == FamilyRefreshToken(first, verify=False)["jti"]
    assert FamilyRefreshToken(second, verify=False)[FAMILY_CLAIM] == family


def test_a_retry_within_the_grace_window_gets_the_same_new_pair(api_client, patient):
    first = login(api_client, patient)["refresh"]
    answered = refresh(api_client, first).json()

    retried = refresh(api_client, first)

    assert retried.status_code == 200
    assert retried.json() == answered
    # Nothing was revoked: the new refresh token works.
    assert works(api_client, answered["refresh"])


def test_reuse_after_the_grace_window_revokes_the_whole_family(api_client, patient):
    phone = login(api_client, patient)
    tablet = login(APIClient(), patient)  # another login: another family
    stolen = phone["refresh"]
    current = refresh(api_client, stolen).json()
    after_the_grace()

    replay = refresh(api_client, stolen)

    assert replay.status_code == 401
    assert replay.json()["code"] == "token_not_valid"
    assert replay.json()["detail"] == REUSE_DETECTED
    # The legitimate holder's current token is dead too: both must log in again...
    assert refresh(api_client, current["refresh"]).status_code == 401
    # ...while the other login is untouched.
    assert works(api_client, tablet["refresh"])


def test_a_logged_out_token_is_refused_without_revoking_the_family(api_client, patient):
    tokens = login(api_client, patient)
    current = refresh(api_client, tokens["refresh"]).json()
    assert (
        api_client.post(
            LOGOUT, {"refresh": current["refresh"]}, format="json"
        ).status_code
        == 204
    )
    other = login(api_client, patient)

    replay = refresh(api_client, current["refresh"])

    assert replay.status_code == 401
    assert replay.json()["detail"] == "Token is blacklisted"
    assert works(api_client, other["refresh"])


def test_answered_pairs_are_not_kept_past_the_grace(api_client, patient):
    first = login(api_client, patient)["refresh"]
    second = refresh(api_client, first).json()["refresh"]
    after_the_grace()

    refresh(api_client, second)

    older, newer = RefreshRotation.objects.order_by("rotated_at")
    assert (older.access, older.refresh) == ("", "")
    assert newer.access != ""


def test_a_token_without_a_family_revokes_every_token_of_the_account(
    api_client, patient
):
    # A token issued before families existed: no family claim.
    legacy = str(RefreshToken.for_user(patient))
    other = login(api_client, patient)
    refresh(api_client, legacy)
    after_the_grace()

    assert refresh(api_client, legacy).status_code == 401
    assert refresh(api_client, other["refresh"]).status_code == 401
