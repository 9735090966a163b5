"""Bearer authentication that tells an expired access token from an invalid one.

simplejwt answers both with ``token_not_valid`` ("Given token not valid for any token
type"), so an app cannot tell "refresh the token" from "log in again". Here an access
token that is authentic and of the right type but past its ``exp`` is a 401 with code
``token_expired``; anything else keeps simplejwt's answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import exceptions, status
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings

if TYPE_CHECKING:
    from rest_framework_simplejwt.tokens import Token

TOKEN_EXPIRED = (
    "The access token has expired: get a new one from auth/token/refresh/ and repeat "
    "the request."
)


class TokenExpired(exceptions.AuthenticationFailed):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = TOKEN_EXPIRED
    default_code = "token_expired"


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's Bearer authentication; an expired access token is ``token_expired``."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        try:
            return super().get_validated_token(raw_token)
        except exceptions.AuthenticationFailed:
            if _is_expired_access_token(raw_token):
                raise TokenExpired from None
            raise


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
