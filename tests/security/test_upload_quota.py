"""Issue 10, finding 6: what one patient may upload in 24 hours is capped (sessions, sets).

Past either limit the upload is a 429 problem with its own code and Retry-After, and
nothing is stored; a retry of a session already stored still answers 200.
"""

from __future__ import annotations

import datetime as dt
import importlib
import uuid

import pytest
from django.apps import apps
from django.utils import timezone

from sessions.models import Session
from tests.conftest import client_for
from tests.factories import (
    ExerciseFactory,
    SessionExerciseFactory,
    SessionFactory,
    SessionSetFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/sessions/"


def a_session(exercise, sets: int = 1) -> dict:
    started = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)
    return {
        "id": str(uuid.uuid4()),
        "started_at": started.isoformat(),
        "exercises": [
            {
                "exercise": str(exercise.pk),
                "sets": [{"reps": 10} for _ in range(sets)],
            }
        ],
    }


@pytest.fixture
def exercise():
    return ExerciseFactory()


def test_the_session_limit_answers_429_with_its_own_code(patient, exercise, settings):
    settings.SESSION_UPLOAD_DAILY_MAX_SESSIONS = 3
    client = client_for(patient)
    bodies = [a_session(exercise) for _ in range(4)]

    statuses = [client.post(URL, body, format="json").status_code for body in bodies]
    refused = client.post(URL, bodies[3], format="json")

    assert statuses == [201, 201, 201, 429]
    assert refused.status_code == 429
    assert refused.json()["code"] == "upload_quota_exceeded"
    assert refused["Content-Type"] == "application/problem+json"
    assert 0 < int(refused["Retry-After"]) <= 24 * 3600
    assert not Session.objects.filter(pk=bodies[3]["id"]).exists()


def test_the_set_limit_counts_the_sets_already_stored_and_those_sent(
    patient, exercise, settings
):
    settings.SESSION_UPLOAD_DAILY_MAX_SETS = 30
    client = client_for(patient)

    first = client.post(URL, a_session(exercise, sets=20), format="json")
    too_many = client.post(URL, a_session(exercise, sets=11), format="json")
    just_enough = client.post(URL, a_session(exercise, sets=10), format="json")

    assert first.status_code == 201
    assert too_many.status_code == 429
    assert too_many.json()["code"] == "upload_quota_exceeded"
    assert just_enough.status_code == 201


def test_a_retry_of_a_stored_session_answers_200_past_the_limit(
    patient, exercise, settings
):
    settings.SESSION_UPLOAD_DAILY_MAX_SESSIONS = 1
    client = client_for(patient)
    body = a_session(exercise)

    first = client.post(URL, body, format="json")
    retry = client.post(URL, body, format="json")
    another = client.post(URL, a_session(exercise), format="json")

    assert [first.status_code, retry.status_code, another.status_code] == [
        201,
        200,
        429,
    ]


def test_deleting_sessions_gives_no_room_back_and_the_window_rolls(
    patient, exercise, settings
):
    settings.SESSION_UPLOAD_DAILY_MAX_SESSIONS = 2
    client = client_for(patient)
    # Stored 25 hours ago: outside the window.
    # (Factory revisions far above what the uploads below take.)
    old = SessionFactory(patient=patient, revision=10_000)
    Session.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    tombstone = SessionFactory(
        patient=patient, revision=10_001, deleted_at=timezone.now()
    )

    assert tombstone.is_deleted
    assert client.post(URL, a_session(exercise), format="json").status_code == 201
    assert client.post(URL, a_session(exercise), format="json").status_code == 429


def test_the_set_limit_counts_the_sets_as_stored_after_an_edit_or_a_delete(
    patient, exercise, settings
):
    settings.SESSION_UPLOAD_DAILY_MAX_SETS = 30
    client = client_for(patient)
    first = client.post(URL, a_session(exercise, sets=20), format="json")
    edited = client.patch(
        f"{URL}{first.json()['id']}/",
        {"exercises": a_session(exercise, sets=5)["exercises"]},
        format="json",
        headers={"If-Match": first["ETag"]},
    )

    def upload(sets: int) -> int:
        return client.post(URL, a_session(exercise, sets), format="json").status_code

    # 5 sets stored now: 25 more fit, 26 do not.
    assert edited.status_code == 200
    assert upload(26) == 429
    second = client.post(URL, a_session(exercise, sets=25), format="json")
    assert second.status_code == 201
    assert upload(1) == 429
    # A deleted session keeps its place among the sessions but stores no sets.
    assert client.delete(f"{URL}{second.json()['id']}/").status_code == 204
    assert upload(25) == 201
    assert sorted(Session.objects.values_list("set_count", flat=True)) == [0, 5, 25]


def test_the_migration_counts_the_sets_of_every_stored_session(patient):
    migration = importlib.import_module("sessions.migrations.0006_session_set_count")
    with_sets = SessionFactory(patient=patient, revision=1)
    for entry in SessionExerciseFactory.create_batch(2, session=with_sets):
        SessionSetFactory.create_batch(3, session_exercise=entry)
    without_sets = SessionFactory(patient=patient, revision=2)
    SessionExerciseFactory(session=without_sets)
    Session.objects.update(set_count=99)

    migration.count_stored_sets(apps, None)

    counts = dict(Session.objects.values_list("id", "set_count"))
    assert counts == {with_sets.pk: 6, without_sets.pk: 0}


def test_the_defaults_allow_a_heavy_real_day(settings):
    # 50 sessions and 5,000 sets a day: two sessions of 50 exercises x 50 sets fit.
    assert settings.SESSION_UPLOAD_DAILY_MAX_SESSIONS >= 50
    assert settings.SESSION_UPLOAD_DAILY_MAX_SETS >= 5000


def test_the_upload_limit_is_documented_in_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    upload = schema["paths"]["/api/v1/sessions/"]["post"]
    examples = upload["responses"]["429"]["content"]["application/problem+json"][
        "examples"
    ]

    assert any(
        example["value"]["code"] == "upload_quota_exceeded"
        for example in examples.values()
    )
