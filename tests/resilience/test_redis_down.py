"""Redis down: the API keeps serving, with rate limiting off until Redis is back.

Redis holds only rate-limit counters and caches (django-redis with IGNORE_EXCEPTIONS,
1 s socket timeouts), so losing it degrades the service rather than stopping it; the
web processes reconnect by themselves when it returns (docs/deployment.md).
"""

from __future__ import annotations

from sessions.models import Session
from tests.resilience.live import (
    ANON_LIMIT,
    Cluster,
    live,
    redis_alive,
    redis_down,
    upload_body,
    wait_for,
)

pytestmark = live

FAST = 2.0  # seconds: no request may wait long on a Redis that is not there


def test_with_redis_down_the_api_serves_without_rate_limits_and_recovers(
    cluster: Cluster, uploader
):
    body = upload_body(uploader.exercise.pk)
    with redis_down():
        assert not redis_alive()
        reads = [
            server.call("GET", "/api/v1/exercises/")
            for server in cluster.servers
            for _ in range(ANON_LIMIT)
        ]
        upload = cluster.a.call(
            "POST", "/api/v1/sessions/", body=body, token=uploader.token
        )
        retry = cluster.b.call(
            "POST", "/api/v1/sessions/", body=body, token=uploader.token
        )
        ready = [server.call("GET", "/readyz") for server in cluster.servers]

    # Degraded: twice the anonymous limit went through, every answer fast.
    assert [answer.status for answer in reads] == [200] * (2 * ANON_LIMIT)
    assert max(answer.elapsed for answer in [*reads, upload, retry]) < FAST
    # Writes and their idempotency do not depend on Redis.
    assert (upload.status, retry.status) == (201, 200)
    assert Session.objects.filter(pk=body["id"]).count() == 1
    # Still ready (Redis is not a readiness condition), and saying why it is degraded.
    assert [answer.status for answer in ready] == [200, 200]
    assert {answer.json()["checks"]["cache"] for answer in ready} == {"unavailable"}

    # Back: the same processes count requests in Redis again and limit them.
    wait_for(
        lambda: cluster.a.call("GET", "/readyz").json()["checks"]["cache"] == "ok",
        10,
        "the cache check to pass again",
    )
    cluster.redis().flushdb()
    statuses = [
        cluster.servers[i % 2].call("GET", "/api/v1/exercises/").status
        for i in range(ANON_LIMIT + 1)
    ]
    assert statuses == [200] * ANON_LIMIT + [429]
    assert list(cluster.redis().scan_iter("*throttle_anon*"))
