"""A request stuck on the database is cut off by statement_timeout and answers 503.

Production settings pass ``statement_timeout`` to PostgreSQL (DATABASE_STATEMENT_TIMEOUT_MS,
3 s for these servers), so a query waiting on a lock or a slow plan is cancelled and the
request answers a 503 problem with Retry-After, well before gunicorn's worker timeout,
instead of holding a worker thread. Here an upload waits on its patient's sync counter
(every session write locks it first), which another connection keeps locked.
"""

from __future__ import annotations

import time

import psycopg

from sessions.models import PatientSyncState, Session
from tests.resilience.live import (
    CLIENT_TIMEOUT,
    STATEMENT_TIMEOUT_MS,
    Cluster,
    database_url,
    live,
    upload_body,
)

pytestmark = live

URL = "/api/v1/sessions/"


def test_an_upload_stuck_on_a_lock_answers_503_after_the_statement_timeout(
    cluster: Cluster, uploader
):
    body = upload_body(uploader.exercise.pk)
    PatientSyncState.objects.get_or_create(patient=uploader.patient)
    with psycopg.connect(database_url()) as blocker:
        # Held until the block ends: every upload of this patient waits on this row.
        blocker.execute(
            f"SELECT revision FROM {PatientSyncState._meta.db_table} "
            "WHERE patient_id = %s FOR UPDATE",
            [uploader.patient.pk],
        )
        started = time.monotonic()
        stuck = cluster.a.call("POST", URL, body=body, token=uploader.token)
        waited = time.monotonic() - started
        readable = cluster.b.call("GET", "/api/v1/exercises/")
    retried = cluster.b.call("POST", URL, body=body, token=uploader.token)

    assert stuck.status == 503
    assert stuck.is_problem
    assert stuck.json()["code"] == "service_unavailable"
    assert int(stuck.headers["retry-after"]) > 0
    assert STATEMENT_TIMEOUT_MS / 1000 <= waited < CLIENT_TIMEOUT
    # Only that patient's writes waited; the rest of the service did not.
    assert readable.status == 200
    # The cancelled upload left nothing behind, and its retry goes through.
    assert retried.status == 201
    assert Session.objects.filter(pk=body["id"]).count() == 1
