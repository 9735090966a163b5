"""Session log services: idempotent upload, conditional edit, tombstones, revisions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sessions.models import PatientSyncState, Session, SessionExercise, SessionSet
from sessions.selectors.logs import patient_sync_revision
from sessions.services.logs import (
    CONFLICT_DELETED,
    CONFLICT_OTHER_BODY,
    PLAN_CHANGE_ORPHANS,
    PRECONDITION_FAILED,
    SessionConflict,
    SessionPreconditionFailed,
    session_delete,
    session_update,
    session_upload,
    upload_hash,
)
from tests.factories import ExerciseFactory, PlanFactory, PlanItemFactory


@pytest.fixture
def started() -> dt.datetime:
    return (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0)


@pytest.fixture
def item(patient):
    return PlanItemFactory(plan=PlanFactory(patient=patient))


def data_for(item, started: dt.datetime, **overrides: Any) -> dict[str, Any]:
    """Validated upload data, as SessionCreateSerializer produces it (defaults filled)."""
    data = {
        "id": uuid.uuid4(),
        "plan": item.plan_id,
        "started_at": started,
        "ended_at": started + dt.timedelta(minutes=20),
        "pain_before": 4,
        "pain_after": 2,
        "effort": 5,
        "notes": "",
        "exercises": [
            {
                "exercise": item.exercise_id,
                "plan_item": item.pk,
                "status": "done",
                "pain_during": None,
                "notes": "",
                "sets": [
                    {
                        "side": "both",
                        "reps": 10,
                        "seconds": None,
                        "load": "",
                        "completed": True,
                    }
                ],
            }
        ],
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------------------
# upload_hash
# ---------------------------------------------------------------------------
def test_upload_hash_ignores_key_order_and_time_zone_spelling(item, started):
    data = data_for(item, started)
    reordered = dict(reversed(list(data.items())))
    reordered["started_at"] = started.astimezone(dt.timezone(dt.timedelta(hours=-5)))

    assert upload_hash(reordered) == upload_hash(data)
    assert len(upload_hash(data)) == 64


def test_upload_hash_changes_with_content_and_order_of_exercises(item, started):
    data = data_for(item, started)
    other = ExerciseFactory()
    two = {
        **data,
        "exercises": [
            *data["exercises"],
            {**data["exercises"][0], "exercise": other.pk},
        ],
    }
    swapped = {**two, "exercises": list(reversed(two["exercises"]))}

    assert upload_hash({**data, "pain_after": 3}) != upload_hash(data)
    assert upload_hash(swapped) != upload_hash(two)


# ---------------------------------------------------------------------------
# session_upload
# ---------------------------------------------------------------------------
def test_upload_creates_session_children_and_takes_next_revision(
    patient, item, started
):
    PatientSyncState.objects.create(patient=patient, revision=7)

    session, created = session_upload(patient=patient, data=data_for(item, started))

    assert created is True
    assert (session.version, session.revision) == (1, 8)
    assert session.upload_hash == upload_hash(data_for(item, started, id=session.pk))
    assert SessionExercise.objects.get().plan_item == item
    assert SessionSet.objects.get().reps == 10
    assert patient_sync_revision(patient_id=patient.pk) == 8


def test_upload_retry_returns_stored_session_without_new_revision(
    patient, item, started
):
    data = data_for(item, started)
    first, _ = session_upload(patient=patient, data=data)

    again, created = session_upload(patient=patient, data=data)

    assert created is False
    assert again.pk == first.pk
    assert Session.objects.count() == 1
    assert patient_sync_revision(patient_id=patient.pk) == 1


def test_upload_same_id_other_body_raises_conflict(patient, item, started):
    data = data_for(item, started)
    session_upload(patient=patient, data=data)

    with pytest.raises(SessionConflict) as excinfo:
        session_upload(patient=patient, data={**data, "effort": 9})

    assert excinfo.value.code == "conflict"
    assert excinfo.value.message == CONFLICT_OTHER_BODY


def test_upload_of_other_patients_id_raises_the_same_conflict(
    patient, other_patient, item, started
):
    data = data_for(item, started)
    session_upload(patient=patient, data=data)
    same_body_elsewhere = {**data, "plan": None, "exercises": []}

    with pytest.raises(SessionConflict) as excinfo:
        session_upload(patient=other_patient, data=same_body_elsewhere)

    # The same code and message as "another body": the id's owner is never revealed.
    assert excinfo.value.code == "conflict"
    assert excinfo.value.message == CONFLICT_OTHER_BODY
    assert Session.objects.get().patient == patient


def test_upload_of_deleted_id_raises_session_deleted(patient, item, started):
    data = data_for(item, started)
    session, _ = session_upload(patient=patient, data=data)
    session_delete(session=session)

    with pytest.raises(SessionConflict) as excinfo:
        session_upload(patient=patient, data=data)

    assert excinfo.value.code == "session_deleted"
    assert excinfo.value.message == CONFLICT_DELETED


def test_upload_with_bad_references_writes_nothing(patient, item, started):
    data = data_for(item, started)
    data["exercises"][0]["plan_item"] = 999999

    with pytest.raises(ValidationError) as excinfo:
        session_upload(patient=patient, data=data)

    assert list(excinfo.value.message_dict) == ["exercises.0.plan_item"]
    assert Session.objects.count() == 0
    assert patient_sync_revision(patient_id=patient.pk) == 0


# ---------------------------------------------------------------------------
# session_update
# ---------------------------------------------------------------------------
def test_update_bumps_version_and_revision(patient, item, started):
    session, _ = session_upload(patient=patient, data=data_for(item, started))

    updated = session_update(
        session=session, if_match=[session.etag], data={"effort": 8}
    )

    assert (updated.effort, updated.version, updated.revision) == (8, 2, 2)
    assert Session.objects.get().effort == 8


def test_update_with_stale_etag_raises_and_changes_nothing(patient, item, started):
    session, _ = session_upload(patient=patient, data=data_for(item, started))

    with pytest.raises(SessionPreconditionFailed) as excinfo:
        session_update(
            session=session, if_match=[f'"{session.pk}-9"'], data={"effort": 8}
        )

    assert str(excinfo.value) == PRECONDITION_FAILED

    assert Session.objects.get().effort == 5


def test_update_weak_etag_never_matches(patient, item, started):
    session, _ = session_upload(patient=patient, data=data_for(item, started))

    with pytest.raises(SessionPreconditionFailed):
        session_update(
            session=session, if_match=[f"W/{session.etag}"], data={"effort": 8}
        )


def test_update_with_no_fields_makes_no_new_revision(patient, item, started):
    session, _ = session_upload(patient=patient, data=data_for(item, started))

    same = session_update(session=session, if_match=[session.etag], data={})

    assert (same.version, same.revision) == (1, 1)


def test_update_of_deleted_session_raises_does_not_exist(patient, item, started):
    session, _ = session_upload(patient=patient, data=data_for(item, started))
    stale_copy = Session.objects.get(pk=session.pk)
    session_delete(session=session)

    with pytest.raises(Session.DoesNotExist):
        session_update(session=stale_copy, if_match=["*"], data={"effort": 1})


def test_update_plan_away_from_stored_items_needs_exercises(patient, item, started):
    session, _ = session_upload(patient=patient, data=data_for(item, started))

    with pytest.raises(ValidationError) as excinfo:
        session_update(session=session, if_match=[session.etag], data={"plan": None})

    assert excinfo.value.message_dict == {"plan": [PLAN_CHANGE_ORPHANS]}
    assert Session.objects.get().plan_id == item.plan_id


def test_update_plan_together_with_exercises(patient, item, started):
    session, _ = session_upload(patient=patient, data=data_for(item, started))
    free = ExerciseFactory()
    entry = {"exercise": free.pk, "plan_item": None, "sets": []}

    updated = session_update(
        session=session,
        if_match=[session.etag],
        data={"plan": None, "exercises": [entry]},
    )

    assert updated.plan_id is None
    assert list(updated.exercises.values_list("exercise_id", flat=True)) == [free.pk]


def test_update_rechecks_time_order_against_stored_start(patient, item, started):
    session, _ = session_upload(patient=patient, data=data_for(item, started))

    with pytest.raises(ValidationError) as excinfo:
        session_update(
            session=session,
            if_match=["*"],
            data={"ended_at": started - dt.timedelta(seconds=1)},
        )

    assert list(excinfo.value.message_dict) == ["ended_at"]


# ---------------------------------------------------------------------------
# session_delete
# ---------------------------------------------------------------------------
def test_delete_makes_a_tombstone_with_a_new_revision(patient, item, started):
    session, _ = session_upload(
        patient=patient, data=data_for(item, started, notes="private")
    )

    tombstone = session_delete(session=session)

    stored = Session.objects.get()
    assert stored.deleted_at is not None
    assert (stored.notes, stored.plan_id, stored.pain_after, stored.effort) == (
        "",
        None,
        None,
        None,
    )
    assert (stored.version, stored.revision) == (2, 2)
    assert tombstone.is_deleted
    assert SessionExercise.objects.count() == 0
    assert SessionSet.objects.count() == 0
    assert patient_sync_revision(patient_id=patient.pk) == 2


def test_delete_with_stale_etag_raises(patient, item, started):
    session, _ = session_upload(patient=patient, data=data_for(item, started))

    with pytest.raises(SessionPreconditionFailed):
        session_delete(session=session, if_match=['"nope"'])

    assert Session.objects.get().deleted_at is None


def test_delete_twice_raises_does_not_exist(patient, item, started):
    session, _ = session_upload(patient=patient, data=data_for(item, started))
    session_delete(session=session)

    with pytest.raises(Session.DoesNotExist):
        session_delete(session=session)
