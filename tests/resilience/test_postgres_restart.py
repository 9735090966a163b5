"""PostgreSQL restarted under a load of uploads: errors while down, no hangs, no loss.

Clients behave like the app (docs/sync.md): each session keeps its id, and an upload
that got no answer or a 5xx is retried with the same id until it gets 200 or 201.
The web processes are not restarted: stale pooled connections are dropped by
CONN_HEALTH_CHECKS and new ones made once PostgreSQL is back.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sessions.models import Session, SessionExercise
from tests.resilience.live import (
    CLIENT_TIMEOUT,
    Answer,
    Cluster,
    live,
    postgres_stopped,
    upload_body,
    wait_for,
)

pytestmark = live

URL = "/api/v1/sessions/"
CLIENTS = 6
WARM_UP = 2 * CLIENTS  # uploads acknowledged before the stop
DOWN_FOR = 3.0  # seconds PostgreSQL stays down
LOAD_AFTER = 2.0  # seconds of load once both processes are ready again
RECOVERY_LIMIT = 30.0  # seconds the processes may take to be ready again


@dataclass
class Load:
    """Upload traffic from CLIENTS threads, alternating between the two processes."""

    cluster: Cluster
    token: str
    exercise_id: str
    stop: threading.Event = field(default_factory=threading.Event)
    answers: list[tuple[str, Answer]] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # What the app keeps on the device: a retry sends the very same body (a session can
    # be stored while its answer is lost, e.g. PostgreSQL stopping as it is read back;
    # the same body then answers 200, another one 409).
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)

    def upload(self, session_id: str, turn: int) -> Answer:
        server = self.cluster.servers[turn % 2]
        with self.lock:
            body = self.bodies.setdefault(
                session_id, upload_body(self.exercise_id, session_id)
            )
        answer = server.call("POST", URL, body=body, token=self.token)
        with self.lock:
            self.answers.append((session_id, answer))
            if answer.status in (200, 201):
                self.acknowledged[session_id] = answer.status
                self.pending.discard(session_id)
            else:
                self.pending.add(session_id)
        return answer

    def client(self, number: int) -> None:
        turn = number
        session_id = str(uuid.uuid4())
        while not self.stop.is_set():
            answer = self.upload(session_id, turn)
            turn += 1
            if answer.status in (200, 201):
                session_id = str(uuid.uuid4())
            else:  # retry the same id, with a short backoff
                time.sleep(0.2)

    def run(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.client, args=(i,)) for i in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        return threads


def test_postgres_restart_under_load_answers_errors_recovers_and_loses_nothing(
    cluster: Cluster, uploader
):
    load = Load(cluster, uploader.token, str(uploader.exercise.pk))
    pids = [server.process.pid for server in cluster.servers]
    threads = load.run()
    probes_while_down: list[Answer] = []
    try:
        # Traffic flows before the stop (the first requests warm each worker up).
        wait_for(lambda: len(load.acknowledged) >= WARM_UP, 30, "uploads to flow")
        with postgres_stopped():
            down_since = time.monotonic()
            while time.monotonic() - down_since < DOWN_FOR:
                probes_while_down += [s.call("GET", "/readyz") for s in cluster.servers]
                time.sleep(0.3)
            marker = len(load.answers)
        recovery = max(
            wait_for(server.ready, RECOVERY_LIMIT, f"{server.name} ready again")
            for server in cluster.servers
        )
        time.sleep(0.5)  # requests already in flight when the probe passed finish
        recovered_at = len(load.answers)
        time.sleep(LOAD_AFTER)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)
    # Whatever was left unanswered is retried now, as the app would on its next sync.
    for session_id in sorted(load.pending):
        load.upload(session_id, 0)

    statuses = Counter(answer.status for _, answer in load.answers)
    errors = [answer for _, answer in load.answers if answer.status >= 500]
    down_answers = [answer for _, answer in load.answers[:marker]]
    after = [answer for _, answer in load.answers[recovered_at:]]

    timeline = [
        (answer.status, round(answer.elapsed, 2), answer.body[:80])
        for _, answer in load.answers
    ]
    # Errors were answered while PostgreSQL was down.
    assert statuses[503] > 0, timeline
    # Errors are clean problem documents asking for a retry, never a hang.
    assert all(answer.status in (200, 201, 503) for answer in down_answers), timeline
    assert all(answer.is_problem for answer in errors)
    assert all(answer.headers.get("retry-after") for answer in errors)
    assert max(answer.elapsed for _, answer in load.answers) < CLIENT_TIMEOUT
    assert all(answer.status != 0 for _, answer in load.answers), [
        answer.error for _, answer in load.answers if answer.status == 0
    ]
    assert probes_while_down
    assert all(probe.status == 503 for probe in probes_while_down)
    # Recovered by themselves: the same processes serve uploads again.
    assert recovery < RECOVERY_LIMIT
    assert [server.process.pid for server in cluster.servers] == pids
    assert all(server.process.poll() is None for server in cluster.servers)
    assert after
    assert all(answer.status in (200, 201) for answer in after), [
        (answer.status, answer.body[:160]) for answer in after if answer.status > 201
    ]
    # Every acknowledged upload is stored exactly once, nothing else is.
    assert not load.pending
    stored = list(
        Session.objects.filter(patient=uploader.patient).values_list("id", flat=True)
    )
    assert len(stored) == len(set(stored))
    assert {str(session_id) for session_id in stored} == set(load.acknowledged)
    assert SessionExercise.objects.filter(
        session__patient=uploader.patient
    ).count() == len(stored)
    revisions = sorted(
        Session.objects.filter(patient=uploader.patient).values_list(
            "revision", flat=True
        )
    )
    assert revisions == list(range(1, len(stored) + 1))
