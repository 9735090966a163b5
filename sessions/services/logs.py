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
``ValidationError`` with dotted field paths (``exercises.0.plan_item``: map to 400),
listing every rule broken (the rules: sessions.services.log_rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from exercises.models import Exercise
from sessions.models import (
    PatientSyncState,
    Session,
    SessionExercise,
    SessionSet,
)
from sessions.services.log_rules import (
    ENDED_BEFORE_STARTED,
    PLAN_CHANGE_ORPHANS,
    PLAN_ITEM_WITHOUT_PLAN,
    SET_AMOUNT_REQUIRED,
    UNKNOWN_EXERCISE,
    UNKNOWN_PLAN,
    UNKNOWN_PLAN_ITEM,
    Checked,
    check_rules,
    session_update_errors,
    session_upload_errors,
)
from sessions.services.quota import (
    SessionQuotaExceeded,
    set_count,
    upload_quota_check,
    usage_subqueries,
)
from sessions.services.swaps import PLAN_ITEM_MISMATCH
from sessions.services.upload_hash import upload_hash
from sessions.signals import session_changed
from users.models import User

__all__ = [
    "ENDED_BEFORE_STARTED",
    "PLAN_CHANGE_ORPHANS",
    "PLAN_ITEM_MISMATCH",
    "PLAN_ITEM_WITHOUT_PLAN",
    "SET_AMOUNT_REQUIRED",
    "UNKNOWN_EXERCISE",
    "UNKNOWN_PLAN",
    "UNKNOWN_PLAN_ITEM",
    "SessionConflict",
    "SessionPreconditionFailed",
    "SessionQuotaExceeded",
    "session_delete",
    "session_update",
    "session_update_errors",
    "session_upload",
    "session_upload_errors",
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
    "set_count": 0,
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
def _lock_patient(
    patient_id: Any, *, advance: bool = False, usage_at: dt.datetime | None = None
) -> tuple[int, int, int]:
    """Lock the patient's sync counter until the transaction ends; (revision, sessions,
    sets).

    One statement, creating the counter on the patient's first write: an upsert whose
    update locks the row and, under READ COMMITTED, returns the latest committed value
    even after waiting for another writer (a plain SELECT in the same statement would
    return the value of its snapshot, taken before the wait). With ``advance`` the
    update counts up and the new revision is returned: the lock and the revision of the
    write that follows in one round trip; a caller that then writes nothing puts the
    counter back (_store_revision) or lets its transaction roll back. With
    ``usage_at``, the same statement returns the sessions and sets the patient stored in
    the 24 hours before it (the upload limits, sessions.services.quota); else (0, 0).
    """
    table = PatientSyncState._meta.db_table
    key = PatientSyncState._meta.get_field("patient")
    step = 1 if advance else 0
    usage: str = "0, 0"
    params: list[Any] = []
    if usage_at is not None:
        usage, params = usage_subqueries(patient_id=patient_id, now=usage_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ("patient_id", "revision") VALUES (%s, {step}) '
            f'ON CONFLICT ("patient_id") DO UPDATE SET "revision" = "{table}"."revision"'
            f' + {step} RETURNING "revision", {usage}',
            [key.get_db_prep_value(patient_id, connection), *params],
        )
        revision, sessions, sets = cursor.fetchone()
        return int(revision), int(sessions), int(sets)


def _store_revision(patient_id: Any, revision: int) -> None:
    """Set the patient's counter (locked by _lock_patient in this transaction)."""
    PatientSyncState.objects.filter(patient_id=patient_id).update(revision=revision)


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
    checked: Checked,
) -> list[tuple[SessionExercise, list[SessionSet]]]:
    """Insert the exercises and their sets in two queries, ordered as sent; returns
    each exercise with its sets, as inserted, and its exercise's slug and name where
    the rules read them (``checked.labels``: an unsaved Exercise in the relation's
    cache, so a representation reads no row)."""
    entries: list[SessionExercise] = []
    for index, (spec, substitution) in enumerate(
        zip(exercises, checked.substitutions, strict=True)
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
        if spec["exercise"] in checked.labels:
            slug, name = checked.labels[spec["exercise"]]
            entry.exercise = Exercise(id=spec["exercise"], slug=slug, name=name)
        entries.append(entry)
    SessionExercise.objects.bulk_create(entries)

    sets: list[SessionSet] = []
    written: list[tuple[SessionExercise, list[SessionSet]]] = []
    for index, (entry, spec) in enumerate(zip(entries, exercises, strict=True)):
        written.append((entry, []))
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
            _clean(item, f"exercises.{index}.sets.{order}.", ["session_exercise"])
            sets.append(item)
            written[-1][1].append(item)
    SessionSet.objects.bulk_create(sets)
    return written


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
    revision and reads the 24-hour upload limits, the id's existence, the plan with
    its items, the session, its exercises, their sets; no savepoint of its own around
    the insert. A new session carries what was inserted (``written_children``): its
    answer reads only the exercises' names, not the rows back.
    """
    digest = upload_hash(data)
    now = timezone.now()
    revision, stored_sessions, stored_sets = _lock_patient(
        patient.pk, advance=True, usage_at=now
    )

    existing = Session.objects.filter(pk=data["id"]).first()
    if existing is not None:
        _store_revision(patient.pk, revision - 1)  # nothing written: no new revision
        return _replay(existing, patient=patient, digest=digest)

    exercises = data.get("exercises", [])
    sets = set_count(exercises)
    upload_quota_check(
        patient_id=patient.pk,
        new_sets=sets,
        stored_sessions=stored_sessions,
        stored_sets=stored_sets,
        now=now,
    )
    checked = check_rules(patient_id=patient.pk, data=data)
    session = Session(
        id=data["id"],
        patient=patient,
        plan_id=checked.plan,
        started_at=data["started_at"],
        ended_at=data.get("ended_at"),
        pain_before=data.get("pain_before"),
        pain_after=data.get("pain_after"),
        effort=data.get("effort"),
        notes=data.get("notes", ""),
        upload_hash=digest,
        version=1,
        revision=revision,
        set_count=sets,
    )
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
    session.written_children = _create_children(session, exercises, checked)
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
    revision = _lock_patient(session.patient_id)[0]
    current = _reload_for_write(session)
    _check_precondition(current, if_match)
    if not data:
        return current

    checked = check_rules(patient_id=current.patient_id, data=data, current=current)
    if "plan" in data or "exercises" in data:
        current.plan_id = checked.plan
    for field in EDITABLE_FIELDS:
        if field in data and field != "plan":
            setattr(current, field, data[field])
    if "exercises" in data:
        current.set_count = set_count(data["exercises"])
    _clean(current, "", ["patient", "plan"])
    current.version += 1
    current.revision = revision + 1
    current.save()
    if "exercises" in data:
        current.exercises.all().delete()
        _create_children(current, data["exercises"], checked)
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
    revision = _lock_patient(session.patient_id)[0]
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
