"""Every read of a patient's data by someone else leaves one access-log row per patient.

Reads by a clinician (or an admin) through the API of plans, sessions, progress and
the patients list write exactly one PatientAccessLog row per patient per request,
however many of that patient's rows the response holds, naming the reader, the
patient, the action and the request path. Patients reading their own data, and reads
that return nothing of a patient (404, an empty filter), write none.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.models import Status
from sessions.models import PatientSyncState, Plan, Session
from tests.conftest import client_for
from tests.factories import (
    AdminFactory,
    CareRelationshipFactory,
    ClinicianFactory,
    ExerciseFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
    SessionExerciseFactory,
    SessionFactory,
    SessionSetFactory,
)
from users.models import PatientAccessLog, User

pytestmark = pytest.mark.django_db

API = "/api/v1"


def log_rows() -> set[tuple[Any, Any, str, str]]:
    return set(
        PatientAccessLog.objects.values_list("actor_id", "patient_id", "action", "path")
    )


@pytest.fixture
def patients() -> dict[str, User]:
    """Two patients with several plans and sessions each (rows per patient > 1)."""
    cast = {"a": PatientFactory(), "b": PatientFactory()}
    for patient, count in ((cast["a"], 3), (cast["b"], 2)):
        for _ in range(count):
            plan = PlanFactory(patient=patient)
            PlanItemFactory(plan=plan)
            SessionFactory(patient=patient, plan=plan)
        PatientSyncState.objects.create(patient=patient, revision=10_000)
    return cast


@pytest.fixture
def reader(patients) -> User:
    """A clinician caring for both patients."""
    clinician = ClinicianFactory()
    for patient in patients.values():
        CareRelationshipFactory(clinician=clinician, patient=patient)
    return clinician


def first_plan(patient: User) -> str:
    return str(
        Plan.objects.filter(patient=patient).order_by("created_at", "pk").first().pk
    )


def first_session(patient: User) -> str:
    return str(
        Session.objects.filter(patient=patient).order_by("started_at", "pk").first().pk
    )


# (label, url builder, query builder, action, patients the response is about)
READS_OF_BOTH = [
    ("plans list", lambda p: f"{API}/plans/", lambda p: {}, "plans.list"),
    ("sessions list", lambda p: f"{API}/sessions/", lambda p: {}, "sessions.list"),
    ("patients list", lambda p: f"{API}/patients/", lambda p: {}, "patients.list"),
]
READS_OF_A = [
    (
        "plans list ?patient=",
        lambda p: f"{API}/plans/",
        lambda p: {"patient": str(p["a"].pk)},
        "plans.list",
    ),
    (
        "plan detail",
        lambda p: f"{API}/plans/{first_plan(p['a'])}/",
        lambda p: {},
        "plans.retrieve",
    ),
    (
        "sessions list ?patient=",
        lambda p: f"{API}/sessions/",
        lambda p: {"patient": str(p["a"].pk)},
        "sessions.list",
    ),
    (
        "sessions sync",
        lambda p: f"{API}/sessions/",
        lambda p: {"patient": str(p["a"].pk), "updated_since": "0"},
        "sessions.list",
    ),
    (
        "session detail",
        lambda p: f"{API}/sessions/{first_session(p['a'])}/",
        lambda p: {},
        "sessions.retrieve",
    ),
    (
        "progress",
        lambda p: f"{API}/progress/",
        lambda p: {"patient": str(p["a"].pk)},
        "progress.retrieve",
    ),
    (
        "patient detail",
        lambda p: f"{API}/patients/{p['a'].pk}/",
        lambda p: {},
        "patients.retrieve",
    ),
]


@pytest.mark.parametrize(
    ("url", "query", "action"),
    [case[1:] for case in READS_OF_BOTH],
    ids=[case[0] for case in READS_OF_BOTH],
)
def test_a_clinician_listing_two_patients_writes_one_row_per_patient(
    patients, reader, url, query, action
):
    response = client_for(reader).get(url(patients), query(patients))

    assert response.status_code == 200
    path = url(patients)
    assert log_rows() == {
        (reader.pk, patients["a"].pk, action, path),
        (reader.pk, patients["b"].pk, action, path),
    }
    assert PatientAccessLog.objects.count() == 2


@pytest.mark.parametrize(
    ("url", "query", "action"),
    [case[1:] for case in READS_OF_A],
    ids=[case[0] for case in READS_OF_A],
)
def test_a_clinician_reading_one_patient_writes_one_row(
    patients, reader, url, query, action
):
    response = client_for(reader).get(url(patients), query(patients))

    assert response.status_code == 200
    assert log_rows() == {(reader.pk, patients["a"].pk, action, url(patients))}
    assert PatientAccessLog.objects.count() == 1


@pytest.mark.parametrize(
    ("url", "query", "action"),
    [case[1:] for case in READS_OF_BOTH + READS_OF_A],
    ids=[case[0] for case in READS_OF_BOTH + READS_OF_A],
)
def test_admin_reads_are_logged_too(patients, url, query, action):
    admin = AdminFactory()

    response = client_for(admin).get(url(patients), query(patients))

    assert response.status_code == 200
    logged = log_rows()
    assert (admin.pk, patients["a"].pk, action, url(patients)) in logged
    assert {actor for actor, *_ in logged} == {admin.pk}


def test_every_request_is_logged_again(patients, reader):
    client = client_for(reader)

    client.get(f"{API}/sessions/")
    client.get(f"{API}/sessions/")

    assert PatientAccessLog.objects.filter(patient=patients["a"]).count() == 2
    assert PatientAccessLog.objects.filter(patient=patients["b"]).count() == 2


OWN_READS = [
    (f"{API}/plans/", {}),
    (f"{API}/sessions/", {}),
    (f"{API}/sessions/", {"updated_since": "0"}),
    (f"{API}/progress/", {}),
    (f"{API}/me/", {}),
    (f"{API}/me/export/", {}),
]


@pytest.mark.parametrize(("url", "query"), OWN_READS)
def test_a_patient_reading_their_own_data_writes_nothing(patients, url, query):
    response = client_for(patients["a"]).get(url, query)

    assert response.status_code == 200
    assert PatientAccessLog.objects.count() == 0


@pytest.mark.parametrize("kind", ["plan", "session"])
def test_a_patient_reading_their_own_detail_writes_nothing(patients, kind):
    pk = (first_plan if kind == "plan" else first_session)(patients["a"])

    response = client_for(patients["a"]).get(f"{API}/{kind}s/{pk}/")

    assert response.status_code == 200
    assert PatientAccessLog.objects.count() == 0


def test_a_clinician_exporting_their_own_account_writes_nothing(reader):
    response = client_for(reader).get(f"{API}/me/export/")

    assert response.status_code == 200
    assert PatientAccessLog.objects.count() == 0


HIDDEN_READS = [
    ("plan detail", lambda p: f"{API}/plans/{first_plan(p['a'])}/", {}, 404),
    ("session detail", lambda p: f"{API}/sessions/{first_session(p['a'])}/", {}, 404),
    ("patient detail", lambda p: f"{API}/patients/{p['a'].pk}/", {}, 404),
    ("progress", lambda p: f"{API}/progress/", {"patient": "a"}, 404),
    ("plans ?patient=", lambda p: f"{API}/plans/", {"patient": "a"}, 200),
    ("sessions ?patient=", lambda p: f"{API}/sessions/", {"patient": "a"}, 200),
    ("patients list", lambda p: f"{API}/patients/", {}, 200),
]


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [case[1:] for case in HIDDEN_READS],
    ids=[case[0] for case in HIDDEN_READS],
)
def test_reads_that_return_nothing_of_a_patient_write_nothing(
    patients, url, query, expected
):
    """A clinician of nobody: 404 or an empty list, and no row about anyone."""
    params = {name: str(patients[value].pk) for name, value in query.items()}

    response = client_for(ClinicianFactory()).get(url(patients), params)

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["results"] == []
    assert PatientAccessLog.objects.count() == 0


# ---------------------------------------------------------------------------
# Query counts: the log costs one INSERT per request, whatever the patients
# ---------------------------------------------------------------------------
def _patients_in_care(clinician: User, count: int) -> None:
    for _ in range(count):
        patient = PatientFactory()
        CareRelationshipFactory(clinician=clinician, patient=patient)
        plan = PlanFactory(patient=patient)
        item = PlanItemFactory(plan=plan)
        session = SessionFactory(patient=patient, plan=plan)
        entry = SessionExerciseFactory(
            session=session, exercise=item.exercise, plan_item=item
        )
        SessionSetFactory(session_exercise=entry)


@pytest.mark.parametrize("count", [2, 10])
def test_clinician_sessions_list_query_count_does_not_grow_with_patients(
    django_assert_num_queries, count
):
    clinician = ClinicianFactory()
    _patients_in_care(clinician, count)
    client = client_for(clinician)

    # page of sessions (care subquery), exercises (+ exercise join), sets, one
    # access-log INSERT for every patient (the sessions API runs outside
    # ATOMIC_REQUESTS: no savepoint and release).
    with django_assert_num_queries(4):
        response = client.get(f"{API}/sessions/")

    assert len(response.json()["results"]) == count
    assert PatientAccessLog.objects.count() == count


@pytest.mark.parametrize(
    "url", [f"{API}/sessions/", f"{API}/plans/", f"{API}/patients/"]
)
def test_clinician_list_query_count_is_the_same_for_2_and_10_patients(url):
    clinician = ClinicianFactory()
    client = client_for(clinician)
    _patients_in_care(clinician, 2)
    client.get(url)  # warm-up: content types and other per-process caches

    with CaptureQueriesContext(connection) as two:
        assert len(client.get(url).json()["results"]) == 2
    _patients_in_care(clinician, 8)
    with CaptureQueriesContext(connection) as ten:
        assert len(client.get(url).json()["results"]) == 10

    assert len(ten) == len(two)
    inserts = [
        query["sql"]
        for query in ten.captured_queries
        if query["sql"].startswith("INSERT") and "access" in query["sql"].lower()
    ]
    assert len(inserts) == 1


def test_a_clinicians_plan_writes_are_logged_as_reads_of_their_answers(
    patients, reader
):
    """POST and PATCH plans/ answer with the patient's plan: one row each (issue 10, 9)."""
    exercise = ExerciseFactory(status=Status.PUBLISHED)
    client = client_for(reader)
    created = client.post(
        f"{API}/plans/",
        {
            "patient": str(patients["a"].pk),
            "title": "Knee course",
            "items": [{"exercise": str(exercise.pk), "sets": 3, "reps": 10}],
            "start_date": "2026-11-02",
            "days_of_week": [1, 4],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    plan_path = f"{API}/plans/{created.json()['id']}/"
    changed = client.patch(plan_path, {"title": "Knee course, week 3"}, format="json")
    assert changed.status_code == 200, changed.content

    assert log_rows() == {
        (reader.pk, patients["a"].pk, "plans.create", f"{API}/plans/"),
        (reader.pk, patients["a"].pk, "plans.partial_update", plan_path),
    }


def test_many_rows_are_one_insert_per_batch_the_database_accepts(monkeypatch):
    """access_log_record_many: one INSERT for a page of patients, split only where the
    database limits a statement's parameters (SQLite); each row complete."""
    from users.services import access_log_record_many

    reader = ClinicianFactory()
    seen = [PatientFactory() for _ in range(5)]
    ids = [p.pk for p in seen] + [seen[0].pk, reader.pk]  # a repeat and the reader

    with CaptureQueriesContext(connection) as one_batch:
        access_log_record_many(
            actor=reader, patient_ids=ids, action="alerts.list", path="/a/?q=x"
        )
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    with CaptureQueriesContext(connection) as batches:
        access_log_record_many(
            actor=reader, patient_ids=ids, action="alerts.list", path="/b/"
        )

    assert [q["sql"].startswith("INSERT") for q in one_batch] == [True]
    assert len(batches) == 3  # 5 rows, 2 per statement
    rows = list(PatientAccessLog.objects.order_by("path", "id"))
    assert [(r.actor_id, r.patient_id, r.action, r.path) for r in rows] == [
        (reader.pk, p.pk, "alerts.list", path) for path in ("/a/", "/b/") for p in seen
    ]
    assert all(r.created_at is not None for r in rows)
