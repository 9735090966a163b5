"""Rate limits in one Redis round trip per request (config/api/throttling.py).

The same answers as DRF's own throttles (run here on the per-process memory cache,
where the project's classes fall back to DRF's code): the sliding window, 429 with
DRF's Retry-After per scope, the client address under NUM_PROXIES; plus what Redis
adds: one round trip for every throttle and a cached catalog answer, state shared by
every process, Redis down = no limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings
from redis.client import Redis
from redis.connection import AbstractConnection
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.conftest import client_for
from tests.factories import ExerciseFactory, PatientFactory, RoutineFactory
from tests.test_service import CLOSED, TEST_REDIS, redis_cache, redis_reachable

pytestmark = pytest.mark.django_db

EXERCISES = "/api/v1/exercises/"
TOKEN = "/api/v1/auth/token/"
needs_redis = pytest.mark.skipif(
    not redis_reachable(TEST_REDIS), reason=f"no Redis at {TEST_REDIS}"
)


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The throttles' time (DRF's ``timer``), set by the test."""
    now = [1_000_000.0]
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: now[0])
    return now


@pytest.fixture
def rates(monkeypatch) -> dict[str, str]:
    # DRF reads the rates into the class at import time, so override_settings cannot.
    limits = {**SimpleRateThrottle.THROTTLE_RATES, "anon": "3/min", "user": "100/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", limits)
    return limits


@contextmanager
def on_redis() -> Iterator[None]:
    with override_settings(CACHES=redis_cache(TEST_REDIS)):
        try:
            yield
        finally:
            cache.delete_pattern("*")  # this test's keys (its own KEY_PREFIX)


def stored_in_redis() -> dict[str, bytes]:
    """This test's keys in Redis (``on_redis``) and their values; a list (a rate-limit
    history, config/api/throttling.py) as its items joined by spaces."""
    server = Redis.from_url(TEST_REDIS)
    stored = {}
    for key in server.scan_iter(match=f"{cache.make_key('')}*"):
        if server.type(key) == b"list":
            stored[key.decode()] = b" ".join(server.lrange(key, 0, -1))
        else:
            stored[key.decode()] = server.get(key) or b""
    return stored


@contextmanager
def backend(name: str) -> Iterator[None]:
    """The default cache: the tests' memory (DRF's code) or Redis (the one script)."""
    if name == "redis":
        if not redis_reachable(TEST_REDIS):
            pytest.skip(f"no Redis at {TEST_REDIS}")
        with on_redis():
            yield
    else:
        yield


def answer(response: Any) -> tuple[int, str | None]:
    return response.status_code, response.headers.get("Retry-After")


def anonymous_window(clock: list[float], client: Any) -> list[tuple[int, str | None]]:
    """3/min for one address: three in, refused while the oldest is in the window."""
    seen = []
    for at in (0, 10, 20, 30, 59.5, 60.5, 61, 70.5):
        clock[0] = 1_000_000.0 + at
        seen.append(answer(client.get(EXERCISES, REMOTE_ADDR="10.0.0.1")))
    return seen


@pytest.mark.parametrize("cache_name", ["memory", "redis"])
def test_the_anonymous_limit_slides_and_answers_drf_retry_after(
    clock, rates, api_client, cache_name
):
    with backend(cache_name):
        seen = anonymous_window(clock, api_client)

    assert seen == [
        (200, None),
        (200, None),
        (200, None),
        # The oldest (t=0) leaves the window at t=60: DRF's wait is 60 - 30 = 30 s.
        (429, "30"),
        (429, "1"),  # ceil(60 - 59.5)
        # t=0 has left (0 <= 60.5 - 60); refused requests were not recorded.
        (200, None),
        (429, "9"),  # history 60.5, 20, 10: the oldest, 10, leaves at 70
        (200, None),  # 10 has left (10 <= 70.5 - 60)
    ]


@pytest.mark.parametrize("cache_name", ["memory", "redis"])
def test_the_user_limit_counts_per_account(clock, rates, monkeypatch, cache_name):
    monkeypatch.setitem(rates, "user", "2/min")
    patient, other = PatientFactory(), PatientFactory()
    mine, theirs = client_for(patient), client_for(other)
    with backend(cache_name):
        seen = []
        for at in (0, 15, 45):
            clock[0] = 1_000_000.0 + at
            seen.append(answer(mine.get(EXERCISES)))
        clock[0] = 1_000_000.0 + 46
        seen.append(answer(theirs.get(EXERCISES)))

    # 2/min per account (the anonymous rate does not apply to a logged-in patient).
    assert seen == [(200, None), (200, None), (429, "15"), (200, None)]


@pytest.mark.parametrize("cache_name", ["memory", "redis"])
def test_a_scoped_limit_adds_to_the_anonymous_one(
    clock, rates, monkeypatch, api_client, cache_name
):
    # Logins: AnonRateThrottle, UserRateThrottle and the `auth` scope, each counted.
    monkeypatch.setitem(rates, "auth", "2/hour")
    body = {"email": "nobody@example.com", "password": "wrong"}
    with backend(cache_name):
        seen = []
        for at in (0, 600, 1200):
            clock[0] = 1_000_000.0 + at
            seen.append(answer(api_client.post(TOKEN, body, REMOTE_ADDR="10.0.0.2")))

    # The third is refused by `auth` (2/hour): its oldest leaves at 3600, 2400 s on.
    assert seen == [(401, None), (401, None), (429, "2400")]


@pytest.mark.parametrize("cache_name", ["memory", "redis"])
def test_the_limit_keys_on_the_address_num_proxies_names(
    clock, rates, settings, api_client, cache_name
):
    # One trusted proxy: the last X-Forwarded-For entry is the client.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    with backend(cache_name):
        same_client = [
            api_client.get(
                EXERCISES, HTTP_X_FORWARDED_FOR=f"{spoof}, 10.9.9.9"
            ).status_code
            for spoof in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4")
        ]
        another = api_client.get(EXERCISES, HTTP_X_FORWARDED_FOR="10.9.9.8")

    assert same_client == [200, 200, 200, 429]
    assert another.status_code == 200


class RedisCommands:
    """The round trips to Redis: per write to the socket, the commands it carried."""

    def __init__(self, monkeypatch) -> None:
        self.sent: list[list[str]] = []
        packed: list[str] = []
        real_one = AbstractConnection.send_command
        real_many = AbstractConnection.pack_commands
        real_send = AbstractConnection.send_packed_command

        def send_command(connection: Any, *args: Any, **kwargs: Any) -> Any:
            packed.append(str(args[0]))
            return real_one(connection, *args, **kwargs)

        def pack_commands(connection: Any, commands: Any) -> Any:
            packed.extend(str(command[0]) for command in commands)
            return real_many(connection, commands)

        def send(connection: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
            self.sent.append(packed[:])
            packed.clear()
            return real_send(connection, command, *args, **kwargs)

        monkeypatch.setattr(AbstractConnection, "send_command", send_command)
        monkeypatch.setattr(AbstractConnection, "pack_commands", pack_commands)
        monkeypatch.setattr(AbstractConnection, "send_packed_command", send)


@needs_redis
@pytest.mark.parametrize("who", ["anonymous", "patient"])
@pytest.mark.parametrize(
    "path",
    [
        "exercises/{exercise}/",
        "exercises/",
        "routines/{routine}/",
        "routines/",
        "muscles/",
    ],
)
def test_a_cached_catalog_read_is_one_redis_round_trip(monkeypatch, who, path):
    url = "/api/v1/" + path.format(
        exercise=ExerciseFactory().pk, routine=RoutineFactory().pk
    )
    client = APIClient() if who == "anonymous" else client_for(PatientFactory())
    with on_redis():
        first = client.get(url)  # a miss: stored
        commands = RedisCommands(monkeypatch)
        again = client.get(url)

        assert first.status_code == again.status_code == 200
        assert again.content == first.content
        assert again["ETag"] == first["ETag"]
        # The throttles' script, and the cache's token and entry: one write.
        assert commands.sent == [["EVALSHA", "MGET"]]


@needs_redis
def test_a_catalog_change_is_visible_on_the_next_read(api_client):
    exercise = ExerciseFactory(name="Bridge")
    with on_redis():
        assert api_client.get(f"{EXERCISES}{exercise.pk}/").json()["name"] == "Bridge"
        assert api_client.get(f"{EXERCISES}{exercise.pk}/").json()["name"] == "Bridge"
        exercise.name = "Glute bridge"
        exercise.save()

        assert (
            api_client.get(f"{EXERCISES}{exercise.pk}/").json()["name"]
            == "Glute bridge"
        )


@needs_redis
def test_the_count_is_shared_with_other_processes(clock, rates, api_client):
    """Another process's requests (written to Redis directly here) count too."""
    with on_redis():
        assert api_client.get(EXERCISES, REMOTE_ADDR="10.0.0.3").status_code == 200
        other_process = redis.Redis.from_url(TEST_REDIS)
        key = cache.make_key("throttle_anon_10.0.0.3")
        # What this process recorded is there for the others to read...
        assert [float(t) for t in other_process.lrange(key, 0, -1)] == [clock[0]]
        # ...and what they record counts here.
        other_process.lpush(key, repr(clock[0]), repr(clock[0]))
        refused = api_client.get(EXERCISES, REMOTE_ADDR="10.0.0.3")

    assert answer(refused) == (429, "60")


@needs_redis
def test_a_history_left_by_drf_throttles_is_replaced(clock, rates, api_client):
    """Before this module, DRF stored a pickled list under the same key."""
    with on_redis():
        cache.set("throttle_anon_10.0.0.4", [clock[0]] * 5, 60)

        assert api_client.get(EXERCISES, REMOTE_ADDR="10.0.0.4").status_code == 200


def test_with_redis_down_requests_are_not_limited(clock, rates, api_client):
    exercise = ExerciseFactory()
    with override_settings(CACHES=redis_cache(f"redis://{CLOSED}/0")):
        statuses = [
            api_client.get(f"{EXERCISES}{exercise.pk}/").status_code for _ in range(5)
        ]

    assert statuses == [200] * 5


@needs_redis
@pytest.mark.parametrize("path", ["exercises/", "muscles/"])
def test_a_redis_that_lost_the_script_gets_it_again(monkeypatch, path):
    """After a restart or SCRIPT FLUSH, Redis answers NOSCRIPT: the script is loaded
    and the round trip sent again, the read answered as before."""
    client = APIClient()
    with on_redis():
        first = client.get(f"/api/v1/{path}")  # a miss: stored
        Redis.from_url(TEST_REDIS).script_flush()
        commands = RedisCommands(monkeypatch)
        again = client.get(f"/api/v1/{path}")
        after = client.get(f"/api/v1/{path}")
        sent = commands.sent[:]

    assert first.status_code == again.status_code == after.status_code == 200
    assert again.content == after.content == first.content
    assert sent == [
        ["EVALSHA", "MGET"],  # NOSCRIPT
        ["SCRIPT LOAD"],
        ["EVALSHA", "MGET"],
        ["EVALSHA", "MGET"],  # the next request: one round trip again
    ]
