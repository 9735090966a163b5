"""DRF's rate throttles, all of a request's in one Redis round trip.

DRF's ``SimpleRateThrottle`` reads a list of timestamps from the cache and writes it
back: two round trips per throttle, four or six per API request (anonymous/user, and
a scope). Here the throttles of this module (``AnonRateThrottle``,
``UserRateThrottle``, ``ScopedRateThrottle``: DRF's, with the same cache keys, rates
and ``NUM_PROXIES`` client address) are decided together by one Lua script when the
first of them is asked, and the others read their verdict:

- the same sliding window as DRF's: timestamps older than the throttle's duration are
  dropped; a request is refused when as many remain as the rate allows (and then not
  recorded), else its time is recorded and the key expires after the duration;
- every throttle of the view is decided, refused or not (DRF asks each in turn too),
  and a refused one keeps its history, so ``wait()`` and the 429's ``Retry-After`` are
  DRF's own;
- the history is a Redis list under the throttle's cache key (``cache.make_key``);
  the cache keys the view names in ``round_trip_reads(request)`` (the catalog cache's
  token and entry, a patient's cached answer) are read by an ``MGET`` sent with the
  script in one write (a pipeline), handed back in ``round_trip_found``, so a cached
  catalog answer takes one round trip in all. Not by the script itself: a value read
  in Lua is copied into the script and out again, and a 25 KB catalog page made the
  script cost Redis ~110 us instead of ~28 (docs/performance.md, "Eighth session");
- the counting is atomic (one script), so processes sharing Redis no longer lose
  updates as DRF's read-then-write did. One script touches keys of any hash slot: one
  Redis (with replicas), not a Redis Cluster (docs/deployment.md).

Redis unreachable: every request is allowed and nothing is prefetched, as DRF's
throttles behave behind django-redis' ``IGNORE_EXCEPTIONS``. Another cache backend
(the per-process memory of development and of the tests' default): DRF's own code.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import throttling
from rest_framework.settings import api_settings

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

__all__ = [
    "AnonRateThrottle",
    "ScopedRateThrottle",
    "UserRateThrottle",
    "round_trip_found",
    "throttle_histories_forget",
]

# What django-redis' IGNORE_EXCEPTIONS treats as "Redis is down".
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, socket.timeout)

# KEYS: the throttles' keys. ARGV: now, the number of throttle keys, then each
# throttle's duration and number of requests. The answer: per throttle, 0 (allowed,
# recorded) or its history (refused; newest first).
SCRIPT = """
local now = ARGV[1]
local current = tonumber(now)
local count = tonumber(ARGV[2])
local answer = {}
for i = 1, count do
  local key = KEYS[i]
  local duration = tonumber(ARGV[1 + 2 * i])
  local limit = tonumber(ARGV[2 + 2 * i])
  local kind = redis.call('TYPE', key).ok
  if kind ~= 'list' and kind ~= 'none' then
    redis.call('DEL', key)
  end
  while true do
    local oldest = redis.call('LINDEX', key, -1)
    if oldest and tonumber(oldest) <= current - duration then
      redis.call('RPOP', key)
    else
      break
    end
  end
  if redis.call('LLEN', key) >= limit then
    answer[i] = redis.call('LRANGE', key, 0, -1)
  else
    redis.call('LPUSH', key, now)
    redis.call('EXPIRE', key, duration)
    answer[i] = 0
  end
end
return answer
"""

_FOUND = "_round_trip_found"
_VERDICTS = "_round_trip_verdicts"
_NOW = "_round_trip_now"
_IDENT = "_throttle_ident"
_script: Any = None


def throttle_histories_forget(user_id: Any) -> None:
    """Delete the rate-limit histories keyed by this account, in every scope.

    An authenticated caller's throttle key is DRF's ``throttle_<scope>_<user id>``: on a
    patient's erasure (``patient_erasing``, connected in config/apps.py) nothing keyed
    by the person stays in Redis, not even the times of their last requests.
    """
    scopes = api_settings.DEFAULT_THROTTLE_RATES
    cache.delete_many(
        [
            throttling.SimpleRateThrottle.cache_format % {"scope": s, "ident": user_id}
            for s in scopes
        ]
    )


def round_trip_found(request: Request) -> dict[str, Any] | None:
    """The values of the view's ``round_trip_reads`` keys read with the throttles.

    Each key maps to its value, None when it is not in the cache. None when they were
    not read (not django-redis, Redis down, no throttle of this module on the view):
    read them yourself.
    """
    found: dict[str, Any] | None = getattr(request, _FOUND, None)
    return found


def _redis_client() -> Any | None:
    """The raw client behind the default cache when it is django-redis', else None."""
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return client.get_client(write=True)


def _decide(
    request: Request, view: APIView, now: float
) -> dict[str, list[float] | None] | None:
    """Every throttle of the view in one script: throttle key -> None (allowed) or the
    history that refused it; empty when Redis is down, None when the cache is not
    django-redis' (see the module)."""
    client = _redis_client()
    if client is None:
        return None
    throttles: list[tuple[str, int, int]] = []
    for throttle in view.get_throttles():
        if isinstance(throttle, OneRoundTripMixin):
            key = throttle.round_trip_key(request, view)
            if key is not None:
                throttles.append((key, throttle.duration, throttle.num_requests))
    reads_of: Callable[[Request], Iterable[str]] | None = getattr(
        view, "round_trip_reads", None
    )
    reads = list(reads_of(request)) if reads_of else []
    arguments: list[Any] = [repr(now), len(throttles)]
    for _, duration, num_requests in throttles:
        arguments += [duration, num_requests]
    keys = [cache.make_key(key) for key, _, _ in throttles]
    global _script
    if _script is None:
        _script = client.register_script(SCRIPT)
    try:
        if reads:
            answer, values = _script_and_reads(
                client, keys, arguments, [cache.make_key(key) for key in reads]
            )
        else:
            answer, values = _script(keys=keys, args=arguments, client=client), []
    except REDIS_DOWN:
        return {}
    verdicts: dict[str, list[float] | None] = {}
    for (key, _, _), verdict in zip(throttles, answer, strict=False):
        verdicts[key] = [float(t) for t in verdict] if verdict else None
    decode = cache.client.decode  # type: ignore[attr-defined]
    setattr(
        request,
        _FOUND,
        {
            key: None if value is None else decode(value)
            for key, value in zip(reads, values, strict=True)
        },
    )
    return verdicts


def _script_and_reads(
    client: Any, keys: list[str], arguments: list[Any], reads: list[str]
) -> tuple[list[Any], list[Any]]:
    """The script's answer and the values of ``reads``, sent in one write.

    The script goes by its hash (``EVALSHA``); a Redis that lost it (restarted,
    ``SCRIPT FLUSH``) answers NOSCRIPT, and the script is loaded and both sent again.
    """
    try:
        return _pipelined(client, keys, arguments, reads)
    except NoScriptError:
        client.script_load(SCRIPT)
        return _pipelined(client, keys, arguments, reads)


def _pipelined(
    client: Any, keys: list[str], arguments: list[Any], reads: list[str]
) -> tuple[list[Any], list[Any]]:
    pipe = client.pipeline(transaction=False)
    pipe.evalsha(_script.sha, len(keys), *keys, *arguments)
    pipe.mget(reads)
    answer, values = pipe.execute()
    return answer, values


class OneRoundTripMixin(throttling.SimpleRateThrottle):
    """A ``SimpleRateThrottle`` decided with the view's others in one script."""

    # Set by DRF from the rate (None without one: then round_trip_key is None).
    num_requests: int
    duration: int

    def get_ident(self, request: Request) -> str:
        # DRF's (NUM_PROXIES), read once per request: every throttle keys on it, twice.
        ident: str | None = getattr(request, _IDENT, None)
        if ident is None:
            ident = super().get_ident(request)
            setattr(request, _IDENT, ident)
        return ident

    def round_trip_key(self, request: Request, view: APIView) -> str | None:
        """This throttle's cache key, or None if it does not apply to the request."""
        if self.rate is None:
            return None
        return self.get_cache_key(request, view)

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        if not hasattr(request, _VERDICTS):
            now = self.timer()
            setattr(request, _NOW, now)
            setattr(request, _VERDICTS, _decide(request, view, now))
        verdicts: dict[str, list[float] | None] | None = getattr(request, _VERDICTS)
        if verdicts is None:  # not django-redis: DRF's own reads and writes
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = getattr(request, _NOW)
        # Allowed (and recorded), or not asked because Redis is down: allowed.
        history = verdicts.get(self.key)
        if history is None:
            self.history = [self.now]
            return True
        self.history = history
        return self.throttle_failure()


# The mixin comes after DRF's class: ScopedRateThrottle.allow_request sets the view's
# scope and rate, then calls the mixin's.
class AnonRateThrottle(throttling.AnonRateThrottle, OneRoundTripMixin):
    """DRF's ``AnonRateThrottle`` (scope ``anon``, per client address)."""


class UserRateThrottle(throttling.UserRateThrottle, OneRoundTripMixin):
    """DRF's ``UserRateThrottle`` (scope ``user``, per account, else per address)."""


class ScopedRateThrottle(throttling.ScopedRateThrottle, OneRoundTripMixin):
    """DRF's ``ScopedRateThrottle`` (the view's ``throttle_scope``)."""

    def round_trip_key(self, request: Request, view: APIView) -> str | None:
        # What DRF's allow_request sets up before deciding (the rate is the view's).
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return None
        self.rate = self.get_rate()
        num_requests, duration = self.parse_rate(self.rate)
        if num_requests is None or duration is None:
            return None
        self.num_requests, self.duration = num_requests, duration
        return super().round_trip_key(request, view)
