"""Refresh tokens: families, a grace window for lost answers, and reuse detection.

Every login starts a **family**: its refresh token carries a ``family`` claim (its own
id), which every token rotated from it inherits (simplejwt copies the claims). Each
exchange is recorded (``RefreshRotation``: the token used, its family, the pair
answered). Then, when a refresh token that was already exchanged comes back:

- within ``JWT_REFRESH_REUSE_GRACE_SECONDS`` (10 s) of its exchange, it is a retry of a
  request whose answer was lost on the network: the same new pair is answered again, and
  the patient stays logged in;
- later, someone holds a copy of a token that was rotated away (stolen, or a client
  bug): every token of the family is revoked (all devices of that login must log in
  again; other logins stay) and the answer is 401 ``token_not_valid``.

Tokens revoked by a logout or a password change were never exchanged: they get the
plain 401, and revoke nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import InvalidToken, TokenBackendError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import RefreshToken

from users.models import RefreshRotation

FAMILY_CLAIM = "family"
REUSE_DETECTED = (
    "Token was already used: every token of this login is revoked. Log in again."
)


class FamilyRefreshToken(RefreshToken):
    """A login's refresh token: its ``family`` claim is its own id, inherited on rotation."""

    @classmethod
    def for_user(cls, user: Any) -> FamilyRefreshToken:
        token = super().for_user(user)
        token[FAMILY_CLAIM] = token[api_settings.JTI_CLAIM]
        return token  # type: ignore[return-value]


def _grace() -> timedelta:
    return timedelta(seconds=settings.JWT_REFRESH_REUSE_GRACE_SECONDS)


def _verified_payload(token: str) -> dict[str, Any] | None:
    """The token's claims if its signature and expiry hold and it is a refresh token."""
    try:
        payload = token_backend.decode(token, verify=True)  # type: ignore[arg-type]
    except TokenBackendError:
        return None
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh":
        return None
    if not payload.get(api_settings.JTI_CLAIM):
        return None
    return payload


def family_revoke(*, user_id: Any, family: str) -> int:
    """Blacklist every live refresh token of ``family`` (all of the user's without one)."""
    live = OutstandingToken.objects.filter(
        user_id=user_id, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    revoked = [
        outstanding
        for outstanding in live
        if not family
        or token_backend.decode(outstanding.token, verify=False).get(FAMILY_CLAIM)  # type: ignore[arg-type]
        == family
    ]
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=outstanding) for outstanding in revoked],
        ignore_conflicts=True,
    )
    return len(revoked)


def refresh_rotate(
    *, token: str, rotate: Callable[[dict[str, Any]], dict[str, str]]
) -> dict[str, str]:
    """Exchange ``token`` (``rotate`` is simplejwt's rotation), with grace and reuse rules.

    InvalidToken (401) on a reuse after the grace window, once the family is revoked;
    simplejwt's own errors for tokens that are malformed, expired or revoked otherwise.
    """
    payload = _verified_payload(token)
    if payload is None:
        return rotate({"refresh": token})  # simplejwt says what is wrong with it
    jti = payload[api_settings.JTI_CLAIM]
    now = timezone.now()
    with transaction.atomic():
        # Two exchanges of one token at once: the second waits here, then finds the
        # rotation. order_by(): the model orders by its nullable user, an outer join
        # PostgreSQL refuses to lock.
        list(
            OutstandingToken.objects.select_for_update()
            .filter(jti=jti)
            .order_by()
            .values_list("id", flat=True)
        )
        rotation = RefreshRotation.objects.filter(used_jti=jti).first()
        if rotation is None:
            data = rotate({"refresh": token})
            user_id = str(payload[api_settings.USER_ID_CLAIM])
            RefreshRotation.objects.create(
                used_jti=jti,
                family=payload.get(FAMILY_CLAIM, ""),
                user_id=user_id,
                access=data["access"],
                refresh=data.get("refresh", ""),
                rotated_at=now,
            )
            _forget_old_rotations(user_id=user_id, now=now)
            return data
        if now - rotation.rotated_at <= _grace() and rotation.access:
            return {"access": rotation.access, "refresh": rotation.refresh}
    # Outside the atomic block: the revocation is committed before the 401 is answered
    # (the refresh view runs without the request transaction).
    family_revoke(user_id=rotation.user_id, family=rotation.family)
    raise InvalidToken(REUSE_DETECTED)


def _forget_old_rotations(*, user_id: Any, now: Any) -> None:
    """Drop the answered pairs once the grace is over, and rows past any token's life."""
    mine = RefreshRotation.objects.filter(user_id=user_id)
    mine.filter(rotated_at__lt=now - api_settings.REFRESH_TOKEN_LIFETIME).delete()
    mine.filter(rotated_at__lt=now - _grace()).exclude(access="").update(
        access="", refresh=""
    )
