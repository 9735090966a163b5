"""Session logs over HTTP: upload (idempotent), read, edit (If-Match), delete, list, scoping."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from common.models import Status
from sessions.api.pagination import INVALID_CURSOR
from sessions.api.permissions import ONLY_PATIENTS_WRITE
from sessions.api.serializers import (
    IN_FUTURE,
    NAIVE_DATETIME,
    TOO_OLD,
    SessionSerializer,
)
from sessions.models import PatientSyncState, Session, SessionExercise, SessionSet
from sessions.selectors.logs import (
    CURSOR_AHEAD,
    PATIENT_REQUIRED_FOR_SYNC,
    patient_sync_revision,
)
from sessions.services.logs import (
    CONFLICT_DELETED,
    CONFLICT_OTHER_BODY,
    ENDED_BEFORE_STARTED,
    PLAN_ITEM_MISMATCH,
    PLAN_ITEM_WITHOUT_PLAN,
    SET_AMOUNT_REQUIRED,
    UNKNOWN_EXERCISE,
    UNKNOWN_PLAN,
    UNKNOWN_PLAN_ITEM,
)
from tests.conftest import client_for
from tests.factories import (
    CareRelationshipFactory,
    ExerciseFactory,
    ExerciseLinkFactory,
    PatientFactory,
    PlanFactory,
    PlanItemFactory,
    SessionExerciseFactory,
    SessionFactory,
    SessionSetFactory,
)
from users.models import PatientAccessLog

URL = "/api/v1/sessions/"


def detail_url(session_id: Any) -> str:
    return f"{URL}{session_id}/"


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def plan(patient):
    return PlanFactory(patient=patient)


@pytest.fixture
def item(plan):
    return PlanItemFactory(plan=plan)


@pytest.fixture
def started():
    return (timezone.now() - dt.timedelta(hours=3)).replace(microsecond=0)


@pytest.fixture
def body(plan, item, started) -> dict[str, Any]:
    """A full upload: one planned exercise with two sets, one free exercise skipped."""
    free = ExerciseFactory(slug="free-walk", name="Free walk")
    return {
        "id": str(uuid.uuid4()),
        "plan": str(plan.pk),
        "started_at": iso(started),
        "ended_at": iso(started + dt.timedelta(minutes=25)),
        "pain_before": 5,
        "pain_after": 3,
        "effort": 6,
        "notes": "Felt better after the bridges.",
        "exercises": [
            {
                "exercise": str(item.exercise_id),
                "plan_item": item.pk,
                "status": "done",
                "pain_during": 4,
                "notes": "Easy",
                "sets": [
                    {"side": "left", "reps": 10, "load": "light band"},
                    {"side": "right", "reps": 8, "seconds": 40, "completed": True},
                ],
            },
            {
                "exercise": str(free.pk),
                "status": "skipped",
                "sets": [{"completed": False}],
            },
        ],
    }


def counts() -> tuple[int, int, int]:
    return (
        Session.objects.count(),
        SessionExercise.objects.count(),
        SessionSet.objects.count(),
    )


def upload(client, body: dict[str, Any]):
    return client.post(URL, body, format="json")


# ---------------------------------------------------------------------------
# Upload
# ---------------------------------------------------------------------------
def test_upload_stores_session_with_exercises_and_sets(
    patient, patient_client, body, item
):
    response = upload(patient_client, body)

    assert response.status_code == 201
    data = response.json()
    assert data["id"] == body["id"]
    assert data["plan"] == body["plan"]
    assert data["started_at"] == body["started_at"]
    assert (data["pain_before"], data["pain_after"], data["effort"]) == (5, 3, 6)
    assert data["version"] == 1
    assert data["revision"] == 1
    assert data["deleted"] is False
    first, second = data["exercises"]
    assert first["exercise"] == {
        "id": str(item.exercise_id),
        "slug": item.exercise.slug,
        "name": item.exercise.name,
    }
    assert first["plan_item"] == item.pk
    assert (first["order"], first["status"], first["pain_during"]) == (0, "done", 4)
    assert first["sets"] == [
        {
            "order": 0,
            "side": "left",
            "reps": 10,
            "seconds": None,
            "load": "light band",
            "band": "",
            "completed": True,
        },
        {
            "order": 1,
            "side": "right",
            "reps": 8,
            "seconds": 40,
            "load": "",
            "band": "",
            "completed": True,
        },
    ]
    assert second["exercise"]["slug"] == "free-walk"
    assert second["plan_item"] is None
    assert second["sets"][0]["completed"] is False
    assert response["ETag"] == f'"{body["id"]}-1"'
    assert response["Location"] == detail_url(body["id"])
    assert counts() == (1, 2, 3)
    assert patient_sync_revision(patient_id=patient.pk) == 1


def test_an_uploads_answer_is_the_session_as_a_read_returns_it(
    patient_client, body, item
):
    """The answer is built from the rows just inserted (not read back): defaults (a
    set's side, an exercise's status), a swap's kind and an exercise outside the plan
    come out as a later read gives them."""
    easier = ExerciseFactory(status=Status.DRAFT)
    ExerciseLinkFactory(exercise=item.exercise, target=easier, kind="regression")
    body["exercises"].append(
        {"exercise": str(easier.pk), "plan_item": item.pk, "sets": [{"reps": 3}]}
    )
    del body["exercises"][0]["status"]

    answer = upload(patient_client, body)
    read = patient_client.get(detail_url(body["id"]))

    assert answer.status_code == 201
    assert read.status_code == 200
    assert answer.content == read.content
    third = answer.json()["exercises"][2]
    assert (third["substitution"], third["status"]) == ("regression", "done")
    assert third["sets"][0]["side"] == "both"


def test_upload_retry_returns_stored_session_with_200_and_no_duplicate(
    patient_client, body
):
    first = upload(patient_client, body)
    retry = upload(patient_client, body)

    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["ETag"] == first["ETag"]
    assert counts() == (1, 2, 3)


def test_upload_retry_spelled_differently_is_the_same_upload(
    patient_client, body, started
):
    upload(patient_client, body)
    # Keys reversed, no optional defaults, an offset instead of Z, extra whitespace.
    respelled = {key: body[key] for key in reversed(list(body))}
    respelled["started_at"] = started.astimezone(
        dt.timezone(dt.timedelta(hours=2))
    ).isoformat()
    respelled["exercises"] = json.loads(json.dumps(body["exercises"]))
    del respelled["exercises"][0]["sets"][0]["side"]
    respelled["exercises"][0]["sets"][0]["side"] = "left"
    respelled["exercises"][1]["sets"][0] = {"completed": False, "side": "both"}
    raw = json.dumps(respelled, indent=4)

    response = patient_client.post(URL, raw, content_type="application/json")

    assert response.status_code == 200
    assert counts() == (1, 2, 3)


def test_upload_omitting_defaults_matches_explicit_defaults(patient_client, started):
    exercise = ExerciseFactory()
    session_id = str(uuid.uuid4())
    minimal = {
        "id": session_id,
        "started_at": iso(started),
        "exercises": [{"exercise": str(exercise.pk), "sets": [{"reps": 5}]}],
    }
    explicit = {
        **minimal,
        "plan": None,
        "ended_at": None,
        "pain_before": None,
        "notes": "",
        "exercises": [
            {
                "exercise": str(exercise.pk),
                "plan_item": None,
                "status": "done",
                "notes": "",
                "sets": [{"reps": 5, "side": "both", "completed": True, "load": ""}],
            }
        ],
    }

    assert upload(patient_client, minimal).status_code == 201
    assert upload(patient_client, explicit).status_code == 200


def test_upload_same_id_with_other_body_is_409_and_changes_nothing(
    patient_client, body
):
    upload(patient_client, body)
    changed = {**body, "pain_after": 1}

    response = upload(patient_client, changed)

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "conflict"
    assert problem["detail"] == CONFLICT_OTHER_BODY
    assert Session.objects.get().pain_after == 3
    assert counts() == (1, 2, 3)


def test_upload_of_another_patients_id_is_409_without_revealing_it(other_patient, body):
    theirs = SessionFactory(id=body["id"], patient=other_patient, notes="private")
    intruder = PatientFactory()
    body = {**body, "plan": None, "exercises": []}

    response = upload(client_for(intruder), body)

    assert response.status_code == 409
    problem = response.json()
    assert problem["detail"] == CONFLICT_OTHER_BODY
    assert "private" not in response.content.decode()
    assert str(other_patient.pk) not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.patient_id == other_patient.pk
    assert theirs.notes == "private"


def test_upload_of_a_deleted_sessions_id_is_409_session_deleted(patient_client, body):
    upload(patient_client, body)
    patient_client.delete(detail_url(body["id"]))

    response = upload(patient_client, body)

    assert response.status_code == 409
    assert response.json()["code"] == "session_deleted"
    assert response.json()["detail"] == CONFLICT_DELETED


def test_upload_retry_after_an_edit_returns_the_edited_session(patient_client, body):
    created = upload(patient_client, body)
    patient_client.patch(
        detail_url(body["id"]),
        {"pain_after": 1},
        format="json",
        headers={"If-Match": created["ETag"]},
    )

    retry = upload(patient_client, body)

    assert retry.status_code == 200
    assert retry.json()["pain_after"] == 1
    assert retry.json()["version"] == 2


def test_upload_revisions_increase_per_patient(patient_client, body, other_patient):
    upload(patient_client, body)
    second = upload(patient_client, {**body, "id": str(uuid.uuid4())})
    theirs = upload(
        client_for(other_patient),
        {**body, "id": str(uuid.uuid4()), "plan": None, "exercises": []},
    )

    assert second.json()["revision"] == 2
    assert theirs.json()["revision"] == 1


@pytest.mark.parametrize("fixture", ["clinician_client", "admin_client_api"])
def test_upload_by_non_patient_is_403(request, fixture, body):
    client = request.getfixturevalue(fixture)

    response = upload(client, body)

    assert response.status_code == 403
    assert response.json()["detail"] == ONLY_PATIENTS_WRITE
    assert counts() == (0, 0, 0)


def test_upload_anonymous_is_401(api_client, body):
    response = upload(api_client, body)

    assert response.status_code == 401
    assert counts() == (0, 0, 0)


# ---------------------------------------------------------------------------
# Validation: one test per rule, nothing half-written
# ---------------------------------------------------------------------------
def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Copy of ``body`` with the dotted ``path`` set (``-`` deletes the key)."""
    data = json.loads(json.dumps(body))
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: Any = int(last) if isinstance(target, list) else last
    if value == "-":
        del target[key]
    else:
        target[key] = value
    return data


NOW_PLUS = "now+10min"


def _resolve(value: Any) -> Any:
    if value == NOW_PLUS:
        return iso(timezone.now() + dt.timedelta(minutes=10))
    return value


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        pytest.param("pain_before", 11, "pain_before", None, id="pain-11"),
        pytest.param("pain_after", -1, "pain_after", None, id="pain-negative"),
        pytest.param("effort", -1, "effort", None, id="effort-negative"),
        pytest.param("effort", 11, "effort", None, id="effort-11"),
        pytest.param(
            "pain_before", "high", "pain_before", None, id="pain-not-a-number"
        ),
        pytest.param("pain_before", 4.5, "pain_before", None, id="pain-fraction"),
        pytest.param(
            "exercises.0.pain_during",
            11,
            "exercises.0.pain_during",
            None,
            id="pain-during-11",
        ),
        pytest.param("notes", "x" * 2001, "notes", None, id="notes-too-long"),
        pytest.param(
            "exercises.0.notes",
            "x" * 1001,
            "exercises.0.notes",
            None,
            id="exercise-notes-too-long",
        ),
        pytest.param(
            "exercises.0.sets.0.load",
            "x" * 101,
            "exercises.0.sets.0.load",
            None,
            id="load-too-long",
        ),
        pytest.param("notes", "null\x00byte", "notes", None, id="nul-in-notes"),
        pytest.param(
            "exercises.0.notes",
            "a\x00",
            "exercises.0.notes",
            None,
            id="nul-in-exercise-notes",
        ),
        pytest.param(
            "exercises.0.sets.0.load",
            "\x00",
            "exercises.0.sets.0.load",
            None,
            id="nul-in-load",
        ),
        pytest.param("id", "not-a-uuid", "id", None, id="id-not-uuid"),
        pytest.param("id", "-", "id", None, id="id-missing"),
        pytest.param("started_at", "-", "started_at", None, id="started-missing"),
        pytest.param(
            "started_at", "yesterday", "started_at", None, id="started-not-a-date"
        ),
        pytest.param(
            "started_at", 1700000000, "started_at", None, id="started-a-number"
        ),
        pytest.param(
            "started_at",
            "2026-01-05T10:00:00",
            "started_at",
            NAIVE_DATETIME,
            id="started-naive",
        ),
        pytest.param(
            "started_at", NOW_PLUS, "started_at", IN_FUTURE, id="started-in-future"
        ),
        pytest.param("ended_at", NOW_PLUS, "ended_at", IN_FUTURE, id="ended-in-future"),
        pytest.param(
            "started_at",
            "1970-01-01T00:00:00Z",
            "started_at",
            TOO_OLD,
            id="started-too-old",
        ),
        pytest.param(
            "exercises", {"a": 1}, "exercises", None, id="exercises-not-a-list"
        ),
        pytest.param(
            "exercises.0.status",
            "finished",
            "exercises.0.status",
            None,
            id="bad-status",
        ),
        pytest.param(
            "exercises.0.sets.0.side",
            "middle",
            "exercises.0.sets.0.side",
            None,
            id="bad-side",
        ),
        pytest.param(
            "exercises.0.sets.0.reps",
            1001,
            "exercises.0.sets.0.reps",
            None,
            id="reps-too-many",
        ),
        pytest.param(
            "exercises.0.sets.0.seconds",
            3601,
            "exercises.0.sets.0.seconds",
            None,
            id="seconds-too-many",
        ),
        pytest.param(
            "exercises.0.sets.0",
            {"side": "left", "completed": True},
            "exercises.0.sets.0.reps",
            SET_AMOUNT_REQUIRED,
            id="completed-set-without-amount",
        ),
        pytest.param(
            "exercises.0.exercise",
            "-",
            "exercises.0.exercise",
            None,
            id="exercise-missing",
        ),
        pytest.param(
            "exercises.0.exercise",
            "00000000-0000-4000-8000-000000000000",
            "exercises.0.exercise",
            UNKNOWN_EXERCISE,
            id="unknown-exercise",
        ),
        pytest.param(
            "plan",
            "00000000-0000-4000-8000-000000000000",
            "plan",
            UNKNOWN_PLAN,
            id="unknown-plan",
        ),
        pytest.param(
            "exercises.0.plan_item",
            999999,
            "exercises.0.plan_item",
            UNKNOWN_PLAN_ITEM,
            id="unknown-plan-item",
        ),
        pytest.param(
            "plan",
            None,
            "exercises.0.plan_item",
            PLAN_ITEM_WITHOUT_PLAN,
            id="plan-item-without-plan",
        ),
        pytest.param(
            "exercises.0.plan_item",
            "first",
            "exercises.0.plan_item",
            None,
            id="plan-item-not-a-number",
        ),
    ],
)
def test_upload_rejects_invalid_field(
    patient_client, body, path, value, field, message
):
    before = counts()

    response = upload(patient_client, _set(body, path, _resolve(value)))

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    fields = {error["field"] for error in errors}
    assert field in fields or any(f.startswith(f"{field}.") for f in fields), errors
    if message is not None:
        assert message in [error["message"] for error in errors]
    assert counts() == before


def test_upload_rejects_ended_before_started(patient_client, body, started):
    body["ended_at"] = iso(started - dt.timedelta(minutes=1))

    response = upload(patient_client, body)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "ended_at",
            "code": "ended_before_started",
            "message": ENDED_BEFORE_STARTED,
        }
    ]
    assert counts() == (0, 0, 0)


def test_upload_accepts_times_within_the_clock_skew(patient_client, body):
    soon = timezone.now() + dt.timedelta(minutes=4)
    body["started_at"] = iso(soon - dt.timedelta(minutes=1))
    body["ended_at"] = iso(soon)

    assert upload(patient_client, body).status_code == 201


def test_upload_rejects_too_many_exercises(patient_client, body):
    body["exercises"] = [body["exercises"][1]] * 51

    response = upload(patient_client, body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].startswith("exercises")
    assert counts() == (0, 0, 0)


def test_upload_accepts_fifty_exercises_of_fifty_sets(patient_client, body):
    entry = {**body["exercises"][1], "sets": [{"reps": 1}] * 50}
    body["exercises"] = [entry] * 50

    response = upload(patient_client, body)

    assert response.status_code == 201
    assert counts() == (1, 50, 2500)


def test_upload_rejects_too_many_sets(patient_client, body):
    body["exercises"][0]["sets"] = [{"reps": 1}] * 51

    response = upload(patient_client, body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].startswith("exercises.0.sets")
    assert counts() == (0, 0, 0)


def test_upload_rejects_unpublished_exercise_not_in_the_plan(patient_client, body):
    draft = ExerciseFactory(status=Status.DRAFT)
    body["exercises"][1]["exercise"] = str(draft.pk)

    response = upload(patient_client, body)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "exercises.1.exercise",
            "code": "unknown_exercise",
            "message": UNKNOWN_EXERCISE,
        }
    ]
    assert counts() == (0, 0, 0)


def test_upload_accepts_archived_exercise_that_is_in_the_plan(
    patient_client, body, item
):
    item.exercise.status = Status.ARCHIVED
    item.exercise.save()

    assert upload(patient_client, body).status_code == 201


def test_upload_rejects_another_patients_plan(patient_client, body, other_patient):
    theirs = PlanFactory(patient=other_patient)
    body["plan"] = str(theirs.pk)

    response = upload(patient_client, body)

    assert response.status_code == 400
    assert {"field": "plan", "code": "unknown_plan", "message": UNKNOWN_PLAN} in (
        response.json()["errors"]
    )
    assert counts() == (0, 0, 0)


def test_upload_rejects_plan_item_of_another_plan(patient_client, body, patient):
    other_item = PlanItemFactory(plan=PlanFactory(patient=patient))
    body["exercises"][0]["plan_item"] = other_item.pk
    body["exercises"][0]["exercise"] = str(other_item.exercise_id)

    response = upload(patient_client, body)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "exercises.0.plan_item",
            "code": "unknown_plan_item",
            "message": UNKNOWN_PLAN_ITEM,
        }
    ]


def test_upload_rejects_plan_item_with_another_exercise(patient_client, body):
    body["exercises"][0]["exercise"] = body["exercises"][1]["exercise"]

    response = upload(patient_client, body)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "exercises.0.plan_item",
            "code": "plan_item_mismatch",
            "message": PLAN_ITEM_MISMATCH,
        }
    ]


def test_upload_rejects_non_object_body(patient_client):
    response = patient_client.post(URL, "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "non_field_errors"


def test_upload_rejects_malformed_json(patient_client):
    response = patient_client.post(URL, '{"id": ', content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_upload_ignores_unknown_fields(patient_client, body):
    body["mood"] = "great"
    body["exercises"][0]["heart_rate"] = 120

    response = upload(patient_client, body)

    assert response.status_code == 201
    assert "mood" not in response.json()


def test_upload_reports_every_invalid_field_at_once(patient_client, body):
    body["pain_before"] = 11
    body["exercises"][1]["sets"][0]["reps"] = -1

    response = upload(patient_client, body)

    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"pain_before", "exercises.1.sets.0.reps"}


# ---------------------------------------------------------------------------
# Read one
# ---------------------------------------------------------------------------
def test_retrieve_returns_session_with_etag(patient_client, body):
    upload(patient_client, body)

    response = patient_client.get(detail_url(body["id"]))

    assert response.status_code == 200
    assert response.json()["id"] == body["id"]
    assert len(response.json()["exercises"]) == 2
    assert response["ETag"] == f'"{body["id"]}-1"'


def test_retrieve_with_current_etag_is_304(patient_client, body):
    upload(patient_client, body)

    response = patient_client.get(
        detail_url(body["id"]), headers={"If-None-Match": f'"{body["id"]}-1"'}
    )

    assert response.status_code == 304


def test_retrieve_of_another_patients_session_is_404(patient_client, other_patient):
    theirs = SessionFactory(patient=other_patient)

    response = patient_client.get(detail_url(theirs.pk))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "session_id", ["not-a-uuid", "6c0d8a4e-2b1f-4c3d-9e5a-7f8b9c0d1e2f"]
)
def test_retrieve_of_unknown_id_is_404(patient_client, session_id):
    assert patient_client.get(detail_url(session_id)).status_code == 404


def test_retrieve_of_a_tombstone_is_404(patient, patient_client):
    session = SessionFactory(patient=patient, deleted_at=timezone.now())

    assert patient_client.get(detail_url(session.pk)).status_code == 404


def test_clinician_reads_their_patients_session_and_it_is_logged(patient, clinician):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    session = SessionFactory(patient=patient)

    response = client_for(clinician).get(detail_url(session.pk))

    assert response.status_code == 200
    log = PatientAccessLog.objects.get()
    assert (log.actor, log.patient, log.action) == (
        clinician,
        patient,
        "sessions.retrieve",
    )
    assert log.path == detail_url(session.pk)


def test_clinician_cannot_read_a_session_outside_their_care(patient, clinician):
    session = SessionFactory(patient=patient)

    response = client_for(clinician).get(detail_url(session.pk))

    assert response.status_code == 404
    assert not PatientAccessLog.objects.exists()


def test_admin_reads_any_session(patient, admin_client_api):
    session = SessionFactory(patient=patient)

    assert admin_client_api.get(detail_url(session.pk)).status_code == 200


def test_patient_reading_own_session_is_not_access_logged(patient, patient_client):
    session = SessionFactory(patient=patient)

    patient_client.get(detail_url(session.pk))

    assert not PatientAccessLog.objects.exists()


# ---------------------------------------------------------------------------
# Edit
# ---------------------------------------------------------------------------
def test_edit_with_current_etag_applies_and_returns_new_etag(
    patient, patient_client, body
):
    created = upload(patient_client, body)

    response = patient_client.patch(
        detail_url(body["id"]),
        {"pain_after": 1, "notes": "Edited"},
        format="json",
        headers={"If-Match": created["ETag"]},
    )

    assert response.status_code == 200
    data = response.json()
    assert (data["pain_after"], data["notes"], data["version"]) == (1, "Edited", 2)
    assert data["revision"] == 2
    assert data["pain_before"] == 5  # untouched
    assert len(data["exercises"]) == 2  # untouched
    assert response["ETag"] == f'"{body["id"]}-2"'
    assert patient_sync_revision(patient_id=patient.pk) == 2


def test_edit_without_if_match_is_428(patient_client, body):
    upload(patient_client, body)

    response = patient_client.patch(
        detail_url(body["id"]), {"pain_after": 1}, format="json"
    )

    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required"
    assert Session.objects.get().pain_after == 3


@pytest.mark.parametrize(
    "if_match",
    ['"{id}-0"', 'W/"{id}-1"', "{id}-1", '"something-else"'],
    ids=["stale", "weak", "unquoted", "other"],
)
def test_edit_with_stale_or_malformed_etag_is_412(patient_client, body, if_match):
    upload(patient_client, body)

    response = patient_client.patch(
        detail_url(body["id"]),
        {"pain_after": 1},
        format="json",
        headers={"If-Match": if_match.format(id=body["id"])},
    )

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert Session.objects.get().pain_after == 3


def test_second_edit_with_the_first_etag_is_412(patient_client, body):
    created = upload(patient_client, body)
    headers = {"If-Match": created["ETag"]}
    patient_client.patch(
        detail_url(body["id"]), {"effort": 1}, format="json", headers=headers
    )

    response = patient_client.patch(
        detail_url(body["id"]), {"effort": 9}, format="json", headers=headers
    )

    assert response.status_code == 412
    assert Session.objects.get().effort == 1


def test_edit_accepts_one_of_several_etags_and_star(patient_client, body):
    upload(patient_client, body)
    url = detail_url(body["id"])

    listed = patient_client.patch(
        url,
        {"effort": 1},
        format="json",
        headers={"If-Match": f'"x", "{body["id"]}-1"'},
    )
    star = patient_client.patch(
        url, {"effort": 2}, format="json", headers={"If-Match": "*"}
    )

    assert listed.status_code == 200
    assert star.status_code == 200
    assert star.json()["version"] == 3


def test_edit_with_exercises_replaces_them_all(patient_client, body):
    created = upload(patient_client, body)
    replacement = [
        {"exercise": body["exercises"][1]["exercise"], "sets": [{"seconds": 30}]}
    ]

    response = patient_client.patch(
        detail_url(body["id"]),
        {"exercises": replacement},
        format="json",
        headers={"If-Match": created["ETag"]},
    )

    assert response.status_code == 200
    (entry,) = response.json()["exercises"]
    assert entry["status"] == "done"
    assert entry["sets"][0]["seconds"] == 30
    assert counts() == (1, 1, 1)


def test_edit_validates_times_against_stored_values(patient_client, body, started):
    created = upload(patient_client, body)

    response = patient_client.patch(
        detail_url(body["id"]),
        {"ended_at": iso(started - dt.timedelta(minutes=5))},
        format="json",
        headers={"If-Match": created["ETag"]},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "ended_at"
    assert Session.objects.get().version == 1


def test_edit_with_invalid_exercises_changes_nothing(patient_client, body):
    created = upload(patient_client, body)
    before = counts()

    response = patient_client.patch(
        detail_url(body["id"]),
        {"notes": "x", "exercises": [{"exercise": str(uuid.uuid4())}]},
        format="json",
        headers={"If-Match": created["ETag"]},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "exercises.0.exercise"
    assert counts() == before
    assert Session.objects.get().notes == body["notes"]


def test_edit_of_another_patients_session_is_404(patient_client, other_patient):
    theirs = SessionFactory(patient=other_patient)

    response = patient_client.patch(
        detail_url(theirs.pk), {"effort": 1}, format="json", headers={"If-Match": "*"}
    )

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.effort == 5


def test_clinician_cannot_edit_their_patients_session(patient, clinician):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    session = SessionFactory(patient=patient)

    response = client_for(clinician).patch(
        detail_url(session.pk),
        {"effort": 1},
        format="json",
        headers={"If-Match": session.etag},
    )

    assert response.status_code == 403
    session.refresh_from_db()
    assert session.effort == 5


def test_put_is_not_allowed(patient, patient_client):
    session = SessionFactory(patient=patient)

    response = patient_client.put(detail_url(session.pk), {}, format="json")

    assert response.status_code == 405


# ---------------------------------------------------------------------------
# Delete
# ---------------------------------------------------------------------------
def test_delete_leaves_a_tombstone(patient, patient_client, body):
    upload(patient_client, body)

    response = patient_client.delete(detail_url(body["id"]))

    assert response.status_code == 204
    tombstone = Session.objects.get()
    assert tombstone.deleted_at is not None
    assert (tombstone.plan_id, tombstone.pain_before, tombstone.notes) == (
        None,
        None,
        "",
    )
    assert (tombstone.version, tombstone.revision) == (2, 2)
    assert counts() == (1, 0, 0)
    assert patient_client.get(detail_url(body["id"])).status_code == 404
    assert patient_client.delete(detail_url(body["id"])).status_code == 404


def test_delete_with_stale_if_match_is_412(patient_client, body):
    upload(patient_client, body)

    response = patient_client.delete(
        detail_url(body["id"]), headers={"If-Match": f'"{body["id"]}-7"'}
    )

    assert response.status_code == 412
    assert Session.objects.get().deleted_at is None


def test_delete_with_current_if_match_succeeds(patient_client, body):
    created = upload(patient_client, body)

    response = patient_client.delete(
        detail_url(body["id"]), headers={"If-Match": created["ETag"]}
    )

    assert response.status_code == 204


def test_delete_of_another_patients_session_is_404(patient_client, other_patient):
    theirs = SessionFactory(patient=other_patient)

    assert patient_client.delete(detail_url(theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.deleted_at is None


def test_clinician_cannot_delete_their_patients_session(patient, clinician):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    session = SessionFactory(patient=patient)

    assert client_for(clinician).delete(detail_url(session.pk)).status_code == 403
    session.refresh_from_db()
    assert session.deleted_at is None


# ---------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------
def test_list_shows_own_live_sessions_newest_first(
    patient, patient_client, other_patient
):
    now = timezone.now()
    old = SessionFactory(patient=patient, started_at=now - dt.timedelta(days=2))
    new = SessionFactory(patient=patient, started_at=now - dt.timedelta(hours=1))
    SessionFactory(patient=patient, deleted_at=now)
    SessionFactory(patient=other_patient)

    response = patient_client.get(URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [
        str(new.pk),
        str(old.pk),
    ]
    assert response.json()["next"] is None


def test_clinician_lists_their_patients_sessions_logging_each_patient_once(clinician):
    first, second, stranger = PatientFactory(), PatientFactory(), PatientFactory()
    for patient in (first, second):
        CareRelationshipFactory(clinician=clinician, patient=patient)
        SessionFactory.create_batch(2, patient=patient)
    SessionFactory(patient=stranger)

    response = client_for(clinician).get(URL)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 4
    assert response.json()["sync_cursor"] is None
    logged = sorted(PatientAccessLog.objects.values_list("patient_id", "action"))
    assert logged == sorted([(first.pk, "sessions.list"), (second.pk, "sessions.list")])


def test_clinician_narrows_the_list_to_one_patient(clinician, patient, other_patient):
    for person in (patient, other_patient):
        CareRelationshipFactory(clinician=clinician, patient=person)
    mine = SessionFactory(patient=patient)
    SessionFactory(patient=other_patient)

    response = client_for(clinician).get(URL, {"patient": str(patient.pk)})

    assert [row["id"] for row in response.json()["results"]] == [str(mine.pk)]


def test_clinician_filtering_on_a_patient_outside_their_care_gets_nothing(
    clinician, patient
):
    SessionFactory(patient=patient)

    response = client_for(clinician).get(URL, {"patient": str(patient.pk)})

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert response.json()["sync_cursor"] is None
    assert not PatientAccessLog.objects.exists()


def test_clinician_of_nobody_lists_nothing(clinician, patient):
    SessionFactory(patient=patient)

    response = client_for(clinician).get(URL)

    assert response.json()["results"] == []


def test_anonymous_list_is_401(db, api_client):
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"updated_since": "abc"}, "updated_since", None),
        ({"updated_since": "-1"}, "updated_since", None),
        ({"updated_since": "1.5"}, "updated_since", None),
        ({"updated_since": str(2**70)}, "updated_since", None),
        ({"updated_since": "1700000000"}, "updated_since", CURSOR_AHEAD),
        ({"patient": "nope"}, "patient", None),
        ({"cursor": "abc"}, "cursor", INVALID_CURSOR),
    ],
)
def test_list_rejects_bad_parameters(patient_client, params, field, message):
    response = patient_client.get(URL, params)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["field"] == field
    if message:
        assert errors[0]["message"] == message


def test_clinician_sync_without_patient_is_400(clinician, patient):
    CareRelationshipFactory(clinician=clinician, patient=patient)

    response = client_for(clinician).get(URL, {"updated_since": "0"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "patient", "code": "required", "message": PATIENT_REQUIRED_FOR_SYNC}
    ]


# ---------------------------------------------------------------------------
# Query counts
# ---------------------------------------------------------------------------
def _sessions_with_children(patient, count: int) -> list[Session]:
    sessions = []
    for _ in range(count):
        session = SessionFactory(patient=patient)
        for _ in range(2):
            entry = SessionExerciseFactory(session=session)
            SessionSetFactory.create_batch(2, session_exercise=entry)
        sessions.append(session)
    return sessions


def test_answers_are_what_the_session_serializer_gives(patient, patient_client):
    """Answers build exercises and sets from plain rows: the JSON must be the one
    SessionSerializer (the schema's) gives for the model instances."""
    sessions = _sessions_with_children(patient, 3)
    partial = SessionExerciseFactory(
        session=sessions[0], status="partial", pain_during=None, notes="Tired."
    )
    SessionSetFactory(
        session_exercise=partial, side="left", reps=None, seconds=30, completed=False
    )
    SessionExerciseFactory(session=sessions[1], status="skipped", pain_during=4)
    SessionSetFactory(session_exercise=partial, side="right", load="2 kg")
    tombstone = SessionFactory(patient=patient, deleted_at=timezone.now())
    PatientSyncState.objects.create(patient=patient, revision=1000)

    synced = patient_client.get(URL, {"updated_since": "0"}).json()["results"]
    listed = patient_client.get(URL).json()["results"]

    instances = Session.objects.filter(pk__in=[s.pk for s in sessions])
    instances = instances.prefetch_related("exercises__exercise", "exercises__sets")
    expected = {
        str(s.pk): json.loads(JSONRenderer().render(SessionSerializer(s).data))
        for s in instances
    }
    detailed = {
        str(s.pk): patient_client.get(detail_url(s.pk)).json() for s in sessions
    }
    assert detailed == expected
    assert [list(d) for d in detailed.values()] == [
        list(expected[pk]) for pk in detailed
    ]
    assert {item["id"]: item for item in listed} == expected
    live = [item for item in synced if not item["deleted"]]
    assert {item["id"]: item for item in live} == expected
    assert [item["id"] for item in synced if item["deleted"]] == [str(tombstone.pk)]
    # Key order too (clients may hash or diff the JSON).
    assert [list(item) for item in listed] == [list(expected[i["id"]]) for i in listed]
    assert [list(e) for e in listed[0]["exercises"]] == [
        list(e) for e in expected[listed[0]["id"]]["exercises"]
    ]


@pytest.mark.parametrize("count", [2, 20])
def test_list_query_count_does_not_grow_with_rows(
    patient, patient_client, django_assert_num_queries, count
):
    _sessions_with_children(patient, count)

    # Outside ATOMIC_REQUESTS (no savepoint): 1 sync counter, 1 page of sessions,
    # 1 exercises (+ exercise join), 1 sets.
    with django_assert_num_queries(4):
        response = patient_client.get(URL)

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [2, 20])
def test_sync_list_query_count_does_not_grow_with_rows(
    patient, patient_client, django_assert_num_queries, count
):
    _sessions_with_children(patient, count)
    PatientSyncState.objects.create(patient=patient, revision=1000)

    # sync counter (cursor check), page, exercises, sets.
    with django_assert_num_queries(4):
        response = patient_client.get(URL, {"updated_since": "0"})

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [2, 20])
def test_clinician_list_query_count_does_not_grow_with_rows(
    patient, clinician, django_assert_num_queries, count
):
    CareRelationshipFactory(clinician=clinician, patient=patient)
    _sessions_with_children(patient, count)
    client = client_for(clinician)

    # page (+ patient join, care subquery), exercises, sets,
    # 1 access-log insert (one patient).
    with django_assert_num_queries(4):
        response = client.get(URL)

    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("children", [1, 10])
def test_retrieve_query_count_does_not_grow_with_children(
    patient, patient_client, django_assert_num_queries, children
):
    session = SessionFactory(patient=patient)
    for _ in range(children):
        entry = SessionExerciseFactory(session=session)
        SessionSetFactory.create_batch(3, session_exercise=entry)

    # session, exercises (+ exercise join), sets.
    with django_assert_num_queries(3):
        response = patient_client.get(detail_url(session.pk))

    assert len(response.json()["exercises"]) == children


@pytest.mark.parametrize("exercises", [1, 10])
def test_upload_query_count_does_not_grow_with_exercises(
    patient, patient_client, django_assert_num_queries, exercises, started
):
    exercise = ExerciseFactory()
    body = {
        "id": str(uuid.uuid4()),
        "started_at": iso(started),
        "exercises": [{"exercise": str(exercise.pk), "sets": [{"reps": 5}] * 3}]
        * exercises,
    }

    # The service's savepoint (its transaction in production: the view runs outside
    # ATOMIC_REQUESTS), lock patient, advance its revision and read the 24-hour upload
    # limits (one statement), existence check, exercises check, insert session, insert
    # exercises, insert sets, the event types the webhook endpoints listen for (read
    # by a process's first write, then cached), release; the answer is built from the
    # rows just inserted (nothing is read back; the exercises' names come with the
    # exercises check). Was 17, then 11.
    with django_assert_num_queries(9):
        response = upload(patient_client, body)

    assert response.status_code == 201


def test_a_retry_does_not_advance_the_patients_revision(patient, patient_client, body):
    upload(patient_client, body)
    retry = upload(patient_client, body)

    assert retry.status_code == 200
    # The lock advances the counter in the same statement; a retry writes nothing and
    # puts it back, so the next sync sees no empty revision.
    assert patient_sync_revision(patient_id=patient.pk) == 1
    second = upload(patient_client, {**body, "id": str(uuid.uuid4())})
    assert second.json()["revision"] == 2


def test_an_upload_of_a_planned_session_runs_the_pinned_statements(
    patient_client, django_assert_num_queries, plan, item, started
):
    """The bench's upload (a session of the patient's plan) runs 7 statements in
    production: the 8 below less the savepoint and its release (the service's
    transaction is the outermost there), plus the token's user."""

    def body() -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "plan": str(plan.pk),
            "started_at": iso(started),
            "exercises": [
                {
                    "exercise": str(item.exercise_id),
                    "plan_item": item.pk,
                    "sets": [{"reps": 5}],
                }
            ]
            * 4,
        }

    # The first write reads which events the webhook endpoints subscribe to (none
    # here), and caches it.
    assert upload(patient_client, body()).status_code == 201

    # savepoint, lock + revision + the 24-hour upload limits, existence, the plan with
    # its items and their exercises' names (one query), insert session, exercises,
    # sets, release; no webhook endpoint listens (cached): no query for them.
    with django_assert_num_queries(8):
        response = upload(patient_client, body())

    assert response.status_code == 201
    assert len(response.json()["exercises"]) == 4
