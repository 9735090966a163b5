"""Bearer authentication that tells an expired access token from an invalid one, and
takes a reader's account from the cache.

simplejwt answers both with ``token_not_valid`` ("Given token not valid for any token
type"), so an app cannot tell "refresh the token" from "log in again". Here an access
token that is authentic and of the right type but past its ``exp`` is a 401 with code
``token_expired``; anything else keeps simplejwt's answer.

A read (a safe method) takes the token's account from ``users/cache.py`` instead of a
``SELECT`` per request; a write reads it from the database, as simplejwt does. Either
way the same checks follow (an unknown account: ``user_not_found``; an inactive one:
``user_inactive``).

A token is verified in full (signature, claims, type) the first time a process sees it;
the process then remembers it (``VERIFIED_TOKENS`` of them, least recently used
forgotten first) and, on each later request with the very same bytes, checks only what
time can change: its expiry (simplejwt's ``check_exp``). An app sends one access token
for its whole lifetime, and verifying it was a third of the CPU of a patient's cached
read (docs/performance.md). A token that fails is never remembered; one that has
expired since is verified in full again, and refused as before (``token_expired``).
The memory is dropped when a setting changes (tests).
"""

from __future__ import annotations

import copy
import functools
from typing import TYPE_CHECKING, Any, cast

from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import exceptions, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import (
    AuthenticationFailed,
    ExpiredTokenError,
    TokenError,
)
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import aware_utcnow

from users.cache import account_for_read

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework_simplejwt.tokens import Token

    from users.models import User

# Tokens a process remembers as verified (a few hundred bytes each).
VERIFIED_TOKENS = 4096

TOKEN_EXPIRED = (
    "The access token has expired: get a new one from auth/token/refresh/ and repeat "
    "the request."
)


class TokenExpired(exceptions.AuthenticationFailed):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = TOKEN_EXPIRED
    default_code = "token_expired"


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's Bearer authentication; an expired access token is ``token_expired``;
    a read's account comes from the account cache."""

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        validated_token = self.get_validated_token(raw_token)
        # A revocation check compares the password hash, which the cache does not hold.
        # DRF's safe methods (GET, HEAD, OPTIONS) change nothing: a read's account may
        # come from the cache.
        if request.method in SAFE_METHODS and not api_settings.CHECK_REVOKE_TOKEN:
            return self.get_user_for_read(validated_token), validated_token
        return self.get_user(validated_token), validated_token

    def get_user_for_read(self, validated_token: Token) -> Any:
        """simplejwt's ``get_user``, the account read through the account cache."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            return self.get_user(validated_token)  # simplejwt's answer to a bad token
        user = account_for_read(
            user_id, lambda: cast("User", self.get_user(validated_token))
        )
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            # simplejwt's own error for it (same body as an uncached read).
            raise AuthenticationFailed(str(_("User is inactive")), code="user_inactive")
        return user

    def get_validated_token(self, raw_token: bytes) -> Token:
        try:
            verified = _verified(raw_token)
        except exceptions.AuthenticationFailed:
            if _is_expired_access_token(raw_token):
                raise TokenExpired from None
            raise  # simplejwt's refusal, listing why each token class failed
        try:
            return _unexpired(verified)
        except TokenError:
            # Expired since it was remembered: refused as a first sight would refuse it.
            raise TokenExpired from None


def _unexpired(verified: Token) -> Token:
    """A copy of a remembered token (shared by this process's requests) whose expiry
    is checked now (simplejwt's ``check_exp``: TokenError once expired)."""
    token = copy.copy(verified)
    token.payload = dict(verified.payload)
    token.current_time = aware_utcnow()
    token.check_exp()
    return token


@functools.lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(raw_token: bytes) -> Token:
    """simplejwt's full verification of ``raw_token`` (raises as it does); remembered."""
    return authentication.JWTAuthentication().get_validated_token(raw_token)


def _verified_forget(**kwargs: Any) -> None:
    _verified.cache_clear()


setting_changed.connect(_verified_forget, dispatch_uid="config.api.verified_tokens")


def _is_expired_access_token(raw_token: bytes) -> bool:
    """Authentic, of an accepted type, and refused only for its age.

    ``ExpiredTokenError`` comes after the signature check (PyJWT verifies the signature
    before the claims), so a forged token never gets here; the type claim is read from
    the verified-but-expired payload, so an expired *refresh* token sent as a Bearer
    token stays ``token_not_valid``.
    """
    for token_class in api_settings.AUTH_TOKEN_CLASSES:
        try:
            token_class(raw_token)
        except ExpiredTokenError:
            payload = token_class(raw_token, verify=False).payload
            if payload.get(api_settings.TOKEN_TYPE_CLAIM) == token_class.token_type:
                return True
        except TokenError:
            continue
    return False


class JWTScheme(SimpleJWTScheme):
    """The schema's ``jwtAuth`` security scheme, for this subclass too."""

    target_class = "config.api.authentication.JWTAuthentication"
