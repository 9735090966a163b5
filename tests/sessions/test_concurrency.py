"""Concurrent requests against PostgreSQL: retries never duplicate, revisions never collide.

Each test starts N threads behind a barrier, each with its own APIClient and so its own
database connection (closed when the thread ends), and fires the requests at once.
SQLite serializes whole-database writes and cannot show these races; the tests skip there.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from importlib import import_module
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from rest_framework.test import APIClient

from sessions.models import Session, SessionExercise
from sessions.selectors.logs import patient_sync_revision
from tests.factories import ExerciseFactory, PatientFactory
from users.models import User

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks"
    ),
    pytest.mark.django_db(transaction=True),
]

URL = "/api/v1/sessions/"
THREADS = 8


@pytest.fixture(scope="module", autouse=True)
def _restore_data_migrations(django_db_setup, django_db_blocker):
    """Put back what data migrations created once these tests are done.

    pytest-django empties every table after a transactional test (content types and
    permissions come back through post_migrate, the Clinicians group does not), and
    with --reuse-db the emptied database would outlive this run.
    """
    yield
    with django_db_blocker.unblock():
        executor = MigrationExecutor(connection)
        target = ("exercises", "0003_clinicians_group")
        state = executor.loader.project_state(target)
        migration = import_module("exercises.migrations.0003_clinicians_group")
        migration.create_group(state.apps, None)


def race(requests: list[Callable[[APIClient], Any]], users: list[User]) -> list[Any]:
    """Run each request in its own thread, all released at once; return the responses."""
    barrier = threading.Barrier(len(requests))
    responses: list[Any] = [None] * len(requests)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            client = APIClient()
            client.force_authenticate(user=users[index])
            barrier.wait(timeout=10)
            responses[index] = requests[index](client)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connection.close()  # this thread's connection; the test DB must be droppable

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return responses


def body_for(exercise, session_id: str | None = None, **fields: Any) -> dict[str, Any]:
    started = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
    return {
        "id": session_id or str(uuid.uuid4()),
        "started_at": started.isoformat(),
        "ended_at": (started + dt.timedelta(minutes=20)).isoformat(),
        "pain_before": 4,
        "pain_after": 2,
        "exercises": [{"exercise": str(exercise.pk), "sets": [{"reps": 10}] * 3}],
        **fields,
    }


def post(body: dict[str, Any]) -> Callable[[APIClient], Any]:
    return lambda client: client.post(URL, body, format="json")


def test_simultaneous_retries_store_one_session():
    patient = PatientFactory()
    body = body_for(ExerciseFactory())

    responses = race([post(body)] * THREADS, [patient] * THREADS)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 200: THREADS - 1}
    bodies = [response.json() for response in responses]
    assert all(data == bodies[0] for data in bodies)
    assert Session.objects.count() == 1
    assert SessionExercise.objects.count() == 1
    assert patient_sync_revision(patient_id=patient.pk) == 1


def test_simultaneous_different_bodies_with_one_id_store_one_and_conflict_the_rest():
    patient = PatientFactory()
    exercise = ExerciseFactory()
    session_id = str(uuid.uuid4())
    bodies = [body_for(exercise, session_id, effort=index) for index in range(THREADS)]

    responses = race([post(body) for body in bodies], [patient] * THREADS)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: THREADS - 1}
    winner = next(
        i for i, response in enumerate(responses) if response.status_code == 201
    )
    assert Session.objects.get().effort == bodies[winner]["effort"]
    assert all(
        response.json()["code"] == "conflict"
        for response in responses
        if response.status_code == 409
    )


def test_simultaneous_uploads_of_one_id_by_different_patients_never_mix():
    patients = [PatientFactory() for _ in range(THREADS)]
    body = body_for(ExerciseFactory())

    responses = race([post(body)] * THREADS, patients)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: THREADS - 1}
    winner = next(
        i for i, response in enumerate(responses) if response.status_code == 201
    )
    assert Session.objects.get().patient_id == patients[winner].pk


def test_simultaneous_new_sessions_get_distinct_consecutive_revisions():
    patient = PatientFactory()
    exercise = ExerciseFactory()
    bodies = [body_for(exercise) for _ in range(THREADS)]

    responses = race([post(body) for body in bodies], [patient] * THREADS)

    assert {response.status_code for response in responses} == {201}
    revisions = sorted(response.json()["revision"] for response in responses)
    assert revisions == list(range(1, THREADS + 1))
    assert patient_sync_revision(patient_id=patient.pk) == THREADS


def test_simultaneous_edits_with_one_etag_let_exactly_one_through():
    patient = PatientFactory()
    body = body_for(ExerciseFactory())
    creator = APIClient()
    creator.force_authenticate(user=patient)
    etag = creator.post(URL, body, format="json")["ETag"]

    def edit(effort: int) -> Callable[[APIClient], Any]:
        return lambda client: client.patch(
            f"{URL}{body['id']}/",
            {"effort": effort},
            format="json",
            headers={"If-Match": etag},
        )

    responses = race([edit(effort) for effort in range(THREADS)], [patient] * THREADS)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 1, 412: THREADS - 1}
    stored = Session.objects.get()
    assert stored.version == 2
    winner = next(
        i for i, response in enumerate(responses) if response.status_code == 200
    )
    assert stored.effort == winner
