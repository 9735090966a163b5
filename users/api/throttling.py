"""Throttling pieces of the accounts API: the login lockout and Retry-After on every 429."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn, cast

from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from config.api.throttling import ScopedRateThrottle

if TYPE_CHECKING:
    from rest_framework.request import Request

LOCKED_OUT = (
    "Too many failed logins for this email address from this network. "
    "Wait `Retry-After` seconds before trying again (refused attempts do not count)."
)
FALLBACK_RETRY_AFTER = 60  # seconds, when a throttle cannot say how long to wait


class LoginLockedOut(exceptions.Throttled):
    """django-axes locked this email + address pair out: 429 with Retry-After."""

    default_detail = LOCKED_OUT
    default_code = "locked_out"


class RetryAfterMixin:
    """Every 429 of these views carries Retry-After, even when a throttle cannot compute it."""

    def throttled(self, request: Request, wait: float) -> NoReturn:
        # DRF passes None when no throttle can say how long to wait.
        raise exceptions.Throttled(wait=wait if wait else FALLBACK_RETRY_AFTER)


def default_throttles() -> tuple[type[BaseThrottle], ...]:
    """The project's default throttle classes (the stubs type the setting as dotted paths)."""
    classes = cast(
        "Sequence[type[BaseThrottle]]", api_settings.DEFAULT_THROTTLE_CLASSES
    )
    return tuple(classes)


# The anonymous/user rates plus the view's own scope (``throttle_scope``).
DEFAULT_AND_SCOPED_THROTTLES = (*default_throttles(), ScopedRateThrottle)
