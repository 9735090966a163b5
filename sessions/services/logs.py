"""Writes to session logs: idempotent upload, conditional edit, delete leaving a tombstone.

Every write starts by locking the patient's sync counter (``PatientSyncState``, one row
per patient, created by the first write), so one patient's writes are serialized: the
existence check of an upload cannot race with a concurrent identical upload, and the
revision each write takes (``PatientSyncState.revision + 1``, stored on the session)
grows in commit order. That is what
makes ``GET sessions/?updated_since=<revision>`` a gap-free change feed: a reader never
sees revision N+1 committed before revision N.

Errors: ``SessionConflict`` (an upload that clashes with a stored session: map to 409),
``SessionPreconditionFailed`` (a stale ``If-Match``: map to 412),
``Session.DoesNotExist`` (the session was deleted meanwhile: map to 404) and Django's
``ValidationError`` with dotted field paths (``exercises.0.plan_item``: map to 400).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from common.models import Status
from exercises.models import Exercise
from sessions.models import (
    PatientSyncState,
    Plan,
    Session,
    SessionExercise,
    SessionSet,
)
from sessions.services.quota import SessionQuotaExceeded, upload_quota_check
from sessions.services.swaps import (
    PLAN_ITEM_MISMATCH,
    SUBSTITUTION_WITHOUT_PLAN_ITEM,
    swap_links,
)
from sessions.services.upload_hash import upload_hash
from sessions.signals import session_changed
from users.models import User

__all__ = [
    "PLAN_ITEM_MISMATCH",
    "SessionConflict",
    "SessionPreconditionFailed",
    "SessionQuotaExceeded",
    "session_delete",
    "session_update",
    "session_upload",
    "upload_hash",
]

# Upper bounds of one session (also enforced by the API serializers).
MAX_EXERCISES = 50
MAX_SETS = 50

CONFLICT_OTHER_BODY = (
    "A session with this id already exists with different content. "
    "Use a new id for a new session; to change a session, PATCH it."
)
CONFLICT_DELETED = "This session was deleted; its id cannot be uploaded again."
PRECONDITION_FAILED = (
    "The session changed since you read it. GET it again, re-apply your change "
    "and send the new ETag in If-Match."
)
UNKNOWN_PLAN = "Unknown plan."
UNKNOWN_EXERCISE = "Unknown exercise."
PLAN_ITEM_WITHOUT_PLAN = "A plan item can only be given when the session has a plan."
UNKNOWN_PLAN_ITEM = "This item is not part of the session's plan."
PLAN_CHANGE_ORPHANS = (
    "The session's exercises refer to another plan or to exercises outside it; "
    "send `exercises` together with the new plan."
)
ENDED_BEFORE_STARTED = "Must not be before started_at."
SET_AMOUNT_REQUIRED = "A completed set needs reps or seconds (or both)."

# Session fields a PATCH may set, and those a delete empties (the tombstone keeps
# only its id, started_at and bookkeeping).
EDITABLE_FIELDS = (
    "plan",
    "started_at",
    "ended_at",
    "pain_before",
    "pain_after",
    "effort",
    "notes",
)
CLEARED_ON_DELETE: dict[str, Any] = {
    "plan": None,
    "ended_at": None,
    "pain_before": None,
    "pain_after": None,
    "effort": None,
    "notes": "",
}


class SessionConflict(Exception):
    """The upload's id is taken: by another body, another patient, or a deleted session."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class SessionPreconditionFailed(Exception):
    """``If-Match`` does not name the session's current version."""


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def _lock_patient(patient_id: Any, *, advance: bool = False) -> int:
    """Lock the patient's sync counter until the transaction ends; return its revision.

    One statement, creating the counter on the patient's first write: an upsert whose
    update locks the row and, under READ COMMITTED, returns the latest committed value
    even after waiting for another writer (a plain SELECT in the same statement would
    return the value of its snapshot, taken before the wait). With ``advance`` the
    update counts up and the new revision is returned: the lock and the revision of the
    write that follows in one round trip; a caller that then writes nothing puts the
    counter back (_store_revision) or lets its transaction roll back.
    """
    table = PatientSyncState._meta.db_table
    key = PatientSyncState._meta.get_field("patient")
    step = 1 if advance else 0
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ("patient_id", "revision") VALUES (%s, {step}) '
            f'ON CONFLICT ("patient_id") DO UPDATE SET "revision" = "{table}"."revision"'
            f' + {step} RETURNING "revision"',
            [key.get_db_prep_value(patient_id, connection)],
        )
        return int(cursor.fetchone()[0])


def _store_revision(patient_id: Any, revision: int) -> None:
    """Set the patient's counter (locked by _lock_patient in this transaction)."""
    PatientSyncState.objects.filter(patient_id=patient_id).update(revision=revision)


def _check_references(
    *,
    patient_id: Any,
    plan_id: uuid.UUID | None,
    exercises: Sequence[Mapping[str, Any]],
) -> tuple[uuid.UUID | None, list[str]]:
    """Resolve the plan, check every exercise and plan item; (plan id, substitutions).

    The plan must be the patient's; a plan item must be an item of that plan and name
    the same exercise or one its exercise links to (a swap, sessions.services.swaps,
    whose kind is returned per entry: "" when not a swap); an exercise must be
    published, in the plan or a swap's target (a clinician may prescribe an exercise
    later archived). Unknown and not-yours get the same message, so nothing leaks.
    Three queries at most (the plan with its items in one). Returns the plan's id.
    """
    errors: dict[str, list[ValidationError]] = {}
    plan: uuid.UUID | None = None
    item_exercises: dict[int, uuid.UUID] = {}
    if plan_id is not None:
        # The plan and its items in one query: no row, not the patient's plan.
        rows = list(
            Plan.objects.filter(pk=plan_id, patient_id=patient_id).values_list(
                "id", "items__id", "items__exercise_id"
            )
        )
        if not rows:
            errors["plan"] = [ValidationError(UNKNOWN_PLAN, code="unknown_plan")]
        else:
            plan = rows[0][0]
            item_exercises = {item: exercise for _, item, exercise in rows if item}
    links = swap_links(
        (item_exercises[entry["plan_item"]], entry["exercise"])
        for entry in exercises
        if entry.get("plan_item") in item_exercises
    )

    exercise_ids = {entry["exercise"] for entry in exercises}
    usable = set(item_exercises.values()) | links.targets()
    if exercise_ids - usable:
        usable |= set(
            Exercise.objects.filter(
                pk__in=exercise_ids - usable, status=Status.PUBLISHED
            ).values_list("id", flat=True)
        )

    substitutions: list[str] = []
    for index, entry in enumerate(exercises):
        prefix = f"exercises.{index}"
        substitutions.append("")
        if entry["exercise"] not in usable:
            errors[f"{prefix}.exercise"] = [
                ValidationError(UNKNOWN_EXERCISE, code="unknown_exercise")
            ]
        item_id = entry.get("plan_item")
        given = entry.get("substitution") or ""
        if item_id is None:
            if given:
                errors[f"{prefix}.substitution"] = [
                    ValidationError(
                        SUBSTITUTION_WITHOUT_PLAN_ITEM,
                        code="substitution_without_plan_item",
                    )
                ]
            continue
        if plan_id is not None and plan is None:
            continue  # the plan itself is already reported unknown
        if plan is None:
            message, code = PLAN_ITEM_WITHOUT_PLAN, "plan_item_without_plan"
        elif item_id not in item_exercises:
            message, code = UNKNOWN_PLAN_ITEM, "unknown_plan_item"
        else:
            try:
                substitutions[index] = links.resolve(
                    item_exercise=item_exercises[item_id],
                    exercise=entry["exercise"],
                    given=given,
                )
            except ValidationError as exc:
                field = (
                    "plan_item" if exc.code == "plan_item_mismatch" else "substitution"
                )
                errors[f"{prefix}.{field}"] = [exc]
            continue
        errors[f"{prefix}.plan_item"] = [ValidationError(message, code=code)]

    if errors:
        raise ValidationError(errors)
    return plan, substitutions


def _clean(instance: models.Model, prefix: str, exclude: list[str]) -> None:
    """Field validation without queries (FKs were checked above); errors get the body path."""
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        raise ValidationError(
            {f"{prefix}{field}": messages for field, messages in exc.error_dict.items()}
        ) from exc


def _create_children(
    session: Session,
    exercises: Sequence[Mapping[str, Any]],
    substitutions: Sequence[str],
) -> None:
    """Insert the exercises and their sets in two queries, ordered as sent."""
    entries: list[SessionExercise] = []
    for index, (spec, substitution) in enumerate(
        zip(exercises, substitutions, strict=True)
    ):
        entry = SessionExercise(
            session=session,
            exercise_id=spec["exercise"],
            plan_item_id=spec.get("plan_item"),
            substitution=substitution,
            order=index,
            status=spec.get("status", SessionExercise.Status.DONE),
            pain_during=spec.get("pain_during"),
            difficulty=spec.get("difficulty") or "",
            rpe=spec.get("rpe"),
            notes=spec.get("notes", ""),
        )
        _clean(entry, f"exercises.{index}.", ["session", "exercise", "plan_item"])
        entries.append(entry)
    SessionExercise.objects.bulk_create(entries)

    sets: list[SessionSet] = []
    for index, (entry, spec) in enumerate(zip(entries, exercises, strict=True)):
        for order, set_spec in enumerate(spec.get("sets", [])):
            item = SessionSet(
                session_exercise=entry,
                order=order,
                side=set_spec.get("side", SessionSet.Side.BOTH),
                reps=set_spec.get("reps"),
                seconds=set_spec.get("seconds"),
                load=set_spec.get("load", ""),
                band=set_spec.get("band") or "",
                completed=set_spec.get("completed", True),
            )
            prefix = f"exercises.{index}.sets.{order}."
            if item.completed and item.reps is None and item.seconds is None:
                raise ValidationError(
                    {
                        f"{prefix}reps": [
                            ValidationError(SET_AMOUNT_REQUIRED, code="amount_required")
                        ]
                    }
                )
            _clean(item, prefix, ["session_exercise"])
            sets.append(item)
    SessionSet.objects.bulk_create(sets)


def _replay(existing: Session, *, patient: User, digest: str) -> tuple[Session, bool]:
    """Answer an upload whose id is stored: the same upload again, or a conflict."""
    if existing.patient_id != patient.pk:
        # Same answer as "another body": the id's owner is never revealed.
        raise SessionConflict(CONFLICT_OTHER_BODY, "conflict")
    if existing.is_deleted:
        raise SessionConflict(CONFLICT_DELETED, "session_deleted")
    if existing.upload_hash != digest:
        raise SessionConflict(CONFLICT_OTHER_BODY, "conflict")
    return existing, False


def _id_taken(exc: IntegrityError) -> bool:
    """Whether the error is the session table's primary key (PostgreSQL or SQLite)."""
    table = Session._meta.db_table
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    if constraint is not None:
        return bool(constraint == f"{table}_pkey")
    return f"{table}.id" in str(exc)


def _reload_for_write(session: Session) -> Session:
    """The session's current row, read after the patient lock; DoesNotExist once deleted."""
    return Session.objects.get(pk=session.pk, deleted_at__isnull=True)


def _check_precondition(session: Session, if_match: Sequence[str]) -> None:
    """Strong comparison (RFC 9110): weak tags never match; ``*`` matches any version."""
    if "*" in if_match:
        return
    if session.etag not in if_match:
        raise SessionPreconditionFailed(PRECONDITION_FAILED)


def _check_times(started_at: dt.datetime, ended_at: dt.datetime | None) -> None:
    # Re-checked under the lock: the serializer saw the row before a concurrent edit.
    if ended_at is not None and ended_at < started_at:
        raise ValidationError(
            {
                "ended_at": [
                    ValidationError(ENDED_BEFORE_STARTED, code="ended_before_started")
                ]
            }
        )


# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------
@transaction.atomic
def session_upload(*, patient: User, data: Mapping[str, Any]) -> tuple[Session, bool]:
    """Store an uploaded session, or recognise a retry; returns (session, created).

    ``data`` is the validated upload (``id``, ``plan``, times, scores, ``notes``,
    ``exercises`` with ``sets``). A retry of the same upload (same id, same canonical
    body) returns the stored session with ``created=False`` even if it has been edited
    since. Raises SessionConflict (id taken by another body, another patient or a
    deleted session), SessionQuotaExceeded (past the patient's 24-hour upload limits; a
    retry of a stored session is still recognised) and ValidationError (plan, plan
    items, exercises).

    Statements (docs/performance.md): the lock that also advances the patient's
    revision, the id's existence, the 24-hour upload limits (one aggregate), the plan with its items, the session, its exercises,
    their sets; no savepoint of its own around the insert.
    """
    digest = upload_hash(data)
    revision = _lock_patient(patient.pk, advance=True)

    existing = Session.objects.filter(pk=data["id"]).first()
    if existing is not None:
        _store_revision(patient.pk, revision - 1)  # nothing written: no new revision
        return _replay(existing, patient=patient, digest=digest)

    exercises = data.get("exercises", [])
    upload_quota_check(patient_id=patient.pk, exercises=exercises)
    plan_id, substitutions = _check_references(
        patient_id=patient.pk, plan_id=data.get("plan"), exercises=exercises
    )
    session = Session(
        id=data["id"],
        patient=patient,
        plan_id=plan_id,
        started_at=data["started_at"],
        ended_at=data.get("ended_at"),
        pain_before=data.get("pain_before"),
        pain_after=data.get("pain_after"),
        effort=data.get("effort"),
        notes=data.get("notes", ""),
        upload_hash=digest,
        version=1,
        revision=revision,
    )
    _check_times(session.started_at, session.ended_at)
    _clean(session, "", ["patient", "plan"])
    try:
        session.save(force_insert=True)
    except IntegrityError as exc:
        # The same patient's retries wait for the lock and then see the stored id
        # above, so a taken primary key here is another patient's concurrent upload of
        # the same id: the answer _replay gives for another patient's session. No
        # savepoint to read it back: the transaction is over, and rolls back.
        if _id_taken(exc):
            raise SessionConflict(CONFLICT_OTHER_BODY, "conflict") from exc
        raise
    _create_children(session, exercises, substitutions)
    session_changed.send(sender=Session, session=session, action="created")
    return session, True


@transaction.atomic
def session_update(
    *, session: Session, if_match: Sequence[str], data: Mapping[str, Any]
) -> Session:
    """Apply a partial edit if ``if_match`` names the current version; bump version and revision.

    ``data`` holds any of the top-level fields; ``exercises``, when present, replaces
    all exercises and sets. An empty ``data`` changes nothing (no new revision).
    Raises SessionPreconditionFailed, Session.DoesNotExist (deleted meanwhile) and
    ValidationError.
    """
    revision = _lock_patient(session.patient_id)
    current = _reload_for_write(session)
    _check_precondition(current, if_match)
    if not data:
        return current

    plan_id = data.get("plan", current.plan_id)
    substitutions: list[str] = []
    if "exercises" in data:
        current.plan_id, substitutions = _check_references(
            patient_id=current.patient_id, plan_id=plan_id, exercises=data["exercises"]
        )
    elif "plan" in data:
        # The stored exercises must still fit the new plan (items, swaps, unpublished).
        stored = list(current.exercises.values("exercise", "plan_item", "substitution"))
        try:
            current.plan_id, _ = _check_references(
                patient_id=current.patient_id, plan_id=plan_id, exercises=stored
            )
        except ValidationError as exc:
            if "plan" in exc.error_dict:
                raise
            raise ValidationError(
                {
                    "plan": [
                        ValidationError(PLAN_CHANGE_ORPHANS, code="plan_change_orphans")
                    ]
                }
            ) from exc

    for field in EDITABLE_FIELDS:
        if field in data and field != "plan":
            setattr(current, field, data[field])
    _check_times(current.started_at, current.ended_at)
    _clean(current, "", ["patient", "plan"])
    current.version += 1
    current.revision = revision + 1
    current.save()
    if "exercises" in data:
        current.exercises.all().delete()
        _create_children(current, data["exercises"], substitutions)
    _store_revision(current.patient_id, revision + 1)
    session_changed.send(sender=Session, session=current, action="updated")
    return current


@transaction.atomic
def session_delete(
    *, session: Session, if_match: Sequence[str] | None = None
) -> Session:
    """Turn the session into a tombstone: children deleted, content emptied, new revision.

    ``if_match`` is optional here; when given it must name the current version.
    Raises SessionPreconditionFailed and Session.DoesNotExist (already deleted).
    """
    revision = _lock_patient(session.patient_id)
    current = _reload_for_write(session)
    if if_match is not None:
        _check_precondition(current, if_match)
    SessionSet.objects.filter(session_exercise__session=current).delete()
    SessionExercise.objects.filter(session=current).delete()
    for field, value in CLEARED_ON_DELETE.items():
        setattr(current, field, value)
    current.deleted_at = timezone.now()
    current.version += 1
    current.revision = revision + 1
    current.save()
    _store_revision(current.patient_id, revision + 1)
    session_changed.send(sender=Session, session=current, action="deleted")
    return current
