"""Two web processes on one PostgreSQL and one Redis behave as one service.

Nothing a request relies on lives in a process: idempotent uploads are serialized by
PostgreSQL row locks, ETags come from the database, rate-limit counters from Redis.
This is what lets the web tier scale out behind a load balancer (docs/deployment.md).
"""

from __future__ import annotations

from collections import Counter

from sessions.models import Session, SessionExercise, SessionSet
from sessions.selectors.logs import patient_sync_revision
from tests.resilience.live import ANON_LIMIT, Cluster, at_once, live, upload_body

pytestmark = live

URL = "/api/v1/sessions/"
COPIES = 8  # half to each process


def test_the_same_upload_sent_to_two_processes_at_once_is_stored_once(
    cluster: Cluster, uploader
):
    body = upload_body(uploader.exercise.pk)
    servers = [cluster.a, cluster.b] * (COPIES // 2)

    answers = at_once(
        [
            (
                lambda server=server: server.call(
                    "POST", URL, body=body, token=uploader.token
                )
            )
            for server in servers
        ]
    )

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {201: 1, 200: COPIES - 1}, [a.body[:200] for a in answers]
    stored = [answer.json() for answer in answers]
    assert all(data == stored[0] for data in stored)
    assert len({answer.headers["etag"] for answer in answers}) == 1
    assert Session.objects.filter(patient=uploader.patient).count() == 1
    assert SessionExercise.objects.filter(session_id=body["id"]).count() == 1
    assert (
        SessionSet.objects.filter(session_exercise__session_id=body["id"]).count() == 3
    )
    assert patient_sync_revision(patient_id=uploader.patient.pk) == 1


def test_a_session_written_through_one_process_is_edited_through_the_other(
    cluster: Cluster, uploader
):
    body = upload_body(uploader.exercise.pk)
    created = cluster.a.call("POST", URL, body=body, token=uploader.token)
    path = f"{URL}{body['id']}/"

    read = cluster.b.call("GET", path, token=uploader.token)
    edited = cluster.b.call(
        "PATCH",
        path,
        body={"pain_after": 1},
        token=uploader.token,
        headers={"If-Match": created.headers["etag"]},
    )
    stale = cluster.a.call(
        "PATCH",
        path,
        body={"pain_after": 3},
        token=uploader.token,
        headers={"If-Match": created.headers["etag"]},
    )

    assert created.status == 201
    assert read.status == 200
    assert read.headers["etag"] == created.headers["etag"]
    assert edited.status == 200
    assert stale.status == 412
    assert stale.is_problem
    assert Session.objects.get(pk=body["id"]).pain_after == 1


def test_rate_limits_count_requests_to_both_processes_together(cluster: Cluster):
    half = ANON_LIMIT // 2
    first = [cluster.a.call("GET", "/api/v1/exercises/") for _ in range(half)]
    second = [cluster.b.call("GET", "/api/v1/exercises/") for _ in range(half)]

    over_a = cluster.a.call("GET", "/api/v1/exercises/")
    over_b = cluster.b.call("GET", "/api/v1/exercises/")

    assert [answer.status for answer in first + second] == [200] * ANON_LIMIT
    assert (over_a.status, over_b.status) == (429, 429)
    assert over_a.is_problem
    assert int(over_a.headers["retry-after"]) > 0
    assert list(cluster.redis().scan_iter("*throttle_anon*"))
