"""Failed-login policy (django-axes handler): locks keyed on the attacker, not the victim.

Three rules, checked before any password is compared (admin and API alike):

1. **Pair lock** (django-axes itself): ``AXES_FAILURE_LIMIT`` failures for one account
   from one client address lock that pair for ``AXES_COOLOFF_TIME``. The address is the
   client's (config.security.client_ip), so only the attacker's own address is locked.
2. **Address lock**: ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one address, whatever
   the accounts, lock that address for the cool-off (password spraying).
3. **Account delay**: past ``LOGIN_ACCOUNT_FREE_FAILURES`` failures for one account from
   all addresses together, each attempt must wait a delay that doubles with every further
   failure, up to ``LOGIN_ACCOUNT_DELAY_MAX_SECONDS``. Distributed guessing is slowed to
   one guess per delay, while the real owner is at most delayed, never locked out.

Refused attempts are not counted (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT =
False``): hammering a locked account neither extends nor deepens its lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone

from config.security import client_ip

FALLBACK_WAIT = 60.0


def _window_start(request: HttpRequest) -> datetime:
    cool_off = get_cool_off(request) or timedelta(minutes=15)
    return timezone.now() - cool_off


def account_delay(failures: int) -> float:
    """Seconds to wait after the last failure, given an account's failures in the window."""
    extra = failures - settings.LOGIN_ACCOUNT_FREE_FAILURES
    if extra < 0:
        return 0.0
    return float(min(2**extra, settings.LOGIN_ACCOUNT_DELAY_MAX_SECONDS))


def account_wait(username: str | None, *, since: datetime) -> float:
    """Seconds left before ``username`` may try again (0 when it may now)."""
    if not username:
        return 0.0
    stats = AccessAttempt.objects.filter(
        username=username, attempt_time__gte=since
    ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    delay = account_delay(stats["failures"] or 0)
    if not delay or stats["last"] is None:
        return 0.0
    left = (stats["last"] + timedelta(seconds=delay) - timezone.now()).total_seconds()
    return float(max(left, 0.0))


def address_locked(address: str | None, *, since: datetime) -> bool:
    if not address:
        return False
    failures = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=since
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return bool((failures or 0) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT)


class LoginPolicyHandler(AxesDatabaseHandler):
    """django-axes' database handler plus the address lock and the account delay."""

    def is_locked(
        self, request: Any, credentials: dict[str, Any] | None = None
    ) -> bool:
        cool_off = get_cool_off(request) or timedelta(minutes=15)
        if super().is_locked(request, credentials):
            request.login_retry_after = cool_off.total_seconds()
            return True
        since = _window_start(request)
        if address_locked(client_ip(request), since=since):
            request.login_retry_after = cool_off.total_seconds()
            return True
        wait = account_wait(get_client_username(request, credentials), since=since)
        if wait > 0:
            request.login_retry_after = wait
            return True
        return False


def login_retry_after(request: Any) -> float:
    """Seconds a refused login should wait (Retry-After), whichever rule refused it."""
    wait = getattr(request, "login_retry_after", None)
    if wait is None:
        # DRF's Request proxies attributes of the Django request it wraps.
        wait = getattr(getattr(request, "_request", None), "login_retry_after", None)
    if wait is None:
        cool_off = get_cool_off(request)
        wait = cool_off.total_seconds() if cool_off else FALLBACK_WAIT
    return max(float(wait), 1.0)
