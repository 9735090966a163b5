"""Reads of session logs, scoped to the caller, and their one JSON representation.

Scope: a patient sees their own sessions; a clinician the sessions of the patients in
their care; an admin everyone's. Everyone else sees nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.filters import FilterSet
from exercises.models import Exercise
from sessions.models import PatientSyncState, Session, SessionExercise, SessionSet
from users.models import User
from users.selectors import patient_list

__all__ = [
    "CURSOR_AHEAD",
    "PATIENT_REQUIRED_FOR_SYNC",
    "SessionFilterSet",
    "is_sync",
    "patient_sync_revision",
    "session_browse_cursor",
    "session_children_rows",
    "session_get",
    "session_list",
    "session_page_cursor",
    "session_sync_revision",
    "sessions_represent",
]

PATIENT_REQUIRED_FOR_SYNC = (
    "Required with updated_since: change numbers are counted per patient."
)
CURSOR_AHEAD = (
    "This is not a cursor the server gave you (it is ahead of the latest change). "
    "Sync again with updated_since=0."
)
# The largest value a PostgreSQL bigint holds: larger numbers are not cursors either.
MAX_REVISION = 2**63 - 1


class RevisionFilter(django_filters.Filter):  # type: ignore[misc]  # no stubs
    """A whole, non-negative change number (django-filter's NumberFilter takes decimals).

    Its schema (int64, the bounds) is stated in sessions/api/openapi/logs.py.
    """

    field_class = forms.IntegerField


class SessionFilterSet(FilterSet):
    patient = django_filters.UUIDFilter(
        field_name="patient_id",
        help_text=(
            "Clinicians and admins: only this patient's sessions (an id outside your "
            "care gives an empty list). Required together with `updated_since`."
        ),
    )
    updated_since = RevisionFilter(
        min_value=0,
        max_value=MAX_REVISION,
        method="filter_updated_since",
        help_text=(
            "Sync cursor: the `sync_cursor` of your previous sync (0 for a first full "
            "sync). Returns every session changed after it, deletions included as "
            "tombstones, oldest change first. Never a timestamp or a device clock."
        ),
    )

    class Meta:
        model = Session
        fields = ["patient", "updated_since"]

    def filter_updated_since(
        self, queryset: QuerySet[Session], name: str, value: int
    ) -> QuerySet[Session]:
        return queryset.filter(revision__gt=value)


def _visible(user: User) -> QuerySet[Session]:
    """Every session row ``user`` may read, tombstones included (no query yet)."""
    if user.is_superuser:
        return Session.objects.all()
    if user.is_patient:
        return Session.objects.filter(patient=user)
    # Clinicians: their patients'; anyone else: patient_list() is empty.
    return Session.objects.filter(patient__in=patient_list(user=user))


def session_sync_revision(*, user: User, patient_id: Any = None) -> int | None:
    """The latest change number of the patient whose sessions ``user`` reads (one query).

    A patient reads their own; others name a patient with ``patient_id``. None when no
    single visible patient is meant (a clinician listing all their patients).
    """
    if user.is_patient and not user.is_superuser:
        patients = User.objects.filter(pk=user.pk)
    elif patient_id is not None:
        patients = patient_list(user=user).filter(pk=patient_id)
    else:
        return None
    current = Coalesce("sync_state__revision", Value(0))
    latest: int | None = (
        patients.annotate(current=current).values_list("current", flat=True).first()
    )
    return latest


def patient_sync_revision(*, patient_id: Any) -> int:
    """A patient's latest session-log change number, 0 before the first write (one query)."""
    revision = (
        PatientSyncState.objects.filter(patient_id=patient_id)
        .values_list("revision", flat=True)
        .first()
    )
    return revision or 0


def is_sync(filters: Mapping[str, Any]) -> bool:
    """Whether ``filters`` ask for the change feed (``updated_since``; blank is not sent)."""
    return bool(str(filters.get("updated_since", "")).strip())


def session_browse_cursor(
    *, user: User, filters: Mapping[str, Any], first: bool
) -> int | None:
    """The ``sync_cursor`` of a browse page: the patient's latest change, first page only.

    Read it before the page: a change committed afterwards has a higher revision and
    so reaches the next sync. None in sync mode, on later pages, and when no single
    patient is listed (one query otherwise).
    """
    if is_sync(filters) or not first:
        return None
    return session_sync_revision(user=user, patient_id=filters.get("patient") or None)


def session_page_cursor(
    *, filters: Mapping[str, Any], page: Sequence[Session], default: int | None
) -> int | None:
    """The ``sync_cursor`` of a page: in sync mode the latest change on it (the cursor
    sent when it is empty); otherwise ``default`` (session_browse_cursor's). No query.
    """
    if not is_sync(filters):
        return default
    since = int(str(filters["updated_since"]))
    return max((session.revision for session in page), default=since)


def session_list(
    *, user: User, filters: Mapping[str, Any] | None = None
) -> QuerySet[Session]:
    """The sessions ``user`` may read, filtered; ValidationError on bad filters.

    Without ``updated_since``: live sessions, newest first. With it: every row changed
    after that revision (tombstones included), oldest change first; a non-patient must
    also pass ``patient``, and a cursor ahead of the patient's latest change is
    rejected (it was not issued by the server).
    """
    filterset = SessionFilterSet(data=filters or {}, queryset=_visible(user))
    if not filterset.is_valid():
        raise ValidationError(filterset.form.errors.as_data())
    since = filterset.form.cleaned_data.get("updated_since")
    queryset = filterset.qs
    if since is None:
        queryset = queryset.filter(deleted_at__isnull=True).order_by(
            "-started_at", "-id"
        )
    else:
        patient_id = filterset.form.cleaned_data.get("patient")
        is_patient = user.is_patient and not user.is_superuser
        if not is_patient and patient_id is None:
            raise ValidationError(
                {
                    "patient": [
                        ValidationError(PATIENT_REQUIRED_FOR_SYNC, code="required")
                    ]
                }
            )
        latest = session_sync_revision(user=user, patient_id=patient_id)
        if latest is not None and since > latest:
            raise ValidationError(
                {
                    "updated_since": [
                        ValidationError(CURSOR_AHEAD, code="invalid_cursor")
                    ]
                }
            )
        queryset = queryset.order_by("revision")
    # The children come from session_children_rows(), for the page only.
    result: QuerySet[Session] = queryset
    return result


def session_children_rows(
    *, session_ids: Collection[Any]
) -> dict[Any, list[dict[str, Any]]]:
    """The exercises and sets of these sessions as plain rows, in order (two queries).

    The children of ``sessions_represent``: building model instances for a page's
    thousands of sets (prefetch_related) and serializing them field by field cost ten
    times more than reading the rows (docs/performance.md). Keys: session id; each
    exercise row has the exercise's ``id``/``slug``/``name`` under ``exercise`` and its
    sets under ``sets``.
    """
    exercises: dict[Any, list[dict[str, Any]]] = {pk: [] for pk in session_ids}
    if not exercises:
        # Nothing to read (an upload's answer, from the rows it wrote): building the
        # two querysets that find nothing cost more than the rest of the answer.
        return exercises
    by_id: dict[int, dict[str, Any]] = {}
    rows: Iterable[tuple[Any, ...]] = (
        SessionExercise.objects.filter(session_id__in=session_ids)
        .order_by("order", "id")
        .values_list(
            "id",
            "session_id",
            "exercise_id",
            "exercise__slug",
            "exercise__name",
            "plan_item_id",
            "substitution",
            "order",
            "status",
            "pain_during",
            "difficulty",
            "rpe",
            "notes",
        )
    )
    for pk, session_id, *values in rows:
        entry = _exercise_row(pk, *values)
        exercises[session_id].append(entry)
        by_id[pk] = entry
    if by_id:
        sets = (
            SessionSet.objects.filter(session_exercise_id__in=by_id)
            .order_by("order", "id")
            .values_list("session_exercise_id", *SET_FIELDS)
        )
        for exercise_id, *values in sets:
            by_id[exercise_id]["sets"].append(
                dict(zip(SET_FIELDS, values, strict=True))
            )
    return exercises


# A set's fields in the representation, in its order.
SET_FIELDS = ("order", "side", "reps", "seconds", "load", "band", "completed")


def _exercise_row(
    pk: int,
    exercise_id: Any,
    slug: str,
    name: str,
    plan_item: int | None,
    substitution: str,
    order: int,
    status: str,
    pain_during: int | None,
    difficulty: str,
    rpe: int | None,
    notes: str,
) -> dict[str, Any]:
    """A session's exercise as represented (its ``sets`` empty, to be filled)."""
    return {
        "id": pk,
        "exercise": {"id": str(exercise_id), "slug": slug, "name": name},
        "plan_item": plan_item,
        "substitution": substitution,
        "order": order,
        "status": status,
        "pain_during": pain_during,
        "difficulty": difficulty,
        "rpe": rpe,
        "notes": notes,
        "sets": [],
    }


def _written_children_rows(session: Session) -> list[dict[str, Any]]:
    """The exercises and sets ``session_upload`` has just inserted, represented as
    ``session_children_rows`` would read them back. The exercises' slugs and names
    come with them (the upload's rules read them); one query for any that do not (an
    exercise that is only a swap's target)."""
    written = session.written_children or []
    labels = {
        entry.exercise_id: (entry.exercise.slug, entry.exercise.name)
        for entry, _ in written
        if SessionExercise.exercise.is_cached(entry)
    }
    missing = {entry.exercise_id for entry, _ in written} - labels.keys()
    if missing:
        labels |= {
            pk: (slug, name)
            for pk, slug, name in Exercise.objects.filter(pk__in=missing).values_list(
                "id", "slug", "name"
            )
        }
    rows = []
    for entry, sets in written:
        row = _exercise_row(
            entry.pk, entry.exercise_id, *labels[entry.exercise_id],
            entry.plan_item_id, entry.substitution, entry.order, str(entry.status),
            entry.pain_during, entry.difficulty, entry.rpe, entry.notes,
        )  # fmt: skip
        # str(): a default side is the choice's enum member, a read gives its value.
        row["sets"] = [
            {field: getattr(item, field) for field in SET_FIELDS}
            | {"side": str(item.side)}
            for item in sets
        ]
        rows.append(row)
    return rows


def session_get(*, user: User, session_id: Any) -> Session | None:
    """One live (not deleted) session ``user`` may read, else None.

    Its exercises and sets: ``session_children_rows``.
    """
    try:
        return _visible(user).filter(deleted_at__isnull=True).get(pk=session_id)
    except (Session.DoesNotExist, ValidationError, ValueError, TypeError):
        # A malformed id is as unknown as a missing one.
        return None


def _iso(value: Any) -> str | None:
    """A datetime as the API writes it: ISO 8601 in the server's zone (UTC), "Z" suffix."""
    if value is None:
        return None
    text: str = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def sessions_represent(sessions: Sequence[Session]) -> list[dict[str, Any]]:
    """Sessions and tombstones as JSON-ready dicts (two queries for all the children).

    The one representation of a session: the API's pages, detail and write answers and
    the data export use it; ``sessions/api/serializers`` documents it in the schema
    (``SessionSerializer``, ``SessionTombstoneSerializer``), and
    tests/sessions/test_logs_api.py checks that the two agree. The exercises and sets
    are read as plain rows (session_children_rows): a sync page of 50 sessions holds
    some 2,500 of them, and model instances cost several times more.
    """
    written = {
        session.pk: _written_children_rows(session)
        for session in sessions
        if session.written_children is not None
    }
    children = written | session_children_rows(
        session_ids=[
            session.pk
            for session in sessions
            if not session.is_deleted and session.pk not in written
        ]
    )
    page: list[dict[str, Any]] = []
    for session in sessions:
        if session.is_deleted:
            page.append(
                {
                    "id": str(session.pk),
                    "deleted": True,
                    "revision": session.revision,
                    "deleted_at": _iso(session.deleted_at),
                }
            )
            continue
        page.append(
            {
                "id": str(session.pk),
                "plan": str(session.plan_id) if session.plan_id else None,
                "started_at": _iso(session.started_at),
                "ended_at": _iso(session.ended_at),
                "pain_before": session.pain_before,
                "pain_after": session.pain_after,
                "effort": session.effort,
                "notes": session.notes,
                "version": session.version,
                "revision": session.revision,
                "deleted": False,
                "created_at": _iso(session.created_at),
                "updated_at": _iso(session.updated_at),
                "exercises": children[session.pk],
            }
        )
    return page
